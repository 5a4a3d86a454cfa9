package slack

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"github.com/briefbot/briefbot/bot"
	"github.com/briefbot/briefbot/internal/syncbuf"
	"github.com/briefbot/briefbot/retrieval"
)

// Identities the fake workspace uses.
const (
	botToken   = "xoxb-test-token-0123456789"
	appToken   = "xapp-test-token-0123456789"
	secret     = "8f742231b10e8888abcd99yyyzzz85a5"
	botUserID  = "UBOT"
	botBotID   = "BBOT"
	waitLimit  = 10 * time.Second
	dronesText = "Russia launched 653 drones and 51 missiles overnight into Saturday, Ukraine's air force said."
)

// posted is one message the fake Web API (or a response_url) received.
type posted struct {
	Method   string
	Channel  string
	ThreadTS string
	User     string
	Text     string
	Blocks   string // raw JSON
	Response string // response_type, for response_url posts
}

// fakeSlack plays Slack's Web API, response_url and Socket Mode endpoints
// on 127.0.0.1 and records what the adapter sends.
type fakeSlack struct {
	t   *testing.T
	srv *httptest.Server

	mu          sync.Mutex
	cond        *sync.Cond
	calls       map[string]int
	posts       []posted        // chat.postMessage, chat.postEphemeral, response_url
	rateLimit   int             // chat.postMessage answers 429 Retry-After: 1 this many times
	serverError int             // chat.postMessage answers 500 this many times
	reactError  string          // reactions.* answer {"ok":false,"error":reactError} when set
	notMember   map[string]bool // conversations.info: channels the bot is not in
	tokens      []string        // tokens seen, to check which one each call uses

	conns chan *websocket.Conn // Socket Mode connections, after hello
}

func newFakeSlack(t *testing.T) *fakeSlack {
	t.Helper()
	f := &fakeSlack{t: t, calls: map[string]int{}, conns: make(chan *websocket.Conn, 4)}
	f.cond = sync.NewCond(&f.mu)
	mux := http.NewServeMux()
	mux.HandleFunc("POST /api/{method}", f.api)
	mux.HandleFunc("POST /hooks/{id}", f.hook)
	mux.HandleFunc("GET /ws", f.socket)
	f.srv = httptest.NewServer(mux)
	t.Cleanup(f.srv.Close)
	return f
}

// APIURL is the Web API base URL for Options.APIURL.
func (f *fakeSlack) APIURL() string { return f.srv.URL + "/api/" }

// HookURL is a response_url.
func (f *fakeSlack) HookURL(id string) string { return f.srv.URL + "/hooks/" + id }

func (f *fakeSlack) record(method string, p posted) {
	f.mu.Lock()
	defer f.mu.Unlock()
	p.Method = method
	f.posts = append(f.posts, p)
	f.cond.Broadcast()
}

func (f *fakeSlack) count(method string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls[method]++
	f.cond.Broadcast()
}

func (f *fakeSlack) Calls(method string) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.calls[method]
}

// Posts returns what was posted with method ("" for all).
func (f *fakeSlack) Posts(method string) []posted {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []posted
	for _, p := range f.posts {
		if method == "" || p.Method == method {
			out = append(out, p)
		}
	}
	return out
}

// WaitPosts waits until n messages were posted with method.
func (f *fakeSlack) WaitPosts(method string, n int) []posted {
	f.t.Helper()
	deadline := time.AfterFunc(waitLimit, func() {
		f.mu.Lock()
		defer f.mu.Unlock()
		f.cond.Broadcast()
	})
	defer deadline.Stop()
	start := time.Now()
	f.mu.Lock()
	for {
		var got []posted
		for _, p := range f.posts {
			if p.Method == method {
				got = append(got, p)
			}
		}
		if len(got) >= n {
			f.mu.Unlock()
			return got
		}
		if time.Since(start) >= waitLimit {
			f.mu.Unlock()
			f.t.Fatalf("waited %v for %d %s posts, got %d", waitLimit, n, method, len(got))
		}
		f.cond.Wait()
	}
}

