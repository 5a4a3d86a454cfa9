package httpapi

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/briefbot/briefbot/bot"
	"github.com/briefbot/briefbot/internal/golden"
	"github.com/briefbot/briefbot/internal/syncbuf"
	"github.com/briefbot/briefbot/retrieval"
)

// fakeSearcher is a bot.Searcher answering one quote, failing with err, or
// panicking; it records the queries it was asked.
type fakeSearcher struct {
	mu      sync.Mutex
	queries []retrieval.Query
	err     error
	panic   bool
}

func (f *fakeSearcher) Search(_ context.Context, q retrieval.Query) (retrieval.Result, error) {
	f.mu.Lock()
	f.queries = append(f.queries, q)
	f.mu.Unlock()
	if f.panic {
		panic("index out of range [3] with length 3")
	}
	if f.err != nil {
		return retrieval.Result{}, f.err
	}
	art := retrieval.ArticleMeta{ID: "a1", Title: "Talks resume", Source: "Wire", Published: time.Date(2025, 3, 1, 0, 0, 0, 0, time.UTC)}
	return retrieval.Result{Found: true, Quotes: []retrieval.Quote{{Text: "The talks resumed on Monday.", Article: art}},
		Docs: []retrieval.RankedDoc{{ID: art.ID, Score: 1}}}, nil
}

func (f *fakeSearcher) Articles(context.Context) ([]retrieval.ArticleMeta, error) { return nil, nil }

func (f *fakeSearcher) Document(context.Context, string) (retrieval.Document, error) {
	return retrieval.Document{}, errors.New("no documents")
}

func (f *fakeSearcher) asked() []retrieval.Query {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]retrieval.Query(nil), f.queries...)
}

type fixture struct {
	search *fakeSearcher
	ready  atomic.Bool
	panics atomic.Int64
	health Health
	logs   *syncbuf.Buffer
	srv    *httptest.Server
}

func newFixture(t *testing.T) *fixture {
	f := &fixture{search: &fakeSearcher{}, logs: &syncbuf.Buffer{}}
	f.ready.Store(true)
	f.health = Health{Up: true, Fields: map[string]any{"articles": 1}}
	log := slog.New(slog.NewJSONHandler(f.logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	h := New(Config{
		Asker: bot.New(f.search, bot.Options{}),
		Ready: func() error {
			if !f.ready.Load() {
				return bot.ErrNotReady
			}
			return nil
		},
		Health:   func() Health { return f.health },
		Metrics:  http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { io.WriteString(w, "briefbot_up 1\n") }),
		Panicked: func() { f.panics.Add(1) },
		Logger:   log,
	})
	f.srv = httptest.NewServer(h)
	t.Cleanup(f.srv.Close)
	return f
}

// get returns the status and the decoded JSON body of GET path.
func (f *fixture) get(t *testing.T, path string) (int, map[string]any) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, f.srv.URL+path, nil)
	req.Header.Set("Authorization", "Bearer secret-token-123")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if ct := resp.Header.Get("Content-Type"); ct != "application/json; charset=utf-8" {
		t.Errorf("%s: Content-Type %q", path, ct)
	}
	var body map[string]any
	if err := json.NewDecoder(resp.Body).Decode(&body); err != nil {
		t.Fatalf("%s: body is not JSON: %v", path, err)
	}
	return resp.StatusCode, body
}

