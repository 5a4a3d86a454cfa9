package slack

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/briefbot/briefbot/adapters/internal/httpx/httpxtest"
	"github.com/briefbot/briefbot/adapters/internal/work"
	"github.com/briefbot/briefbot/bot"
	"github.com/briefbot/briefbot/retrieval"
)

// TestHTTPRetryAfterFailedPostIsAnswered is the crash of issue 10: the
// event is acknowledged, the post fails (Slack unreachable), the process
// goes away. Its claim is left in the dedupe log without a done: the next
// process answers it once — at start — and drops Slack's retries of it.
func TestHTTPRetryAfterFailedPostIsAnswered(t *testing.T) {
	dir := t.TempDir()
	h := newHarness(t, harnessOptions{dataDir: dir})
	h.slack.mu.Lock()
	h.slack.serverError = 1000 // Slack unreachable for this process
	h.slack.mu.Unlock()
	h.event("Ev1", mention(dronesQuestion, "C1", "1765000000.000100", ""), nil)
	if err := h.stop(); err != nil {
		t.Fatal(err)
	}
	if n := len(h.slack.Posts("chat.postMessage")); n != 0 {
		t.Fatalf("%d posts while Slack was failing", n)
	}
	h.a.dedupe.(*bot.Deduper).Close()

	h2 := newHarness(t, harnessOptions{dataDir: dir})
	posts := h2.slack.WaitPosts("chat.postMessage", 1) // answered at start
	for _, n := range []string{"1", "2"} {
		h2.event("Ev1", mention(dronesQuestion, "C1", "1765000000.000100", ""), http.Header{"X-Slack-Retry-Num": {n}})
	}
	if err := h2.stop(); err != nil {
		t.Fatal(err)
	}
	if got := h2.slack.Posts("chat.postMessage"); len(got) != 1 {
		t.Fatalf("%d posts after the restart, want exactly 1", len(got))
	}
	if p := posts[0]; p.Channel != "C1" || p.ThreadTS != "1765000000.000100" || !strings.Contains(p.Text, "653 drones") {
		t.Errorf("the redelivered answer %+v", p)
	}
	h2.a.dedupe.(*bot.Deduper).Close()

	// A third process: the question is done, its retry is dropped.
	h3 := newHarness(t, harnessOptions{dataDir: dir})
	h3.event("Ev1", mention(dronesQuestion, "C1", "1765000000.000100", ""), http.Header{"X-Slack-Retry-Num": {"2"}})
	if err := h3.stop(); err != nil {
		t.Fatal(err)
	}
	if n := len(h3.slack.Posts("chat.postMessage")); n != 0 {
		t.Fatalf("a done question was answered again (%d posts)", n)
	}
}

// TestHTTPRetryInSameProcessAfterFailedPost: a failed post releases the
// claim, so Slack's retry to the same process is answered.
func TestHTTPRetryInSameProcessAfterFailedPost(t *testing.T) {
	h := newHarness(t, harnessOptions{})
	failed := make(chan struct{}, 1)
	h.obs.mu.Lock()
	h.obs.failedCh = failed
	h.obs.mu.Unlock()
	h.slack.mu.Lock()
	h.slack.serverError = DefaultMaxAttempts // exactly one answer's attempts fail
	h.slack.mu.Unlock()
	h.event("Ev1", mention(dronesQuestion, "C1", "1765000000.000100", ""), nil)
	select {
	case <-failed:
	case <-time.After(waitLimit):
		t.Fatal("the failed post was never reported")
	}
	h.event("Ev1", mention(dronesQuestion, "C1", "1765000000.000100", ""), http.Header{"X-Slack-Retry-Num": {"1"}})
	h.slack.WaitPosts("chat.postMessage", 1)
	if err := h.stop(); err != nil {
		t.Fatal(err)
	}
	if n := len(h.slack.Posts("chat.postMessage")); n != 1 {
		t.Fatalf("%d posts, want 1", n)
	}
}