func (f *fakeSlack) api(w http.ResponseWriter, r *http.Request) {
	method := r.PathValue("method")
	if err := r.ParseForm(); err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	tok := strings.TrimPrefix(r.Header.Get("Authorization"), "Bearer ")
	if form := r.PostForm.Get("token"); form != "" && form != tok {
		http.Error(w, "the form token and the Authorization header differ", http.StatusBadRequest)
		return
	}
	f.mu.Lock()
	f.tokens = append(f.tokens, method+"="+tok)
	f.mu.Unlock()
	f.count(method)
	switch method {
	case "auth.test":
		if tok != botToken {
			writeJSON(w, map[string]any{"ok": false, "error": "invalid_auth"})
			return
		}
		writeJSON(w, map[string]any{"ok": true, "user_id": botUserID, "bot_id": botBotID, "team_id": "T1", "user": "briefbot"})
	case "apps.connections.open":
		if tok != appToken {
			writeJSON(w, map[string]any{"ok": false, "error": "invalid_auth"})
			return
		}
		writeJSON(w, map[string]any{"ok": true, "url": "ws" + strings.TrimPrefix(f.srv.URL, "http") + "/ws"})
	case "chat.postMessage":
		f.mu.Lock()
		limited, failing := f.rateLimit > 0, f.serverError > 0
		if limited {
			f.rateLimit--
		} else if failing {
			f.serverError--
		}
		f.mu.Unlock()
		switch {
		case limited:
			w.Header().Set("Retry-After", "1")
			http.Error(w, `{"ok":false,"error":"ratelimited"}`, http.StatusTooManyRequests)
			return
		case failing:
			http.Error(w, "upstream trouble", http.StatusInternalServerError)
			return
		}
		f.record(method, posted{Channel: r.PostForm.Get("channel"), ThreadTS: r.PostForm.Get("thread_ts"),
			Text: r.PostForm.Get("text"), Blocks: r.PostForm.Get("blocks")})
		writeJSON(w, map[string]any{"ok": true, "channel": r.PostForm.Get("channel"), "ts": fmt.Sprintf("1765000000.%06d", f.Calls(method))})
	case "users.info":
		u := r.PostForm.Get("user")
		writeJSON(w, map[string]any{"ok": true, "user": map[string]any{"id": u, "is_admin": u == "UADMIN"}})
	case "conversations.info":
		ch := r.PostForm.Get("channel")
		f.mu.Lock()
		out := f.notMember[ch]
		f.mu.Unlock()
		if strings.HasPrefix(ch, "G") && out {
			writeJSON(w, map[string]any{"ok": false, "error": "channel_not_found"})
			return
		}
		writeJSON(w, map[string]any{"ok": true, "channel": map[string]any{"id": ch, "is_channel": true, "is_member": !out}})
	case "reactions.add", "reactions.remove":
		f.mu.Lock()
		reactErr := f.reactError
		f.mu.Unlock()
		if reactErr != "" {
			writeJSON(w, map[string]any{"ok": false, "error": reactErr})
			return
		}
		f.record(method, posted{Channel: r.PostForm.Get("channel"), ThreadTS: r.PostForm.Get("timestamp"), Text: r.PostForm.Get("name")})
		writeJSON(w, map[string]any{"ok": true})
	case "chat.postEphemeral":
		f.record(method, posted{Channel: r.PostForm.Get("channel"), ThreadTS: r.PostForm.Get("thread_ts"),
			User: r.PostForm.Get("user"), Text: r.PostForm.Get("text"), Blocks: r.PostForm.Get("blocks")})
		writeJSON(w, map[string]any{"ok": true, "message_ts": "1765000001.000001"})
	default:
		writeJSON(w, map[string]any{"ok": false, "error": "unknown_method"})
	}
}

func (f *fakeSlack) hook(w http.ResponseWriter, r *http.Request) {
	var m struct {
		Text         string          `json:"text"`
		ResponseType string          `json:"response_type"`
		Blocks       json.RawMessage `json:"blocks"`
	}
	if err := json.NewDecoder(r.Body).Decode(&m); err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	f.record("response_url", posted{Text: m.Text, Blocks: string(m.Blocks), Response: m.ResponseType, Channel: r.PathValue("id")})
	_, _ = io.WriteString(w, "ok")
}

