// Command gen distils Princeton WordNet 3.0 (Debian's wordnet-base, under
// /usr/share/wordnet) into the compact table the lexicon package embeds:
// for each single-word lemma, the single words most related to it in its
// most frequent senses, best first.
//
//	go run ./retrieval/text/lexicon/internal/gen -wordnet /usr/share/wordnet -out retrieval/text/lexicon/wordnet.txt.gz
//
// With -types FILE it writes the answer-type table instead (types.go).
//
// What goes in, for a lemma L (lower-case letters only, not a stop word):
//   - the other words of the synsets of L's first senses per part of speech
//     (WordNet's index files list senses in frequency order; senses beyond
//     the first that SemCor never tagged are skipped, at most three);
//   - the words those senses of L are derivationally related to
//     (agree/agreement, die/death), its pertainyms and participles, the
//     nouns an adjective is an attribute of, and the hypernyms of a noun
//     or verb (home -> residence) unless they are generic (maxHyponyms);
//   - for the first sense only: the synsets a head adjective is similar
//     to, and the cause and entailment of a verb (kill -> die).
//
// These choices, and the constants below, were measured with
// internal/measure (see there) on RealTime QA's 2023 training questions.
//
// Words that stem like L (weekly for week, agreed for agree) are left out:
// retrieval matches stems, so they would add nothing.
//
// Each relation has a weight, scaled by the rank of the sense and by how
// often the part of speech was tagged for L; a lemma keeps its
// maxRelated best words. The output is sorted and gzipped with a fixed
// header, so the same database always gives the same bytes.
//
// Hyphenated lemmas are joined (cease-fire -> ceasefire, e-mail -> email),
// as news writes them; other collocations (prime_minister) are left out.
//
// Irregular inflections from the *.exc files whose base is in the table
// are kept too (as "went =go"), so that lookups of inflected forms work.
package main

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"os"
	"slices"
	"strconv"
	"strings"

	"github.com/briefbot/briefbot/retrieval/text"
)

func main() {
	dir := flag.String("wordnet", "/usr/share/wordnet", "directory holding WordNet's index.* and data.* files")
	out := flag.String("out", "wordnet.txt.gz", "gzipped table to write")
	types := flag.String("types", "", "write the answer-type table (types.go) to this file instead")
	without := flag.String("without", "", "comma-separated relations to leave out, to measure what each adds: "+strings.Join(relations, ","))
	flag.Parse()
	if *types != "" {
		table, st, err := buildTypes(os.DirFS(*dir))
		write(*types, table, err, fmt.Sprintf("%d categories, %d members, %d bytes (%d gzipped)",
			st.categories, st.members, st.raw, st.gzipped))
		return
	}
	opt := options{without: map[string]bool{}}
	for _, r := range strings.Split(*without, ",") {
		if r == "" {
			continue
		}
		if !slices.Contains(relations, r) {
			fmt.Fprintf(os.Stderr, "gen: -without %s: no such relation (%s)\n", r, strings.Join(relations, ","))
			os.Exit(2)
		}
		opt.without[r] = true
	}
	table, st, err := build(os.DirFS(*dir), opt)
	write(*out, table, err, fmt.Sprintf("%d lemmas, %d inflections, %d bytes (%d gzipped)",
		st.lemmas, st.inflections, st.raw, st.gzipped))
}

// write writes a built table to path and says what it holds, or exits
// on the build's or the write's error.
func write(path string, table []byte, err error, what string) {
	if err == nil {
		err = os.WriteFile(path, table, 0o644)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "gen:", err)
		os.Exit(1)
	}
	fmt.Fprintf(os.Stderr, "gen: %s -> %s\n", what, path)
}

// gzipped compresses a table with a fixed header (no name or time): the
// output depends on the input only.
func gzipped(raw []byte) ([]byte, error) {
	var gz bytes.Buffer
	zw, err := gzip.NewWriterLevel(&gz, gzip.BestCompression)
	if err != nil {
		return nil, err
	}
	if _, err := zw.Write(raw); err != nil {
		return nil, err
	}
	if err := zw.Close(); err != nil {
		return nil, err
	}
	return gz.Bytes(), nil
}

