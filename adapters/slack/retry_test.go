package slack

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/briefbot/briefbot/adapters/internal/httpx"
	"github.com/briefbot/briefbot/adapters/internal/work"
	"github.com/briefbot/briefbot/bot"
)

func status(code int, header http.Header) *http.Response {
	if header == nil {
		header = http.Header{}
	}
	return &http.Response{StatusCode: code, Header: header, Body: io.NopCloser(strings.NewReader("{}"))}
}

func newTestRetry(base http.RoundTripper, obs bot.Observer) *httpx.Retry {
	rt := newRetry(base, DefaultMaxRateWait, obs, slog.New(slog.DiscardHandler))
	rt.Backoff = time.Millisecond
	return rt
}

func post(t *testing.T, rt http.RoundTripper, ctx context.Context) (*http.Response, error) {
	t.Helper()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, "http://127.0.0.1:1/api/chat.postMessage", strings.NewReader("channel=C1&text=hi"))
	if err != nil {
		t.Fatal(err)
	}
	return rt.RoundTrip(req)
}

func TestRetryTransport(t *testing.T) {
	t.Run("connection errors then success, body replayed", func(t *testing.T) {
		var calls atomic.Int32
		rt := newTestRetry(httpx.RoundTripFunc(func(r *http.Request) (*http.Response, error) {
			body, _ := io.ReadAll(r.Body)
			if string(body) != "channel=C1&text=hi" {
				t.Errorf("attempt %d sent body %q", calls.Load()+1, body)
			}
			if calls.Add(1) < 3 {
				return nil, errors.New("read tcp: connection reset by peer")
			}
			return status(http.StatusOK, nil), nil
		}), bot.NopObserver{})
		resp, err := post(t, rt, context.Background())
		if err != nil || resp.StatusCode != http.StatusOK || calls.Load() != 3 {
			t.Fatalf("resp %v, err %v after %d calls; want 200 after 3", resp, err, calls.Load())
		}
	})
	t.Run("bounded", func(t *testing.T) {
		var calls atomic.Int32
		rt := newTestRetry(httpx.RoundTripFunc(func(*http.Request) (*http.Response, error) {
			calls.Add(1)
			return status(http.StatusBadGateway, nil), nil
		}), bot.NopObserver{})
		resp, err := post(t, rt, context.Background())
		if err != nil || resp.StatusCode != http.StatusBadGateway || int(calls.Load()) != DefaultMaxAttempts {
			t.Fatalf("resp %v, err %v after %d calls; want the 502 after %d", resp, err, calls.Load(), DefaultMaxAttempts)
		}
	})
	t.Run("too long a Retry-After is not waited", func(t *testing.T) {
		obs := &fakeObserver{}
		rt := newTestRetry(httpx.RoundTripFunc(func(*http.Request) (*http.Response, error) {
			return status(http.StatusTooManyRequests, http.Header{"Retry-After": {"3600"}}), nil
		}), obs)
		resp, err := post(t, rt, context.Background())
		if err != nil || resp.StatusCode != http.StatusTooManyRequests {
			t.Fatalf("resp %v, err %v; want the 429 at once", resp, err)
		}
		if _, limited, _ := obs.counts(); limited != 0 {
			t.Errorf("RateLimited counted %d, want 0", limited)
		}
	})
	t.Run("a wait ends with the context", func(t *testing.T) {
		ctx, cancel := context.WithCancel(context.Background())
		rt := newTestRetry(httpx.RoundTripFunc(func(*http.Request) (*http.Response, error) {
			cancel() // the caller gives up while the transport waits out Retry-After
			return status(http.StatusTooManyRequests, http.Header{"Retry-After": {"20"}}), nil
		}), bot.NopObserver{})
		start := time.Now()
		if _, err := post(t, rt, ctx); !errors.Is(err, context.Canceled) {
			t.Fatalf("err %v, want context.Canceled", err)
		}
		if d := time.Since(start); d > 5*time.Second {
			t.Errorf("returned after %v", d)
		}
	})
}

func TestRetryAfter(t *testing.T) {
	cases := map[string]time.Duration{"": time.Second, "1": time.Second, "30": 30 * time.Second, "junk": time.Second, "-4": 0}
	for in, want := range cases {
		if got := httpx.RetryAfterHeader(in, time.Second); got != want {
			t.Errorf("retryAfter(%q) = %v, want %v", in, got, want)
		}
	}
}

// TestHTTPBeforeRun serves events on an adapter whose Run has not started:
// auth.test is called when first needed, and the bot's own message (with
// no bot_id) is still recognised.
func TestHTTPBeforeRun(t *testing.T) {
	f := newFakeSlack(t)
	a, err := New(Options{BotToken: botToken, SigningSecret: secret, APIURL: f.APIURL(),
		Bot: bot.New(fakeSearcher{}, bot.Options{}), Now: func() time.Time { return testNow }})
	if err != nil {
		t.Fatal(err)
	}
	h := &harness{t: t, slack: f, a: a, now: testNow}
	mux := http.NewServeMux()
	a.Routes(mux)
	h.srv = newServer(t, mux)
	own := message("drones?", "D1", "im", "1765000000.000100")
	own["user"] = botUserID
	h.event("Ev1", own, nil)
	h.event("Ev2", mention(dronesQuestion, "C1", "1765000000.000200", ""), nil)
	f.WaitPosts("chat.postMessage", 1)
	a.pool.Drain(time.Second, work.DefaultCancelWait)
	if posts := f.Posts("chat.postMessage"); len(posts) != 1 || posts[0].Channel != "C1" {
		t.Fatalf("posts %+v, want only the mention answered", posts)
	}
	if n := f.Calls("auth.test"); n != 1 {
		t.Errorf("auth.test called %d times, want 1", n)
	}
}