func TestAskAnswers(t *testing.T) {
	f := newFixture(t)
	code, body := f.get(t, "/api/ask?q=When+did+the+talks+resume%3F&as_of=2025-03-02")
	if code != http.StatusOK {
		t.Fatalf("status %d: %v", code, body)
	}
	if body["found"] != true || body["question"] != "When did the talks resume?" {
		t.Errorf("body %v", body)
	}
	quotes, _ := body["quotes"].([]any)
	if len(quotes) != 1 || !strings.Contains(mustJSON(t, quotes[0]), "The talks resumed on Monday.") {
		t.Errorf("quotes %v", body["quotes"])
	}
	asked := f.search.asked()
	if len(asked) != 1 || asked[0].AsOf.Format("2006-01-02") != "2025-03-02" {
		t.Errorf("searcher asked %+v, want one query as of 2025-03-02", asked)
	}
	// The access log has the path and status, never the question or the token.
	logs := f.logs.String()
	if !strings.Contains(logs, `"path":"/api/ask"`) || !strings.Contains(logs, `"status":200`) {
		t.Errorf("no access log line:\n%s", logs)
	}
	if strings.Contains(logs, "talks") || strings.Contains(logs, "secret-token") {
		t.Errorf("the log holds the question or the token:\n%s", logs)
	}
}

func TestAskRejectsBadRequests(t *testing.T) {
	f := newFixture(t)
	for _, c := range []struct{ path, want string }{
		{"/api/ask", "the question is empty: pass it as ?q=..."},
		{"/api/ask?q=+++", "the question is empty: pass it as ?q=..."},
		{"/api/ask?q=" + strings.Repeat("x", bot.MaxQuestionLen+1), "the question is longer than 500 characters"},
		{"/api/ask?q=ok&as_of=yesterday", "as_of is not a date (use YYYY-MM-DD)"},
		{"/api/ask?q=ok&as_of=2025-02-30", "as_of is not a date (use YYYY-MM-DD)"},
	} {
		code, body := f.get(t, c.path)
		if code != http.StatusBadRequest || body["error"] != c.want {
			t.Errorf("%.60s: %d %v, want 400 %q", c.path, code, body, c.want)
		}
	}
	if n := len(f.search.asked()); n != 0 {
		t.Errorf("bad requests reached the searcher %d times", n)
	}
	// Exactly 500 characters is accepted.
	if code, body := f.get(t, "/api/ask?q="+strings.Repeat("x", bot.MaxQuestionLen)); code != http.StatusOK {
		t.Errorf("a 500-character question: %d %v", code, body)
	}
}

func TestAskWhileLoadingIs503(t *testing.T) {
	f := newFixture(t)
	f.ready.Store(false)
	code, body := f.get(t, "/api/ask?q=anything")
	if code != http.StatusServiceUnavailable || body["error"] != "the store is still loading" {
		t.Errorf("%d %v, want 503 the store is still loading", code, body)
	}
	if n := len(f.search.asked()); n != 0 {
		t.Errorf("asked the searcher %d times while loading", n)
	}
	// A question is still checked first: a bad one is 400 while loading.
	if code, _ := f.get(t, "/api/ask"); code != http.StatusBadRequest {
		t.Errorf("an empty question while loading: %d, want 400", code)
	}
}

// TestAskNotReadyFromTheSearcher: a searcher that turns out not ready
// (the race between Ready and Search) is 503 too, not 500.
func TestAskNotReadyFromTheSearcher(t *testing.T) {
	f := newFixture(t)
	f.search.err = bot.ErrNotReady
	if code, body := f.get(t, "/api/ask?q=anything"); code != http.StatusServiceUnavailable || body["error"] != "the store is still loading" {
		t.Errorf("%d %v, want 503", code, body)
	}
}

func TestAskSearchFailureIs500WithoutInternals(t *testing.T) {
	f := newFixture(t)
	f.search.err = errors.New(`read /var/lib/briefbot/store.bin: input/output error`)
	code, body := f.get(t, "/api/ask?q=what+happened")
	if code != http.StatusInternalServerError || body["error"] != "the answer failed; see the server log" {
		t.Errorf("%d %v, want 500 the answer failed; see the server log", code, body)
	}
	logs := f.logs.String()
	if !strings.Contains(logs, "input/output error") {
		t.Errorf("the cause is not in the log:\n%s", logs)
	}
	if strings.Contains(logs, "what happened") {
		t.Errorf("the log holds the question:\n%s", logs)
	}
}

