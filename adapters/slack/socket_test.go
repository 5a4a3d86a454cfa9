package slack

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/websocket"
)

// envelope is a Socket Mode message from Slack.
func envelope(typ, id string, payload any, retry int) map[string]any {
	return map[string]any{"type": typ, "envelope_id": id, "payload": payload,
		"accepts_response_payload": typ == "slash_commands", "retry_attempt": retry, "retry_reason": ""}
}

func eventPayload(eventID string, ev map[string]any) map[string]any {
	return map[string]any{"type": "event_callback", "team_id": "T1", "api_app_id": "A1", "event_id": eventID,
		"event_time": testNow.Unix(), "event": ev}
}

// ack is a Socket Mode acknowledgement read back from the adapter.
type ack struct {
	EnvelopeID string          `json:"envelope_id"`
	Payload    json.RawMessage `json:"payload"`
}

func send(t *testing.T, conn *websocket.Conn, v any) {
	t.Helper()
	if err := conn.WriteJSON(v); err != nil {
		t.Fatal(err)
	}
}

func readAck(t *testing.T, conn *websocket.Conn) ack {
	t.Helper()
	if err := conn.SetReadDeadline(time.Now().Add(waitLimit)); err != nil {
		t.Fatal(err)
	}
	var a ack
	if err := conn.ReadJSON(&a); err != nil {
		t.Fatalf("reading an ack: %v", err)
	}
	return a
}

func nextConn(t *testing.T, f *fakeSlack) *websocket.Conn {
	t.Helper()
	select {
	case c := <-f.conns:
		t.Cleanup(func() { c.Close() })
		return c
	case <-time.After(waitLimit):
		t.Fatal("the adapter did not open a Socket Mode connection")
		return nil
	}
}

