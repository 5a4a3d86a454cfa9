// Package evaluate scores retrieval and quotes the way
// ../shared/eval/README.md defines: Recall@k, MRR@10 and nDCG@10 of the gold
// articles, and answer-in-quote@k.
package evaluate

import (
	"math"
	"strings"
	"unicode"
)

// QuoteWords is how many words of each quote the answer-in-quote scorer reads.
const QuoteWords = 60

// Normalize lower-cases s, removes punctuation and the articles a/an/the,
// and collapses white space (the SQuAD answer normalisation).
func Normalize(s string) string {
	s = strings.ToLower(s)
	var b strings.Builder
	for _, r := range s {
		if unicode.IsPunct(r) || unicode.IsSymbol(r) {
			continue
		}
		b.WriteRune(r)
	}
	words := strings.Fields(b.String())
	out := words[:0]
	for _, w := range words {
		if w == "a" || w == "an" || w == "the" {
			continue
		}
		out = append(out, w)
	}
	return strings.Join(out, " ")
}

// FirstWords returns the first n white-space separated words of s.
func FirstWords(s string, n int) string {
	f := strings.Fields(s)
	if len(f) > n {
		f = f[:n]
	}
	return strings.Join(f, " ")
}

// AnswerInQuotes reports whether the normalised answer occurs, as whole
// words, in the normalised text of the first k quotes, each cut to
// QuoteWords words ("65" is not found in "653 drones"). This is the figure
// BENCHMARKS.md reports.
func AnswerInQuotes(answer string, quotes []string, k int) bool {
	return answerIn(answer, quotes, k, true)
}

// AnswerContainedInQuotes is AnswerInQuotes read literally, as in
// ../shared/eval/README.md: the normalised answer is contained in the
// normalised quote text, inside a word or not ("europe" in "european").
func AnswerContainedInQuotes(answer string, quotes []string, k int) bool {
	return answerIn(answer, quotes, k, false)
}

func answerIn(answer string, quotes []string, k int, wholeWords bool) bool {
	a := Normalize(answer)
	if a == "" {
		return false
	}
	if wholeWords {
		a = " " + a + " "
	}
	for i := 0; i < k && i < len(quotes); i++ {
		q := Normalize(FirstWords(quotes[i], QuoteWords))
		if wholeWords {
			q = " " + q + " "
		}
		if strings.Contains(q, a) {
			return true
		}
	}
	return false
}

// Ranking scores a ranked list against the relevant ids.
type Ranking struct {
	Recall1, Recall5, Recall10, MRR10, NDCG10 float64
}

// ScoreRanking computes the ranking metrics of docs against rel (id -> grade).
func ScoreRanking(docs []string, rel map[string]float64) Ranking {
	var r Ranking
	// Only positive grades are relevant: BEIR qrels may list judged
	// non-relevant documents with 0, which must not count in recall.
	grades := make([]float64, 0, len(rel))
	for _, g := range rel {
		if g > 0 {
			grades = append(grades, g)
		}
	}
	if len(grades) == 0 {
		return r
	}
	found := func(k int) float64 {
		n := 0
		for i := 0; i < k && i < len(docs); i++ {
			if rel[docs[i]] > 0 {
				n++
			}
		}
		return float64(n) / float64(len(grades))
	}
	r.Recall1, r.Recall5, r.Recall10 = found(1), found(5), found(10)
	for i := 0; i < 10 && i < len(docs); i++ {
		if rel[docs[i]] > 0 {
			r.MRR10 = 1 / float64(i+1)
			break
		}
	}
	var dcg, idcg float64
	for i := 0; i < 10 && i < len(docs); i++ {
		if g := rel[docs[i]]; g > 0 {
			dcg += (math.Pow(2, g) - 1) / math.Log2(float64(i+2))
		}
	}
	// ideal: grades sorted descending
	for i := 0; i < len(grades); i++ {
		for j := i + 1; j < len(grades); j++ {
			if grades[j] > grades[i] {
				grades[i], grades[j] = grades[j], grades[i]
			}
		}
	}
	for i := 0; i < 10 && i < len(grades); i++ {
		idcg += (math.Pow(2, grades[i]) - 1) / math.Log2(float64(i+2))
	}
	if idcg > 0 {
		r.NDCG10 = dcg / idcg
	}
	return r
}
