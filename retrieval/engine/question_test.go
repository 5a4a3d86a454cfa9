package engine

import (
	"context"
	"iter"
	"math"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/briefbot/briefbot/retrieval"
	"github.com/briefbot/briefbot/retrieval/text"
)

func TestAnalyseTerms(t *testing.T) {
	lex := seedsEngine(t).state().lex
	t.Run("misspelt stop word is dropped, misspelling corrected", func(t *testing.T) {
		qt := analyseTerms("wher is fastiv and how many missles", lex, true, true)
		if slices.Contains(qt.terms, "wher") {
			t.Errorf("terms %v keep the misspelt stop word", qt.terms)
		}
		if !slices.Contains(qt.terms, "missil") || len(qt.unknownNames) != 0 {
			t.Errorf("terms %v, unknown names %v: want missles corrected to missil", qt.terms, qt.unknownNames)
		}
	})
	t.Run("unknown names are whole phrases", func(t *testing.T) {
		qt := analyseTerms("What did Zorvath Quellmark say in 1998 in Paris?", lex, true, true)
		if want := []string{"Zorvath Quellmark", "Paris"}; !slices.Equal(qt.unknownNames, want) {
			t.Errorf("unknown names %q, want %q", qt.unknownNames, want)
		}
		qt = analyseTerms("Who won the 1998 FIFA World Cup final in Paris?", lex, true, true)
		if want := []string{"FIFA", "Paris"}; !slices.Equal(qt.unknownNames, want) {
			t.Errorf("unknown names %q, want %q", qt.unknownNames, want)
		}
		if !slices.Equal(qt.years, []int{1998}) {
			t.Errorf("years %v, want [1998]", qt.years)
		}
	})
	t.Run("an abbreviation stands for its expansion", func(t *testing.T) {
		qt := analyseTerms("Who is the British PM?", lex, true, true)
		if len(qt.unknownNames) != 0 {
			t.Errorf("PM read as an unknown name: %v", qt.unknownNames)
		}
		var rel []string
		for _, r := range qt.related {
			rel = append(rel, r.Term)
		}
		if !slices.Contains(rel, "minist") {
			t.Errorf("related %v: want PM expanded to prime minister", rel)
		}
	})
}

func TestUnknownPhrase(t *testing.T) {
	lex := seedsEngine(t).state().lex
	arts := []string{
		"US Secretary of State Marco Rubio joined the call.",
		"The Federal Reserve Bank of New York said household debt rose.",
		"Lavrov said Ukraine attacked the president's residence in the Novgorod region.",
	}
	for _, tt := range []struct{ q, want string }{
		// Every word is known, but never together.
		{"What did Secretary Novgorod say?", "Secretary Novgorod"},
		{"What did Marco Lavrov say?", "Marco Lavrov"},
		// The words of a name may stand a few words apart, in any order.
		{"What did Secretary Rubio say?", ""},
		{"What did the New York Federal Reserve say?", ""},
		// A possessive, a stop word or a lower-case word ends a name.
		{"What did Rubio's Federal office say?", ""},
		{"Was Marco in Novgorod?", ""},
		// A long name may lack one word, but not its rarest.
		{"What did the Federal Reserve Bank of Boston say?", ""},
		{"Where is the Novgorod Regional Residence?", ""},
		{"Where is the Secretary State Novgorod?", "Secretary State Novgorod"},
	} {
		qt := analyseTerms(tt.q, lex, true, true)
		texts := func(yield func(iter.Seq[string]) bool) {
			for _, a := range arts {
				if !yield(slices.Values(text.Terms(a))) {
					return
				}
			}
		}
		if got := qt.unknownPhrase(texts); got != tt.want {
			t.Errorf("%q: unknown phrase %q, want %q (phrases %v)", tt.q, got, tt.want, qt.phrases)
		}
	}
}

func TestRefusalsSayWhy(t *testing.T) {
	e := seedsEngine(t)
	for _, tt := range []struct{ q, reason string }{
		{"What did Zorvath Industries announce?", "The briefings never mention Zorvath."},
		{"What did Zelensky and Witkoff agree in 2031?", "The briefings end on 2025-12-06."},
		{"What did Secretary Podolyak say about Miami?", "The briefings never mention Secretary Podolyak."},
		{"What did Zelensky and Witkoff agree in 2024?", "No briefing gives that for 2024."},
	} {
		res, err := e.Search(context.Background(), retrieval.Query{Text: tt.q})
		if err != nil {
			t.Fatal(err)
		}
		if res.Found || res.Reason != tt.reason {
			t.Errorf("%q: found %v, reason %q; want refused with %q", tt.q, res.Found, res.Reason, tt.reason)
		}
	}
	res, _ := e.Search(context.Background(), retrieval.Query{Text: "Who is the British PM meeting Macron in London?"})
	if !res.Found || !strings.Contains(res.Quotes[0].Text, "Starmer") {
		t.Errorf("British PM: %q, want a quote naming Starmer", quoteTexts(res))
	}
}