// socket accepts a Socket Mode connection, says hello and hands the
// connection to the test.
func (f *fakeSlack) socket(w http.ResponseWriter, r *http.Request) {
	// Slack-go sends Origin: https://api.slack.com, as to the real Slack.
	up := websocket.Upgrader{CheckOrigin: func(*http.Request) bool { return true }}
	conn, err := up.Upgrade(w, r, nil)
	if err != nil {
		return
	}
	hello := map[string]any{"type": "hello", "num_connections": 1,
		"connection_info": map[string]any{"app_id": "A1"}, "debug_info": map[string]any{"host": "fake"}}
	if err := conn.WriteJSON(hello); err != nil {
		conn.Close()
		return
	}
	f.count("ws.connect")
	f.conns <- conn
}

// fakeSearcher answers questions about drones with one quote and everything
// else with "not found". Block, when set, holds every search until closed.
type fakeSearcher struct {
	block chan struct{}
}

var (
	dronesArticle = retrieval.ArticleMeta{ID: "002_8c35132417f41974", Title: "Zelensky says talks with Witkoff were very productive",
		Source: "Kyiv Post", Published: time.Date(2025, 12, 6, 0, 0, 0, 0, time.UTC), Chunks: 3}
	otherArticle = retrieval.ArticleMeta{ID: "004_77a3aa7004129db4", Title: "Ukraine and US to meet in Miami",
		Published: time.Date(2025, 12, 5, 0, 0, 0, 0, time.UTC), Chunks: 2}
)

func (s fakeSearcher) Search(ctx context.Context, q retrieval.Query) (retrieval.Result, error) {
	if s.block != nil {
		select {
		case <-s.block:
		case <-ctx.Done():
			return retrieval.Result{}, ctx.Err()
		}
	}
	cov := retrieval.Coverage{Articles: 2, From: otherArticle.Published, To: dronesArticle.Published}
	if !strings.Contains(strings.ToLower(q.Text), "drones") {
		return retrieval.Result{Searched: cov}, nil
	}
	return retrieval.Result{Found: true, Searched: cov, Quotes: []retrieval.Quote{{
		Text: dronesText, Article: dronesArticle, AlsoIn: []retrieval.ArticleMeta{otherArticle},
	}}}, nil
}

func (fakeSearcher) Articles(context.Context) ([]retrieval.ArticleMeta, error) {
	return []retrieval.ArticleMeta{dronesArticle, otherArticle}, nil
}

func (fakeSearcher) Document(context.Context, string) (retrieval.Document, error) {
	return retrieval.Document{}, errors.New("fake: no documents")
}

// fakeObserver counts what the adapter reports.
type fakeObserver struct {
	mu                             sync.Mutex
	dedup, rateLimited, failed, qs int
	dropped                        int
	errors                         int           // questions whose search failed (outcome error)
	failedCh                       chan struct{} // when set, signalled on each DeliveryFailed
}

func (o *fakeObserver) AnswerDropped(string) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.dropped++
}

func (o *fakeObserver) droppedCount() int {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.dropped
}

func (o *fakeObserver) Question(_, outcome string, _ time.Duration) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.qs++
	if outcome == bot.OutcomeError {
		o.errors++
	}
}

func (o *fakeObserver) Deduplicated(string) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.dedup++
}

func (o *fakeObserver) RateLimited(string, time.Duration) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.rateLimited++
}

func (o *fakeObserver) DeliveryFailed(string) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.failed++
	if o.failedCh != nil {
		select {
		case o.failedCh <- struct{}{}:
		default:
		}
	}
}

func (o *fakeObserver) counts() (dedup, rateLimited, failed int) {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.dedup, o.rateLimited, o.failed
}

// harness runs an Adapter against a fakeSlack, with its HTTP routes on a
// test server and Run in the background.
type harness struct {
	t     *testing.T
	slack *fakeSlack
	a     *Adapter
	srv   *httptest.Server
	obs   *fakeObserver
	votes *bot.VoteLog
	logs  *syncbuf.Buffer
	now   time.Time
	stop  func() error
	done  chan error // Run's result
}

type harnessOptions struct {
	socket   bool
	searcher bot.Searcher
	dataDir  string
	tweak    func(*Options)
}

var testNow = time.Date(2025, 12, 6, 9, 0, 0, 0, time.UTC)

