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
// Measured 2026-12-02 (60,062 WordNet words, 814,957 bytes gzipped):
//
//	questions 999, content words 10246, missing from evidence 6513
//	abbreviations: 127 expanded; in evidence 21, in another question's 7
//	top 1 related: in evidence 127, in another question's 35
//	top 3 related: in evidence 287, in another question's 106
//	top 8 related: in evidence 427, in another question's 182
//	all related:   in evidence 477, in another question's 220 (5542 words with relations)
//
// Before words that stem like the question word were dropped from the
// table (weekly for week), all related words matched 477 against 284.
//
// What each WordNet relation adds: the table regenerated without it
// (go run ./retrieval/text/lexicon/internal/gen -without R -out
// retrieval/text/lexicon/wordnet.txt.gz, then this command), all related
// words, matches in evidence less chance matches (the full table: 257):
//
//	without      gzipped   evidence  chance  excess  so R adds
//	synonym      494,540   273       106     167     90
//	hypernym     586,224   407       197     210     47
//	derivation   785,365   446       217     229     28
//	similar      722,109   438       202     236     21
//	pertainym    808,878   468       220     248      9
//	later-senses 785,465   418       169     249      8 (but -6 in the top 3)
//	cause        812,773   469       217     252      5
//	attribute    810,830   468       212     256      1
//
// A polysemy penalty (a related word's weight divided by 1+ln(senses))
// was tried and dropped: 466 against 212 (excess 254), fewer true matches.
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