func TestPersonalRequest(t *testing.T) {
	for q, want := range map[string]bool{
		"How do I reset my VPN password?":                        true,
		"How many days of leave am I entitled to?":               true,
		"Solve for x: 3x + 7 = 25":                               true,
		"Find me a cheap flight to Lisbon":                       true,
		"What's a good recipe for tikka masala?":                 true,
		"Can you help me write a cover letter?":                  true,
		"What is the new launch date for the Artemis I mission?": false,
		"What did Zelensky say about the talks?":                 false,
		"Can you tell me what Witkoff said?":                     false,
		"How many drones did Russia fire?":                       false,
	} {
		if got := personalRequest(q); got != want {
			t.Errorf("personalRequest(%q) = %v, want %v", q, got, want)
		}
	}
}

// TestFarSpellingIsTheSameWord: a spelling two edits away (Zelensky /
// Zelenskyy) is the question's word, not a related one: the question is
// fully known and the word is searched.
func TestFarSpellingIsTheSameWord(t *testing.T) {
	e := memoryEngine(t, retrieval.Article{ID: "a.txt", Body: "Volodymyr Zelenskyy said the talks in Geneva were productive and would resume on Monday."})
	ix := e.state()
	r, _, ok, err := e.retrieve(context.Background(), ix, retrieval.Query{Text: "What did Zelensky say about the talks?"}, e.now())
	if err != nil || !ok {
		t.Fatalf("retrieve: ok %v, err %v", ok, err)
	}
	if f := r.qa.unknownFrac(); f != 0 {
		t.Errorf("unknownFrac %.2f, want 0: Zelenskyy is a spelling of Zelensky", f)
	}
	if len(r.ranked) == 0 {
		t.Error("the article was not found by its spelling of the name")
	}
}

// TestArticleAgeAndYearFeatures checks the features that favour the
// question's week (an article's age on the day asked; none for an undated
// one) and that a year does not answer "how many".
func TestArticleAgeAndYearFeatures(t *testing.T) {
	ctx := context.Background()
	day := func(s string) time.Time { d, _ := time.Parse("2006-01-02", s); return d }
	e := memoryEngine(t,
		retrieval.Article{ID: "week", Published: day("2024-03-07"), Body: "The harbour bridge closed in 2019 after inspectors found cracks."},
		retrieval.Article{ID: "old", Published: day("2023-11-01"), Body: "The harbour bridge closed for a week after the storm."},
		retrieval.Article{ID: "undated", Body: "The harbour bridge closed twice during the storm season."},
	)
	cands, err := e.Candidates(ctx, retrieval.Query{Text: "How many times did the harbour bridge close?", AsOf: day("2024-03-10")})
	if err != nil {
		t.Fatal(err)
	}
	got := map[string][numFeatures]float64{}
	for _, c := range cands {
		got[c.ArticleID] = c.Features
	}
	if len(got) != 3 {
		t.Fatalf("candidates from %d articles, want 3: %v", len(got), cands)
	}
	if f := got["week"]; math.Abs(f[fRecent]-math.Exp(-3.0/7)) > 1e-9 || f[fStale] != 0 {
		t.Errorf("3 days old: recent %.3f stale %v, want %.3f and 0", f[fRecent], f[fStale], math.Exp(-3.0/7))
	}
	if f := got["old"]; f[fRecent] > 1e-6 || f[fStale] != 1 {
		t.Errorf("130 days old: recent %.3g stale %v, want ~0 and 1", f[fRecent], f[fStale])
	}
	if f := got["undated"]; f[fRecent] != 0 || f[fStale] != 0 {
		t.Errorf("undated: recent %v stale %v, want 0 and 0", f[fRecent], f[fStale])
	}
	// "in 2019" is a year, not a count; "a week" and "twice" are numbers.
	if f := got["week"]; f[fType] != 0 || f[fNoType] != 1 {
		t.Errorf("a year answered how many: type %v no_type %v", f[fType], f[fNoType])
	}
	if f := got["undated"]; f[fType] != 1 {
		t.Errorf("\"twice\" did not answer how many: type %v", f[fType])
	}
}
