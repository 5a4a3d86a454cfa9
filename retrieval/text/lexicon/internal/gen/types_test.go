package main

import (
	"io/fs"
	"strings"
	"testing"
	"testing/fstest"
)

// typesWordNet is a tiny noun hierarchy: country with two instances,
// state with a condition sense (common nouns) and a province sense
// (instances), animal with hyponyms.
func typesWordNet() fstest.MapFS {
	data := `00000010 15 n 02 country 0 nation 0 003 ~i 00000011 n 0000 ~i 00000012 n 0000 ~i 00000017 n 0000 | a nation
00000017 15 n 01 Chad 0 001 @i 00000010 n 0000 | a country
00000011 15 n 01 France 0 001 @i 00000010 n 0000 | a country
00000012 15 n 01 South_Korea 0 001 @i 00000010 n 0000 | a country
00000013 05 n 01 animal 0 004 ~ 00000014 n 0000 ~ 00000015 n 0000 ~ 00000016 n 0000 ~ 00000018 n 0000 | a beast
00000018 05 n 01 fox 0 001 @ 00000013 n 0000 | a beast
00000014 05 n 01 dolphin 0 001 @ 00000013 n 0000 | a beast
00000015 05 n 01 rabbit 0 001 @ 00000013 n 0000 | a beast
00000016 05 n 01 bottlenose_sea_dolphin 0 001 @ 00000013 n 0000 | too many words
00000020 26 n 01 state 0 003 ~ 00000021 n 0000 ~ 00000022 n 0000 ~ 00000023 n 0000 | a condition
00000021 26 n 01 illness 0 001 @ 00000020 n 0000 | a condition
00000022 26 n 01 poverty 0 001 @ 00000020 n 0000 | a condition
00000023 26 n 01 calm 0 001 @ 00000020 n 0000 | a condition
00000030 15 n 02 state 0 province 0 003 ~i 00000031 n 0000 ~i 00000032 n 0000 ~i 00000033 n 0000 | a district
00000031 15 n 01 Texas 0 001 @i 00000030 n 0000 | a state
00000032 15 n 01 Bavaria 0 001 @i 00000030 n 0000 | a state
00000033 15 n 01 Ohio 0 001 @i 00000030 n 0000 | a state
`
	index := `animal n 1 1 ~ 1 1 00000013
country n 1 1 ~i 1 1 00000010
nation n 1 1 ~i 1 0 00000010
state n 2 2 ~ ~i 2 2 00000020 00000030
`
	counts := "animal%1:05:00:: 1 5\ncountry%1:15:00:: 1 9\nstate%1:26:00:: 1 9\nstate%1:15:00:: 2 4\n"
	return fstest.MapFS{
		"data.noun":   {Data: []byte(data)},
		"index.noun":  {Data: []byte(index)},
		"cntlist.rev": {Data: []byte(counts)},
	}
}

func TestBuildTypes(t *testing.T) {
	b, st, err := buildTypes(typesWordNet())
	if err != nil {
		t.Fatal(err)
	}
	out := gunzip(t, b)
	// nation is never tagged (minTagged): no kind of its own; state keeps
	// only its sense of proper names.
	if st.categories != 3 {
		t.Errorf("%d categories, want 3 (animal, country, state):\n%s", st.categories, out)
	}
	var lines []string
	for _, l := range strings.Split(out, "\n") {
		if l != "" && !strings.HasPrefix(l, "#") {
			lines = append(lines, l)
		}
	}
	want := []string{
		"\t7",
		"^bavaria\t12",
		"^chad\t8",
		"^france\t8",
		"^ohio\t12",
		"^south_korea\t8",
		"^texas\t12",
		"animal\t\tanimal",
		"country,nation\t\tcountry",
		"dolphin\t7",
		"fox\t7",
		"rabbit\t7",
		"state,province\t\tstate",
	}
	// (bottlenose_sea_dolphin, three words, keeps its node without words.)
	for i := range want {
		if i < len(lines) && lines[i] != want[i] {
			t.Errorf("line %d = %q, want %q", i, lines[i], want[i])
		}
	}
	if len(lines) != len(want) {
		t.Errorf("%d nodes, want %d:\n%s", len(lines), len(want), out)
	}
	again, _, err := buildTypes(typesWordNet())
	if err != nil || string(again) != string(b) {
		t.Error("two builds of the same WordNet differ")
	}
}

// TestEmbeddedTypesTableIsCurrent is TestEmbeddedTableIsCurrent for the
// answer-type table.
func TestEmbeddedTypesTableIsCurrent(t *testing.T) {
	checkCurrent(t, "types.txt.gz", func(fsys fs.FS) ([]byte, error) {
		table, _, err := buildTypes(fsys)
		return table, err
	})
}