// Tuning of the table's size and content.
const (
	maxSenses  = 3  // senses per lemma and part of speech
	maxRelated = 24 // related words kept per lemma
	minLen     = 2  // shortest lemma or related word kept
	maxLen     = 20 // longest lemma or related word kept
	// maxHyponyms skips generic hypernyms: leader -> person says nothing
	// (person has 402 hyponyms), home -> residence does (2). Measured:
	// 15, 40, 100 and 250 give 286, 294, 312 and 312 (see internal/measure).
	maxHyponyms = 100
)

// Relation weights, before the sense and part-of-speech factors.
const (
	wSynonym    = 1.0
	wDerivation = 0.8
	wPertainym  = 0.7
	wAttribute  = 0.5
	wHypernym   = 0.5
	wSimilar    = 0.45
	wCause      = 0.45
)

// senseWeight is the factor of the i-th sense (0-based) of a lemma.
var senseWeight = [maxSenses]float64{1, 0.6, 0.4}

// posFile names the files of a part of speech.
var posFile = map[string]string{"n": "noun", "v": "verb", "a": "adj", "r": "adv"}

var posNames = []struct{ file, tag string }{
	{"noun", "n"}, {"verb", "v"}, {"adj", "a"}, {"adv", "r"},
}

// synset is one line of a data.* file.
type synset struct {
	words []string // lower-cased, spaces as '_', adjective markers removed
	ptrs  []pointer
}

// hyponyms counts the synsets directly below s.
func (s *synset) hyponyms() int {
	n := 0
	for _, p := range s.ptrs {
		if p.sym == "~" || p.sym == "~i" {
			n++
		}
	}
	return n
}

type pointer struct {
	sym      string
	pos      byte // n v a r s
	offset   string
	src, tgt int // 1-based word numbers; 0 for a semantic pointer
}

type indexEntry struct {
	lemma     string
	pos       string
	tagged    int // senses SemCor tagged; they come first
	offsets   []string
	tagCounts int // how often the lemma was tagged in this part of speech
}

// relations are the kinds of relation the table holds.
var relations = []string{"synonym", "derivation", "pertainym", "attribute", "hypernym", "similar", "cause", "later-senses"}

// options change what run puts in the table.
type options struct {
	without map[string]bool // relations left out
}

// stats says what build wrote.
type stats struct{ lemmas, inflections, raw, gzipped int }

