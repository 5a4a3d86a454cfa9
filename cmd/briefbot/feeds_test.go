package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jonboulle/clockwork"

	"github.com/briefbot/briefbot/bot"
	"github.com/briefbot/briefbot/retrieval"
	"github.com/briefbot/briefbot/retrieval/engine"
	"github.com/briefbot/briefbot/retrieval/ingest/feed"
)

// feedItem is one item of a fake feed.
type feedItem struct{ guid, title, body string }

// fakeFeed serves an RSS document from 127.0.0.1 with an ETag and a
// Last-Modified, answers a matching conditional GET with 304, and records
// what each request sent.
type fakeFeed struct {
	mu        sync.Mutex
	title     string
	items     []feedItem
	version   int
	modified  time.Time
	requests  []http.Header
	notMod    int
	ignoreVal bool // answer every request in full (a server without validators)
	srv       *httptest.Server
}

func newFakeFeed(t *testing.T, title string, items ...feedItem) *fakeFeed {
	f := &fakeFeed{title: title, items: items, version: 1, modified: time.Date(2025, 12, 6, 9, 0, 0, 0, time.UTC)}
	f.srv = httptest.NewServer(http.HandlerFunc(f.serve))
	t.Cleanup(f.srv.Close)
	return f
}

func (f *fakeFeed) url() string { return f.srv.URL + "/feed.rss?token=s3cret-token" }

func (f *fakeFeed) add(it feedItem) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.items = append(f.items, it)
	f.version++
	f.modified = f.modified.Add(time.Hour)
}

func (f *fakeFeed) serve(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.requests = append(f.requests, r.Header.Clone())
	etag := fmt.Sprintf(`"v%d"`, f.version)
	lastMod := f.modified.Format(http.TimeFormat)
	if !f.ignoreVal && r.Header.Get("If-None-Match") == etag {
		f.notMod++
		w.Header().Set("ETag", etag)
		w.WriteHeader(http.StatusNotModified)
		return
	}
	if !f.ignoreVal {
		w.Header().Set("ETag", etag)
		w.Header().Set("Last-Modified", lastMod)
	}
	w.Header().Set("Content-Type", "application/rss+xml")
	var b strings.Builder
	fmt.Fprintf(&b, "<?xml version=\"1.0\"?>\n<rss version=\"2.0\" xmlns:content=\"http://purl.org/rss/1.0/modules/content/\"><channel><title>%s</title><link>https://news.example.com/</link>\n", f.title)
	for i, it := range f.items {
		fmt.Fprintf(&b, "<item><guid>%s</guid><title>%s</title><link>https://news.example.com/%s</link><pubDate>%s</pubDate><content:encoded><![CDATA[<p>%s</p>]]></content:encoded></item>\n",
			it.guid, it.title, it.guid, time.Date(2025, 12, 1+i, 8, 0, 0, 0, time.UTC).Format(time.RFC1123Z), it.body)
	}
	b.WriteString("</channel></rss>\n")
	io.WriteString(w, b.String())
}

func (f *fakeFeed) lastRequest() http.Header {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.requests[len(f.requests)-1]
}

// countingTransport counts the response body bytes the client receives.
type countingTransport struct {
	mu    sync.Mutex
	bytes int
}

func (c *countingTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	resp, err := http.DefaultTransport.RoundTrip(r)
	if err != nil {
		return nil, err
	}
	data, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	c.mu.Lock()
	c.bytes += len(data)
	c.mu.Unlock()
	resp.Body = io.NopCloser(bytes.NewReader(data))
	return resp, err
}

func (c *countingTransport) received() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.bytes
}

// testFollower is a follower over an engine and a data directory, with no
// politeness delay (tested in the feed package) and a log in buf.
func testFollower(t *testing.T, dir string, e *engine.Engine, tr http.RoundTripper, buf *bytes.Buffer, urls ...string) *feedFollower {
	t.Helper()
	return &feedFollower{
		urls: urls, dir: dir, interval: time.Hour, clock: clockwork.NewFakeClock(),
		client: feed.NewClient(feed.ClientOptions{NoHostDelay: true, Transport: tr, MaxBytes: 64 << 10}),
		log:    slog.New(slog.NewTextHandler(buf, nil)),
		engine: func() (*engine.Engine, error) { return e, nil },
	}
}