func newHarness(t *testing.T, ho harnessOptions) *harness {
	t.Helper()
	h := &harness{t: t, slack: newFakeSlack(t), obs: &fakeObserver{}, logs: &syncbuf.Buffer{}, now: testNow}
	if ho.searcher == nil {
		ho.searcher = fakeSearcher{}
	}
	if ho.dataDir == "" {
		ho.dataDir = t.TempDir()
	}
	dd, err := bot.OpenDeduper(ho.dataDir, DefaultDedupeTTL, func() time.Time { return h.now })
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { dd.Close() })
	if os.Getenv("SLACK_TEST_LOGS") != "" {
		t.Cleanup(func() { t.Log(h.logs.String()) })
	}
	h.votes, err = bot.OpenVoteLog(ho.dataDir)
	if err != nil {
		t.Fatal(err)
	}
	logger := slog.New(slog.NewTextHandler(h.logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	opts := Options{
		BotToken: botToken, SigningSecret: secret, APIURL: h.slack.APIURL(),
		Bot: bot.New(ho.searcher, bot.Options{Observer: h.obs}), Dedupe: dd, Votes: h.votes,
		Observer: h.obs, Logger: logger, Now: func() time.Time { return h.now },
	}
	if ho.socket {
		opts.AppToken = appToken
	}
	if ho.tweak != nil {
		ho.tweak(&opts)
	}
	h.a, err = New(opts)
	if err != nil {
		t.Fatal(err)
	}
	h.a.retry.Backoff = time.Millisecond // keep 5xx retries quick in tests
	mux := http.NewServeMux()
	h.a.Routes(mux)
	h.srv = httptest.NewServer(mux)
	t.Cleanup(h.srv.Close)

	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	h.done = done
	go func() { done <- h.a.Run(ctx) }()
	var once sync.Once
	var runErr error
	h.stop = func() error {
		once.Do(func() {
			cancel()
			select {
			case runErr = <-done:
			case <-time.After(waitLimit):
				runErr = errors.New("Run did not return after its context ended")
			}
		})
		return runErr
	}
	t.Cleanup(func() {
		if err := h.stop(); err != nil {
			t.Errorf("Run: %v", err)
		}
		for _, leaked := range []string{botToken, appToken, secret} {
			if strings.Contains(h.logs.String(), leaked) {
				t.Errorf("a token or secret was logged:\n%s", h.logs.String())
			}
		}
	})
	return h
}

// signed sends body to path as Slack would, signed at ts.
func (h *harness) signed(path, contentType string, body []byte, ts time.Time, header http.Header) *http.Response {
	h.t.Helper()
	req, err := http.NewRequest(http.MethodPost, h.srv.URL+path, bytes.NewReader(body))
	if err != nil {
		h.t.Fatal(err)
	}
	stamp := fmt.Sprint(ts.Unix())
	req.Header.Set("Content-Type", contentType)
	req.Header.Set("X-Slack-Request-Timestamp", stamp)
	req.Header.Set("X-Slack-Signature", Sign(secret, stamp, body))
	for k, v := range header {
		req.Header[k] = v
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		h.t.Fatal(err)
	}
	h.t.Cleanup(func() { resp.Body.Close() })
	return resp
}

// event sends a signed event_callback and expects 200.
func (h *harness) event(eventID string, ev map[string]any, header http.Header) {
	h.t.Helper()
	body := mustJSON(h.t, map[string]any{"type": "event_callback", "team_id": "T1", "api_app_id": "A1",
		"event_id": eventID, "event_time": testNow.Unix(), "event": ev})
	resp := h.signed(EventsPath, "application/json", body, h.now, header)
	if resp.StatusCode != http.StatusOK {
		h.t.Fatalf("event %s: status %d, want 200", eventID, resp.StatusCode)
	}
}

func (h *harness) form(path string, form url.Values) *http.Response {
	h.t.Helper()
	return h.signed(path, "application/x-www-form-urlencoded", []byte(form.Encode()), h.now, nil)
}

func mustJSON(t *testing.T, v any) []byte {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func mention(text, channel, ts, threadTS string) map[string]any {
	ev := map[string]any{"type": "app_mention", "user": "U1", "text": text, "ts": ts, "channel": channel, "event_ts": ts}
	if threadTS != "" {
		ev["thread_ts"] = threadTS
	}
	return ev
}

func message(text, channel, channelType, ts string) map[string]any {
	return map[string]any{"type": "message", "user": "U1", "text": text, "ts": ts, "channel": channel,
		"channel_type": channelType, "event_ts": ts}
}

func newServer(t *testing.T, h http.Handler) *httptest.Server {
	t.Helper()
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	return srv
}
