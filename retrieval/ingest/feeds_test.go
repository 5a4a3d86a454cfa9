package ingest_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"

	"golang.org/x/text/encoding/charmap"

	"github.com/briefbot/briefbot/retrieval"
	"github.com/briefbot/briefbot/retrieval/ingest"
	"github.com/briefbot/briefbot/retrieval/ingest/feed"
)

// readFeedFile reads a feed file through ReadInput (as briefbot ingest does).
func readFeedFile(t *testing.T, ctx context.Context, path string) (map[string]retrieval.Article, []ingest.RecordError, []string) {
	t.Helper()
	arts := map[string]retrieval.Article{}
	var warnings []string
	in := ingest.Input{Path: path, Warn: func(msg string) { warnings = append(warnings, msg) }}
	bad, err := ingest.ReadInput(ctx, in, func(a retrieval.Article) error {
		if _, dup := arts[a.ID]; dup {
			t.Fatalf("id %q twice", a.ID)
		}
		arts[a.ID] = a
		return nil
	})
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	for _, a := range arts {
		checkArticle(t, a)
	}
	return arts, bad, warnings
}

func copyFixture(t *testing.T, name, as string) string {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("feed", "testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(t.TempDir(), as)
	if err := os.WriteFile(p, data, 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestFeedFilesAreSupported(t *testing.T) {
	for _, name := range []string{"news.rss", "a.atom", "feed.XML"} {
		if !ingest.Supported(name) {
			t.Errorf("%s not supported", name)
		}
	}
	// A feed holds many articles: reported per item, like JSON records.
	if !ingest.IsRecords("news.rss") {
		t.Error(".rss is not a many-article file")
	}
}

func TestRSSFileIngest(t *testing.T) {
	p := copyFixture(t, "rss2.xml", "harbour.rss")
	arts, bad, warnings := readFeedFile(t, context.Background(), p)
	a, ok := arts["harbour.rss#news-1001"]
	if !ok {
		t.Fatalf("ids %v", keys(arts))
	}
	if a.Title != "Harbour bridge reopens" || a.Source != "Harbour & City News" || a.URL != "https://news.example.com/2025/12/bridge" ||
		a.Published.Format("2006-01-02 15:04") != "2025-12-04 10:30" {
		t.Errorf("article %+v", a)
	}
	// Full content: the figure's caption and photo credit, the WordPress
	// footer and the markup are gone; inline markup joins its words.
	want := "The harbour bridge reopened to traffic on Monday after storm repairs.\nEngineers replaced two cable anchors and resurfaced the deck."
	if a.Body != want {
		t.Errorf("body %q\nwant %q", a.Body, want)
	}
	// No guid: the link is the key; the summary (HTML) is the body, and a
	// warning counts the summary-only items.
	tram, ok := arts["harbour.rss#https://news.example.com/2025/12/tram"]
	if !ok || tram.Body != "The council approved a tram extension with four new stations." {
		t.Errorf("tram %+v (ids %v)", tram, keys(arts))
	}
	// The ferry item has a link and no text: skipped, with the hint.
	if len(bad) != 1 || bad[0].Line != 3 || !strings.Contains(bad[0].Err.Error(), "--fetch") {
		t.Errorf("bad %v", bad)
	}
	// Neither guid nor link: a content hash.
	var hashed int
	for id := range arts {
		if strings.HasPrefix(id, "harbour.rss#sha256:") && len(id) == len("harbour.rss#sha256:")+16 {
			hashed++
		}
	}
	if hashed != 1 || len(arts) != 3 {
		t.Errorf("ids %v", keys(arts))
	}
	if len(warnings) != 1 || !strings.Contains(warnings[0], "2 items have only a summary") {
		t.Errorf("warnings %q", warnings)
	}
	// Stable: reading again gives the same ids.
	again, _, _ := readFeedFile(t, context.Background(), p)
	for id := range arts {
		if _, ok := again[id]; !ok {
			t.Errorf("id %q not stable", id)
		}
	}
}

func TestAtomAndJSONFeedIngest(t *testing.T) {
	arts, _, _ := readFeedFile(t, context.Background(), copyFixture(t, "atom.xml", "science.atom"))
	comet := arts["science.atom#tag:science.example.org,2025:comet"]
	// "Related:" lines are dropped as on pages.
	if comet.Body != "The comet brightened to magnitude six on Wednesday." || comet.Source != "Science Desk" {
		t.Errorf("comet %+v", comet)
	}
	glacier := arts["science.atom#tag:science.example.org,2025:glacier"]
	if glacier.Body != "The survey found the glacier retreated forty metres.\nMeasurements used drones & GPS." || glacier.Published.IsZero() {
		t.Errorf("glacier %+v", glacier)
	}
	// A .json file is a JSON Feed when it says so; records otherwise.
	arts, bad, _ := readFeedFile(t, context.Background(), copyFixture(t, "feed.json", "markets.json"))
	if a := arts["markets.json#m-1"]; a.Body != "The central bank held its main rate at 3.5 percent." || a.Source != "Markets Daily" {
		t.Errorf("m-1 %+v (ids %v)", a, keys(arts))
	}
	if a := arts["markets.json#2"]; a.Body != "Oil prices fell two percent on Tuesday.\nTraders cited higher stocks." || a.Published.IsZero() {
		t.Errorf("item 2 %+v", a)
	}
	if len(bad) != 1 || bad[0].Line != 4 {
		t.Errorf("bad %v", bad)
	}
}

func TestJSONFeedWithItsVersionLast(t *testing.T) {
	// Keys sorted (as Go's map encoding writes them): the version comes
	// after 5 KiB of items.
	var items []string
	for i := range 20 {
		items = append(items, fmt.Sprintf(`{"content_text":"Item %d says the ferry timetable changes on Monday %s.","id":"i%d"}`, i, strings.Repeat("again ", 40), i))
	}
	doc := `{"items":[` + strings.Join(items, ",") + `],"title":"Sorted","version":"https://jsonfeed.org/version/1.1"}`
	p := filepath.Join(t.TempDir(), "sorted.json")
	if err := os.WriteFile(p, []byte(doc), 0o644); err != nil {
		t.Fatal(err)
	}
	arts, _, _ := readFeedFile(t, context.Background(), p)
	if len(arts) != 20 || arts["sorted.json#i7"].Source != "Sorted" {
		t.Fatalf("%d articles: %v", len(arts), keys(arts))
	}
	// A plain JSON record file whose text mentions jsonfeed.org stays records.
	rec := filepath.Join(t.TempDir(), "records.json")
	os.WriteFile(rec, []byte(`[{"id":"r1","text":"`+strings.Repeat("filler ", 800)+`see jsonfeed.org/version/1"}]`), 0o644)
	arts, _, _ = readFeedFile(t, context.Background(), rec)
	if _, ok := arts["r1"]; !ok || len(arts) != 1 {
		t.Fatalf("records: %v", keys(arts))
	}
}

func TestLegacyCharsetFeed(t *testing.T) {
	doc := `<?xml version="1.0" encoding="windows-1252"?>
<rss version="2.0"><channel><title>Café Zeitung</title>
<item><guid>c1</guid><title>Café owners protest “unfair” rent</title><description>Owners of thirty cafés protested; rent rose 12€ a month.</description></item>
</channel></rss>`
	enc, err := charmap.Windows1252.NewEncoder().String(doc)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	for name, data := range map[string]string{
		"declared.rss":       enc,
		"undeclared.rss":     strings.Replace(enc, ` encoding="windows-1252"`, "", 1),
		"utf8-as-latin1.rss": strings.Replace(doc, "windows-1252", "iso-8859-1", 1), // valid UTF-8 declared latin-1
	} {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(data), 0o644); err != nil {
			t.Fatal(err)
		}
		arts, _, warnings := readFeedFile(t, context.Background(), p)
		a := arts[name+"#c1"]
		if a.Title != "Café owners protest “unfair” rent" || a.Source != "Café Zeitung" || !strings.Contains(a.Body, "thirty cafés") || !strings.Contains(a.Body, "12€") {
			t.Errorf("%s: %+v", name, a)
		}
		gotNote := len(warnings) > 0 && strings.Contains(warnings[0], "windows-1252")
		if gotNote != (name == "undeclared.rss") {
			t.Errorf("%s: warnings %q", name, warnings)
		}
	}
}

func TestBrokenFeedFilesAreSkipped(t *testing.T) {
	dir := t.TempDir()
	for name, data := range map[string]string{
		"truncated.rss": `<rss><channel><title>T</title><item><guid>1</guid><description>text`,
		"page.xml":      `<html><body>not a feed</body></html>`,
		"empty.atom":    `<feed xmlns="http://www.w3.org/2005/Atom"><title>E</title></feed>`,
		"koi8.rss":      "<?xml version=\"1.0\" encoding=\"koi8-r\"?><rss><channel><item><title>\xc1</title></item></channel></rss>",
	} {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(data), 0o644); err != nil {
			t.Fatal(err)
		}
		_, err := ingest.ReadInput(context.Background(), ingest.Input{Path: p}, func(retrieval.Article) error { return nil })
		var se *ingest.SkipError
		if !errors.As(err, &se) {
			t.Errorf("%s: %v is not a skip", name, err)
			continue
		}
		t.Logf("%s: %v", name, err)
	}
}

func TestFetchSummaryOnlyItems(t *testing.T) {
	var pages atomic.Int32
	mux := http.NewServeMux()
	mux.HandleFunc("/story", func(w http.ResponseWriter, r *http.Request) {
		pages.Add(1)
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.Write([]byte(`<html><head><title>Dam report - Valley Post</title><meta property="article:published_time" content="2025-11-30T09:00:00Z"></head>
<body><nav>Home News Sport</nav><article><h1>Dam report</h1>
<p>The valley dam report found cracks in the spillway that need repair before spring floods arrive in the region.</p>
<p>Engineers recommended lowering the reservoir by two metres while the work is carried out over the winter months.</p>
<p>The regional authority said it would publish the full inspection results and a timetable for the repairs next week.</p>
</article></body></html>`))
	})
	mux.HandleFunc("/pdf", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/pdf")
		w.Write([]byte("%PDF-1.4"))
	})
	srv := httptest.NewServer(mux)
	defer srv.Close()
	doc := `<rss><channel><title>Valley Post</title>
<item><guid>dam</guid><title>Dam report</title><link>` + srv.URL + `/story</link><description>Cracks found.</description></item>
<item><guid>pdf</guid><title>Budget</title><link>` + srv.URL + `/pdf</link><description>The budget summary.</description></item>
<item><guid>gone</guid><title>Gone</title><link>` + srv.URL + `/missing</link></item>
<item><guid>full</guid><title>Full</title><link>` + srv.URL + `/never</link><content:encoded xmlns:content="http://purl.org/rss/1.0/modules/content/">Full text is here already.</content:encoded></item>
</channel></rss>`
	p := filepath.Join(t.TempDir(), "valley.rss")
	if err := os.WriteFile(p, []byte(doc), 0o644); err != nil {
		t.Fatal(err)
	}
	ctx := ingest.WithFetcher(context.Background(), feed.NewClient(feed.ClientOptions{NoHostDelay: true}))
	arts, bad, warnings := readFeedFile(t, ctx, p)
	dam := arts["valley.rss#dam"]
	if !strings.Contains(dam.Body, "cracks in the spillway") || strings.Contains(dam.Body, "Home News") || dam.Source != "Valley Post" ||
		dam.URL != srv.URL+"/story" || dam.Published.Format("2006-01-02") != "2025-11-30" || dam.Title != "Dam report" {
		t.Errorf("fetched %+v", dam)
	}
	// A page that is not HTML: the summary is kept, with a warning.
	if arts["valley.rss#pdf"].Body != "The budget summary." {
		t.Errorf("pdf item %+v", arts["valley.rss#pdf"])
	}
	// No summary and a 404: skipped with the reason.
	if len(bad) != 1 || !strings.Contains(bad[0].Err.Error(), "404") {
		t.Errorf("bad %v", bad)
	}
	// Items with content are not fetched.
	if arts["valley.rss#full"].Body != "Full text is here already." || pages.Load() != 1 {
		t.Errorf("full %+v, %d page fetches", arts["valley.rss#full"], pages.Load())
	}
	if len(warnings) != 1 || !strings.Contains(warnings[0], "1 items' pages could not be fetched") {
		t.Errorf("warnings %q", warnings)
	}
}

func keys(m map[string]retrieval.Article) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	return out
}

// TestFeedGolden renders every article of the three fixture feeds (in feed
// order) with its skipped items and warnings; go test -update rewrites
// testdata/feeds/*.golden.
func TestFeedGolden(t *testing.T) {
	for _, name := range []string{"rss2.xml", "atom.xml", "feed.json"} {
		t.Run(name, func(t *testing.T) {
			data, err := os.ReadFile(filepath.Join("feed", "testdata", name))
			if err != nil {
				t.Fatal(err)
			}
			res, err := ingest.FeedArticles(context.Background(), data, ingest.FeedOptions{Prefix: name})
			if err != nil {
				t.Fatal(err)
			}
			var b strings.Builder
			fmt.Fprintf(&b, "format: %s\ntitle: %s\n", res.Format, res.Title)
			for _, w := range res.Warnings {
				b.WriteString("warning: " + w + "\n")
			}
			for _, bad := range res.Bad {
				b.WriteString("skipped: " + bad.Error() + "\n")
			}
			for _, a := range res.Articles {
				b.WriteString("\n" + renderArticle(a))
			}
			checkGolden(t, filepath.Join("feeds", name+".golden"), b.String())
		})
	}
}