func openEngine(t *testing.T, dir string) *engine.Engine {
	t.Helper()
	e, err := engine.OpenForWrite(context.Background(), dir, engine.Options{}, false)
	if err != nil {
		t.Fatal(err)
	}
	return e
}

// answers reports whether q's first quote comes from an article whose id
// ends in idSuffix.
func answers(t *testing.T, e *engine.Engine, q, idSuffix string) bool {
	t.Helper()
	res, err := e.Search(context.Background(), retrieval.Query{Text: q})
	if err != nil {
		t.Fatal(err)
	}
	return len(res.Quotes) > 0 && strings.HasSuffix(res.Quotes[0].Article.ID, idSuffix)
}

func TestFeedFollowerConditionalGETAndRestart(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	ff := newFakeFeed(t, "Harbour News",
		feedItem{"bridge", "Harbour bridge reopens", "The harbour bridge reopened to traffic on Monday after storm repairs."},
		feedItem{"tram", "Tram extension approved", "The city council approved a tram extension with four new stations."})
	e := openEngine(t, dir)
	tr := &countingTransport{}
	var logs bytes.Buffer
	f := testFollower(t, dir, e, tr, &logs, ff.url())
	prefix := "127.0.0.1:" + strings.Split(ff.srv.URL, ":")[2] + "/feed.rss?"

	// First poll: both items added, saved, and recorded.
	r := f.pollOnce(ctx)
	if r != (feedRound{Polled: 1, Added: 2}) {
		t.Fatalf("first round %+v; log %s", r, logs.String())
	}
	res, _ := e.Search(ctx, retrieval.Query{Text: "How many new stations will the tram extension have?"})
	if len(res.Quotes) == 0 || !strings.HasPrefix(res.Quotes[0].Article.ID, prefix) || !strings.HasSuffix(res.Quotes[0].Article.ID, "#tram") {
		t.Fatalf("tram item not answerable: %+v", res.Quotes)
	}
	tramID := res.Quotes[0].Article.ID
	if strings.Contains(tramID, "s3cret") || res.Quotes[0].Article.Source != "Harbour News" || res.Quotes[0].Article.URL != "https://news.example.com/tram" {
		t.Errorf("article %+v", res.Quotes[0].Article)
	}
	st := readState(t, dir)
	fs := st.Feeds[ff.url()]
	if fs == nil || fs.ETag != `"v1"` || fs.LastModified == "" || len(fs.Items) != 2 || fs.ItemsAdded != 2 || fs.LastSuccess.IsZero() {
		t.Fatalf("state %+v", fs)
	}

	// Second poll: a conditional GET, answered 304 with no body; nothing changes.
	before := tr.received()
	snap := statSnapshot(dir)
	r = f.pollOnce(ctx)
	if r != (feedRound{Polled: 1, NotModified: 1}) {
		t.Fatalf("second round %+v", r)
	}
	h := ff.lastRequest()
	if h.Get("If-None-Match") != `"v1"` || h.Get("If-Modified-Since") != fs.LastModified {
		t.Errorf("conditional headers %v", h)
	}
	if got := tr.received() - before; got != 0 || ff.notMod != 1 {
		t.Errorf("304 carried %d body bytes (%d 304s)", got, ff.notMod)
	}
	if statSnapshot(dir) != snap {
		t.Error("a 304 rewrote the store")
	}

	// A new item appears: the next poll adds it, and only it.
	ff.add(feedItem{"ferry", "Ferry timetable changes", "The winter ferry timetable adds three daily crossings to the island of Arran."})
	r = f.pollOnce(ctx)
	if r != (feedRound{Polled: 1, Added: 1}) {
		t.Fatalf("third round %+v", r)
	}
	res, _ = e.Search(ctx, retrieval.Query{Text: "How many daily crossings does the winter ferry timetable add?"})
	if len(res.Quotes) == 0 || !strings.HasSuffix(res.Quotes[0].Article.ID, "#ferry") {
		t.Fatalf("new item not answerable: %+v", res.Quotes)
	}

	// Restart: a new follower and engine on the same data directory. The
	// server now ignores validators and sends the whole feed: nothing is
	// added twice.
	ff.mu.Lock()
	ff.ignoreVal = true
	ff.mu.Unlock()
	e2 := openEngine(t, dir)
	f2 := testFollower(t, dir, e2, tr, &logs, ff.url())
	r = f2.pollOnce(ctx)
	if r != (feedRound{Polled: 1}) {
		t.Fatalf("after restart %+v", r)
	}
	if n := e2.Stats().Articles; n != 3 {
		t.Errorf("%d articles after restart, want 3", n)
	}
	// Even with the state file lost, stable ids keep the store from
	// holding an item twice.
	if err := os.Remove(filepath.Join(dir, feedStateName)); err != nil {
		t.Fatal(err)
	}
	f3 := testFollower(t, dir, openEngine(t, dir), tr, &logs, ff.url())
	if r = f3.pollOnce(ctx); r.Added != 0 || r.Errors != 0 {
		t.Errorf("without state %+v", r)
	}
	if strings.Contains(logs.String(), "s3cret") {
		t.Errorf("log holds the feed URL's token: %s", logs.String())
	}
}

