package engine

import (
	"context"
	"testing"

	"github.com/briefbot/briefbot/retrieval"
)

// TestObjectivePolicy: the fit's measure draws quotes as the engine does.
// Article 0's two sentences outrank article 1's best; the answer is in
// article 0's second sentence, which only a policy of two quotes an
// article within the margin, and a floor its coverage meets, quotes.
func TestObjectivePolicy(t *testing.T) {
	x := func(cov float64) [numFeatures]float64 {
		var v [numFeatures]float64
		v[fCov] = cov
		return v
	}
	g := FitGroup{
		X:   [][numFeatures]float64{x(0.9), x(0.8), x(0.7), x(0.1)},
		Pos: []bool{false, true, false, false},
		Art: []int{0, 0, 1, 2},
	}
	w := map[string]float64{"cov": 1}
	for _, tc := range []struct {
		pol      QuotePolicy
		at1, at3 float64
	}{
		{QuotePolicy{PerArticle: 1}, 0, 0},
		{QuotePolicy{PerArticle: 2, Margin: 1}, 0, 1},
		{QuotePolicy{PerArticle: 2, Margin: 0.05}, 0, 0},
		{QuotePolicy{PerArticle: 2, Margin: 1, Floor: 0.95}, 0, 0},
	} {
		at1, at3 := Objective([]FitGroup{g}, w, tc.pol)
		if at1 != tc.at1 || at3 != tc.at3 {
			t.Errorf("%+v: @1 %v @3 %v, want %v %v", tc.pol, at1, at3, tc.at1, tc.at3)
		}
	}
	// With the answer in article 0's best sentence, it is quote 1.
	g.Pos = []bool{true, false, false, false}
	if at1, _ := Objective([]FitGroup{g}, w, QuotePolicy{PerArticle: 2, Margin: 1}); at1 != 1 {
		t.Errorf("answer in the best sentence: @1 %v", at1)
	}
}

// TestSecondQuoteFromOneArticle: with ArticleQuotes 2 an article whose
// second sentence answers better than any other article gives two quotes,
// verbatim and not overlapping; with 1 every quote is from its own article.
func TestSecondQuoteFromOneArticle(t *testing.T) {
	arts := []retrieval.Article{
		{ID: "a", Title: "Harbour bridge", Body: "The harbour bridge reopened to traffic on Monday after storm repairs. " +
			"Gulls nested on the pier all spring long. " +
			"Engineers said the harbour bridge repairs cost 12 million dollars. " +
			"The ferry kept its summer timetable."},
		{ID: "b", Title: "City news", Body: "The city council met on Tuesday to discuss parking. The harbour was calm."},
	}
	q := retrieval.Query{Text: "How much did the harbour bridge repairs cost?"}
	for _, n := range []int{1, 2} {
		e := memoryEngine(t, arts...)
		p := e.params.Clone()
		p.ArticleQuotes, p.ArticleMargin, p.MinConfidence, p.RelativeEvidence = n, 5, 0, 0
		e.params = p
		res, err := e.Search(context.Background(), q)
		if err != nil {
			t.Fatal(err)
		}
		fromA := 0
		var spans []retrieval.Span
		for _, x := range res.Quotes {
			if x.Article.ID == "a" {
				fromA++
				for _, s := range spans {
					if x.Span.Start < s.End && s.Start < x.Span.End {
						t.Errorf("overlapping quotes: %v", quoteTexts(res))
					}
				}
				spans = append(spans, x.Span)
				if normalizeSpace(arts[0].Body[x.Span.Start:x.Span.End]) != x.Text {
					t.Errorf("quote %q is not its span", x.Text)
				}
			}
		}
		if fromA != n {
			t.Errorf("ArticleQuotes %d: %d quotes from a: %v", n, fromA, quoteTexts(res))
		}
	}
}

// TestTypeCheckNeedsCoveringQuote: a "how many" question is refused when
// the only number is in a quote that barely covers the question.
func TestTypeCheckNeedsCoveringQuote(t *testing.T) {
	e := memoryEngine(t,
		retrieval.Article{ID: "a", Title: "Bridge", Body: "Workers repaired the harbour bridge over the winter. The ferry kept running."},
		retrieval.Article{ID: "b", Title: "Pier", Body: "Eight gulls nested near the harbour all spring. The pier stayed open."},
	)
	q := retrieval.Query{Text: "How many workers repaired the harbour bridge?"}
	for _, tc := range []struct {
		minEvidence float64
		found       bool
	}{{0.3, false}, {0.01, true}} {
		p := e.params.Clone()
		// The count check would refuse both ("Eight gulls" counts no
		// workers): this is the evidence floor's test.
		p.MinConfidence, p.MinEvidence, p.CountCheck = 0, tc.minEvidence, 0
		e.params = p
		e.state().answers = newAnswerCache(answerCacheSize)
		res, err := e.Search(context.Background(), q)
		if err != nil {
			t.Fatal(err)
		}
		if res.Found != tc.found {
			t.Errorf("min_evidence %v: found %v (%q), want %v: %v", tc.minEvidence, res.Found, res.Reason, tc.found, quoteTexts(res))
		}
		if !tc.found && res.Reason != "No briefing gives that number." {
			t.Errorf("reason %q", res.Reason)
		}
	}
}