// TestShutdownBacklog queues more answers than can finish within the
// drain budget: Run returns within the budget, every unfinished answer is
// logged (with its event id, without its text) and counted, and the next
// start answers each of them exactly once.
func TestShutdownBacklog(t *testing.T) {
	const n = 20
	const drain = 300 * time.Millisecond
	dir := t.TempDir()
	block := make(chan struct{}) // never closed: every search hangs until cancelled
	h := newHarness(t, harnessOptions{dataDir: dir, searcher: fakeSearcher{block: block},
		tweak: func(o *Options) { o.DrainTimeout = drain }})
	for i := range n {
		h.event(fmt.Sprintf("Ev%d", i), message(fmt.Sprintf("drones %d?", i), "D1", "im", fmt.Sprintf("1765000000.%06d", i)), nil)
	}
	start := time.Now()
	if err := h.stop(); err != nil {
		t.Fatal(err)
	}
	if d := time.Since(start); d > drain+work.DefaultCancelWait {
		t.Errorf("shutdown took %v, want at most the drain budget %v plus %v", d, drain, work.DefaultCancelWait)
	}
	logs := h.logs.String()
	if got := strings.Count(logs, "slack answer dropped at shutdown"); got != n {
		t.Errorf("%d dropped answers logged, want %d:\n%s", got, n, logs)
	}
	for i := range n {
		if !strings.Contains(logs, fmt.Sprintf("event_id=Ev%d ", i)) {
			t.Errorf("no log line names Ev%d", i)
		}
	}
	if strings.Contains(logs, "drones 1") {
		t.Errorf("a question's text was logged:\n%s", logs)
	}
	if got := h.obs.droppedCount(); got != n {
		t.Errorf("AnswerDropped counted %d, want %d", got, n)
	}
	if got := len(h.slack.Posts("chat.postMessage")); got != 0 {
		t.Errorf("%d posts, want none", got)
	}
	h.a.dedupe.(*bot.Deduper).Close()

	// The next start answers all of them, once, and Slack's retries change nothing.
	h2 := newHarness(t, harnessOptions{dataDir: dir})
	h2.slack.WaitPosts("chat.postMessage", n)
	for i := range n {
		h2.event(fmt.Sprintf("Ev%d", i), message(fmt.Sprintf("drones %d?", i), "D1", "im", fmt.Sprintf("1765000000.%06d", i)),
			http.Header{"X-Slack-Retry-Num": {"1"}})
	}
	if err := h2.stop(); err != nil {
		t.Fatal(err)
	}
	posts := h2.slack.Posts("chat.postMessage")
	if len(posts) != n {
		t.Fatalf("%d posts after the restart, want %d", len(posts), n)
	}
	for _, p := range posts {
		if p.Channel != "D1" || !strings.Contains(p.Text, "653 drones") {
			t.Errorf("redelivered answer %+v", p)
		}
	}
}

// TestHTTPBodyLimits: a body over the limit gets 413, a body that stalls
// gets 408, on every route.
func TestHTTPBodyLimits(t *testing.T) {
	h := newHarness(t, harnessOptions{})
	h.a.bodyTimeout = 300 * time.Millisecond
	for _, path := range []string{EventsPath, CommandsPath, InteractionsPath} {
		t.Run(path+" 10 MB", func(t *testing.T) {
			resp := h.signed(path, "application/json", bytes.Repeat([]byte("x"), 10<<20), h.now, nil)
			if resp.StatusCode != http.StatusRequestEntityTooLarge {
				t.Fatalf("status %d, want 413", resp.StatusCode)
			}
		})
		t.Run(path+" stalled", func(t *testing.T) {
			if status := httpxtest.StalledBodyStatus(t, h.srv.URL, path, waitLimit); status != http.StatusRequestTimeout {
				t.Fatalf("status %d, want 408", status)
			}
		})
	}
}

// TestAnswerPanicIsRecovered: a panic while answering is logged and the
// adapter goes on answering.
func TestAnswerPanicIsRecovered(t *testing.T) {
	h := newHarness(t, harnessOptions{searcher: panickySearcher{}})
	h.event("Ev1", message("panic please", "D1", "im", "1765000000.000100"), nil)
	h.event("Ev2", message("drones?", "D1", "im", "1765000000.000200"), nil)
	h.slack.WaitPosts("chat.postMessage", 1)
	if err := h.stop(); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(h.logs.String(), "slack answer panicked") {
		t.Errorf("the panic was not logged:\n%s", h.logs.String())
	}
}

// panickySearcher panics on questions that ask it to.
type panickySearcher struct{ fakeSearcher }

func (s panickySearcher) Search(ctx context.Context, q retrieval.Query) (retrieval.Result, error) {
	if strings.Contains(q.Text, "panic") {
		panic("index out of range")
	}
	return s.fakeSearcher.Search(ctx, q)
}
