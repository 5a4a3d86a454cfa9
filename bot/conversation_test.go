package bot

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestResolve(t *testing.T) {
	prev := []Turn{{Question: "What did Lavrov say about Putin's residence?"}}
	cases := []struct {
		text, want string
		follow     bool
	}{
		{"And how did Kyiv respond?", "And how did Kyiv respond? Lavrov Putin's residence", true},
		{"When?", "When? Lavrov Putin's residence", true},
		{"What did he say about it?", "What did he say about it? Lavrov Putin's residence", true},
		// A question with a topic of its own stands alone.
		{"How many drones did Russia fire on Friday night?", "How many drones did Russia fire on Friday night?", false},
	}
	for _, c := range cases {
		got, follow := Resolve(prev, c.text)
		if got != c.want || follow != c.follow {
			t.Errorf("Resolve(%q) = %q, %v; want %q, %v", c.text, got, follow, c.want, c.follow)
		}
	}
	if got, follow := Resolve(nil, "When?"); got != "When?" || follow {
		t.Errorf("without history: %q %v", got, follow)
	}
	if !newName("Where is Fastiv?", "Lavrov Putin's residence") || newName("When did Lavrov say it?", "Lavrov Putin's residence") {
		t.Error("newName")
	}
}

func TestConversationsPersistAndExpire(t *testing.T) {
	dir := t.TempDir()
	now := time.Date(2025, 12, 6, 9, 0, 0, 0, time.UTC)
	clock := func() time.Time { return now }
	c, err := OpenConversations(dir, 24*time.Hour, clock)
	if err != nil {
		t.Fatal(err)
	}
	for i := range 5 {
		if err := c.Append("slack:C1:1.0", Turn{Question: strings.Repeat("q", i+1)}); err != nil {
			t.Fatal(err)
		}
	}
	if got := c.Get("slack:C1:1.0"); len(got) != MaxTurns || got[0].Question != "qqq" || got[2].Question != "qqqqq" {
		t.Fatalf("kept %+v, want the last %d turns", got, MaxTurns)
	}
	// A restart reads them back.
	now = now.Add(23 * time.Hour)
	c2, err := OpenConversations(dir, 24*time.Hour, clock)
	if err != nil {
		t.Fatal(err)
	}
	if !c2.Has("slack:C1:1.0") || c2.Has("slack:C1:2.0") {
		t.Fatal("conversation lost across a restart")
	}
	// 24 hours after the last turn it is forgotten, also on disk.
	now = now.Add(2 * time.Hour)
	if c2.Has("slack:C1:1.0") {
		t.Fatal("an expired conversation is still there")
	}
	if err := c2.Append("slack:C2:1.0", Turn{Question: "x"}); err != nil {
		t.Fatal(err)
	}
	data, _ := os.ReadFile(filepath.Join(dir, ConversationsFile))
	if strings.Contains(string(data), "C1") {
		t.Fatalf("expired conversation still saved: %s", data)
	}
	// A damaged file is an error naming it, not a silent reset.
	os.WriteFile(filepath.Join(dir, ConversationsFile), []byte("{not json"), 0o600)
	if _, err := OpenConversations(dir, 0, clock); err == nil || !strings.Contains(err.Error(), "damaged") {
		t.Fatalf("damaged file: %v", err)
	}
}

func TestChannelsSettings(t *testing.T) {
	dir := t.TempDir()
	off := false
	c, err := OpenChannels(dir, map[string]ChannelSettings{"slack:C9": {Answer: AnswerMentions}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.Set("slack", "C1", ChannelSettings{Answer: "sometimes"}); err == nil {
		t.Fatal("an unknown answer mode was accepted")
	}
	if _, err := c.Set("slack", "C9", ChannelSettings{Answer: AnswerAll}); err == nil || !strings.Contains(err.Error(), "configuration file") {
		t.Fatalf("a configured field was changed: %v", err)
	}
	got, err := c.Set("slack", "C9", ChannelSettings{Private: &off})
	if err != nil || got.Answer != AnswerMentions || got.Private == nil || *got.Private {
		t.Fatalf("set private on a configured channel: %+v %v", got, err)
	}
	if m := c.Get("slack", "C2").Mode(AnswerThreads); m != AnswerThreads {
		t.Fatalf("default mode %q", m)
	}
	if _, err := OpenChannels(dir, map[string]ChannelSettings{"slack:C1": {Answer: "loud"}}); err == nil {
		t.Fatal("a bad configured setting was accepted")
	}
	os.WriteFile(filepath.Join(dir, ChannelSettingsFile), []byte("[1,"), 0o600)
	if _, err := OpenChannels(dir, nil); err == nil || !strings.Contains(err.Error(), "damaged") {
		t.Fatalf("damaged file: %v", err)
	}
}