func TestPanicIs500AndCounted(t *testing.T) {
	f := newFixture(t)
	f.search.panic = true
	for i := range 2 {
		code, body := f.get(t, "/api/ask?q=boom")
		if code != http.StatusInternalServerError || body["error"] != "internal error; see the server log" {
			t.Errorf("panic %d: %d %v", i, code, body)
		}
	}
	if n := f.panics.Load(); n != 2 {
		t.Errorf("panics counted %d, want 2", n)
	}
	if logs := f.logs.String(); !strings.Contains(logs, "http handler panicked") || !strings.Contains(logs, "index out of range") {
		t.Errorf("the panic was not logged:\n%s", logs)
	}
	// The server goes on serving.
	f.search.panic = false
	if code, _ := f.get(t, "/healthz"); code != http.StatusOK {
		t.Errorf("healthz after panics: %d", code)
	}
}

// TestWrapKeepsWhatWasWritten: a panic after the handler wrote keeps its
// status (no second WriteHeader), and an abort still cuts the connection.
func TestWrapKeepsWhatWasWritten(t *testing.T) {
	var panics int
	h := New(Config{Panicked: func() { panics++ }})
	h.Mux().HandleFunc("GET /half", func(w http.ResponseWriter, _ *http.Request) {
		w.WriteHeader(http.StatusAccepted)
		panic("late")
	})
	h.Mux().HandleFunc("GET /abort", func(http.ResponseWriter, *http.Request) { panic(http.ErrAbortHandler) })
	h.Mux().HandleFunc("GET /flush", func(w http.ResponseWriter, _ *http.Request) {
		if _, ok := w.(http.Flusher); !ok {
			t.Error("the access log hides http.Flusher from handlers")
		}
		if err := http.NewResponseController(w).SetWriteDeadline(time.Now().Add(time.Minute)); err != nil {
			t.Errorf("ResponseController cannot reach the connection: %v", err)
		}
	})
	srv := httptest.NewServer(h)
	defer srv.Close()
	resp, err := http.Get(srv.URL + "/half")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusAccepted || panics != 1 {
		t.Errorf("status %d panics %d, want 202 and 1", resp.StatusCode, panics)
	}
	if resp, err := http.Get(srv.URL + "/abort"); err == nil {
		resp.Body.Close()
		t.Errorf("ErrAbortHandler answered %d instead of cutting the connection", resp.StatusCode)
	}
	if panics != 1 {
		t.Errorf("an abort was counted as a panic")
	}
	resp, err = http.Get(srv.URL + "/flush")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
}

func TestHealth(t *testing.T) {
	f := newFixture(t)
	f.health = Health{Up: false, Fields: map[string]any{"index_version": nil}}
	code, body := f.get(t, "/healthz")
	if code != http.StatusServiceUnavailable || body["status"] != "loading" {
		t.Errorf("loading: %d %v", code, body)
	}
	if v, ok := body["index_version"]; !ok || v != nil {
		t.Errorf("index_version: %v (present %v), want null", v, ok)
	}
	f.health = Health{Up: false, Fields: map[string]any{"status": "database unreachable", "database": "unreachable"}}
	if code, body = f.get(t, "/healthz"); code != http.StatusServiceUnavailable || body["status"] != "database unreachable" || body["database"] != "unreachable" {
		t.Errorf("database down: %d %v", code, body)
	}
	f.health = Health{Up: true, Fields: map[string]any{"articles": 3, "database": "ok", "replica": "r1", "leader": true,
		"index_version": 7, "index_lag_versions": 0, "index_lag_seconds": 0.0}}
	code, body = f.get(t, "/healthz")
	if code != http.StatusOK || body["status"] != "ok" || body["replica"] != "r1" || body["leader"] != true ||
		body["index_version"] != 7.0 || body["articles"] != 3.0 {
		t.Errorf("up: %d %v", code, body)
	}
}