func build(fsys fs.FS, opt options) ([]byte, stats, error) {
	synsets := map[string]*synset{} // key: pos tag + offset
	for _, p := range posNames {
		if err := readData(fsys, "data."+p.file, p.tag, synsets); err != nil {
			return nil, stats{}, err
		}
	}
	counts, err := readCounts(fsys, "cntlist.rev")
	if err != nil {
		return nil, stats{}, err
	}
	var entries []indexEntry
	for _, p := range posNames {
		es, err := readIndex(fsys, "index."+p.file, p.tag, counts)
		if err != nil {
			return nil, stats{}, err
		}
		entries = append(entries, es...)
	}

	// Total tag count per lemma, to weigh its parts of speech.
	total := map[string]int{}
	npos := map[string]int{}
	for _, e := range entries {
		total[e.lemma] += e.tagCounts
		npos[e.lemma]++
	}

	scores := map[string]map[string]float64{}
	for _, e := range entries {
		key := normalize(e.lemma)
		if !keep(key) {
			continue
		}
		posW := 0.5 + 0.5*float64(e.tagCounts+1)/float64(total[e.lemma]+npos[e.lemma])
		n := min(maxSenses, max(1, e.tagged), len(e.offsets))
		if opt.without["later-senses"] {
			n = min(n, 1)
		}
		add := func(word string, w float64) {
			word = normalize(word)
			if word == key || !keep(word) || text.Stem(word) == text.Stem(key) {
				return
			}
			m := scores[key]
			if m == nil {
				m = map[string]float64{}
				scores[key] = m
			}
			m[word] += w
		}
		for i := 0; i < n; i++ {
			s := synsets[synKey(e.pos[0], e.offsets[i])]
			if s == nil {
				return nil, stats{}, fmt.Errorf("index.%s: %s sense %d: no synset %s", posFile[e.pos], e.lemma, i+1, e.offsets[i])
			}
			k := slices.Index(s.words, e.lemma) + 1 // 1-based word number of L
			w := senseWeight[i] * posW
			for _, syn := range s.words {
				if !opt.without["synonym"] {
					add(syn, wSynonym*w)
				}
			}
			for _, p := range s.ptrs {
				t := synsets[synKey(p.pos, p.offset)]
				if t == nil {
					continue
				}
				var rw float64
				var rel string
				switch {
				case p.sym == "+":
					rw, rel = wDerivation, "derivation"
				case p.sym == `\` || p.sym == "<":
					rw, rel = wPertainym, "pertainym"
				case p.sym == "=":
					rw, rel = wAttribute, "attribute"
				case (e.pos == "n" || e.pos == "v") && p.sym == "@" && t.hyponyms() <= maxHyponyms:
					rw, rel = wHypernym, "hypernym"
				case i == 0 && e.pos == "a" && p.sym == "&":
					rw, rel = wSimilar, "similar"
				case i == 0 && e.pos == "v" && (p.sym == ">" || p.sym == "*"):
					rw, rel = wCause, "cause"
				default:
					continue
				}
				if opt.without[rel] {
					continue
				}
				if p.src != 0 {
					// A lexical pointer: only from L itself, to one word.
					if p.src != k || p.tgt < 1 || p.tgt > len(t.words) {
						continue
					}
					add(t.words[p.tgt-1], rw*w)
					continue
				}
				for _, tw := range t.words {
					add(tw, rw*w)
				}
			}
		}
	}

	var buf bytes.Buffer
	buf.WriteString("# Distilled from Princeton WordNet 3.0 (see WORDNET-LICENSE) by internal/gen.\n")
	buf.WriteString("# word related... best first; =base names the base of an inflected form.\n")
	lemmas := make([]string, 0, len(scores))
	for l := range scores {
		lemmas = append(lemmas, l)
	}
	exc, err := readExceptions(fsys, scores)
	if err != nil {
		return nil, stats{}, err
	}
	addParticipleBases(entries, synsets, scores, exc)
	blocked := blockStopWords(scores)
	for f := range exc {
		if _, ok := scores[f]; !ok {
			lemmas = append(lemmas, f)
		}
	}
	lemmas = append(lemmas, blocked...)
	slices.Sort(lemmas)
	for _, l := range lemmas {
		buf.WriteString(l)
		for _, b := range exc[l] {
			buf.WriteString(" =")
			buf.WriteString(b)
		}
		for _, r := range best(scores[l]) {
			buf.WriteByte(' ')
			buf.WriteString(r)
		}
		buf.WriteByte('\n')
	}

	gz, err := gzipped(buf.Bytes())
	if err != nil {
		return nil, stats{}, err
	}
	return gz, stats{len(scores), len(exc), buf.Len(), len(gz)}, nil
}

// best returns the maxRelated highest-scored words, ties alphabetical.
func best(m map[string]float64) []string {
	words := make([]string, 0, len(m))
	for w := range m {
		words = append(words, w)
	}
	slices.SortFunc(words, func(a, b string) int {
		if m[a] != m[b] {
			if m[a] > m[b] {
				return -1
			}
			return 1
		}
		return strings.Compare(a, b)
	})
	if len(words) > maxRelated {
		words = words[:maxRelated]
	}
	return words
}

// normalize lower-cases w and joins the hyphenated lemmas that news
// writes closed: "ceasefire" and "email" where WordNet has cease-fire and
// e-mail. Other hyphenated lemmas stay as they are (and keep drops them).
func normalize(w string) string {
	w = strings.ToLower(w)
	if j := strings.ReplaceAll(w, "-", ""); j != w && joined[j] {
		return j
	}
	return w
}

// joined lists WordNet's hyphenated lemmas, joined, that a 2023 news
// corpus (shared/train/realtimeqa-2023) writes closed at least three times,
// less false friends (re-creation is no recreation, re-formed no reformed).
var joined = func() map[string]bool {
	m := map[string]bool{}
	for _, w := range strings.Fields(`lawmakers online email ongoing southwest northeast northwest southeast
worldwide halftime lifetime matchup lifestyle offseason makeup uptick coordinated goodbye restart
whistleblower coordinate frontrunner antisemitic antisemitism ceasefire setback mindset spinoff hardcore
offline hardline followup overcrowding coauthor takeaway infighting bestselling readout preexisting
standalone wellbeing timeout onsite byproduct onetime preemptive rundown freelance reintroduce
handcrafted login diehard standup shakeup jumpstart handheld coworker airtight preemption facelift
warmup passerby manmade lighthearted policymaking preempt tipoff dropoff coverup popup fulltime byline
twofold tenfold troubleshoot surefire reemerge longterm kickstart babysitter nonproliferation
microorganism fundraise flyby phaseout deescalate backchannel tradeoff shootdown shortstop layup
lanternfly airship payphone humvee drywall deepwater`) {
		m[w] = true
	}
	return m
}()

// keep reports whether w is a single lower-case word worth a table entry.
func keep(w string) bool {
	if len(w) < minLen || len(w) > maxLen || text.IsStopWord(w) {
		return false
	}
	for i := 0; i < len(w); i++ {
		if w[i] < 'a' || w[i] > 'z' {
			return false
		}
	}
	return true
}

func synKey(pos byte, offset string) string {
	if pos == 's' {
		pos = 'a' // satellites live in data.adj
	}
	return string(pos) + offset
}

// readData reads a data.* file into synsets. Format (wndb(5)):
// offset lex_filenum ss_type w_cnt [word lex_id]... p_cnt [ptr]... | gloss
func readData(fsys fs.FS, path, pos string, synsets map[string]*synset) error {
	return eachLine(fsys, path, func(line string, n int) error {
		if strings.HasPrefix(line, "  ") {
			return nil // licence header
		}
		if i := strings.Index(line, " | "); i >= 0 {
			line = line[:i]
		}
		f := strings.Fields(line)
		bad := func() error { return fmt.Errorf("%s:%d: malformed synset", path, n) }
		if len(f) < 4 {
			return bad()
		}
		wc, err := strconv.ParseUint(f[3], 16, 16)
		if err != nil {
			return bad()
		}
		i := 4
		s := &synset{}
		for range wc {
			if i+1 >= len(f) {
				return bad()
			}
			w := strings.ToLower(f[i])
			if j := strings.IndexByte(w, '('); j > 0 {
				w = w[:j] // adjective position marker: galore(ip)
			}
			s.words = append(s.words, w)
			i += 2
		}
		if i >= len(f) {
			return bad()
		}
		pc, err := strconv.Atoi(f[i])
		if err != nil {
			return bad()
		}
		i++
		for range pc {
			if i+3 >= len(f) || len(f[i+2]) != 1 || len(f[i+3]) != 4 {
				return bad()
			}
			st, err1 := strconv.ParseUint(f[i+3][:2], 16, 8)
			tt, err2 := strconv.ParseUint(f[i+3][2:], 16, 8)
			if err1 != nil || err2 != nil {
				return bad()
			}
			s.ptrs = append(s.ptrs, pointer{sym: f[i], offset: f[i+1], pos: f[i+2][0], src: int(st), tgt: int(tt)})
			i += 4
		}
		synsets[pos+f[0]] = s
		return nil
	})
}

// readIndex reads an index.* file. Format (wndb(5)):
// lemma pos synset_cnt p_cnt [ptr_symbol]... sense_cnt tagsense_cnt [synset_offset]...
func readIndex(fsys fs.FS, path, pos string, counts map[string]int) ([]indexEntry, error) {
	var out []indexEntry
	err := eachLine(fsys, path, func(line string, n int) error {
		if strings.HasPrefix(line, "  ") {
			return nil
		}
		f := strings.Fields(line)
		bad := func() error { return fmt.Errorf("%s:%d: malformed index entry", path, n) }
		if len(f) < 4 {
			return bad()
		}
		sc, err1 := strconv.Atoi(f[2])
		pc, err2 := strconv.Atoi(f[3])
		if err1 != nil || err2 != nil || sc < 0 || pc < 0 || len(f) != 4+pc+2+sc {
			return bad()
		}
		tagged, err := strconv.Atoi(f[4+pc+1])
		if err != nil {
			return bad()
		}
		out = append(out, indexEntry{
			lemma:     f[0],
			pos:       pos,
			tagged:    tagged,
			offsets:   f[4+pc+2:],
			tagCounts: counts[f[0]+"%"+pos],
		})
		return nil
	})
	return out, err
}

// readCounts sums cntlist.rev's tag counts per lemma and part of speech
// (key "lemma%n"). Line format: lemma%ss_type:... sense_number tag_cnt.
func readCounts(fsys fs.FS, path string) (map[string]int, error) {
	m := map[string]int{}
	err := eachLine(fsys, path, func(line string, n int) error {
		f := strings.Fields(line)
		if len(f) != 3 {
			return fmt.Errorf("%s:%d: malformed count", path, n)
		}
		lemma, rest, ok := strings.Cut(f[0], "%")
		c, err := strconv.Atoi(f[2])
		if !ok || rest == "" || err != nil {
			return fmt.Errorf("%s:%d: malformed count", path, n)
		}
		pos := map[byte]string{'1': "n", '2': "v", '3': "a", '4': "r", '5': "a"}[rest[0]]
		m[lemma+"%"+pos] += c
		return nil
	})
	return m, err
}

// readExceptions reads the *.exc files (inflected base...) and keeps, for
// each inflected form that is a single word, its bases that have entries.
func readExceptions(fsys fs.FS, scores map[string]map[string]float64) (map[string][]string, error) {
	out := map[string][]string{}
	for _, p := range posNames {
		path := p.file + ".exc"
		err := eachLine(fsys, path, func(line string, n int) error {
			f := strings.Fields(line)
			if len(f) < 2 {
				return fmt.Errorf("%s:%d: malformed exception", path, n)
			}
			if !keep(f[0]) {
				return nil
			}
			for _, b := range f[1:] {
				b = normalize(b)
				if _, ok := scores[b]; ok && b != f[0] && !slices.Contains(out[f[0]], b) {
					out[f[0]] = append(out[f[0]], b)
				}
			}
			return nil
		})
		if err != nil {
			return nil, err
		}
	}
	for f := range out {
		slices.Sort(out[f])
	}
	return out, nil
}

// addParticipleBases marks lemmas that are also a regular -ed or -ing form
// of a verb (agreed, used, killing) with that verb as their base, as the
// *.exc files do for irregular forms, so that a lookup of "agreed" finds
// what "agree" relates to. A noun is marked only when WordNet derives it
// from the verb: "killing" from "kill", but not "evening" from "even".
func addParticipleBases(entries []indexEntry, synsets map[string]*synset, scores map[string]map[string]float64, exc map[string][]string) {
	verbs := map[string]bool{}
	nouns := map[string]bool{}
	derived := map[string]map[string]bool{} // lemma -> words it derives from or is a participle of
	for _, e := range entries {
		switch e.pos {
		case "v":
			verbs[e.lemma] = true
		case "n":
			nouns[e.lemma] = true
		}
		for _, off := range e.offsets {
			s := synsets[synKey(e.pos[0], off)]
			if s == nil {
				continue // run reported the senses it uses; a later one may be missing
			}
			k := slices.Index(s.words, e.lemma) + 1
			for _, p := range s.ptrs {
				if (p.sym != "+" && p.sym != "<") || p.pos != 'v' || p.src != k || k == 0 {
					continue
				}
				t := synsets[synKey(p.pos, p.offset)]
				if t == nil || p.tgt < 1 || p.tgt > len(t.words) {
					continue
				}
				if derived[e.lemma] == nil {
					derived[e.lemma] = map[string]bool{}
				}
				derived[e.lemma][t.words[p.tgt-1]] = true
			}
		}
	}
	for l := range scores {
		if len(exc[l]) > 0 {
			continue
		}
		for _, b := range regularBases(l) {
			if b == l || !verbs[b] || scores[b] == nil || (nouns[l] && !derived[l][b]) {
				continue
			}
			if !slices.Contains(exc[l], b) {
				exc[l] = append(exc[l], b)
			}
		}
		slices.Sort(exc[l])
	}
}

// suffixRules are the lexicon's detachment rules (see regularBase in
// lexicon.go): suffix, replacement.
var suffixRules = [][2]string{
	{"ies", "y"}, {"ches", "ch"}, {"shes", "sh"}, {"xes", "x"}, {"zes", "z"}, {"ses", "s"},
	{"men", "man"}, {"s", ""}, {"es", "e"}, {"es", ""},
	{"ed", "e"}, {"ed", ""}, {"ied", "y"}, {"ing", "e"}, {"ing", ""},
	{"est", "e"}, {"est", ""}, {"er", "e"}, {"er", ""},
}

// blockStopWords returns the stop words that the lexicon's detachment
// rules would take for a form of a word in the table ("does" for "doe",
// "being" for "bee"). They go in the table with nothing related, so that
// a lookup finds them known and unrelated.
func blockStopWords(scores map[string]map[string]float64) []string {
	seen := map[string]bool{}
	for k := range scores {
		for _, r := range suffixRules {
			stem, ok := strings.CutSuffix(k, r[1])
			if !ok {
				continue
			}
			cands := []string{stem + r[0]}
			if r[1] == "" && stem != "" {
				cands = append(cands, stem+stem[len(stem)-1:]+r[0])
			}
			for _, c := range cands {
				if _, known := scores[c]; !known && text.IsStopWord(c) {
					seen[c] = true
				}
			}
		}
	}
	out := make([]string, 0, len(seen))
	for w := range seen {
		out = append(out, w)
	}
	return out
}

// regularBases returns the verbs whose regular -ed or -ing form w may be:
// agreed -> agree, agre; stopped -> stopp, stop; carried -> carry.
func regularBases(w string) []string {
	var out []string
	for _, suf := range []string{"ed", "ing"} {
		stem, ok := strings.CutSuffix(w, suf)
		if !ok || len(stem) < 2 {
			continue
		}
		out = append(out, stem, stem+"e")
		if n := len(stem); stem[n-1] == stem[n-2] {
			out = append(out, stem[:n-1])
		}
		if suf == "ed" && strings.HasSuffix(stem, "i") {
			out = append(out, stem[:len(stem)-1]+"y")
		}
	}
	return out
}

func eachLine(fsys fs.FS, path string, fn func(line string, n int) error) error {
	f, err := fsys.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	r := bufio.NewReaderSize(f, 1<<16)
	for n := 1; ; n++ {
		line, err := r.ReadString('\n')
		if line = strings.TrimRight(line, "\r\n"); line != "" {
			if err := fn(line, n); err != nil {
				return err
			}
		}
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return fmt.Errorf("read %s: %w", path, err)
		}
	}
}
