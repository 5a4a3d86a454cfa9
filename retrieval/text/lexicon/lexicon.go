// Package lexicon relates a question word to the words a briefing may use
// instead: synonyms and derivations distilled from WordNet 3.0
// (home/residence, agree/concur, die/death), news associations WordNet
// lacks (call/spoke, react/angry) and news abbreviations (PM, U.S., EU).
//
// The tables are embedded in the binary and decoded once, on first use
// (or by [Load]); after that every lookup is a map access. All words are
// lower-case, as the tokenizer of retrieval/text gives them. Stop words
// are neither looked up nor returned, and WordNet relations that stem
// like the word itself (weekly for week) are left out: retrieval matches
// stems, so they would add nothing.
//
// The WordNet table is generated (go generate ./retrieval/text/lexicon,
// with Debian's wordnet-base installed); WORDNET-LICENSE is its licence.
package lexicon

//go:generate go run ./internal/gen -wordnet /usr/share/wordnet -out wordnet.txt.gz

import (
	"bufio"
	"bytes"
	"compress/gzip"
	_ "embed"
	"encoding/binary"
	"fmt"
	"io"
	"slices"
	"strings"
	"sync"
)

var (
	//go:embed wordnet.txt.gz
	wordnetGz []byte
	//go:embed news.txt
	newsText string
	//go:embed abbreviations.txt
	abbrText string
)

// table is the decoded lexicon.
type table struct {
	// wordnet maps a word to its related words, space-separated, best
	// first; "=base" tokens first name the bases of an irregular form.
	// Keys and values are substrings of one decoded string.
	wordnet map[string]string
	news    map[string][]string
	expand  map[string][][]string
	// contract maps an expansion, its words joined by spaces, to the
	// abbreviations it expands.
	contract  map[string][]string
	maxPhrase int // most words in an expansion
}

var (
	loadOnce sync.Once
	loaded   *table
	loadErr  error
)

// Load decodes the embedded tables if that has not been done yet and
// reports whether they are sound. Lookups call it themselves; call it at
// start-up to pay the decoding (50-90 ms, 8 MB of heap) before the first
// question and to surface a broken build early.
func Load() error {
	_ = tables()
	return loadErr
}

// tables returns the decoded tables; after a decoding error, empty ones.
func tables() *table {
	loadOnce.Do(func() {
		loaded, loadErr = decode(wordnetGz, newsText, abbrText)
		if loadErr != nil {
			loaded = &table{}
		}
	})
	return loaded
}

// decode builds the tables from the embedded files.
func decode(gz []byte, news, abbr string) (*table, error) {
	t := &table{}
	var err error
	if t.wordnet, err = decodeWordNet(gz); err != nil {
		return nil, err
	}
	if t.news, err = parseNews(news); err != nil {
		return nil, err
	}
	if t.expand, err = parseAbbreviations(abbr); err != nil {
		return nil, err
	}
	t.contract = map[string][]string{}
	abbrs := make([]string, 0, len(t.expand))
	for a := range t.expand {
		abbrs = append(abbrs, a)
	}
	slices.Sort(abbrs)
	for _, a := range abbrs {
		for _, e := range t.expand[a] {
			k := strings.Join(e, " ")
			if !slices.Contains(t.contract[k], a) {
				t.contract[k] = append(t.contract[k], a)
			}
			t.maxPhrase = max(t.maxPhrase, len(e))
		}
	}
	return t, nil
}

