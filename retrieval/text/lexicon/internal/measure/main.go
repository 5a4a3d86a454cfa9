// Command measure tells what the lexicon adds to matching questions with
// the text that answers them, on RealTime QA's 2023 training questions
// (each carries its evidence paragraph):
//
//	go run ./retrieval/text/lexicon/internal/measure ../shared/train/realtimeqa-2023
//
// For every content word of a question whose stem the evidence lacks, it
// counts how often an expansion (abbreviations, for words written in
// capitals) or one of the first k related words has its stem in the
// evidence, and, as the rate of chance matches, in the evidence of another
// question. A relation is worth as much as the first exceeds the second.
//
// Measured 2026-12-02 (62,354 WordNet words, 915,744 bytes gzipped):
//
//	questions 999, content words 10246, missing from evidence 6513
//	abbreviations: 127 expanded; in evidence 21, in another question's 7
//	top 1 related: in evidence 137, in another question's 39
//	top 3 related: in evidence 316, in another question's 112
//	top 8 related: in evidence 513, in another question's 217
//	all related:   in evidence 641, in another question's 319 (5624 words with relations)
//
// What each WordNet relation adds: the table regenerated without it
// (go run ./retrieval/text/lexicon/internal/gen -without R -out
// retrieval/text/lexicon/wordnet.txt.gz, then this command), matches in
// evidence less chance matches, for the top 3, top 8 and all related
// words (the full table: 204, 296, 322):
//
//	without       gzipped  top 3  top 8  all   so R adds (all)
//	hypernym      592,610  160    197    215   107
//	synonym       609,358  182    228    241    81
//	later-senses  859,158  202    261    280    42
//	similar       817,024  200    277    295    27
//	derivation    887,260  186    270    296    26
//	pertainym     909,642  195    287    313     9
//	attribute     911,336  202    295    317     5
//	cause         913,911  205    294    317     5
//
// Also measured and chosen: hypernyms of every kept sense of nouns and
// verbs rather than of a noun's first sense only (all: 322 against 257),
// maxHyponyms 100 (15: 286, 40: 294, 100: 312, 250: 312, at 16 related
// words), 24 related words a lemma rather than 16 (322 against 312).
// Dropping words that stem like the question word (weekly for week) cut
// chance matches from 284 to 220 at no loss (477 matches either way, with
// the first table). A polysemy penalty (a related word's weight divided by
// 1+ln(its senses)) lost true matches (excess 254 against 257) and was
// dropped.
package main

import (
	"bufio"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"unicode"

	"github.com/briefbot/briefbot/retrieval/text"
	"github.com/briefbot/briefbot/retrieval/text/lexicon"
)

func main() {
	flag.Parse()
	if flag.NArg() != 1 {
		fmt.Fprintln(os.Stderr, "usage: measure DIR (holding queries.train.jsonl)")
		os.Exit(2)
	}
	if err := run(filepath.Join(flag.Arg(0), "queries.train.jsonl")); err != nil {
		fmt.Fprintln(os.Stderr, "measure:", err)
		os.Exit(1)
	}
}

type question struct {
	text     string
	evidence map[string]bool // stems
}

func run(path string) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	var qs []question
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 1<<24)
	for sc.Scan() {
		var q struct {
			Question string `json:"question"`
			Evidence string `json:"evidence"`
		}
		if err := json.Unmarshal(sc.Bytes(), &q); err != nil {
			return fmt.Errorf("%s: %w", path, err)
		}
		if q.Evidence == "" {
			continue
		}
		ev := map[string]bool{}
		for _, w := range text.Words(q.Evidence) {
			ev[text.Stem(w)] = true
		}
		qs = append(qs, question{q.Question, ev})
	}
	if err := sc.Err(); err != nil {
		return err
	}
	if len(qs) < 2 {
		return fmt.Errorf("%s: fewer than two questions with evidence", path)
	}

	cuts := []int{1, 3, 5, 8, 12, 1 << 30}
	hit := make([]int, len(cuts))
	chance := make([]int, len(cuts))
	var words, missing, abbrTried, abbrHit, abbrChance, relTried int
	for i, q := range qs {
		// A fixed other question, far from this one.
		other := qs[(i+len(qs)/2)%len(qs)].evidence
		text.EachToken(q.text, func(t text.Token) {
			if text.IsStopWord(t.Word) {
				return
			}
			words++
			if q.evidence[text.Stem(t.Word)] {
				return
			}
			missing++
			orig := q.text[t.Start:t.End]
			if es := lexicon.Expand(t.Word); es != nil && orig == strings.ToUpper(orig) && strings.IndexFunc(orig, unicode.IsLetter) >= 0 {
				abbrTried++
				abbrHit += b2i(anyExpansion(es, q.evidence))
				abbrChance += b2i(anyExpansion(es, other))
				return
			}
			rel := lexicon.Related(t.Word)
			if rel == nil {
				return
			}
			relTried++
			for j, k := range cuts {
				top := rel[:min(k, len(rel))]
				hit[j] += b2i(anyWord(top, q.evidence))
				chance[j] += b2i(anyWord(top, other))
			}
		})
	}
	fmt.Printf("questions %d, content words %d, missing from evidence %d\n", len(qs), words, missing)
	fmt.Printf("abbreviations: %d expanded; in evidence %d, in another question's %d\n", abbrTried, abbrHit, abbrChance)
	for j, k := range cuts {
		name := fmt.Sprintf("top %d related:", k)
		if j == len(cuts)-1 {
			name = "all related:  "
		}
		fmt.Printf("%s in evidence %d, in another question's %d\n", name, hit[j], chance[j])
	}
	fmt.Printf("(%d words with relations)\n", relTried)
	return nil
}

func anyWord(words []string, stems map[string]bool) bool {
	for _, w := range words {
		if stems[text.Stem(w)] {
			return true
		}
	}
	return false
}

func anyExpansion(es [][]string, stems map[string]bool) bool {
	for _, e := range es {
		all := true
		for _, w := range e {
			all = all && stems[text.Stem(w)]
		}
		if all {
			return true
		}
	}
	return false
}

func b2i(b bool) int {
	if b {
		return 1
	}
	return 0
}
