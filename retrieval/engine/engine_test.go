package engine

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/briefbot/briefbot/retrieval"
)

// memoryEngine is an in-memory engine holding arts.
func memoryEngine(t *testing.T, arts ...retrieval.Article) *Engine {
	t.Helper()
	ctx := context.Background()
	e, err := NewMemory(ctx, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.Ingest(ctx, arts); err != nil {
		t.Fatal(err)
	}
	return e
}

func seedsEngine(t *testing.T) *Engine {
	t.Helper()
	e, err := OpenSeeds(context.Background())
	if err != nil {
		t.Fatalf("OpenSeeds: %v", err)
	}
	return e
}

// seedQuestions are questions the five seed briefings answer, with the
// article and words the first quote must carry.
var seedQuestions = []struct {
	q, article, want string
}{
	{"How many drones and missiles did Russia fire on Friday night?", "002_8c35132417f41974.txt", "653 drones and 51 missiles"},
	{"How many long-range drones did Ukraine allegedly use to attack Putin's residence?", "000_eb42b95f6b4ebabf.txt", "91 long-range drones"},
	{"How long did Zelensky speak with Witkoff and Kushner?", "000_eb42b95f6b4ebabf.txt", "about an hour"},
	{"When will country leaders gather in France?", "000_eb42b95f6b4ebabf.txt", "January 6"},
	{"Who is Ukraine's Foreign Minister?", "001_eacc4f17978b34f1.txt", "Andrii Sybiha"},
	{"Who is the Chief of the General Staff?", "001_eacc4f17978b34f1.txt", "Hnatov"},
	{"How many points does the latest version of the peace plan have?", "003_37c6020937afcbb6.txt", "20 points"},
	{"How long could the security guarantees Zelenskiy requested last?", "003_37c6020937afcbb6.txt", "half a century"},
	{"How long did Zelensky want security guarantees to last?", "003_37c6020937afcbb6.txt", "half a century"},
	{"How long did Zelenskyy want security guarantees to last?", "003_37c6020937afcbb6.txt", "half a century"},
	{"Which town's railway center was hit by a Russian strike?", "002_8c35132417f41974.txt", "Fastiv"},
	{"In how many regions did Russian assaults strike energy facilities?", "002_8c35132417f41974.txt", "eight regions"},
	{"What did Macron extend to Zelensky?", "002_8c35132417f41974.txt", "full support"},
	{"When is Umerov's meeting with European security officials scheduled?", "003_37c6020937afcbb6.txt", "January 3"},
	{"Where will Ukrainian negotiators and US officials hold fresh talks?", "004_77a3aa7004129db4.txt", "Miami"},
	{"What did Ushakov say about the late-night Moscow meeting?", "004_77a3aa7004129db4.txt", "cordial"},
	{"Where does Podolyak say the diplomatic process takes place?", "004_77a3aa7004129db4.txt", "behind the scenes"},
	{"What did Putin say about troops sent to Ukraine?", "002_8c35132417f41974.txt", "legitimate targets"},
	{"What did Witkoff and Umerov concur on?", "002_8c35132417f41974.txt", "framework for security arrangements"},
	{"What did the Ukrainian leader express gratitude for?", "001_eacc4f17978b34f1.txt", "Christmas greetings"},
	{"What does the prosperity package for Ukraine aim at?", "003_37c6020937afcbb6.txt", "prosperity package"},
}

func TestSeedQuestionsAreAnsweredWithTheRightQuote(t *testing.T) {
	e := seedsEngine(t)
	for _, tc := range seedQuestions {
		t.Run(tc.q, func(t *testing.T) {
			res, err := e.Search(context.Background(), retrieval.Query{Text: tc.q})
			if err != nil {
				t.Fatal(err)
			}
			if !res.Found || len(res.Quotes) == 0 {
				t.Fatalf("not found (evidence %.2f)", res.Evidence)
			}
			// The right quote must be among the quotes, and first when it is the only one that fits.
			var hit *retrieval.Quote
			for i := range res.Quotes {
				if strings.Contains(res.Quotes[i].Text, tc.want) {
					hit = &res.Quotes[i]
					break
				}
			}
			if hit == nil {
				t.Fatalf("no quote contains %q; got %q", tc.want, quoteTexts(res))
			}
			if hit.Article.ID != tc.article {
				t.Errorf("quote cites %s, want %s", hit.Article.ID, tc.article)
			}
			if !strings.Contains(res.Quotes[0].Text, tc.want) {
				t.Errorf("first quote %q lacks %q", res.Quotes[0].Text, tc.want)
			}
		})
	}
}

// offTopic are questions the seeds cannot answer.
var offTopic = []string{
	"What is the capital of France?",
	"Who won the 2022 World Cup?",
	"What is the price of Bitcoin today?",
	"How do I bake sourdough bread?",
	"What's the weather in London tomorrow?",
	"Who is the CEO of Apple?",
	"When is the next solar eclipse?",
	"How many goals did Messi score last season?",
	"What is the population of Brazil?",
	"Recommend a good movie for tonight",
	"Which team won the Super Bowl?",
	"What are the symptoms of the flu?",
	"asdfghjkl qwerty",
	"What did Trump say about China?",
	"How is the economy of Germany doing?",
	"Who will win the election in France?",
	"What did Putin say about the Olympics?",
	"?",
}

func TestOffTopicQuestionsAreNotAnswered(t *testing.T) {
	e := seedsEngine(t)
	for _, q := range offTopic {
		t.Run(q, func(t *testing.T) {
			res, err := e.Search(context.Background(), retrieval.Query{Text: q})
			if err != nil {
				t.Fatal(err)
			}
			if res.Found || len(res.Quotes) != 0 {
				t.Fatalf("answered an off-topic question: %q", quoteTexts(res))
			}
			if res.Searched.Articles != 5 {
				t.Errorf("searched %d articles, want 5", res.Searched.Articles)
			}
		})
	}
}

func quoteTexts(res retrieval.Result) []string {
	var out []string
	for _, q := range res.Quotes {
		out = append(out, q.Article.ID+": "+q.Text)
	}
	return out
}

func TestQuotesAreVerbatimDistinctAndShort(t *testing.T) {
	e := seedsEngine(t)
	for _, tc := range seedQuestions {
		res, err := e.Search(context.Background(), retrieval.Query{Text: tc.q})
		if err != nil {
			t.Fatal(err)
		}
		seen := map[string][]retrieval.Span{}
		if len(res.Quotes) > 3 {
			t.Errorf("%q: %d quotes", tc.q, len(res.Quotes))
		}
		for _, q := range res.Quotes {
			// An article gives at most two quotes (Params.ArticleQuotes),
			// never overlapping.
			if len(seen[q.Article.ID]) == 2 {
				t.Errorf("%q: three quotes from %s", tc.q, q.Article.ID)
			}
			for _, o := range seen[q.Article.ID] {
				if q.Span.Start < o.End && o.Start < q.Span.End {
					t.Errorf("%q: overlapping quotes of %s", tc.q, q.Article.ID)
				}
			}
			seen[q.Article.ID] = append(seen[q.Article.ID], q.Span)
			doc, err := e.Document(context.Background(), q.Article.ID)
			if err != nil {
				t.Fatal(err)
			}
			span := doc.Body[q.Span.Start:q.Span.End]
			if strings.Join(strings.Fields(span), " ") != q.Text {
				t.Errorf("quote is not its span: %q vs %q", q.Text, span)
			}
			if n := len(strings.Fields(q.Text)); n > 60 {
				t.Errorf("quote of %d words", n)
			}
			sents := 0
			for _, s := range doc.Sentences {
				if s.Start >= q.Span.Start && s.End <= q.Span.End {
					sents++
				}
			}
			if sents > 2 {
				t.Errorf("quote spans %d sentences", sents)
			}
		}
	}
}

func TestAsOfHidesLaterArticles(t *testing.T) {
	ctx := context.Background()
	day := func(s string) time.Time { d, _ := time.Parse("2006-01-02", s); return d }
	e := memoryEngine(t,
		retrieval.Article{ID: "old", Title: "Old report", Published: day("2024-03-01"), Body: "The harbour bridge reopened to traffic after the storm repairs were finished."},
		retrieval.Article{ID: "new", Title: "New report", Published: day("2024-03-10"), Body: "The harbour bridge closed again after inspectors found cracks in the deck."},
	)
	q := "What happened to the harbour bridge?"
	res, _ := e.Search(ctx, retrieval.Query{Text: q, AsOf: day("2024-03-05")})
	for _, d := range res.Docs {
		if d.ID == "new" {
			t.Fatalf("as of 2024-03-05 the article of 2024-03-10 was seen: %v", res.Docs)
		}
	}
	if res.Searched.Articles != 1 {
		t.Errorf("searched %d articles, want 1", res.Searched.Articles)
	}
	// A day's grace: asked on the 9th, the article of the 10th is seen.
	res, _ = e.Search(ctx, retrieval.Query{Text: q, AsOf: day("2024-03-09")})
	if len(res.Docs) != 2 {
		t.Errorf("as of 2024-03-09 saw %v, want both", res.Docs)
	}
	// Recency: the newer report ranks first when asked after both.
	res, _ = e.Search(ctx, retrieval.Query{Text: q, AsOf: day("2024-03-11")})
	if len(res.Docs) == 0 || res.Docs[0].ID != "new" {
		t.Errorf("asked after both, ranking %v, want new first", res.Docs)
	}
}

func TestNearIdenticalSentencesAreFoldedAsCorroboration(t *testing.T) {
	ctx := context.Background()
	wire := "The central bank raised its benchmark interest rate by half a point to 5.25 percent on Thursday."
	e := memoryEngine(t,
		retrieval.Article{ID: "a.txt", Title: "Bank raises rates", Body: wire + "\nMarkets fell after the announcement."},
		retrieval.Article{ID: "b.txt", Title: "Rates up again", Body: "Officials spoke in the capital.\n" + wire},
		retrieval.Article{ID: "c.txt", Title: "Unrelated", Body: "The football club signed a new goalkeeper for the season."},
	)
	res, err := e.Search(ctx, retrieval.Query{Text: "By how much did the central bank raise its interest rate?"})
	if err != nil {
		t.Fatal(err)
	}
	if !res.Found || len(res.Quotes) != 1 {
		t.Fatalf("want one quote with corroboration, got %q", quoteTexts(res))
	}
	q := res.Quotes[0]
	if len(q.AlsoIn) != 1 {
		t.Fatalf("also_in = %v, want the other copy", q.AlsoIn)
	}
	ids := map[string]bool{q.Article.ID: true, q.AlsoIn[0].ID: true}
	if !ids["a.txt"] || !ids["b.txt"] {
		t.Errorf("quote %s also in %s", q.Article.ID, q.AlsoIn[0].ID)
	}
}

func TestReingestIsANoOpAndChangesReplaceChunks(t *testing.T) {
	ctx := context.Background()
	e, err := NewMemory(ctx, Options{})
	if err != nil {
		t.Fatal(err)
	}
	a := retrieval.Article{ID: "x.txt", Title: "T", Body: "The first version says the dam held. It was inspected on Monday."}
	out, err := e.Ingest(ctx, []retrieval.Article{a})
	if err != nil || out[0].Status != Added {
		t.Fatalf("first ingest: %v %v", out, err)
	}
	out, _ = e.Ingest(ctx, []retrieval.Article{a})
	if out[0].Status != Unchanged {
		t.Fatalf("same content: %v, want unchanged", out)
	}
	a.Body = "The second version says the dam failed overnight. Villages were evacuated."
	out, _ = e.Ingest(ctx, []retrieval.Article{a})
	if out[0].Status != Updated {
		t.Fatalf("changed content: %v, want updated", out)
	}
	if st := e.Stats(); st.Articles != 1 || st.Chunks != 1 {
		t.Errorf("stats after update: %+v", st)
	}
	res, _ := e.Search(ctx, retrieval.Query{Text: "Did the dam hold after inspection?"})
	for _, q := range res.Quotes {
		if strings.Contains(q.Text, "first version") {
			t.Errorf("old content still quoted: %q", q.Text)
		}
	}
	res, _ = e.Search(ctx, retrieval.Query{Text: "Were villages evacuated when the dam failed?"})
	if !res.Found || !strings.Contains(res.Quotes[0].Text, "evacuated") {
		t.Errorf("new content not found: %q", quoteTexts(res))
	}
}

func TestEmbedderMismatchIsAClearError(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	e, err := NewMemory(ctx, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.Ingest(ctx, []retrieval.Article{{ID: "a", Body: "Some text about rivers and bridges."}}); err != nil {
		t.Fatal(err)
	}
	if err := e.Save(dir); err != nil {
		t.Fatal(err)
	}
	other, err := storeEmbedder("hash:64")
	if err != nil {
		t.Fatal(err)
	}
	_, err = Open(ctx, dir, Options{Embedder: other})
	if err == nil || !strings.Contains(err.Error(), "briefbot ingest --reembed") {
		t.Fatalf("Open with another embedder: %v, want an error naming --reembed", err)
	}
	// --reembed rebuilds the store with the new embedder.
	re, err := OpenForWrite(ctx, dir, Options{Embedder: other}, true)
	if err != nil {
		t.Fatal(err)
	}
	if st := re.Stats(); st.Articles != 1 || !strings.HasSuffix(st.Embedder, "/64") {
		t.Errorf("re-embedded stats %+v", st)
	}
}

// TestQuoteIsTheAnsweringSentence checks that a quote is the sentence that
// answers, not padded with the next one up to the word limit, and that a
// quote opening with a reference to the sentence before carries that
// sentence as its context.
func TestQuoteIsTheAnsweringSentence(t *testing.T) {
	first := "The harbour authority closed the northern pier on Tuesday after a storm damaged it."
	long := "Engineers said the repairs would take eleven weeks and cost about four million euros, " +
		"and that ferries would dock at the southern terminal in the meantime."
	body := first + " " + long + "\nThe mayor visited the site."
	e := memoryEngine(t, retrieval.Article{ID: "pier.txt", Title: "Pier closed", Body: body})
	res, err := e.Search(context.Background(), retrieval.Query{Text: "Why did the harbour authority close the northern pier?"})
	if err != nil {
		t.Fatal(err)
	}
	if !res.Found || len(res.Quotes) != 1 {
		t.Fatalf("want one quote, got %q", quoteTexts(res))
	}
	if q := res.Quotes[0]; q.Text != first || q.Truncated || q.Context != "" {
		t.Errorf("quote %q (truncated %v, context %q), want the answering sentence alone: %q", q.Text, q.Truncated, q.Context, first)
	}

	lead := "Officials said the northern ferry company filed for bankruptcy on Monday."
	back := "The move leaves 300 workers without pay and strands the island's ferry passengers."
	e = memoryEngine(t, retrieval.Article{ID: "ferry.txt", Title: "Ferry", Body: lead + " " + back + " Its boats were sold in 2019."})
	res, err = e.Search(context.Background(), retrieval.Query{Text: "How many workers are left without pay?"})
	if err != nil {
		t.Fatal(err)
	}
	if !res.Found {
		t.Fatalf("refused: %+v", res)
	}
	q := res.Quotes[0]
	if q.Text != back || q.Context != lead {
		t.Errorf("quote %q with context %q, want %q with context %q", q.Text, q.Context, back, lead)
	}
	body = lead + " " + back + " Its boats were sold in 2019."
	if sp := q.ContextSpan; normalizeSpace(body[sp.Start:sp.End]) != q.Context {
		t.Errorf("context span %v is not the context", sp)
	}
}
