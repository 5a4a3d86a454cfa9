package main

import (
	"bytes"
	"io/fs"
	"slices"
	"strconv"
	"strings"
)

// The answer-type table (-types): for a noun a question may ask for by
// kind ("which country", "what animal"), the words and two-word names
// WordNet files below it, as instances (France under country) or
// hyponyms (dolphin under animal), transitively.
//
//	go run ./retrieval/text/lexicon/internal/gen -wordnet /usr/share/wordnet -types retrieval/text/lexicon/types.txt.gz
//
// A category is a single-word noun lemma; its members come from its first
// senses (as for the related-words table), each sense kept only when
// everything below it holds at most maxMembers words: a kind the answer
// can be told by ("state" as administrative district: Texas, Bavaria),
// not a kind everything is (state as condition, person, entity). A
// member is a lower-case word or two joined by '_'; an instance (a proper
// name) is written with a leading '^': the engine looks for it
// capitalised.
const (
	maxMembers    = 12000 // words below one sense of a category
	minMembers    = 3     // a category with fewer says nothing
	maxMemberLen  = 24
	maxTypeSenses = 3
	// minTagged keeps the categories people write: nouns SemCor tagged
	// at least this often (country 200, virus 6, airline 1, adenovirus 0).
	minTagged = 1
	// minNamedShare: one in this many of a sense's members are instances
	// for it to count as a kind of proper names.
	minNamedShare = 10
)

// typeStats says what buildTypes wrote.
type typeStats struct{ categories, members, raw, gzipped int }