func TestSocketMode(t *testing.T) {
	h := newHarness(t, harnessOptions{socket: true, tweak: func(o *Options) { o.SigningSecret = "" }})
	conn := nextConn(t, h.slack)

	// An @mention: acknowledged, then answered in its thread.
	send(t, conn, envelope("events_api", "env-1", eventPayload("Ev1", mention(dronesQuestion, "C1", "1765000000.000100", "")), 0))
	if a := readAck(t, conn); a.EnvelopeID != "env-1" || len(a.Payload) != 0 {
		t.Fatalf("ack %+v, want env-1 with no payload", a)
	}
	posts := h.slack.WaitPosts("chat.postMessage", 1)
	if posts[0].Channel != "C1" || posts[0].ThreadTS != "1765000000.000100" || !strings.Contains(posts[0].Text, "653 drones and 51 missiles") {
		t.Errorf("post %+v", posts[0])
	}

	// Slack redelivers it, and sends its message twin: both acknowledged, neither answered.
	send(t, conn, envelope("events_api", "env-2", eventPayload("Ev1", mention(dronesQuestion, "C1", "1765000000.000100", "")), 1))
	if a := readAck(t, conn); a.EnvelopeID != "env-2" {
		t.Fatalf("ack %+v, want env-2", a)
	}
	send(t, conn, envelope("events_api", "env-3", eventPayload("Ev2", message(dronesQuestion, "C1", "channel", "1765000000.000100")), 0))
	if a := readAck(t, conn); a.EnvelopeID != "env-3" {
		t.Fatalf("ack %+v, want env-3", a)
	}

	// A slash command: the acknowledgement carries the answer.
	cmd := map[string]any{"command": "/brief", "text": "How many drones and missiles did Russia fire on Friday night?",
		"channel_id": "C1", "user_id": "U1", "team_id": "T1", "response_url": h.slack.HookURL("cmd"), "trigger_id": "1.2.3"}
	start := time.Now()
	send(t, conn, envelope("slash_commands", "env-4", cmd, 0))
	a := readAck(t, conn)
	if d := time.Since(start); d > 3*time.Second {
		t.Errorf("slash command acknowledged after %v, want within 3 s", d)
	}
	var resp struct {
		ResponseType string          `json:"response_type"`
		Text         string          `json:"text"`
		Blocks       json.RawMessage `json:"blocks"`
	}
	if err := json.Unmarshal(a.Payload, &resp); err != nil || a.EnvelopeID != "env-4" {
		t.Fatalf("ack %s: %v", a.Payload, err)
	}
	if resp.ResponseType != inChannel || !strings.Contains(resp.Text, "653 drones and 51 missiles") {
		t.Errorf("slash command answer %+v", resp)
	}

	// A 👍 click: acknowledged, recorded, confirmed to the voter only.
	value := encodeVoteValue("How many drones and missiles did Russia fire on Friday night?", []string{"002_8c35132417f41974"})
	send(t, conn, envelope("interactive", "env-vote", map[string]any{
		"type": "block_actions", "user": map[string]any{"id": "U9"}, "channel": map[string]any{"id": "C1"},
		"container": map[string]any{"type": "message", "message_ts": "1765000000.000001", "channel_id": "C1", "thread_ts": "1765000000.000100"},
		"actions":   []map[string]any{{"type": "button", "action_id": actionVoteUp, "block_id": voteBlockID, "value": value}},
	}, 0))
	if a := readAck(t, conn); a.EnvelopeID != "env-vote" {
		t.Fatalf("ack %+v, want env-vote", a)
	}
	if eph := h.slack.WaitPosts("chat.postEphemeral", 1)[0]; eph.User != "U9" || !strings.Contains(eph.Text, "👍") {
		t.Errorf("vote acknowledgement %+v", eph)
	}
	if votes, err := h.votes.Votes(); err != nil || len(votes) != 1 || votes[0].Vote != "up" || votes[0].User != "U9" {
		t.Errorf("votes %+v, %v", votes, err)
	}

	// An event slack-go cannot parse is still acknowledged, so that Slack
	// does not redeliver it forever.
	send(t, conn, envelope("events_api", "env-odd", eventPayload("EvOdd", map[string]any{"type": "brand_new_event_type", "ts": "1"}), 0))
	if a := readAck(t, conn); a.EnvelopeID != "env-odd" {
		t.Fatalf("ack %+v, want env-odd", a)
	}

	// Slack asks for a reconnect; the adapter opens a new connection and
	// keeps answering on it.
	send(t, conn, map[string]any{"type": "disconnect", "reason": "refresh_requested", "debug_info": map[string]any{"host": "fake"}})
	conn2 := nextConn(t, h.slack)
	if n := h.slack.Calls("apps.connections.open"); n != 2 {
		t.Errorf("apps.connections.open called %d times, want 2", n)
	}
	send(t, conn2, envelope("events_api", "env-5", eventPayload("Ev3", message("drones?", "D1", "im", "1765000000.000900")), 0))
	if a := readAck(t, conn2); a.EnvelopeID != "env-5" {
		t.Fatalf("ack %+v, want env-5", a)
	}
	posts = h.slack.WaitPosts("chat.postMessage", 2)
	if posts[1].Channel != "D1" || posts[1].ThreadTS != "" {
		t.Errorf("DM answered at %s thread %q, want D1 without a thread", posts[1].Channel, posts[1].ThreadTS)
	}

	if err := h.stop(); err != nil {
		t.Fatal(err)
	}
	if n := len(h.slack.Posts("chat.postMessage")); n != 2 {
		t.Errorf("%d posts, want 2 (the redelivery and the twin are not answered)", n)
	}
	if dedup, _, _ := h.obs.counts(); dedup != 2 {
		t.Errorf("Deduplicated counted %d, want 2", dedup)
	}
	h.slack.mu.Lock()
	defer h.slack.mu.Unlock()
	for _, tok := range h.slack.tokens {
		method, got, _ := strings.Cut(tok, "=")
		want := botToken
		if method == "apps.connections.open" {
			want = appToken
		}
		if got != want {
			t.Errorf("%s called with the wrong token", method)
		}
	}
}

func TestSocketModeRefusedAppToken(t *testing.T) {
	h := newHarness(t, harnessOptions{socket: true, tweak: func(o *Options) { o.AppToken = "xapp-revoked" }})
	select { // Run returns on its own
	case err := <-h.done:
		if err == nil || !strings.Contains(err.Error(), "invalid_auth") {
			t.Fatalf("Run: %v, want an invalid_auth error", err)
		}
	case <-time.After(waitLimit):
		t.Fatal("Run did not return on a refused app token")
	}
	h.stop = func() error { return nil }
}
