package digest

import (
	"context"
	"fmt"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/briefbot/briefbot/retrieval"
	"github.com/briefbot/briefbot/retrieval/engine"
)

func TestSplitSentenceMultiNews(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want []string
	}{
		// A year ends a sentence the splitter let run on.
		{"two french-born brothers who had visited yemen in 2011. In washington, a spokeswoman said the video was authentic.",
			[]string{"two french-born brothers who had visited yemen in 2011.", "In washington, a spokeswoman said the video was authentic."}},
		{"the agency was founded in 1952. The scrutiny has ignited a crisis of purpose.",
			[]string{"the agency was founded in 1952.", "The scrutiny has ignited a crisis of purpose."}},
		// Lower-cased, tokenised text capitalises after abbreviations and
		// initials too: those are not boundaries.
		{"intercepted mr. Ban's talking points and james r. Clapper jr. said so", nil},
		{"a target of n.s.a. Eavesdropping in the u.s. Congress", nil},
		{"close dr. Hilary miller and staff sgt. Robert baker of st. Louis", nil},
		{"on jan. 6 at 5 p.m. It was over", nil},
		{"the no. 1 slot on the list", nil},
		// Ordinary text.
		{"Prices rose 3.5 percent in March. Markets fell.", []string{"Prices rose 3.5 percent in March.", "Markets fell."}},
		{"He said \" no . \" Then he left", nil},
	} {
		want := tc.want
		if want == nil {
			want = []string{tc.in}
		}
		if got := splitSentence(tc.in); !reflect.DeepEqual(got, want) {
			t.Errorf("splitSentence(%q) = %q, want %q", tc.in, got, want)
		}
	}
}

func TestBoilerplate(t *testing.T) {
	if got := stripBoilerplate("Advertisement continue reading the main story james r. Clapper jr. has dismissed such objections."); got != "james r. Clapper jr. has dismissed such objections." {
		t.Errorf("stripBoilerplate = %q", got)
	}
	if got := stripBoilerplate("Advertisement during the call, wheatland said the board agreed."); got != "during the call, wheatland said the board agreed." {
		t.Errorf("stripBoilerplate = %q", got)
	}
	if got := stripBoilerplate("Washington ( ap ) — the senate voted on tuesday to end the shutdown."); got != "the senate voted on tuesday to end the shutdown." {
		t.Errorf("stripBoilerplate = %q", got)
	}
	for _, s := range []string{
		"Breaking news emails get breaking news alerts and special reports.",
		"× remaining of thank you for reading!",
		"Image copyright reuters image caption people waited for kiosks to open",
		"Click here to see the full gallery of photos from the event.",
		"These crawls are part of an effort to archive pages as they are created and archive the pages that they refer to.",
		"Tweet with a location you can add location information to your tweets, such as your city or precise location.",
		"Rating is available when the video has been rented.",
	} {
		if !isBoilerplate(s) {
			t.Errorf("%q is boilerplate", s)
		}
	}
	if isBoilerplate("The court ruled on tuesday that the law was unconstitutional.") {
		t.Error("news taken for boilerplate")
	}
}

// multiNewsCluster is a small cluster in the style of Multi-News: two
// lower-cased, tokenised reports of one event, plus page furniture.
var multiNewsCluster = []string{
	"Breaking news emails get breaking news alerts and special reports. The city council voted on tuesday to close the old harbour bridge after inspectors found cracks in the deck in 2019. In a statement, the mayor said the bridge would stay closed until repairs are finished. \" we cannot take any risks, \" she said. Traffic will be diverted through the tunnel for at least six months, officials said.",
	"Advertisement the old harbour bridge will close after inspectors found cracks in the deck, the city council said on tuesday. Repairs are expected to cost about $ 12 million and take six months. Click here to sign up for our newsletter. Local businesses on the waterfront fear that the closure will keep customers away during the summer.",
	"A new bakery opened on main street on saturday, selling bread and pastries made with local flour. The owner said she had saved for ten years to open the shop.",
}

func multiNewsDocs(t *testing.T) (*engine.Engine, []retrieval.Document) {
	t.Helper()
	ctx := context.Background()
	ep := time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC)
	e, err := engine.NewMemory(ctx, engine.Options{Now: func() time.Time { return ep }})
	if err != nil {
		t.Fatal(err)
	}
	var arts []retrieval.Article
	for i, d := range multiNewsCluster {
		arts = append(arts, retrieval.Article{ID: fmt.Sprintf("doc%03d", i), Body: d, Ingested: ep})
	}
	if _, err := e.Ingest(ctx, arts); err != nil {
		t.Fatal(err)
	}
	var docs []retrieval.Document
	for _, a := range arts {
		d, err := e.Document(ctx, a.ID)
		if err != nil {
			t.Fatal(err)
		}
		docs = append(docs, d)
	}
	return e, docs
}

func TestBudgetedSummary(t *testing.T) {
	e, docs := multiNewsDocs(t)
	ctx := context.Background()
	d, err := Build(ctx, e, Options{All: true, Now: time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC), MaxStories: -1, MaxSentences: 1 << 20, Words: 60})
	if err != nil {
		t.Fatal(err)
	}
	words := 0
	var all []string
	for _, s := range d.Stories {
		for _, sn := range s.Sentences {
			doc, err := e.Document(ctx, sn.Article.ID)
			if err != nil {
				t.Fatal(err)
			}
			if !strings.Contains(normSpace(doc.Body), sn.Text) {
				t.Errorf("not verbatim in %s: %q", sn.Article.ID, sn.Text)
			}
			if isBoilerplate(sn.Text) || strings.HasPrefix(strings.ToLower(sn.Text), "advertisement") {
				t.Errorf("boilerplate in the summary: %q", sn.Text)
			}
			words += len(strings.Fields(sn.Text))
			all = append(all, sn.Text)
		}
	}
	text := strings.Join(all, " ")
	// The budget is filled (the last sentence may overflow and is cut by
	// the caller), the split at "2019. In" holds, and the shared facts of
	// the bridge story come first.
	if words < 60 {
		t.Errorf("summary of %d words under-fills a 60-word budget: %q", words, text)
	}
	if strings.Contains(text, "2019. In") {
		t.Errorf("missed sentence boundary: %q", text)
	}
	if !strings.Contains(text, "cracks in the deck") {
		t.Errorf("summary misses what both reports say: %q", text)
	}
	_ = docs
}

func TestSummaryParamsDefaultsFit(t *testing.T) {
	// Without a budget, a story gets at most max sentences, in the order
	// chosen (most telling first).
	_, docs := multiNewsDocs(t)
	arts := prepareArticles(docs[:2])
	st := &story{arts: arts}
	picks := summarize(st, 2, 0, defaultSummaryParams)
	if len(picks) != 2 {
		t.Fatalf("%d picks, want 2", len(picks))
	}
	if !strings.Contains(picks[0].text, "cracks in the deck") {
		t.Errorf("first pick %q does not tell the shared fact", picks[0].text)
	}
}
