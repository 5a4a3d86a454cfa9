package feed_test

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jonboulle/clockwork"

	"github.com/briefbot/briefbot/retrieval/ingest/feed"
)

func TestClientPolitenessPerHost(t *testing.T) {
	var mu sync.Mutex
	var hits []string
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		hits = append(hits, r.Host+r.URL.Path)
		mu.Unlock()
		io.WriteString(w, "ok")
	})
	a, b := httptest.NewServer(h), httptest.NewServer(h)
	defer a.Close()
	defer b.Close()
	clock := clockwork.NewFakeClock()
	c := feed.NewClient(feed.ClientOptions{Clock: clock, HostDelay: 5 * time.Second})
	ctx := context.Background()
	count := func() int { mu.Lock(); defer mu.Unlock(); return len(hits) }
	if _, err := c.Get(ctx, feed.Request{URL: a.URL + "/1"}); err != nil {
		t.Fatal(err)
	}
	// Another host is not held up by the first.
	if _, err := c.Get(ctx, feed.Request{URL: b.URL + "/1"}); err != nil {
		t.Fatal(err)
	}
	// The same host again waits out the delay on the clock.
	done := make(chan error, 1)
	go func() { _, err := c.Get(ctx, feed.Request{URL: a.URL + "/2"}); done <- err }()
	wctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	if err := clock.BlockUntilContext(wctx, 1); err != nil {
		t.Fatal("second request to the host did not wait")
	}
	if n := count(); n != 2 {
		t.Fatalf("%d requests before the delay passed", n)
	}
	clock.Advance(5 * time.Second)
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if n := count(); n != 3 {
		t.Fatalf("%d requests", n)
	}
	// A cancelled wait returns the context's error.
	cctx, ccancel := context.WithCancel(ctx)
	go func() { clock.BlockUntilContext(wctx, 1); ccancel() }()
	if _, err := c.Get(cctx, feed.Request{URL: a.URL + "/3"}); !errors.Is(err, context.Canceled) {
		t.Fatalf("cancelled wait: %v", err)
	}
}

func TestClientConditionalGETAndLimits(t *testing.T) {
	mux := http.NewServeMux()
	mux.HandleFunc("/feed", func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("If-None-Match") == `"abc"` && r.Header.Get("If-Modified-Since") == "Sat, 06 Dec 2025 09:00:00 GMT" {
			w.WriteHeader(http.StatusNotModified)
			return
		}
		w.Header().Set("ETag", `"abc"`)
		w.Header().Set("Last-Modified", "Sat, 06 Dec 2025 09:00:00 GMT")
		io.WriteString(w, "<rss/>")
	})
	mux.HandleFunc("/big", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Length", "2000")
		w.Write(make([]byte, 2000))
	})
	mux.HandleFunc("/stream", func(w http.ResponseWriter, r *http.Request) {
		for range 100 {
			w.Write(make([]byte, 100))
			w.(http.Flusher).Flush()
		}
	})
	mux.HandleFunc("/elsewhere", func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, "ftp://example.com/feed", http.StatusFound)
	})
	srv := httptest.NewServer(mux)
	defer srv.Close()
	c := feed.NewClient(feed.ClientOptions{NoHostDelay: true, MaxBytes: 1000})
	ctx := context.Background()
	r, err := c.Get(ctx, feed.Request{URL: srv.URL + "/feed"})
	if err != nil || string(r.Body) != "<rss/>" || r.ETag != `"abc"` || r.NotModified {
		t.Fatalf("%v %+v", err, r)
	}
	r, err = c.Get(ctx, feed.Request{URL: srv.URL + "/feed", ETag: r.ETag, LastModified: r.LastModified})
	if err != nil || !r.NotModified || len(r.Body) != 0 || r.ETag != `"abc"` {
		t.Fatalf("conditional: %v %+v", err, r)
	}
	for _, p := range []string{"/big", "/stream"} {
		if _, err := c.Get(ctx, feed.Request{URL: srv.URL + p}); !errors.Is(err, feed.ErrTooLarge) {
			t.Errorf("%s: %v", p, err)
		}
	}
	if _, err := c.Get(ctx, feed.Request{URL: srv.URL + "/missing?token=s3cret"}); !errors.Is(err, feed.ErrHTTPStatus) || strings.Contains(err.Error(), "s3cret") {
		t.Errorf("404: %v", err)
	}
	for _, u := range []string{"file:///etc/passwd", "ftp://example.com/x", srv.URL + "/elsewhere"} {
		if _, err := c.Get(ctx, feed.Request{URL: u}); !errors.Is(err, feed.ErrScheme) {
			t.Errorf("%s: %v", u, err)
		}
	}
	// A server that never answers is cut at the timeout.
	stall := make(chan struct{})
	slow := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { <-stall }))
	defer slow.Close()
	defer close(stall)
	c = feed.NewClient(feed.ClientOptions{NoHostDelay: true, Timeout: 100 * time.Millisecond})
	if _, err := c.Get(ctx, feed.Request{URL: slow.URL}); err == nil || !strings.Contains(err.Error(), "Timeout") {
		t.Errorf("timeout: %v", err)
	}
}

func TestRedact(t *testing.T) {
	for in, want := range map[string]string{
		"https://user:pw@example.com/feed.xml?token=x#frag": "https://example.com/feed.xml?…",
		"http://example.com/a":                              "http://example.com/a",
		"::":                                                "(unparsable URL)",
	} {
		if got := feed.Redact(in); got != want {
			t.Errorf("Redact(%q) = %q, want %q", in, got, want)
		}
	}
}
