package discord

import (
	"bytes"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/bwmarrin/discordgo"

	"github.com/briefbot/briefbot/adapters/internal/httpx/httpxtest"
	"github.com/briefbot/briefbot/internal/syncbuf"
)

// TestHTTPOptionOfWrongType: an option whose value is not of the declared
// type gets a clear ephemeral error, never a panic or a search.
func TestHTTPOptionOfWrongType(t *testing.T) {
	search := &fakeSearcher{result: droneResult}
	h := newHarness(t, search, nil)
	cases := map[string]map[string]any{
		"number":        {"name": "question", "type": 3, "value": 42},
		"bool":          {"name": "question", "type": 3, "value": true},
		"object":        {"name": "question", "type": 3, "value": map[string]any{"a": 1}},
		"array":         {"name": "question", "type": 3, "value": []any{1, "x"}},
		"null":          {"name": "question", "type": 3, "value": nil},
		"declared type": {"name": "question", "type": 4, "value": 7},
	}
	n := 900
	for name, opt := range cases {
		n++
		t.Run(name, func(t *testing.T) {
			resp := h.interact(commandInteraction(fmt.Sprint(n), CommandAsk, opt))
			if typ := at(t, resp, "type"); typ != float64(discordgo.InteractionResponseChannelMessageWithSource) {
				t.Fatalf("response type %v, want 4", typ)
			}
			if f := at(t, resp, "data", "flags"); f != float64(discordgo.MessageFlagsEphemeral) {
				t.Fatalf("flags %v, want ephemeral", f)
			}
			if c, _ := at(t, resp, "data", "content").(string); !strings.Contains(c, "`question` must be text") {
				t.Fatalf("content %q, want a clear error", c)
			}
		})
	}
	if n := search.calls.Load(); n != 0 {
		t.Fatalf("bad options reached the searcher %d times", n)
	}
}

// TestHTTPBodyLimits: a body over the limit gets 413, a body that stalls
// gets 408.
func TestHTTPBodyLimits(t *testing.T) {
	h := newHarness(t, &fakeSearcher{result: droneResult}, nil)
	h.a.bodyTimeout = 300 * time.Millisecond
	t.Run("10 MB", func(t *testing.T) {
		big := append([]byte(`{"type":1,"pad":"`), bytes.Repeat([]byte("x"), 10<<20)...)
		big = append(big, `"}`...)
		status, _ := h.post(big, testKey, fixedNow)
		if status != http.StatusRequestEntityTooLarge {
			t.Fatalf("status %d, want 413", status)
		}
	})
	t.Run("stalled body", func(t *testing.T) {
		if status := httpxtest.StalledBodyStatus(t, h.srv.URL, InteractionsPath, waitFor); status != http.StatusRequestTimeout {
			t.Fatalf("status %d, want 408", status)
		}
	})
}

// TestHTTPVoteReplayCountsOnce: a signed vote replayed twice is recorded
// once (a replay is told it was handled), and so is the same user's second
// click on the same button (a new interaction).
func TestHTTPVoteReplayCountsOnce(t *testing.T) {
	h := newHarness(t, &fakeSearcher{result: droneResult}, nil)
	data := at(t, h.interact(askInteraction("610", "How many drones?")), "data")
	up := at(t, data, "components", 0, "components", 0, "custom_id").(string)
	click := func(id string) []byte {
		return mustJSON(map[string]any{
			"id": id, "application_id": "app1", "type": 3, "token": "tok-" + id, "version": 1,
			"channel_id": "c1", "guild_id": "g1",
			"member":  map[string]any{"user": map[string]any{"id": "u2", "username": "bea"}},
			"message": map[string]any{"id": "m9", "channel_id": "c1", "content": data.(map[string]any)["content"]},
			"data":    map[string]any{"custom_id": up, "component_type": 2},
		})
	}
	if c, _ := at(t, h.interact(click("611")), "data", "content").(string); !strings.Contains(c, "Thanks") {
		t.Fatalf("vote ack %q", c)
	}
	for range 2 {
		if c, _ := at(t, h.interact(click("611")), "data", "content").(string); !strings.Contains(c, "already handled") {
			t.Fatalf("a replayed vote was answered %q", c)
		}
	}
	if c, _ := at(t, h.interact(click("612")), "data", "content").(string); !strings.Contains(c, "Thanks") {
		t.Fatalf("second click ack %q", c)
	}
	votes, err := h.votes.Votes()
	if err != nil {
		t.Fatal(err)
	}
	if len(votes) != 1 {
		t.Fatalf("%d votes recorded for one vote replayed and clicked again, want 1", len(votes))
	}
}

// TestHTTPReplayedAskHandledOnce: a replayed /ask (same signed request)
// is not answered again.
func TestHTTPReplayedAskHandledOnce(t *testing.T) {
	search := &fakeSearcher{result: droneResult}
	h := newHarness(t, search, nil)
	ask := askInteraction("620", "How many drones?")
	assertDroneAnswer(t, at(t, h.interact(ask), "data"))
	resp := h.interact(ask)
	if c, _ := at(t, resp, "data", "content").(string); !strings.Contains(c, "already handled") {
		t.Fatalf("the replay was answered %v", resp)
	}
	if f := at(t, resp, "data", "flags"); f != float64(discordgo.MessageFlagsEphemeral) {
		t.Fatalf("flags %v, want ephemeral", f)
	}
	if n := search.calls.Load(); n != 1 {
		t.Fatalf("searched %d times, want 1", n)
	}
}

// TestShutdownDropsAreLogged: answers that cannot finish within the
// shutdown budget are each logged with their interaction id and counted,
// and Run returns within the budget.
func TestShutdownDropsAreLogged(t *testing.T) {
	const budget = 300 * time.Millisecond
	logs := &syncbuf.Buffer{}
	search := &fakeSearcher{result: droneResult, gate: make(chan struct{})} // never opened
	h := newHarness(t, search, func(o *Options) {
		o.DeferAfter = 10 * time.Millisecond
		o.ShutdownTimeout = budget
		o.Logger = slog.New(slog.NewTextHandler(logs, nil))
	})
	for i := range 3 {
		resp := h.interact(askInteraction(fmt.Sprint(950+i), "How many drones?"))
		if typ := at(t, resp, "type"); typ != float64(discordgo.InteractionResponseDeferredChannelMessageWithSource) {
			t.Fatalf("response type %v, want 5", typ)
		}
	}
	start := time.Now()
	h.stop()
	if d := time.Since(start); d > budget+time.Second {
		t.Errorf("shutdown took %v with a budget of %v", d, budget)
	}
	out := logs.String()
	for i := range 3 {
		if !strings.Contains(out, fmt.Sprintf("interaction_id=%d", 950+i)) || !strings.Contains(out, "answer dropped at shutdown") {
			t.Errorf("the dropped answer %d was not logged:\n%s", 950+i, out)
		}
	}
	if n := h.obs.dropped.Load(); n != 3 {
		t.Errorf("AnswerDropped counted %d, want 3", n)
	}
	if n := h.obs.deliveryFailed.Load(); n != 0 {
		t.Errorf("DeliveryFailed counted %d, want 0 (they are drops, counted once)", n)
	}
	if strings.Contains(out, "How many drones") {
		t.Errorf("a question reached the log:\n%s", out)
	}
}
