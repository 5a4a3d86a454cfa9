package discord

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/briefbot/briefbot/bot"
	"github.com/briefbot/briefbot/retrieval"
)

// topicSearcher answers only questions about drones: a follow-up ("And
// missiles?") finds the answer only when read with its conversation.
type topicSearcher struct{ fakeSearcher }

func (*topicSearcher) Search(_ context.Context, q retrieval.Query) (retrieval.Result, error) {
	if strings.Contains(strings.ToLower(q.Text), "drones") {
		return droneResult, nil
	}
	return retrieval.Result{Searched: droneResult.Searched}, nil
}

// componentInteraction is a click on the button customID.
func componentInteraction(id, customID string) []byte {
	return mustJSON(map[string]any{
		"id": id, "application_id": "app1", "type": 3, "token": "tok-" + id, "version": 1,
		"channel_id": "c1", "guild_id": "g1",
		"member":  map[string]any{"user": map[string]any{"id": "u1", "username": "ann"}},
		"message": map[string]any{"id": "m" + id, "channel_id": "c1", "content": ""},
		"data":    map[string]any{"custom_id": customID, "component_type": 2},
	})
}

// modalSubmit is a submitted modal customID whose text input holds value.
func modalSubmit(id, customID, value string) []byte {
	return mustJSON(map[string]any{
		"id": id, "application_id": "app1", "type": 5, "token": "tok-" + id, "version": 1,
		"channel_id": "c1", "guild_id": "g1",
		"member": map[string]any{"user": map[string]any{"id": "u1", "username": "ann"}},
		"data": map[string]any{"custom_id": customID, "components": []any{map[string]any{
			"type": 1, "components": []any{map[string]any{"type": 4, "custom_id": followUpInput, "value": value}},
		}}},
	})
}

// followUpButton returns the custom_id of the answer's follow-up button.
func followUpButton(t *testing.T, data any) string {
	t.Helper()
	rows, _ := at(t, data, "components").([]any)
	for _, r := range rows {
		for _, c := range r.(map[string]any)["components"].([]any) {
			if id, _ := c.(map[string]any)["custom_id"].(string); strings.HasPrefix(id, followUpPrefix) {
				return id
			}
		}
	}
	t.Fatalf("no follow-up button in %v", rows)
	return ""
}

// The follow-up round trip over HTTP interactions: the answer carries
// "Ask a follow-up"; the click opens a modal; the submitted follow-up is
// answered in the channel with the earlier question as context, and
// carries its own button for a third turn.
func TestFollowUpButtonAndModal(t *testing.T) {
	convs, err := bot.OpenConversations(t.TempDir(), 0, nil)
	if err != nil {
		t.Fatal(err)
	}
	h := newHarness(t, &topicSearcher{}, func(o *Options) { o.Conversations = convs })
	first := at(t, h.interact(askInteraction("100", "How many drones did Russia fire?")), "data")
	button := followUpButton(t, first)

	modal := h.interact(componentInteraction("101", button))
	if typ := at(t, modal, "type"); typ != float64(9) {
		t.Fatalf("the click got response type %v, want 9 (a modal)", typ)
	}
	if id := at(t, modal, "data", "custom_id"); id != button {
		t.Fatalf("modal custom_id %v, want %s", id, button)
	}
	if id := at(t, modal, "data", "components", 0, "components", 0, "custom_id"); id != followUpInput {
		t.Fatalf("modal input %v", id)
	}

	second := h.interact(modalSubmit("102", button, "And missiles?"))
	if typ := at(t, second, "type"); typ != float64(4) {
		t.Fatalf("the follow-up got response type %v, want 4", typ)
	}
	data := at(t, second, "data")
	assertNoPings(t, data)
	content, _ := at(t, data, "content").(string)
	if !strings.HasPrefix(content, questionPrefix+"And missiles?") || !strings.Contains(content, "Following up on") {
		t.Fatalf("follow-up content %q", content)
	}
	if title := at(t, data, "embeds", 0, "title"); title != droneMeta.Title {
		t.Fatalf("follow-up not answered from the conversation: embed %v", title)
	}
	third := followUpButton(t, data)
	if third == button {
		t.Fatal("the follow-up's button continues the old key")
	}
	if turns := convs.Get(conversationKey(strings.TrimPrefix(third, followUpPrefix))); len(turns) != 2 {
		t.Fatalf("the follow-up's conversation has %d turns, want 2", len(turns))
	}
	// A button of a conversation that has expired (or never existed) says so.
	gone := h.interact(componentInteraction("103", followUpPrefix+"999"))
	if c, _ := at(t, gone, "data", "content").(string); !strings.Contains(c, "expired") {
		t.Fatalf("unknown conversation: %v", gone)
	}
	if c, _ := at(t, h.interact(modalSubmit("104", followUpPrefix+"999", "When?")), "data", "content").(string); !strings.Contains(c, "expired") {
		t.Fatalf("modal of an unknown conversation: %q", c)
	}
}

// A 👎 asks why; the reason is recorded with the 👎's question and
// articles, once.
func TestDownVoteReason(t *testing.T) {
	h := newHarness(t, &fakeSearcher{result: droneResult}, nil)
	question := "How many drones and missiles did Russia fire on Friday night?"
	data := at(t, h.interact(askInteraction("700", question)), "data")
	down := at(t, data, "components", 0, "components", 1, "custom_id").(string)
	click := func(id, customID string) map[string]any {
		return h.interact(mustJSON(map[string]any{
			"id": id, "application_id": "app1", "type": 3, "token": "tok-" + id, "version": 1,
			"channel_id": "c1", "guild_id": "g1",
			"member":  map[string]any{"user": map[string]any{"id": "u2", "username": "bea"}},
			"message": map[string]any{"id": "m7", "channel_id": "c1", "content": data.(map[string]any)["content"]},
			"data":    map[string]any{"custom_id": customID, "component_type": 2},
		}))
	}
	ack := at(t, click("701", down), "data")
	var reason string
	for _, b := range at(t, ack, "components", 0, "components").([]any) {
		if id := b.(map[string]any)["custom_id"].(string); strings.HasPrefix(id, reasonPrefix+bot.ReasonWrongArticle+":") {
			reason = id
		}
	}
	if reason == "" {
		t.Fatalf("the 👎 acknowledgement offers no reasons: %v", ack)
	}
	if c, _ := at(t, click("702", reason), "data", "content").(string); !strings.Contains(c, "Wrong article") {
		t.Fatalf("reason acknowledgement %q", c)
	}
	if c, _ := at(t, click("703", reason), "data", "content").(string); !strings.Contains(c, "already") {
		t.Fatalf("second reason %q", c)
	}
	votes, err := h.votes.Votes()
	if err != nil || len(votes) != 2 {
		t.Fatalf("%d votes (%v), want the 👎 and its reason", len(votes), err)
	}
	if r := votes[1]; r.Reason != bot.ReasonWrongArticle || r.Question != question || strings.Join(r.ArticleIDs, ",") != droneMeta.ID {
		t.Fatalf("reason recorded as %+v", r)
	}
	rep := bot.Feedback(votes, time.Time{})
	if rep.Down != 1 || rep.Reasons[bot.ReasonWrongArticle] != 1 || rep.Questions[0].Question != question || rep.Articles[0].Down != 1 {
		t.Fatalf("feedback %+v", rep)
	}
}
