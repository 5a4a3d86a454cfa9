package evaluate_test

import (
	"math"
	"testing"

	"github.com/briefbot/briefbot/retrieval/evaluate"
)

func TestSummarizeAnswers(t *testing.T) {
	results := []evaluate.QueryResult{
		// The answer in quote 1, as whole words.
		{QID: "q1", Found: true, Quotes: []string{"Russia fired 653 drones overnight.", "Other words here."}},
		// The answer in quote 2, and only inside a word ("europe" in "European").
		{QID: "q2", Found: true, Quotes: []string{"Nothing relevant.", "The European Union met."}},
		// A refusal scores nothing, even if the engine left quotes behind.
		{QID: "q3", Found: false, Quotes: []string{"Buffalo Bills won."}},
		// No gold answer: counts for answered share and quote length only.
		{QID: "q4", Found: true, Quotes: []string{"One two three four five six."}},
	}
	gold := map[string]string{"q1": "653 drones", "q2": "Europe", "q3": "Buffalo Bills", "absent": "x"}
	got := evaluate.SummarizeAnswers(results, gold)
	want := evaluate.Answers{
		Queries: 4, Answered: 3, AnsweredShare: 0.75,
		Quotes: 5, MeanQuoteWords: float64(5+3+2+4+6) / 5,
		Scored: 3,
		At1:    1.0 / 3, At3: 1.0 / 3, At5: 1.0 / 3,
		ContainedAt1: 1.0 / 3, ContainedAt3: 2.0 / 3,
	}
	if !sameAnswers(got, want) {
		t.Errorf("SummarizeAnswers =\n%+v\nwant\n%+v", got, want)
	}
	if z := evaluate.SummarizeAnswers(nil, nil); z != (evaluate.Answers{}) {
		t.Errorf("no results: %+v", z)
	}
}

func sameAnswers(a, b evaluate.Answers) bool {
	eq := func(x, y float64) bool { return math.Abs(x-y) < 1e-9 }
	return a.Queries == b.Queries && a.Answered == b.Answered && a.Quotes == b.Quotes && a.Scored == b.Scored &&
		eq(a.AnsweredShare, b.AnsweredShare) && eq(a.MeanQuoteWords, b.MeanQuoteWords) &&
		eq(a.At1, b.At1) && eq(a.At3, b.At3) && eq(a.At5, b.At5) &&
		eq(a.ContainedAt1, b.ContainedAt1) && eq(a.ContainedAt3, b.ContainedAt3)
}
