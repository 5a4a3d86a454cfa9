package digest

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/briefbot/briefbot/retrieval"
	"github.com/briefbot/briefbot/retrieval/engine"
)

func normSpace(s string) string { return strings.Join(strings.Fields(s), " ") }

// checkVerbatim asserts that every sentence is a span of the article it cites.
func checkVerbatim(t *testing.T, ctx context.Context, e *engine.Engine, d Digest) map[string]bool {
	t.Helper()
	cited := map[string]bool{}
	for _, s := range d.Stories {
		if s.Headline == "" || len(s.Sentences) == 0 || len(s.Sentences) > DefaultMaxSentences {
			t.Fatalf("story %+v: want a headline and 1 to 3 sentences", s)
		}
		for _, sn := range s.Sentences {
			doc, err := e.Document(ctx, sn.Article.ID)
			if err != nil {
				t.Fatal(err)
			}
			if !strings.Contains(normSpace(doc.Body), sn.Text) {
				t.Errorf("not verbatim in %s: %q", sn.Article.ID, sn.Text)
			}
			if sn.Article.Title != doc.Title {
				t.Errorf("citation title %q, article title %q", sn.Article.Title, doc.Title)
			}
			cited[sn.Article.ID] = true
		}
	}
	return cited
}

func TestSeedsDigest(t *testing.T) {
	ctx := context.Background()
	e, err := engine.OpenSeeds(ctx)
	if err != nil {
		t.Fatal(err)
	}
	d, err := Build(ctx, e, Options{All: true, Now: time.Date(2025, 12, 7, 8, 0, 0, 0, time.UTC)})
	if err != nil {
		t.Fatal(err)
	}
	if d.Articles != 5 || d.Window.String() != "all" || d.Date != "2025-12-07" || d.Timezone != "UTC" {
		t.Fatalf("digest header %+v", d)
	}
	if len(d.Stories) == 0 || len(d.Stories) >= 5 {
		t.Fatalf("%d stories: the five seeds must group into fewer stories", len(d.Stories))
	}
	if cited := checkVerbatim(t, ctx, e, d); len(cited) < 4 {
		t.Fatalf("cites %d seeds, want at least 4", len(cited))
	}
	for i := 1; i < len(d.Stories); i++ {
		if d.Stories[i].Sources > d.Stories[i-1].Sources {
			t.Fatalf("stories not ranked by sources: %d after %d", d.Stories[i].Sources, d.Stories[i-1].Sources)
		}
	}
	// Followed the next day by the same briefings: every story is a follow-up,
	// condensed to one sentence.
	next, err := Build(ctx, e, Options{All: true, Previous: d.Signatures()})
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range next.Stories {
		if s.New || len(s.Sentences) != 1 {
			t.Fatalf("follow-up %+v: want New false and one sentence", s)
		}
	}
}

