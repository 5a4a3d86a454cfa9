package engine

import (
	"context"
	"testing"
	"time"

	"github.com/briefbot/briefbot/retrieval"
)

// TestCoverageCountsUndatedArticles checks that "searched" tells dated and
// undated articles apart, and that the date range is that of the dated ones
// visible at the question's date.
func TestCoverageCountsUndatedArticles(t *testing.T) {
	day := func(s string) time.Time { d, _ := time.Parse(retrieval.DateLayout, s); return d }
	e := memoryEngine(t,
		retrieval.Article{ID: "a", Published: day("2025-12-04"), Body: "The harbour bridge reopened to traffic after repairs."},
		retrieval.Article{ID: "b", Published: day("2025-12-06"), Body: "The harbour bridge closed again after inspectors found cracks."},
		retrieval.Article{ID: "c", Published: day("2025-12-20"), Body: "The harbour bridge will be replaced by a tunnel."},
		retrieval.Article{ID: "u1", Body: "Ferries will dock at the southern terminal."},
		retrieval.Article{ID: "u2", Body: "The northern pier is closed for the winter."},
	)
	cases := []struct {
		name              string
		asOf              time.Time
		articles, undated int
		from, to          string
	}{
		{"everything", time.Time{}, 5, 2, "2025-12-04", "2025-12-20"},
		{"as of a date", day("2025-12-07"), 4, 2, "2025-12-04", "2025-12-06"},
		{"before every dated article", day("2025-12-01"), 2, 2, "", ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			res, err := e.Search(context.Background(), retrieval.Query{Text: "What happened to the harbour bridge?", AsOf: tc.asOf})
			if err != nil {
				t.Fatal(err)
			}
			c := res.Searched
			if c.Articles != tc.articles || c.Undated != tc.undated {
				t.Errorf("searched %d articles, %d undated; want %d, %d undated", c.Articles, c.Undated, tc.articles, tc.undated)
			}
			if got := fmtDate(c.From); got != tc.from {
				t.Errorf("from %q, want %q", got, tc.from)
			}
			if got := fmtDate(c.To); got != tc.to {
				t.Errorf("to %q, want %q", got, tc.to)
			}
		})
	}
}

func fmtDate(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.Format(retrieval.DateLayout)
}
