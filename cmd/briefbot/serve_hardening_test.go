package main

import (
	"context"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/briefbot/briefbot/internal/syncbuf"
)

// TestServeRecoversPanics: a panic in a handler is a 500 and an error log,
// and the server goes on serving.
func TestServeRecoversPanics(t *testing.T) {
	a := &app{stdout: io.Discard, stderr: io.Discard, getenv: func(string) string { return "" }}
	logs := &syncbuf.Buffer{}
	s := newMain(Config{HTTPAddr: "127.0.0.1:0", Data: t.TempDir()}, a.getenv, newLogger(Config{LogFormat: "json"}, logs))
	s.mux.HandleFunc("GET /boom", func(http.ResponseWriter, *http.Request) { panic("slice bounds out of range") })
	s.mux.HandleFunc("GET /flush", func(w http.ResponseWriter, _ *http.Request) {
		if _, ok := w.(http.Flusher); !ok {
			t.Error("the access log hides http.Flusher from handlers")
		}
	})
	srv := httptest.NewServer(s.api)
	defer srv.Close()
	for range 2 {
		resp, err := http.Get(srv.URL + "/boom")
		if err != nil {
			t.Fatalf("the connection was dropped: %v", err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusInternalServerError {
			t.Fatalf("status %d, want 500", resp.StatusCode)
		}
	}
	if !strings.Contains(logs.String(), "http handler panicked") || !strings.Contains(logs.String(), "slice bounds") {
		t.Errorf("the panic was not logged:\n%s", logs.String())
	}
	resp, err := http.Get(srv.URL + "/healthz")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusServiceUnavailable { // still loading: nothing ran Run
		t.Errorf("healthz after a panic: %d", resp.StatusCode)
	}
	if resp, err := http.Get(srv.URL + "/flush"); err == nil {
		resp.Body.Close()
	}
	// Both panics are counted on /metrics.
	resp, err = http.Get(srv.URL + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if !strings.Contains(string(b), "\nbriefbot_handler_panics_total 2\n") {
		t.Errorf("the panics were not counted on /metrics:\n%s", b)
	}
	// Asked before the store loaded: 503 with the sentence of bot.ErrNotReady.
	resp, err = http.Get(srv.URL + "/api/ask?q=who")
	if err != nil {
		t.Fatal(err)
	}
	b, _ = io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusServiceUnavailable || string(b) != `{"error":"the store is still loading"}`+"\n" {
		t.Errorf("ask while loading: %d %s", resp.StatusCode, b)
	}
}

// TestWaitWithinKeepsTheBudget: work that ignores shutdown is abandoned
// (and logged) once the budget has passed.
func TestWaitWithinKeepsTheBudget(t *testing.T) {
	logs := &syncbuf.Buffer{}
	log := newLogger(Config{LogFormat: "json"}, logs)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	stuck := make(chan struct{})
	defer close(stuck)
	start := time.Now()
	if err := waitWithin(ctx, func() error { <-stuck; return nil }, 50*time.Millisecond, log); err != nil {
		t.Fatal(err)
	}
	if d := time.Since(start); d > 2*time.Second {
		t.Errorf("waited %v past a 50ms budget", d)
	}
	if !strings.Contains(logs.String(), "shutdown budget ran out") {
		t.Errorf("abandoning work was not logged:\n%s", logs.String())
	}
	// Work that finishes in time returns its result.
	if err := waitWithin(ctx, func() error { return io.EOF }, time.Minute, log); err != io.EOF {
		t.Errorf("err = %v, want the work's", err)
	}
}

// TestCloseKeepsTheBudget: a closer that hangs (a digest post that never
// returns, a pool that cannot close) is abandoned and logged at the end of
// the budget; the closers before it ran.
func TestCloseKeepsTheBudget(t *testing.T) {
	logs := &syncbuf.Buffer{}
	s := &Main{log: newLogger(Config{LogFormat: "json"}, logs)}
	stuck := make(chan struct{})
	defer close(stuck)
	var closed atomic.Bool
	s.closers = []func() error{
		func() error { closed.Store(true); return io.ErrUnexpectedEOF },
		func() error { <-stuck; return nil },
	}
	start := time.Now()
	s.close(50 * time.Millisecond)
	if d := time.Since(start); d > 2*time.Second {
		t.Errorf("close took %v past a 50ms budget", d)
	}
	if !closed.Load() {
		t.Error("the first closer did not run")
	}
	out := logs.String()
	if !strings.Contains(out, "shutdown budget ran out") || !strings.Contains(out, "unexpected EOF") {
		t.Errorf("the failed and the abandoned closers were not logged:\n%s", out)
	}
}

// TestMainRunThenClose drives the runtime as serve does, without a signal:
// Run returns once it listens, the work goes on until Close, and Close
// returns within its context's deadline having run the closers; a listen
// failure is Run's error and leaves nothing running.
func TestMainRunThenClose(t *testing.T) {
	logs := &syncbuf.Buffer{}
	m := newMain(Config{HTTPAddr: "127.0.0.1:0", Data: t.TempDir()}, func(string) string { return "" }, newLogger(Config{LogFormat: "json"}, logs))
	if err := m.Run(context.Background()); err != nil {
		t.Fatal(err)
	}
	var closed atomic.Bool
	m.closers = append(m.closers, func() error { closed.Store(true); return nil })
	resp, err := http.Get("http://" + m.Addr().String() + "/healthz")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	select {
	case <-m.Done():
		t.Fatal("Done before Close")
	default:
	}
	ctx, cancel := context.WithTimeout(context.Background(), ShutdownBudget)
	defer cancel()
	start := time.Now()
	if err := m.Close(ctx); err != nil {
		t.Fatalf("Close: %v", err)
	}
	if d := time.Since(start); d > ShutdownBudget {
		t.Errorf("Close took %v", d)
	}
	if !closed.Load() || !strings.Contains(logs.String(), `"msg":"stopped"`) {
		t.Errorf("closers run %v; logs:\n%s", closed.Load(), logs.String())
	}
	if _, err := http.Get("http://" + m.Addr().String() + "/healthz"); err == nil {
		t.Error("still serving after Close")
	}

	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	busy := newMain(Config{HTTPAddr: ln.Addr().String(), Data: t.TempDir()}, func(string) string { return "" }, newLogger(Config{LogFormat: "json"}, io.Discard))
	if err := busy.Run(context.Background()); err == nil || !strings.Contains(err.Error(), "listen on") {
		t.Errorf("Run on a busy port: %v", err)
	}
}