// fixture builds an in-memory engine holding arts.
func fixture(t *testing.T, arts ...retrieval.Article) *engine.Engine {
	t.Helper()
	ctx := context.Background()
	e, err := engine.NewMemory(ctx, engine.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.Ingest(ctx, arts); err != nil {
		t.Fatal(err)
	}
	return e
}

var day = time.Date(2025, 12, 6, 0, 0, 0, 0, time.UTC)

func art(id, source, title, body string) retrieval.Article {
	return retrieval.Article{ID: id, Source: source, Title: title, Body: body, Published: day}
}

const (
	quakeA = "A magnitude 6.8 earthquake struck the coast of Peru on Friday, collapsing houses in Arequipa.\nRescuers searched the rubble for survivors as aftershocks shook the region.\nThe quake's epicentre was 40 kilometres off the coast, the geological survey said."
	quakeB = "Rescuers in Arequipa searched collapsed houses for survivors after a strong earthquake hit southern Peru.\nThe earthquake, of magnitude 6.8, was felt as far as Lima, officials said.\nSchools in the region will stay closed on Monday."
	rates  = "The central bank raised interest rates by a quarter point on Thursday to fight inflation.\nMarkets had expected the increase, and bond yields barely moved.\nThe bank signalled that further rises were possible next year."
)

func TestClusteringAndRanking(t *testing.T) {
	ctx := context.Background()
	e := fixture(t,
		art("a", "Reuters", "Earthquake hits Peru", quakeA),
		art("b", "AP", "Strong quake shakes southern Peru", quakeB),
		art("c", "AFP", "Central bank raises rates", rates),
		art("d", "Daily Wire Copy", "Earthquake hits Peru", quakeA), // a syndicated copy
	)
	d, err := Build(ctx, e, Options{All: true})
	if err != nil {
		t.Fatal(err)
	}
	if len(d.Stories) != 2 {
		t.Fatalf("%d stories, want 2 (the quake, the rates)", len(d.Stories))
	}
	quake, bank := d.Stories[0], d.Stories[1]
	if len(quake.Articles) != 3 || quake.Sources != 2 {
		t.Fatalf("quake story: %d articles, %d sources; want 3 articles, 2 sources (a copy counts once)", len(quake.Articles), quake.Sources)
	}
	if !strings.Contains(quake.Headline, "Peru") || bank.Headline != "Central bank raises rates" {
		t.Fatalf("headlines %q, %q", quake.Headline, bank.Headline)
	}
	if bank.Sources != 1 || !quake.New || !bank.New {
		t.Fatalf("bank story %+v", bank)
	}
	checkVerbatim(t, ctx, e, d)
	// Near-identical copies are not quoted twice.
	seen := map[string]bool{}
	for _, s := range quake.Sentences {
		if seen[s.Text] {
			t.Fatalf("sentence repeated: %q", s.Text)
		}
		seen[s.Text] = true
	}
}

func TestHeadlineWithoutTitles(t *testing.T) {
	ctx := context.Background()
	e := fixture(t, art("a", "", "", rates))
	d, err := Build(ctx, e, Options{All: true})
	if err != nil {
		t.Fatal(err)
	}
	if len(d.Stories) != 1 || !strings.Contains(rates, d.Stories[0].Headline) {
		t.Fatalf("headline %q is not a verbatim sentence", d.Stories[0].Headline)
	}
}

func TestWindow(t *testing.T) {
	ctx := context.Background()
	kyiv, _ := time.LoadLocation("Europe/Kyiv")
	undated := retrieval.Article{ID: "u", Body: rates, Ingested: time.Date(2025, 12, 7, 6, 0, 0, 0, time.UTC)}
	older := art("old", "", "Earthquake hits Peru", quakeA)
	older.Published = time.Date(2025, 12, 1, 0, 0, 0, 0, time.UTC)
	e := fixture(t, art("a", "", "Strong quake shakes southern Peru", quakeB), older, undated)
	now := time.Date(2025, 12, 7, 8, 0, 0, 0, time.UTC)
	tests := []struct {
		name  string
		opts  Options
		n     int
		label string
	}{
		{"last 24h: dated yesterday, ingested today", Options{Now: now}, 2, "24h"},
		{"last 2h: only the undated one", Options{Now: now, Window: 2 * time.Hour}, 1, "2h"},
		{"a calendar day", Options{Now: now, Date: time.Date(2025, 12, 1, 0, 0, 0, 0, time.UTC), Location: kyiv}, 1, "2025-12-01"},
		{"since", Options{Now: now, Since: time.Date(2025, 12, 2, 0, 0, 0, 0, time.UTC)}, 2, "since 2025-12-02"},
		{"all", Options{Now: now, All: true}, 3, "all"},
		{"empty day", Options{Now: now, Date: time.Date(2025, 11, 1, 0, 0, 0, 0, time.UTC)}, 0, "2025-11-01"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d, err := Build(ctx, e, tt.opts)
			if err != nil {
				t.Fatal(err)
			}
			if d.Articles != tt.n || d.Window.String() != tt.label {
				t.Fatalf("articles %d window %q, want %d %q", d.Articles, d.Window, tt.n, tt.label)
			}
			if tt.n == 0 && (!d.Empty() || d.Text() != "No briefings on 2025-11-01.\n") {
				t.Fatalf("empty digest text %q", d.Text())
			}
		})
	}
	if _, err := Build(ctx, e, Options{All: true, Since: now}); err == nil {
		t.Fatal("contradicting options must fail")
	}
}