func TestMetricsMounted(t *testing.T) {
	f := newFixture(t)
	resp, err := http.Get(f.srv.URL + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || string(b) != "briefbot_up 1\n" {
		t.Errorf("%d %q", resp.StatusCode, b)
	}
	// Routes take GET only.
	resp, err = http.Post(f.srv.URL+"/api/ask?q=x", "text/plain", nil)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusMethodNotAllowed {
		t.Errorf("POST /api/ask: %d", resp.StatusCode)
	}
}

// TestServeDrainsThenCuts: at shutdown a request in flight finishes within
// the grace; one that outlives it is cut, logged, and Serve still returns.
func TestServeDrainsThenCuts(t *testing.T) {
	for _, c := range []struct {
		name    string
		release bool // let the handler finish after shutdown began
	}{{"drains", true}, {"cuts", false}} {
		t.Run(c.name, func(t *testing.T) {
			ln, err := net.Listen("tcp", "127.0.0.1:0")
			if err != nil {
				t.Fatal(err)
			}
			entered, release := make(chan struct{}), make(chan struct{})
			h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				close(entered)
				select {
				case <-release:
					io.WriteString(w, "done")
				case <-r.Context().Done():
				}
			})
			logs := &syncbuf.Buffer{}
			ctx, cancel := context.WithCancel(context.Background())
			served := make(chan error, 1)
			grace := time.Minute
			if !c.release {
				grace = 50 * time.Millisecond
			}
			go func() { served <- Serve(ctx, ln, h, grace, slog.New(slog.NewJSONHandler(logs, nil))) }()
			got := make(chan string, 1)
			go func() {
				resp, err := http.Get("http://" + ln.Addr().String() + "/")
				if err != nil {
					got <- "error"
					return
				}
				b, _ := io.ReadAll(resp.Body)
				resp.Body.Close()
				got <- string(b)
			}()
			<-entered
			cancel()
			if c.release {
				close(release)
				if body := <-got; body != "done" {
					t.Errorf("the request in flight got %q, want done", body)
				}
			}
			select {
			case err := <-served:
				if err != nil {
					t.Errorf("Serve: %v", err)
				}
			case <-time.After(10 * time.Second):
				t.Fatal("Serve did not return after shutdown")
			}
			if !c.release {
				<-got
				if !strings.Contains(logs.String(), "were cut") {
					t.Errorf("cutting requests was not logged:\n%s", logs.String())
				}
			}
		})
	}
}

func mustJSON(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// webhookAdapter is an adapter with routes; plainAdapter has none.
type webhookAdapter struct{}

func (webhookAdapter) Routes(mux *http.ServeMux) {
	mux.HandleFunc("POST /hook", func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(http.StatusAccepted) })
}

type plainAdapter struct{}

// TestMountProbesForRoutes: Mount mounts the routes of the adapters that
// have some (Mounter) next to the API's, and skips the others.
func TestMountProbesForRoutes(t *testing.T) {
	h := New(Config{Asker: bot.New(&fakeSearcher{}, bot.Options{}), Ready: func() error { return nil }, Health: func() Health { return Health{Up: true} }})
	h.Mount(plainAdapter{}, webhookAdapter{})
	srv := httptest.NewServer(h)
	defer srv.Close()
	resp, err := http.Post(srv.URL+"/hook", "text/plain", nil)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusAccepted {
		t.Fatalf("POST /hook: %d", resp.StatusCode)
	}
	if resp, err := http.Get(srv.URL + "/healthz"); err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("GET /healthz: %v %v", resp, err)
	} else {
		resp.Body.Close()
	}
}

// TestAskBodyGolden pins the bytes of a /api/ask answer (the Answer
// contract as the API writes it: HTML characters unescaped).
func TestAskBodyGolden(t *testing.T) {
	f := newFixture(t)
	req, _ := http.NewRequest(http.MethodGet, f.srv.URL+"/api/ask?q="+url.QueryEscape("When did the talks & <ceasefire> resume?"), nil)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("status %d, %v: %s", resp.StatusCode, err, body)
	}
	golden.Text(t, "ask_body", body)
}