// decodeWordNet reads the gzipped table written by internal/gen: a
// header of '#' lines, then one line per word: the word and its related
// words, separated by single spaces.
func decodeWordNet(gz []byte) (map[string]string, error) {
	zr, err := gzip.NewReader(bytes.NewReader(gz))
	if err != nil {
		return nil, fmt.Errorf("lexicon: wordnet table: %w", err)
	}
	// One string holds the whole table; keys and values point into it.
	// gzip's trailer gives its size, which saves regrowing and copying;
	// trusted no further than deflate can expand (1032 to 1).
	var sb strings.Builder
	if len(gz) >= 4 {
		sb.Grow(min(int(binary.LittleEndian.Uint32(gz[len(gz)-4:])), len(gz)*1032, 64<<20))
	}
	if _, err := io.Copy(&sb, zr); err != nil {
		return nil, fmt.Errorf("lexicon: wordnet table: %w", err)
	}
	all := sb.String()
	m := make(map[string]string, strings.Count(all, "\n"))
	for n := 1; all != ""; n++ {
		line, rest, _ := strings.Cut(all, "\n")
		all = rest
		if line == "" || line[0] == '#' {
			continue
		}
		word, related, _ := strings.Cut(line, " ")
		if !isWord(word) {
			return nil, fmt.Errorf("lexicon: wordnet table line %d: bad word %q", n, word)
		}
		before := len(m)
		m[word] = related
		if len(m) == before {
			return nil, fmt.Errorf("lexicon: wordnet table line %d: %q twice", n, word)
		}
	}
	return m, nil
}

// parseNews reads news.txt: '#' comments, then lines of a word and the
// words associated with it, best first.
func parseNews(s string) (map[string][]string, error) {
	m := map[string][]string{}
	sc := bufio.NewScanner(strings.NewReader(s))
	for n := 1; sc.Scan(); n++ {
		f := strings.Fields(sc.Text())
		if len(f) == 0 || strings.HasPrefix(f[0], "#") {
			continue
		}
		if len(f) < 2 {
			return nil, fmt.Errorf("lexicon: news.txt line %d: a word without associations", n)
		}
		for _, w := range f {
			if !isWord(w) {
				return nil, fmt.Errorf("lexicon: news.txt line %d: bad word %q", n, w)
			}
		}
		if _, dup := m[f[0]]; dup {
			return nil, fmt.Errorf("lexicon: news.txt line %d: %q twice", n, f[0])
		}
		m[f[0]] = f[1:]
	}
	return m, sc.Err()
}

// parseAbbreviations reads abbreviations.txt: '#' comments, then lines
// "abbr: expansion | expansion ...".
func parseAbbreviations(s string) (map[string][][]string, error) {
	m := map[string][][]string{}
	sc := bufio.NewScanner(strings.NewReader(s))
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		if line == "" || line[0] == '#' {
			continue
		}
		abbr, rest, ok := strings.Cut(line, ":")
		abbr = strings.TrimSpace(abbr)
		if !ok || !isWord(abbr) {
			return nil, fmt.Errorf("lexicon: abbreviations.txt line %d: want \"abbr: expansion | ...\"", n)
		}
		if _, dup := m[abbr]; dup {
			return nil, fmt.Errorf("lexicon: abbreviations.txt line %d: %q twice", n, abbr)
		}
		for _, e := range strings.Split(rest, "|") {
			words := strings.Fields(e)
			if len(words) == 0 {
				return nil, fmt.Errorf("lexicon: abbreviations.txt line %d: empty expansion", n)
			}
			for _, w := range words {
				if !isWord(w) {
					return nil, fmt.Errorf("lexicon: abbreviations.txt line %d: bad word %q", n, w)
				}
			}
			m[abbr] = append(m[abbr], words)
		}
	}
	return m, sc.Err()
}

// isWord reports whether w is a non-empty run of lower-case ASCII letters
// and digits, as the tables hold them.
func isWord(w string) bool {
	if w == "" {
		return false
	}
	for i := 0; i < len(w); i++ {
		if c := w[i]; (c < 'a' || c > 'z') && (c < '0' || c > '9') {
			return false
		}
	}
	return true
}