// fakePoster counts posts.
type fakePoster struct{ posts []string }

func (f *fakePoster) Post(_ context.Context, channel string, d Digest) error {
	f.posts = append(f.posts, channel+" "+d.Date)
	return nil
}

func TestDeliverOncePerDay(t *testing.T) {
	ctx := context.Background()
	e := fixture(t, art("a", "", "Central bank raises rates", rates))
	l := OpenLedger(t.TempDir())
	p := &fakePoster{}
	del := Delivery{Target: Target{"slack", "C1"}, Options: Options{All: true, Now: day.Add(8 * time.Hour)}}
	for i, want := range []Outcome{Posted, AlreadyPosted} {
		got, _, err := Deliver(ctx, e, l, p, del)
		if err != nil || got != want {
			t.Fatalf("run %d: %v, %v; want %v", i+1, got, err, want)
		}
	}
	del.Force = true
	if got, _, err := Deliver(ctx, e, l, p, del); err != nil || got != Posted {
		t.Fatalf("forced: %v %v", got, err)
	}
	if len(p.posts) != 2 {
		t.Fatalf("%d posts, want 2", len(p.posts))
	}
	// The ledger stamps the post with the injected clock, not the wall's.
	var ld ledgerData
	if err := readJSON(l.Path(), &ld); err != nil || len(ld.Channels["slack:C1"]) != 1 || !ld.Channels["slack:C1"][0].At.Equal(del.Options.Now) {
		t.Fatalf("ledger %+v (%v), want the post stamped %v", ld, err, del.Options.Now)
	}
	// The next day, the story comes back as a follow-up.
	del.Force = false
	del.Options.Now = del.Options.Now.Add(24 * time.Hour)
	_, d, err := Deliver(ctx, e, l, p, del)
	if err != nil || len(d.Stories) != 1 || d.Stories[0].New {
		t.Fatalf("next day: %+v %v", d, err)
	}
	// An empty window is skipped when asked.
	del.Options = Options{Now: day.AddDate(0, 1, 0)}
	del.SkipEmpty = true
	if got, _, err := Deliver(ctx, e, l, p, del); err != nil || got != SkippedEmpty {
		t.Fatalf("empty: %v %v", got, err)
	}
}

func TestParseTarget(t *testing.T) {
	if tg, err := ParseTarget("Slack:C1"); err != nil || tg != (Target{"slack", "C1"}) {
		t.Fatalf("%v %v", tg, err)
	}
	for _, bad := range []string{"C1", "slack:", "irc:#x"} {
		if _, err := ParseTarget(bad); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
	if _, err := (Posters{}).For("slack"); err == nil {
		t.Fatal("no poster must be an error")
	}
}

// TestWindowJSON: a window is typed in the domain and its label in JSON,
// the contract of `briefbot digest --json`, read back the same.
func TestWindowJSON(t *testing.T) {
	for _, tt := range []struct {
		w     Window
		label string
		head  string
	}{
		{Window{Last: 24 * time.Hour}, "24h", "last 24h"},
		{Window{Last: 90 * time.Minute}, "1h30m", "last 1h30m"},
		{Window{Day: "2025-12-06"}, "2025-12-06", "2025-12-06"},
		{Window{Since: "2025-12-01"}, "since 2025-12-01", "since 2025-12-01"},
		{Window{All: true}, "all", "all briefings"},
	} {
		t.Run(tt.label, func(t *testing.T) {
			b, err := json.Marshal(tt.w)
			if err != nil || string(b) != `"`+tt.label+`"` {
				t.Fatalf("marshal: %s, %v", b, err)
			}
			var back Window
			if err := json.Unmarshal(b, &back); err != nil || back != tt.w {
				t.Fatalf("unmarshal: %+v, %v", back, err)
			}
			if back.Label() != tt.head {
				t.Errorf("label %q, want %q", back.Label(), tt.head)
			}
		})
	}
	var w Window
	if err := json.Unmarshal([]byte(`"yesterday"`), &w); err == nil {
		t.Error("a label that is no window was read")
	}
}
