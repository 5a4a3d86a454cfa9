package discord

import (
	"context"
	"crypto/ed25519"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"github.com/briefbot/briefbot/bot"
	"github.com/briefbot/briefbot/retrieval"
)

// waitFor bounds every wait on an event from a fake; it is a failure
// deadline, not a way of synchronising.
const waitFor = 10 * time.Second

// recorded is one request the REST fake received.
type recorded struct {
	Method string
	Path   string
	Body   []byte
	Auth   string
}

// JSON decodes the body into a generic map.
func (r recorded) JSON(t *testing.T) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(r.Body, &m); err != nil {
		t.Fatalf("%s %s body is not a JSON object: %v: %s", r.Method, r.Path, err, r.Body)
	}
	return m
}

// restFake stands in for Discord's REST API on 127.0.0.1.
type restFake struct {
	t   *testing.T
	srv *httptest.Server
	ch  chan recorded

	mu         sync.Mutex
	all        []recorded
	gatewayURL string  // "" answers 404 to the gateway lookups
	editStatus []int   // scripted statuses for PATCH, consumed in order; then 200
	retryAfter float64 // seconds, in 429 bodies
}

func newRESTFake(t *testing.T) *restFake {
	t.Helper()
	f := &restFake{t: t, ch: make(chan recorded, 256)}
	f.srv = httptest.NewServer(http.HandlerFunc(f.serve))
	t.Cleanup(f.srv.Close)
	return f
}

// APIURL is the base URL the adapter is configured with.
func (f *restFake) APIURL() string { return f.srv.URL + "/api/v9" }

func (f *restFake) setGateway(u string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.gatewayURL = u
}

func (f *restFake) scriptEdits(retryAfter float64, statuses ...int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.editStatus, f.retryAfter = statuses, retryAfter
}

func (f *restFake) serve(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	rec := recorded{Method: r.Method, Path: r.URL.Path, Body: body, Auth: r.Header.Get("Authorization")}
	f.mu.Lock()
	f.all = append(f.all, rec)
	gw := f.gatewayURL
	status := http.StatusOK
	if r.Method == http.MethodPatch && len(f.editStatus) > 0 {
		status, f.editStatus = f.editStatus[0], f.editStatus[1:]
	}
	retryAfter := f.retryAfter
	f.mu.Unlock()
	f.ch <- rec

	path, ok := strings.CutPrefix(r.URL.Path, "/api/v9")
	w.Header().Set("Content-Type", "application/json")
	switch {
	case !ok:
		http.NotFound(w, r)
	case r.Method == http.MethodGet && (path == "/gateway" || path == "/gateway/bot"):
		if gw == "" {
			w.WriteHeader(http.StatusNotFound)
			fmt.Fprint(w, `{"message": "404: Not Found", "code": 0}`)
			return
		}
		fmt.Fprintf(w, `{"url": %q, "shards": 1}`, gw)
	case r.Method == http.MethodPut && strings.HasSuffix(path, "/commands"):
		w.Write(body)
	case r.Method == http.MethodPost && strings.HasSuffix(path, "/callback"):
		w.WriteHeader(http.StatusNoContent)
	case r.Method == http.MethodPatch && strings.HasPrefix(path, "/webhooks/"):
		if status == http.StatusTooManyRequests {
			w.Header().Set("Retry-After", fmt.Sprint(int(retryAfter+1)))
			w.Header().Set("X-RateLimit-Remaining", "0")
			w.Header().Set("X-RateLimit-Reset-After", fmt.Sprint(retryAfter))
			w.WriteHeader(status)
			fmt.Fprintf(w, `{"message": "You are being rate limited.", "retry_after": %g, "global": false}`, retryAfter)
			return
		}
		w.WriteHeader(status)
		fmt.Fprint(w, `{"id": "900", "channel_id": "c1"}`)
	case r.Method == http.MethodPost && strings.HasPrefix(path, "/channels/"):
		fmt.Fprint(w, `{"id": "901", "channel_id": "c1"}`)
	default:
		http.NotFound(w, r)
	}
}

// next returns the next request matching method and path prefix, failing
// the test after waitFor.
func (f *restFake) next(method, pathPrefix string) recorded {
	f.t.Helper()
	deadline := time.NewTimer(waitFor)
	defer deadline.Stop()
	for {
		select {
		case r := <-f.ch:
			if r.Method == method && strings.HasPrefix(r.Path, "/api/v9"+pathPrefix) {
				return r
			}
		case <-deadline.C:
			f.t.Fatalf("no %s %s request within %s", method, pathPrefix, waitFor)
			return recorded{}
		}
	}
}

// count returns how many requests matched method and path prefix so far.
func (f *restFake) count(method, pathPrefix string) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	n := 0
	for _, r := range f.all {
		if r.Method == method && strings.HasPrefix(r.Path, "/api/v9"+pathPrefix) {
			n++
		}
	}
	return n
}

// gatewayFake speaks enough of the Discord gateway for one bot: HELLO,
// IDENTIFY, READY (or an op 7 RECONNECT instead, on the connections listed
// in op7On), heartbeat ACKs and dispatches pushed by the test.
type gatewayFake struct {
	t          *testing.T
	srv        *httptest.Server
	op7On      map[int]bool
	conns      atomic.Int32
	identifies chan map[string]any
	heartbeats chan struct{}
	ready      chan *gwConn
	closed     chan int
}

type gwConn struct {
	n   int
	mu  sync.Mutex
	ws  *websocket.Conn
	seq int
}

func (c *gwConn) write(v any) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.ws.WriteJSON(v)
}

