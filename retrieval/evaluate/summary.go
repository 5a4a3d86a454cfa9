package evaluate

import "strings"

// QueryResult is what the bot returned for one query: whether it answered,
// and the text of each quote, best first (never its context).
type QueryResult struct {
	QID    string
	Found  bool
	Quotes []string
}

// Answers summarises the answers to a set of queries: how many were
// answered, how long the quotes are, and how often the gold answer is in
// them. Every rate is in [0, 1]; a rate over no queries is 0.
type Answers struct {
	// Queries is how many queries were asked; Answered how many of them got
	// an answer (found), AnsweredShare the fraction.
	Queries       int     `json:"queries"`
	Answered      int     `json:"answered"`
	AnsweredShare float64 `json:"answered_share"`
	// Quotes is how many quotes were returned in all; MeanQuoteWords their
	// mean length in words (the whole text, uncut).
	Quotes         int     `json:"quotes"`
	MeanQuoteWords float64 `json:"mean_quote_words"`
	// Scored is how many queries had a gold answer; the answer-in-quote
	// rates below are over them, refusals counting as misses.
	Scored int `json:"scored"`
	// AtK is answer-in-quote@k with the answer matched as whole words
	// (AnswerInQuotes), the figure BENCHMARKS.md reports.
	At1 float64 `json:"answer_in_quote_at_1"`
	At3 float64 `json:"answer_in_quote_at_3"`
	At5 float64 `json:"answer_in_quote_at_5"`
	// ContainedAtK is answer-in-quote@k with the answer contained anywhere
	// (AnswerContainedInQuotes), as ../shared/eval/README.md words it.
	ContainedAt1 float64 `json:"answer_contained_at_1"`
	ContainedAt3 float64 `json:"answer_contained_at_3"`
}

// SummarizeAnswers scores results against gold (qid -> answer); queries
// without a gold answer count in the answered share and the quote length
// but not in answer-in-quote. A query that was not answered scores nothing,
// whatever quotes it carries.
func SummarizeAnswers(results []QueryResult, gold map[string]string) Answers {
	var a Answers
	words := 0
	var at1, at3, at5, c1, c3 int
	for _, r := range results {
		a.Queries++
		quotes := r.Quotes
		if r.Found {
			a.Answered++
		} else {
			quotes = nil
		}
		for _, q := range quotes {
			a.Quotes++
			words += len(strings.Fields(q))
		}
		answer, ok := gold[r.QID]
		if !ok {
			continue
		}
		a.Scored++
		at1 += b2i(AnswerInQuotes(answer, quotes, 1))
		at3 += b2i(AnswerInQuotes(answer, quotes, 3))
		at5 += b2i(AnswerInQuotes(answer, quotes, 5))
		c1 += b2i(AnswerContainedInQuotes(answer, quotes, 1))
		c3 += b2i(AnswerContainedInQuotes(answer, quotes, 3))
	}
	a.AnsweredShare = rate(a.Answered, a.Queries)
	a.MeanQuoteWords = rate(words, a.Quotes)
	a.At1, a.At3, a.At5 = rate(at1, a.Scored), rate(at3, a.Scored), rate(at5, a.Scored)
	a.ContainedAt1, a.ContainedAt3 = rate(c1, a.Scored), rate(c3, a.Scored)
	return a
}

func b2i(b bool) int {
	if b {
		return 1
	}
	return 0
}

func rate(n, of int) float64 {
	if of == 0 {
		return 0
	}
	return float64(n) / float64(of)
}