func readState(t *testing.T, dir string) feedStateFile {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(dir, feedStateName))
	if err != nil {
		t.Fatal(err)
	}
	var st feedStateFile
	if err := json.Unmarshal(data, &st); err != nil {
		t.Fatal(err)
	}
	return st
}

func TestFeedFollowerSkipsBrokenAndHugeFeeds(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	good := newFakeFeed(t, "Good", feedItem{"g1", "Library opens", "The new central library opened with ninety thousand books on its shelves."})
	mux := http.NewServeMux()
	mux.HandleFunc("/broken", func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, "<rss><channel><title>Broken</title><item><guid>b</guid><description>SECRET-BODY-MARKER text")
	})
	mux.HandleFunc("/huge", func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, "<rss><channel><item><description>SECRET-BODY-MARKER ")
		chunk := strings.Repeat("x", 8<<10)
		for range 16 { // 128 KiB, twice the limit, without a Content-Length
			io.WriteString(w, chunk)
		}
	})
	mux.HandleFunc("/gone", func(w http.ResponseWriter, r *http.Request) { http.Error(w, "SECRET-BODY-MARKER", http.StatusGone) })
	// A feed without items is no error: nothing to add.
	mux.HandleFunc("/empty", func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, "<rss><channel><title>Quiet</title></channel></rss>")
	})
	bad := httptest.NewServer(mux)
	defer bad.Close()
	e := openEngine(t, dir)
	var logs bytes.Buffer
	f := testFollower(t, dir, e, nil, &logs, bad.URL+"/broken", bad.URL+"/huge?key=s3cret", bad.URL+"/gone", bad.URL+"/empty", good.url())
	r := f.pollOnce(ctx)
	if r != (feedRound{Polled: 5, Errors: 3, Added: 1}) {
		t.Fatalf("round %+v; log %s", r, logs.String())
	}
	if !answers(t, e, "How many books does the new central library have?", "#g1") || e.Stats().Articles != 1 {
		t.Errorf("good feed's item missing: %d articles", e.Stats().Articles)
	}
	st := readState(t, dir)
	for _, u := range []string{bad.URL + "/broken", bad.URL + "/huge?key=s3cret", bad.URL + "/gone"} {
		fs := st.Feeds[u]
		if fs == nil || fs.LastError == "" || fs.LastErrorAt.IsZero() || len(fs.Items) != 0 {
			t.Errorf("%s state %+v", u, fs)
		}
	}
	for _, want := range []string{"broken feed", "over the limit", "HTTP status 410"} {
		if !strings.Contains(logs.String(), want) {
			t.Errorf("log lacks %q: %s", want, logs.String())
		}
	}
	if strings.Contains(logs.String(), "SECRET-BODY-MARKER") || strings.Contains(logs.String(), "s3cret") {
		t.Errorf("log holds a body or a token: %s", logs.String())
	}
	if fs := st.Feeds[good.url()]; fs == nil || fs.LastError != "" || len(fs.Items) != 1 {
		t.Errorf("good feed state %+v", fs)
	}
	if fs := st.Feeds[bad.URL+"/empty"]; fs == nil || fs.LastError != "" || fs.LastSuccess.IsZero() {
		t.Errorf("empty feed state %+v", fs)
	}
}

