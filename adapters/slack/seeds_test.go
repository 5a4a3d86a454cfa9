package slack

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/briefbot/briefbot/retrieval/engine"
)

// TestSeedsEndToEnd answers from the embedded seed briefings through the
// real engine, over signed HTTP events and a slash command, as the
// acceptance harness drives `briefbot serve`.
func TestSeedsEndToEnd(t *testing.T) {
	if testing.Short() {
		t.Skip("indexes the seeds")
	}
	eng, err := engine.OpenSeeds(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	h := newHarness(t, harnessOptions{searcher: eng})

	start := time.Now()
	h.event("EvSeeds1", mention(dronesQuestion, "C1", "1765000000.000100", ""), nil)
	if d := time.Since(start); d > 2500*time.Millisecond {
		t.Errorf("acknowledged after %v, want well under 3 s", d)
	}
	p := h.slack.WaitPosts("chat.postMessage", 1)[0]
	if p.ThreadTS != "1765000000.000100" || !strings.Contains(p.Text, "653 drones and 51 missiles") || !strings.Contains(p.Blocks, "653 drones and 51 missiles") {
		t.Fatalf("post in thread %q:\n%s\n%s", p.ThreadTS, p.Text, p.Blocks)
	}
	if !strings.Contains(p.Blocks, `"type":"context"`) || !strings.Contains(p.Text, "— ") {
		t.Errorf("the answer carries no citation:\n%s", p.Blocks)
	}

	// The retry and the message twin are not answered again.
	h.event("EvSeeds1", mention(dronesQuestion, "C1", "1765000000.000100", ""), http.Header{"X-Slack-Retry-Num": {"1"}})
	h.event("EvSeeds2", message(dronesQuestion, "C1", "channel", "1765000000.000100"), nil)

	start = time.Now()
	resp := h.form(CommandsPath, url.Values{"command": {"/brief"}, "text": {"How many drones and missiles did Russia fire on Friday night?"},
		"channel_id": {"C1"}, "user_id": {"U1"}, "response_url": {h.slack.HookURL("seeds")}})
	var r struct {
		Text string `json:"text"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&r); err != nil {
		t.Fatal(err)
	}
	if d := time.Since(start); d > 3*time.Second || !strings.Contains(r.Text, "653 drones and 51 missiles") {
		t.Errorf("/brief answered after %v with %q", d, r.Text)
	}

	if err := h.stop(); err != nil {
		t.Fatal(err)
	}
	if n := len(h.slack.Posts("chat.postMessage")); n != 1 {
		t.Errorf("%d posts, want 1", n)
	}
}
