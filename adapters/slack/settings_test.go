package slack

import (
	"context"
	"encoding/json"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/briefbot/briefbot/bot"
	"github.com/briefbot/briefbot/retrieval"
)

// slash runs /brief text in channel as user and returns the immediate
// response.
type slashResponse struct {
	ResponseType string `json:"response_type"`
	Text         string `json:"text"`
}

func (h *harness) slash(channel, user, text string) slashResponse {
	h.t.Helper()
	resp := h.form(CommandsPath, url.Values{"command": {"/brief"}, "text": {text}, "channel_id": {channel}, "user_id": {user},
		"response_url": {h.slack.HookURL("cmd")}})
	defer resp.Body.Close()
	var out slashResponse
	if err := json.NewDecoder(resp.Body).Decode(&out); err != nil {
		h.t.Fatalf("/brief %s: %v", text, err)
	}
	return out
}

func TestChannelSettings(t *testing.T) {
	dir := t.TempDir()
	on := true
	channels, err := bot.OpenChannels(dir, map[string]bot.ChannelSettings{"slack:CFIXED": {Private: &on}})
	if err != nil {
		t.Fatal(err)
	}
	convs, _ := bot.OpenConversations("", 0, nil)
	h := newHarness(t, harnessOptions{tweak: func(o *Options) {
		o.Channels, o.Conversations, o.Admins = channels, convs, []string{"UCONF"}
	}})

	// Showing is for everyone; changing is for admins (configured, or
	// workspace admins per users.info).
	if r := h.slash("C1", "U1", "settings"); !strings.Contains(r.Text, "I answer when mentioned, and replies in threads") {
		t.Fatalf("show: %q", r.Text)
	}
	if r := h.slash("C1", "U1", "settings answer=all"); !strings.Contains(r.Text, "Only workspace admins") {
		t.Fatalf("non-admin: %q", r.Text)
	}
	if r := h.slash("C1", "UADMIN", "settings answer=all"); r.ResponseType != inChannel || !strings.Contains(r.Text, "every question") {
		t.Fatalf("workspace admin: %+v", r)
	}
	if r := h.slash("C2", "UCONF", "settings answer=off private=on"); !strings.Contains(r.Text, "nothing here") {
		t.Fatalf("configured admin: %q", r.Text)
	}
	if r := h.slash("C3", "UCONF", "settings answer=sometimes"); !strings.Contains(r.Text, "Usage") {
		t.Fatalf("bad value: %q", r.Text)
	}
	// "on" is the default way, whatever it is configured to be.
	if r := h.slash("C5", "UCONF", "settings answer=on"); !strings.Contains(r.Text, "I answer when mentioned, and replies in threads") {
		t.Fatalf("answer=on: %q", r.Text)
	}
	// The configuration file wins for what it sets.
	if r := h.slash("CFIXED", "UCONF", "settings private=off"); !strings.Contains(r.Text, "configuration file") {
		t.Fatalf("fixed: %q", r.Text)
	}
	// Saved, and read back after a restart.
	data, _ := os.ReadFile(filepath.Join(dir, bot.ChannelSettingsFile))
	again, err := bot.OpenChannels(dir, nil)
	if err != nil || again.Get("slack", "C1").Answer != bot.AnswerAll || !again.Get("slack", "C2").IsPrivate() {
		t.Fatalf("saved settings %s: %v", data, err)
	}

	// C1 answers every question in the channel, in its thread; a remark is
	// not a question.
	h.event("Ev1", message("How many drones did Russia fire?", "C1", "channel", "1765000000.000100"), nil)
	h.event("Ev2", message("drones are loud", "C1", "channel", "1765000000.000200"), nil)
	posts := h.slack.WaitPosts("chat.postMessage", 1)
	// C2 is off: a mention there is not answered.
	h.event("Ev3", mention(dronesQuestion, "C2", "1765000000.000300", ""), nil)
	if r := h.slash("C2", "U1", "how many drones?"); r.ResponseType != ephemeral || !strings.Contains(r.Text, "switched off") {
		t.Fatalf("/brief where off: %+v", r)
	}
	// C4's /brief answers are private.
	h.slash("C4", "UCONF", "settings private=on")
	if r := h.slash("C4", "U1", "how many drones?"); r.ResponseType != ephemeral || !strings.Contains(r.Text, "653 drones") {
		t.Fatalf("private answer: %+v", r)
	}
	if r := h.slash("C1", "U1", "how many drones?"); r.ResponseType != inChannel {
		t.Fatalf("public answer: %+v", r)
	}
	if err := h.stop(); err != nil {
		t.Fatal(err)
	}
	if got := h.slack.Posts("chat.postMessage"); len(got) != 1 {
		t.Fatalf("%d posts, want 1 (the question in C1): %+v", len(got), got)
	}
	if p := posts[0]; p.Channel != "C1" || p.ThreadTS != "1765000000.000100" {
		t.Fatalf("posted to %s thread %q", p.Channel, p.ThreadTS)
	}
}

// recordingSearcher answers like fakeSearcher and records the collections
// each question was restricted to.
type recordingSearcher struct {
	fakeSearcher
	mu   sync.Mutex
	cols [][]string
}

func (r *recordingSearcher) Search(ctx context.Context, q retrieval.Query) (retrieval.Result, error) {
	r.mu.Lock()
	r.cols = append(r.cols, q.Collections)
	r.mu.Unlock()
	res, err := r.fakeSearcher.Search(ctx, q)
	res.Searched.Collections = q.Collections
	return res, err
}

// A channel restricted to collections searches only them, and its
// answers' "searched" line says so; /brief settings changes it.
func TestChannelCollections(t *testing.T) {
	channels, err := bot.OpenChannels(t.TempDir(), nil)
	if err != nil {
		t.Fatal(err)
	}
	rs := &recordingSearcher{}
	h := newHarness(t, harnessOptions{searcher: rs, tweak: func(o *Options) { o.Channels, o.Admins = channels, []string{"UCONF"} }})
	if r := h.slash("C1", "UCONF", "settings collections=sport,city"); !strings.Contains(r.Text, "only the collections sport, city") {
		t.Fatalf("set: %q", r.Text)
	}
	if r := h.slash("C1", "U1", "what about the weather?"); !strings.Contains(r.Text, "(in the collections sport, city)") {
		t.Fatalf("not found in C1 does not say which collections: %q", r.Text)
	}
	h.slash("C2", "U1", "how many drones?")
	h.slash("C1", "UCONF", "settings collections=all")
	h.slash("C1", "U1", "how many drones?")
	if err := h.stop(); err != nil {
		t.Fatal(err)
	}
	rs.mu.Lock()
	defer rs.mu.Unlock()
	if len(rs.cols) != 3 || strings.Join(rs.cols[0], ",") != "sport,city" || rs.cols[1] != nil || rs.cols[2] != nil {
		t.Fatalf("collections searched %q, want [sport city], all, all", rs.cols)
	}
}