func TestFeedConfig(t *testing.T) {
	env := map[string]string{"BRIEFBOT_FEEDS": "https://a.example/rss, http://b.example/atom.xml", "BRIEFBOT_FEED_INTERVAL": "5m", "BRIEFBOT_FEED_FETCH": "true"}
	c, err := loadConfig("", func(k string) string { return env[k] })
	if err != nil || len(c.Feeds) != 2 || c.Feeds[1] != "http://b.example/atom.xml" || c.FeedInterval != "5m" || !c.FeedFetch {
		t.Fatalf("%v %+v", err, c)
	}
	yml := filepath.Join(t.TempDir(), "c.yaml")
	os.WriteFile(yml, []byte("feeds:\n  - https://c.example/feed.json\nfeed_interval: 30m\nfeed_fetch: true\n"), 0o644)
	c, err = loadConfig(yml, func(string) string { return "" })
	if err != nil || len(c.Feeds) != 1 || c.FeedInterval != "30m" || !c.FeedFetch {
		t.Fatalf("yaml: %v %+v", err, c)
	}
	for _, bad := range []map[string]string{
		{"BRIEFBOT_FEEDS": "file:///etc/passwd"},
		{"BRIEFBOT_FEEDS": "https://a.example/rss", "BRIEFBOT_FEED_INTERVAL": "10ms"},
		{"BRIEFBOT_FEEDS": "https://a.example/rss", "BRIEFBOT_FEED_INTERVAL": "often"},
		{"BRIEFBOT_FEEDS": "https://a.example/rss", "BRIEFBOT_FEED_FETCH": "sometimes"},
	} {
		if _, err := loadConfig("", func(k string) string { return bad[k] }); err == nil {
			t.Errorf("%v accepted", bad)
		}
	}
}

// TestServeFollowsFeeds runs serve with a feed served from 127.0.0.1 and a
// fake clock: the first round runs at start, and a new item published later
// is answerable over HTTP after exactly one interval has passed. A restart
// on the same data directory adds nothing twice.
func TestServeFollowsFeeds(t *testing.T) {
	ff := newFakeFeed(t, "Harbour News",
		feedItem{"bridge", "Harbour bridge reopens", "The harbour bridge reopened to traffic on Monday after storm repairs."})
	data := t.TempDir()
	env := map[string]string{"BRIEFBOT_DATA": data, "BRIEFBOT_FEEDS": ff.url(), "BRIEFBOT_FEED_INTERVAL": "10m"}

	s, base, clock, rounds := launchFeedServe(t, env)
	waitRound(t, rounds, feedRound{Polled: 1, Added: 1})
	askFound(t, base, "When did the harbour bridge reopen?", "#bridge")

	ff.add(feedItem{"tram", "Tram extension approved", "The city council approved a tram extension with four new stations."})
	start := time.Now()
	advanceInterval(t, clock, 10*time.Minute)
	waitRound(t, rounds, feedRound{Polled: 1, Added: 1})
	askFound(t, base, "How many new stations will the tram extension have?", "#tram")
	t.Logf("new item answerable %v (wall) after the interval elapsed on the fake clock", time.Since(start))

	// One more interval: a 304.
	advanceInterval(t, clock, 10*time.Minute)
	waitRound(t, rounds, feedRound{Polled: 1, NotModified: 1})
	metricsText := getBody(t, base+"/metrics")
	for _, want := range []string{"briefbot_feed_polls_total 3", "briefbot_feed_not_modified_total 1", "briefbot_feed_items_added_total 2", "briefbot_feed_errors_total 0"} {
		if !strings.Contains(metricsText, want) {
			t.Errorf("metrics lack %q", want)
		}
	}
	s.stop()

	// Restart: the state file's validators make the first poll a 304.
	_, base2, _, rounds2 := launchFeedServe(t, env)
	waitRound(t, rounds2, feedRound{Polled: 1, NotModified: 1})
	var h struct{ Articles int }
	json.Unmarshal([]byte(getBody(t, base2+"/healthz")), &h)
	if h.Articles != 2 {
		t.Errorf("%d articles after restart, want 2", h.Articles)
	}
}

