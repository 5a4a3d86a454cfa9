package discord

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/bwmarrin/discordgo"

	"github.com/briefbot/briefbot/retrieval/engine"
)

// TestSeedsEndToEnd answers from the embedded seed briefings through the
// real engine, over signed HTTP interactions, as the acceptance harness does.
func TestSeedsEndToEnd(t *testing.T) {
	if testing.Short() {
		t.Skip("indexes the seeds")
	}
	eng, err := engine.OpenSeeds(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	h := newHarness(t, eng, nil)

	// message returns the delivered message: the direct reply, or the edit
	// of a deferred one.
	message := func(id, question string) map[string]any {
		t.Helper()
		start := time.Now()
		resp := h.interact(askInteraction(id, question))
		if d := time.Since(start); d > 2500*time.Millisecond {
			t.Fatalf("first response after %s; Discord allows 3 s", d)
		}
		switch resp["type"] {
		case float64(discordgo.InteractionResponseChannelMessageWithSource):
			return resp["data"].(map[string]any)
		case float64(discordgo.InteractionResponseDeferredChannelMessageWithSource):
			return h.rest.next(http.MethodPatch, "/webhooks/app1/tok-"+id+"/messages/@original").JSON(t)
		}
		t.Fatalf("response type %v", resp["type"])
		return nil
	}

	t.Run("found", func(t *testing.T) {
		m := message("2000", "How many drones and missiles did Russia fire on Friday night?")
		assertNoPings(t, m)
		embeds, _ := m["embeds"].([]any)
		found := false
		for i := range embeds {
			d, _ := at(t, m, "embeds", i, "description").(string)
			f, _ := at(t, m, "embeds", i, "footer", "text").(string)
			if strings.Contains(d, "653 drones and 51 missiles") && strings.Contains(f, "002_8c35132417f41974") {
				found = true
			}
		}
		if !found {
			t.Fatalf("no embed quotes \"653 drones and 51 missiles\" with its citation: %s", mustJSON(m))
		}
	})
	t.Run("not found", func(t *testing.T) {
		m := message("2001", "Who won the 1998 FIFA World Cup final in Paris?")
		assertNoPings(t, m)
		if c, _ := m["content"].(string); !strings.HasPrefix(c, "I couldn't find that in the briefings. The briefings never mention FIFA, Paris. I searched 5 articles") {
			t.Fatalf("content = %q, want the not-found answer with its reason", c)
		}
		if e, _ := m["embeds"].([]any); len(e) != 0 {
			t.Fatalf("not-found answer has embeds: %s", mustJSON(m))
		}
	})
}
