package main

import (
	"bytes"
	"compress/gzip"
	"io"
	"io/fs"
	"os"
	"strings"
	"testing"
	"testing/fstest"
)

// mini is the tiny WordNet under testdata/mini.
var mini = os.DirFS("testdata/mini")

// miniWith returns the tiny WordNet in memory with some files replaced.
func miniWith(t testing.TB, replace map[string]string) fstest.MapFS {
	t.Helper()
	files, err := os.ReadDir("testdata/mini")
	if err != nil {
		t.Fatal(err)
	}
	m := fstest.MapFS{}
	for _, f := range files {
		b, err := os.ReadFile("testdata/mini/" + f.Name())
		if err != nil {
			t.Fatal(err)
		}
		if r, ok := replace[f.Name()]; ok {
			b = []byte(r)
		}
		m[f.Name()] = &fstest.MapFile{Data: b}
	}
	return m
}

func gunzip(t *testing.T, b []byte) string {
	t.Helper()
	zr, err := gzip.NewReader(bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	out, err := io.ReadAll(zr)
	if err != nil {
		t.Fatal(err)
	}
	return string(out)
}

func TestBuildMini(t *testing.T) {
	table, st, err := build(mini, options{})
	if err != nil {
		t.Fatal(err)
	}
	got := gunzip(t, table)
	for _, line := range []string{
		// The hypernym of the first noun sense (the derivation, home the
		// verb, is home itself and left out).
		"home abode residence\n",
		"residence abode\n",
		// cease-fire is joined as news writes it; re-creation is not.
		"ceasefire truce\n",
		"truce ceasefire\n",
		// An irregular form and a participle point to their base.
		"went =go\n",
		"agreed =agree settled\n",
		"agree concur\n",
	} {
		if !strings.Contains(got, line) {
			t.Errorf("table lacks %q:\n%s", line, got)
		}
	}
	if strings.Contains(got, "recreation") {
		t.Errorf("table joins re-creation:\n%s", got)
	}
	if st.gzipped != len(table) || st.raw != len(got) || st.lemmas == 0 {
		t.Errorf("stats %+v for %d bytes (%d gzipped)", st, len(got), len(table))
	}
}

func TestBuildIsDeterministic(t *testing.T) {
	first, _, err := build(mini, options{})
	if err != nil {
		t.Fatal(err)
	}
	for range 3 {
		again, _, err := build(mini, options{})
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(again, first) {
			t.Fatal("builds from the same WordNet differ")
		}
	}
}

func TestBuildWithout(t *testing.T) {
	table, _, err := build(mini, options{without: map[string]bool{"hypernym": true, "synonym": true}})
	if err != nil {
		t.Fatal(err)
	}
	got := gunzip(t, table)
	for _, gone := range []string{"home abode residence", "truce ceasefire", "agree concur"} {
		if strings.Contains(got, gone) {
			t.Errorf("table without hypernyms and synonyms holds %q:\n%s", gone, got)
		}
	}
}

func TestBuildRejectsMalformedFiles(t *testing.T) {
	data, err := os.ReadFile("testdata/mini/data.noun")
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name, file, text string
	}{
		{"word count not hex", "data.noun", string(data) + "00000099 15 n 0z home 0 000 | x\n"},
		{"pointer cut short", "data.noun", string(data) + "00000099 15 n 01 home 0 002 @ 00000002 n 0000 | x\n"},
		{"index counts disagree", "index.noun", "home n 2 0 1 1 00000001\n"},
		{"negative pointer count", "index.noun", "home n 1 -2 1\n"},
		{"sense without synset", "index.noun", "home n 1 0 1 1 00000077\n"},
		{"count without sense key", "cntlist.rev", "home 1 10\n"},
		{"exception without base", "verb.exc", "went\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, _, err := build(miniWith(t, map[string]string{tt.file: tt.text}), options{})
			if err == nil || !strings.Contains(err.Error(), tt.file) {
				t.Errorf("build = %v, want an error naming %s", err, tt.file)
			}
		})
	}
	if _, _, err := build(os.DirFS(t.TempDir()), options{}); err == nil {
		t.Error("build from an empty directory succeeded")
	}
}

// TestEmbeddedTableIsCurrent regenerates the table from the installed
// WordNet (Debian's wordnet-base) and checks that it is byte for byte the
// one the lexicon embeds, written by an earlier run: the generator is
// deterministic (no map order or time leaks into its output) and nobody
// edited the table by hand.
func TestEmbeddedTableIsCurrent(t *testing.T) {
	checkCurrent(t, "wordnet.txt.gz", func(fsys fs.FS) ([]byte, error) {
		table, _, err := build(fsys, options{})
		return table, err
	})
}

// checkCurrent builds a table from the installed WordNet and checks that
// the lexicon embeds exactly it.
func checkCurrent(t *testing.T, name string, build func(fs.FS) ([]byte, error)) {
	t.Helper()
	const dir = "/usr/share/wordnet"
	if _, err := os.Stat(dir + "/data.noun"); err != nil {
		t.Skip("WordNet is not installed (apt-get install wordnet-base)")
	}
	if testing.Short() || raceEnabled {
		t.Skip("reads all of WordNet")
	}
	table, err := build(os.DirFS(dir))
	if err != nil {
		t.Fatal(err)
	}
	embedded, err := os.ReadFile("../../" + name)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(table, embedded) {
		t.Errorf("%s is not what the generator writes: run go generate ./retrieval/text/lexicon", name)
	}
}