type stoppable struct{ stop func() }

// launchFeedServe starts serve (as launchServe does) with the follower on a
// fake clock and its rounds reported on a channel.
func launchFeedServe(t *testing.T, env map[string]string) (stoppable, string, *clockwork.FakeClock, chan feedRound) {
	t.Helper()
	s := testMain(t, env)
	clock := clockwork.NewFakeClock()
	rounds := make(chan feedRound)
	s.feeds.clock, s.feeds.rounds = clock, rounds
	s.feeds.client = feed.NewClient(feed.ClientOptions{NoHostDelay: true})
	run := runServe(t, s)
	return stoppable{run.stop}, run.base, clock, rounds
}

func waitRound(t *testing.T, rounds chan feedRound, want feedRound) {
	t.Helper()
	select {
	case r := <-rounds:
		if r != want {
			t.Fatalf("round %+v, want %+v", r, want)
		}
	case <-time.After(20 * time.Second):
		t.Fatal("no feed round within 20s")
	}
}

// advanceInterval waits until the follower sleeps on the clock, then moves
// the clock by one interval.
func advanceInterval(t *testing.T, clock *clockwork.FakeClock, d time.Duration) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	if err := clock.BlockUntilContext(ctx, 1); err != nil {
		t.Fatal("the follower never waited for its interval")
	}
	clock.Advance(d)
}

func askFound(t *testing.T, base, q, idSuffix string) {
	t.Helper()
	var ans bot.Answer
	if err := json.Unmarshal([]byte(getBody(t, base+"/api/ask?q="+url.QueryEscape(q))), &ans); err != nil {
		t.Fatal(err)
	}
	if !ans.Found || !strings.HasSuffix(ans.Quotes[0].Article.ID, idSuffix) {
		t.Fatalf("%q: %+v", q, ans)
	}
}

func getBody(t *testing.T, u string) string {
	t.Helper()
	resp, err := http.Get(u)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return string(b)
}

func TestIngestFeedFileWithFetch(t *testing.T) {
	page := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html")
		io.WriteString(w, `<html><head><title>Mill district flooded - Valley Post</title></head><body><nav>Home</nav><article>
<p>The river Ouse flooded the old mill district on Sunday night after three days of heavy rain across the valley.</p>
<p>Residents of forty homes were moved to the school hall while the water receded on Monday morning.</p>
<p>The council said repairs to the flood wall along the mill race would begin next month and take six weeks.</p></article></body></html>`)
	}))
	defer page.Close()
	src := filepath.Join(t.TempDir(), "valley.rss")
	doc := `<rss version="2.0"><channel><title>Valley Post</title>
<item><guid>mill</guid><title>Mill district flooded</title><link>` + page.URL + `/mill</link><description>Flooding in the mill district.</description><pubDate>Mon, 01 Dec 2025 07:00:00 +0000</pubDate></item>
</channel></rss>`
	if err := os.WriteFile(src, []byte(doc), 0o644); err != nil {
		t.Fatal(err)
	}
	data := t.TempDir()
	// Without --fetch: the summary, with a warning.
	code, out, errOut := runCLI(t, map[string]string{}, "ingest", "--data", data, src)
	if code != 0 || !strings.Contains(out, "1 item has only a summary") || !strings.Contains(out, "valley.rss: 1 articles: 1 added, 0 updated, 0 unchanged, 0 records skipped") {
		t.Fatalf("exit %d\n%s\n%s", code, out, errOut)
	}
	// With --fetch: the page's text replaces it (same id: updated).
	code, out, errOut = runCLI(t, map[string]string{}, "ingest", "--fetch", "--data", data, src)
	if code != 0 || !strings.Contains(out, "valley.rss: 1 articles: 0 added, 1 updated, 0 unchanged, 0 records skipped") {
		t.Fatalf("exit %d\n%s\n%s", code, out, errOut)
	}
	code, out, _ = runCLI(t, map[string]string{}, "ask", "--data", data, "--json", "Which river flooded the old mill district?")
	var ans bot.Answer
	if err := json.Unmarshal([]byte(out), &ans); code != 0 || err != nil || !ans.Found || ans.Quotes[0].Article.ID != "valley.rss#mill" ||
		ans.Quotes[0].Article.Source != "Valley Post" || ans.Quotes[0].Article.URL != page.URL+"/mill" {
		t.Fatalf("ask: %d %v %s", code, err, out)
	}
}