func buildTypes(fsys fs.FS) ([]byte, typeStats, error) {
	synsets := map[string]*synset{}
	if err := readData(fsys, "data.noun", "n", synsets); err != nil {
		return nil, typeStats{}, err
	}
	counts, err := readCounts(fsys, "cntlist.rev")
	if err != nil {
		return nil, typeStats{}, err
	}
	entries, err := readIndex(fsys, "index.noun", "n", counts)
	if err != nil {
		return nil, typeStats{}, err
	}
	// below memoises each synset's closure of members; instance marks
	// reached through an instance pointer.
	type member struct {
		word     string
		instance bool
	}
	closures := map[string][]member{}
	var closure func(key string, depth int) []member
	closure = func(key string, depth int) []member {
		if c, ok := closures[key]; ok {
			return c
		}
		closures[key] = nil // cycles: WordNet has none, but be safe
		s := synsets[key]
		seen := map[member]bool{}
		var out []member
		addM := func(m member) {
			if !seen[m] && len(out) <= maxMembers {
				seen[m] = true
				out = append(out, m)
			}
		}
		for _, p := range s.ptrs {
			if p.sym != "~" && p.sym != "~i" {
				continue
			}
			k := synKey(p.pos, p.offset)
			if synsets[k] == nil || depth > 30 {
				continue
			}
			for _, w := range synsets[k].words {
				if mw, ok := memberWord(w); ok {
					addM(member{mw, p.sym == "~i"})
				}
			}
			for _, m := range closure(k, depth+1) {
				addM(m)
			}
		}
		closures[key] = out
		return out
	}
	// The table holds the kept senses and every synset below them, each
	// once, with its parents in the table: the hierarchy, not each
	// category's list, so nested kinds (animal, mammal, dog) share it.
	inTable := map[string]bool{}
	heads := map[string][]string{} // key -> the categories it is a kept sense of
	var mark func(key string)
	mark = func(key string) {
		if inTable[key] {
			return
		}
		inTable[key] = true
		for _, p := range synsets[key].ptrs {
			if (p.sym == "~" || p.sym == "~i") && synsets[synKey(p.pos, p.offset)] != nil {
				mark(synKey(p.pos, p.offset))
			}
		}
	}
	st := typeStats{}
	for _, e := range entries {
		cat := normalize(e.lemma)
		if !keep(cat) || e.tagCounts < minTagged {
			continue
		}
		n := min(maxTypeSenses, max(1, e.tagged), len(e.offsets))
		// When some sense is mostly a kind of proper names (a tenth or
		// more of the words below it), the others are left out: "which
		// state" asks for Texas (state as province), not for a condition.
		var senses []string
		named := false
		for i := 0; i < n; i++ {
			k := synKey('n', e.offsets[i])
			if synsets[k] == nil {
				continue
			}
			if c := closure(k, 0); len(c) >= minMembers && len(c) <= maxMembers {
				ni := 0
				for _, m := range c {
					if m.instance {
						ni++
					}
				}
				inst := ni*minNamedShare >= len(c)
				if inst && !named {
					senses, named = senses[:0], true
				}
				if inst || !named {
					senses = append(senses, k)
				}
			}
		}
		for _, k := range senses {
			mark(k)
			heads[k] = append(heads[k], cat)
		}
		if len(senses) > 0 {
			st.categories++
		}
	}
	keys := make([]string, 0, len(inTable))
	line := map[string]string{} // key -> its words, instance marked
	for k := range inTable {
		s := synsets[k]
		var ws []string
		inst := slices.ContainsFunc(s.ptrs, func(p pointer) bool { return p.sym == "@i" })
		for _, w := range s.words {
			if mw, ok := memberWord(w); ok {
				if inst {
					mw = "^" + mw
				}
				ws = append(ws, mw)
			}
		}
		ws = slices.Compact(ws)
		st.members += len(ws)
		line[k] = strings.Join(ws, ",")
		keys = append(keys, k)
	}
	slices.SortFunc(keys, func(a, b string) int {
		if c := strings.Compare(line[a], line[b]); c != 0 {
			return c
		}
		return strings.Compare(a, b)
	})
	id := make(map[string]int, len(keys))
	for i, k := range keys {
		id[k] = i
	}
	var buf bytes.Buffer
	buf.WriteString("# Distilled from Princeton WordNet 3.0 (see WORDNET-LICENSE) by internal/gen -types.\n")
	buf.WriteString("# One noun synset a line (line n is node n, comments not counted): its words\n")
	buf.WriteString("# ('^' an instance, a proper name; '_' joins two words), a tab, its parents' node numbers,\n")
	buf.WriteString("# and, after a tab, the kinds (category nouns) it is a sense of.\n")
	for _, k := range keys {
		buf.WriteString(line[k])
		buf.WriteByte('\t')
		var ps []int
		for _, p := range synsets[k].ptrs {
			if p.sym == "@" || p.sym == "@i" {
				if j, ok := id[synKey(p.pos, p.offset)]; ok {
					ps = append(ps, j)
				}
			}
		}
		slices.Sort(ps)
		for i, j := range ps {
			if i > 0 {
				buf.WriteByte(' ')
			}
			buf.WriteString(strconv.Itoa(j))
		}
		if h := heads[k]; len(h) > 0 {
			slices.Sort(h)
			buf.WriteByte('\t')
			buf.WriteString(strings.Join(slices.Compact(h), ","))
		}
		buf.WriteByte('\n')
	}
	gz, err := gzipped(buf.Bytes())
	if err != nil {
		return nil, typeStats{}, err
	}
	st.raw, st.gzipped = buf.Len(), len(gz)
	return gz, st, nil
}

// memberWord returns w (lower-cased, '_' between words) when it is one or
// two words of letters, as news would write a name the engine can match.
func memberWord(w string) (string, bool) {
	w = normalize(w)
	if len(w) < minLen || len(w) > maxMemberLen || strings.Count(w, "_") > 1 {
		return "", false
	}
	for _, part := range strings.Split(w, "_") {
		if len(part) < 2 {
			return "", false
		}
		for i := 0; i < len(part); i++ {
			if part[i] < 'a' || part[i] > 'z' {
				return "", false
			}
		}
	}
	return w, true
}