// Related returns the words related to a lower-case word, best first,
// without the word itself: its news associations, then its WordNet
// relations, then those of its base form when it is inflected (killed ->
// kill, went -> go), the base itself included. It returns nil for a word
// the lexicon does not know. The caller owns the slice.
//
// Abbreviations are not included: see [Expand].
func Related(word string) []string {
	t := tables()
	word = strings.ToLower(word)
	if !isWord(word) {
		return nil
	}
	out := make([]string, 0, 32)
	add := func(w string) {
		if w != word && !slices.Contains(out, w) {
			out = append(out, w)
		}
	}
	for _, w := range t.news[word] {
		add(w)
	}
	own, ok := t.wordnet[word]
	var bases []string
	for w := range strings.FieldsSeq(own) {
		if base, irregular := strings.CutPrefix(w, "="); irregular {
			bases = append(bases, base)
			continue
		}
		add(w)
	}
	if !ok {
		if b := t.regularBase(word); b != "" {
			bases = append(bases, b)
		}
	}
	for _, b := range bases {
		add(b)
		for _, w := range t.news[b] {
			add(w)
		}
		for w := range strings.FieldsSeq(t.wordnet[b]) {
			if !strings.HasPrefix(w, "=") {
				add(w)
			}
		}
	}
	if len(out) == 0 {
		return nil
	}
	return out
}

// suffixRules are WordNet's detachment rules (morphy(7)) for nouns, verbs
// and adjectives, in the order they are tried: suffix, replacement. They
// apply only to words without an entry of their own: the table already
// names the bases of those that are inflections too (agreed =agree), and
// "news" is no plural of "new", nor "evening" a form of "even".
var suffixRules = [][2]string{
	{"ies", "y"}, {"ches", "ch"}, {"shes", "sh"}, {"xes", "x"}, {"zes", "z"}, {"ses", "s"},
	{"men", "man"}, {"s", ""}, {"es", "e"}, {"es", ""},
	{"ed", "e"}, {"ed", ""}, {"ied", "y"}, {"ing", "e"}, {"ing", ""},
	{"est", "e"}, {"est", ""}, {"er", "e"}, {"er", ""},
}

// regularBase returns the first base form of a regularly inflected word
// that the lexicon knows (agreed -> agree, stopped -> stop, countries ->
// country), or "".
func (t *table) regularBase(word string) string {
	has := func(w string) bool {
		if _, ok := t.wordnet[w]; ok {
			return true
		}
		_, ok := t.news[w]
		return ok
	}
	for _, r := range suffixRules {
		stem, ok := strings.CutSuffix(word, r[0])
		if !ok || len(stem) < 2 || (r[0] == "s" && strings.HasSuffix(stem, "s")) {
			continue
		}
		if b := stem + r[1]; len(b) >= 3 && has(b) {
			return b
		}
		// A doubled final consonant: stopped, banning, bigger.
		if r[1] == "" && len(stem) >= 4 && stem[len(stem)-1] == stem[len(stem)-2] &&
			!strings.ContainsRune("aeiou", rune(stem[len(stem)-1])) && has(stem[:len(stem)-1]) {
			return stem[:len(stem)-1]
		}
	}
	return ""
}

// Expand returns the expansions of an abbreviation, each as its words in
// the order of preference: "pm" gives [[prime minister] [premier]], "us"
// gives [[united states] [america] [american] [usa]]. It returns nil for
// a word that is no abbreviation the lexicon knows. Several abbreviations
// are also ordinary words (us, who, mar): expand a token only when it was
// written in capitals or with dots. The caller owns the slices.
func Expand(abbr string) [][]string {
	es := tables().expand[strings.ToLower(abbr)]
	if es == nil {
		return nil
	}
	out := make([][]string, len(es))
	for i, e := range es {
		out[i] = slices.Clone(e)
	}
	return out
}

// Contract finds the longest expansion of an abbreviation at the start of
// words (lower-case tokens) and returns the abbreviations it expands and
// how many words it covers: ["prime", "minister", "said"] gives ["pm"], 2.
// It returns nil, 0 when no expansion starts there.
func Contract(words []string) (abbrs []string, n int) {
	t := tables()
	for k := min(len(words), t.maxPhrase); k > 0; k-- {
		if a := t.contract[strings.Join(words[:k], " ")]; a != nil {
			return slices.Clone(a), k
		}
	}
	return nil, 0
}
