package engine

import (
	"context"
	"strings"
	"testing"

	"github.com/briefbot/briefbot/retrieval"
)

// A question for an amount of money is refused when no quote names one,
// and answered when a briefing gives it.
func TestMoneyQuestionNeedsAnAmount(t *testing.T) {
	ctx := context.Background()
	fire := "The Washburn Fire burned through the grove of giant sequoias for two weeks before crews contained it."
	q := retrieval.Query{Text: "How much did it cost to fight the Washburn Fire?"}
	e := memoryEngine(t, retrieval.Article{ID: "fire", Title: "Washburn Fire contained", Body: fire})
	res, err := e.Search(ctx, q)
	if err != nil {
		t.Fatal(err)
	}
	if res.Found || res.Reason != "No briefing gives that amount." {
		t.Fatalf("found %v (reason %q), want refused for want of an amount: %q", res.Found, res.Reason, quoteTexts(res))
	}
	cost := "Fighting the Washburn Fire cost the park service $23 million, officials said."
	e = memoryEngine(t, retrieval.Article{ID: "fire", Title: "Washburn Fire contained", Body: fire + "\n" + cost})
	res, err = e.Search(ctx, q)
	if err != nil {
		t.Fatal(err)
	}
	if res.Reason == "No briefing gives that amount." || !strings.Contains(strings.Join(quoteTexts(res), " "), "$23 million") {
		t.Fatalf("reason %q, quotes %q: want the amount quoted", res.Reason, quoteTexts(res))
	}
}

// RefusalExampleHiding asks a question of the archive without the
// articles hide reports: their sentences are never quoted.
func TestRefusalExampleHidingHidesArticles(t *testing.T) {
	ctx := context.Background()
	e := memoryEngine(t,
		retrieval.Article{ID: "answer", Title: "Booker Prize", Body: "The novelist Shehan Karunatilaka was awarded the 2022 Booker Prize on Monday."},
		retrieval.Article{ID: "near", Title: "Booker Prize ceremony", Body: "The Queen Consort is set to present the 2022 Booker Prize for Fiction on Monday."},
	)
	q := retrieval.Query{Text: "Which novelist was awarded the 2022 Booker Prize?"}
	x, quotes, err := e.RefusalExample(ctx, q)
	if err != nil || x == nil {
		t.Fatalf("x %v, err %v", x, err)
	}
	if !strings.Contains(strings.Join(quotes, " "), "Karunatilaka") {
		t.Fatalf("quotes %q, want the answer", quotes)
	}
	hx, hq, err := e.RefusalExampleHiding(ctx, q, func(id, body string) bool { return strings.Contains(body, "Karunatilaka") })
	if err != nil || hx == nil {
		t.Fatalf("x %v, err %v", hx, err)
	}
	if strings.Contains(strings.Join(hq, " "), "Karunatilaka") || len(hq) == 0 {
		t.Fatalf("hiding the answering article still quoted %q", hq)
	}
	// "novelist" and "awarded" are asked about; only the answering sentence holds them.
	if p, hp := x[refusalFeatureIndex("pred")], hx[refusalFeatureIndex("pred")]; p <= hp {
		t.Errorf("pred %.2f with the answer, %.2f without: want it higher with", p, hp)
	}
	if len(hx) != numRefusalFeatures {
		t.Errorf("%d features, want %d", len(hx), numRefusalFeatures)
	}
}

func TestCountGiven(t *testing.T) {
	for _, tt := range []struct {
		q, quote string
		want     bool
	}{
		{"How many rail cars were damaged in the strike?", "The strike damaged rail cars and the station.", false},
		{"How many rail cars were damaged in the strike?", "The strike damaged two rail cars.", true},
		{"How many of the drones did Russia fire?", "Russia fired 653 drones and 51 missiles.", true},
		{"How many people were killed?", "One of the strikes hit a railway center, killing no one we know of.", false},
		{"How many minutes did it last?", "It lasted 187 minutes.", true},
		{"How many wildfires have there been?", "There had been 420 fires since January.", true},
		{"How many households lost power?", "Strikes hit facilities across eight regions, cutting power to households.", false},
	} {
		if got := countGiven(tt.quote, countedStems(tt.q)); got != tt.want {
			t.Errorf("%q / %q: count given %v, want %v (counted %v)", tt.q, tt.quote, got, tt.want, countedStems(tt.q))
		}
	}
	if c := countedStems("What did Russia fire?"); c != nil {
		t.Errorf("not a how-many question: counted %v", c)
	}
}

// A "how many" question is refused when no quote counts what it asks
// about, though a quote holds another number.
func TestCountCheckRefuses(t *testing.T) {
	e := memoryEngine(t,
		retrieval.Article{ID: "a", Title: "Bridge", Body: "Workers repaired the harbour bridge over the winter. The ferry kept running."},
		retrieval.Article{ID: "b", Title: "Pier", Body: "Eight gulls nested near the harbour all spring. The pier stayed open."},
	)
	q := retrieval.Query{Text: "How many workers repaired the harbour bridge?"}
	p := e.params.Clone()
	p.MinConfidence, p.MinEvidence = 0, 0.01
	e.params = p
	res, err := e.Search(context.Background(), q)
	if err != nil {
		t.Fatal(err)
	}
	if res.Found || res.Reason != "No briefing gives that number." {
		t.Errorf("found %v (%q): %v", res.Found, res.Reason, quoteTexts(res))
	}
}