func TestFeedFollowerFetchesSummaryOnlyPagesOnce(t *testing.T) {
	ctx := context.Background()
	var mu sync.Mutex
	hits := map[string]int{}
	var items []string
	mux := http.NewServeMux()
	mux.HandleFunc("/rss", func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		defer mu.Unlock()
		io.WriteString(w, `<rss><channel><title>Valley Post</title>`+strings.Join(items, "")+`</channel></rss>`)
	})
	pages := map[string]string{
		"mill": "The river Ouse flooded the old mill district on Sunday night after three days of heavy rain across the valley.",
		"dam":  "Engineers found cracks in the spillway of the valley dam and lowered the reservoir by two metres this week.",
	}
	mux.HandleFunc("/page/", func(w http.ResponseWriter, r *http.Request) {
		name := strings.TrimPrefix(r.URL.Path, "/page/")
		mu.Lock()
		hits[name]++
		mu.Unlock()
		w.Header().Set("Content-Type", "text/html")
		fmt.Fprintf(w, `<html><head><title>%s</title></head><body><article><p>%s</p><p>%s</p><p>%s</p></article></body></html>`, name, pages[name], pages[name], pages[name])
	})
	srv := httptest.NewServer(mux)
	defer srv.Close()
	item := func(name string) string {
		return `<item><guid>` + name + `</guid><title>` + name + `</title><link>` + srv.URL + `/page/` + name + `</link><description>Short summary.</description></item>`
	}
	items = []string{item("mill")}
	dir := t.TempDir()
	e := openEngine(t, dir)
	var logs bytes.Buffer
	f := testFollower(t, dir, e, nil, &logs, srv.URL+"/rss")
	f.fetchPages = true
	if r := f.pollOnce(ctx); r != (feedRound{Polled: 1, Added: 1}) {
		t.Fatalf("round 1 %+v: %s", r, logs.String())
	}
	if !answers(t, e, "Which river flooded the old mill district?", "#mill") {
		t.Fatal("the fetched page's text is not answerable")
	}
	mu.Lock()
	items = append(items, item("dam"))
	mu.Unlock()
	if r := f.pollOnce(ctx); r != (feedRound{Polled: 1, Added: 1}) {
		t.Fatalf("round 2 %+v: %s", r, logs.String())
	}
	mu.Lock()
	defer mu.Unlock()
	if hits["mill"] != 1 || hits["dam"] != 1 {
		t.Errorf("page fetches %v: each page once", hits)
	}
	if st := f.state.Feeds[srv.URL+"/rss"]; len(st.Items) != 2 {
		t.Errorf("state items %v", st.Items)
	}
}

// A round whose items cannot be saved keeps the feed's old validators, so
// the next round fetches the items again and none is missed.
func TestFeedFollowerRetriesAfterAFailedSave(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	ff := newFakeFeed(t, "Harbour News", feedItem{"bridge", "Harbour bridge reopens", "The harbour bridge reopened to traffic on Monday after storm repairs."})
	e := openEngine(t, dir)
	var logs bytes.Buffer
	f := testFollower(t, dir, e, nil, &logs, ff.url())
	f.engine = func() (*engine.Engine, error) { return nil, fmt.Errorf("store not loaded") }
	if r := f.pollOnce(ctx); r != (feedRound{Polled: 1, Errors: 1}) {
		t.Fatalf("failing round %+v", r)
	}
	if fs := readState(t, dir).Feeds[ff.url()]; fs.ETag != "" || len(fs.Items) != 0 || !strings.HasPrefix(fs.LastError, "save: ") {
		t.Fatalf("state after a failed save %+v", fs)
	}
	f.engine = func() (*engine.Engine, error) { return e, nil }
	if r := f.pollOnce(ctx); r != (feedRound{Polled: 1, Added: 1}) {
		t.Fatalf("next round %+v", r)
	}
	if h := ff.lastRequest(); h.Get("If-None-Match") != "" {
		t.Errorf("the retry was conditional: %v", h)
	}
}