// dispatch sends an op 0 event.
func (c *gwConn) dispatch(typ string, data any) error {
	c.mu.Lock()
	c.seq++
	seq := c.seq
	c.mu.Unlock()
	return c.write(map[string]any{"op": 0, "t": typ, "s": seq, "d": data})
}

func newGatewayFake(t *testing.T, op7On ...int) *gatewayFake {
	t.Helper()
	g := &gatewayFake{
		t:          t,
		op7On:      map[int]bool{},
		identifies: make(chan map[string]any, 16),
		heartbeats: make(chan struct{}, 256),
		ready:      make(chan *gwConn, 16),
		closed:     make(chan int, 16),
	}
	for _, n := range op7On {
		g.op7On[n] = true
	}
	g.srv = httptest.NewServer(http.HandlerFunc(g.serve))
	t.Cleanup(g.srv.Close)
	return g
}

// URL is what GET /gateway returns.
func (g *gatewayFake) URL() string { return "ws" + strings.TrimPrefix(g.srv.URL, "http") }

func (g *gatewayFake) serve(w http.ResponseWriter, r *http.Request) {
	up := websocket.Upgrader{}
	ws, err := up.Upgrade(w, r, nil)
	if err != nil {
		return
	}
	defer ws.Close()
	c := &gwConn{n: int(g.conns.Add(1)), ws: ws}
	defer func() { g.closed <- c.n }()
	if c.write(map[string]any{"op": 10, "d": map[string]any{"heartbeat_interval": 45000}}) != nil {
		return
	}
	for {
		var msg struct {
			Op int             `json:"op"`
			D  json.RawMessage `json:"d"`
		}
		if err := ws.ReadJSON(&msg); err != nil {
			return
		}
		switch msg.Op {
		case 1:
			g.heartbeats <- struct{}{}
			if c.write(map[string]any{"op": 11}) != nil {
				return
			}
		case 2:
			var id map[string]any
			json.Unmarshal(msg.D, &id)
			g.identifies <- id
			if g.op7On[c.n] {
				// Ask for a reconnect in the middle of identify; discordgo's
				// Open then deadlocks on its own lock.
				if c.write(map[string]any{"op": 7, "d": nil}) != nil {
					return
				}
				continue
			}
			err := c.dispatch("READY", map[string]any{
				"v": 9, "session_id": fmt.Sprintf("session-%d", c.n),
				"user":        map[string]any{"id": "bot1", "username": "briefbot", "bot": true},
				"guilds":      []any{},
				"application": map[string]any{"id": "app1", "flags": 0},
			})
			if err != nil {
				return
			}
			g.ready <- c
		}
	}
}

// nextReady returns the next connection that got READY.
func (g *gatewayFake) nextReady() *gwConn {
	g.t.Helper()
	select {
	case c := <-g.ready:
		return c
	case <-time.After(waitFor):
		g.t.Fatalf("no gateway connection became ready within %s", waitFor)
		return nil
	}
}

// fakeSearcher answers every question with one scripted result. When gate
// is set, Search waits for it (or ctx) first, so tests control "slow".
type fakeSearcher struct {
	result   retrieval.Result
	err      error
	gate     chan struct{}
	articles []retrieval.ArticleMeta
	calls    atomic.Int32
}

func (s *fakeSearcher) Search(ctx context.Context, _ retrieval.Query) (retrieval.Result, error) {
	s.calls.Add(1)
	if s.gate != nil {
		select {
		case <-s.gate:
		case <-ctx.Done():
			return retrieval.Result{}, ctx.Err()
		}
	}
	return s.result, s.err
}

func (s *fakeSearcher) Articles(context.Context) ([]retrieval.ArticleMeta, error) {
	return s.articles, nil
}

func (s *fakeSearcher) Document(_ context.Context, id string) (retrieval.Document, error) {
	return retrieval.Document{}, fmt.Errorf("no document %s", id)
}

var _ bot.Searcher = (*fakeSearcher)(nil)

func day(s string) time.Time {
	t, err := time.Parse(retrieval.DateLayout, s)
	if err != nil {
		panic(err)
	}
	return t
}

var droneMeta = retrieval.ArticleMeta{
	ID: "002_8c35132417f41974", Title: "Zelensky reports productive call with Witkoff",
	Source: "Example Wire", URL: "https://example.com/news/zelensky-call", Published: day("2025-12-06"),
}

// droneResult is the scripted answer to the drones question.
var droneResult = retrieval.Result{
	Found: true,
	Quotes: []retrieval.Quote{{
		Text:    "Overnight, Russia fired 653 drones and 51 missiles at Ukraine, <@&1234> @everyone.",
		Article: droneMeta,
		AlsoIn:  []retrieval.ArticleMeta{{ID: "004_77a3aa7004129db4", Title: "Ukraine and US to hold fresh talks"}},
	}},
	Searched: retrieval.Coverage{Articles: 5, From: day("2025-12-04"), To: day("2025-12-06")},
}

// observer counts what the adapter reports.
type observer struct {
	bot.NopObserver
	rateLimited    atomic.Int32
	deliveryFailed atomic.Int32
	dropped        atomic.Int32
}

func (o *observer) AnswerDropped(string) { o.dropped.Add(1) }

func (o *observer) RateLimited(string, time.Duration) { o.rateLimited.Add(1) }
func (o *observer) DeliveryFailed(string)             { o.deliveryFailed.Add(1) }

// testKey is a fixed Ed25519 key pair, so failures reproduce.
var testKey = ed25519.NewKeyFromSeed([]byte("briefbot-discord-test-key-seed!!"))

// fixedNow is the clock of every test adapter.
var fixedNow = time.Date(2025, 12, 7, 12, 0, 0, 0, time.UTC)
