package bot

import (
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
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
	if _, err := OpenConversations(dir, 24*time.Hour, clock); err != nil {
		t.Fatal(err)
	}
	data, _ := os.ReadFile(filepath.Join(dir, ConversationsFile))
	if strings.Contains(string(data), "C1") || !strings.Contains(string(data), "C2") {
		t.Fatalf("after a reopen the file holds %s, want only the live conversation", data)
	}
	// A damaged line before the last is an error naming the file, not a
	// silent reset.
	os.WriteFile(filepath.Join(dir, ConversationsFile), []byte("{not json\n"+string(data)), 0o600)
	if _, err := OpenConversations(dir, 0, clock); err == nil || !strings.Contains(err.Error(), "damaged") {
		t.Fatalf("damaged file: %v", err)
	}
}

// lines counts the lines of the conversations log in dir.
func lines(t *testing.T, dir string) int {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(dir, ConversationsFile))
	if err != nil {
		t.Fatal(err)
	}
	return strings.Count(string(data), "\n")
}

func TestConversationsAppendOneLineAndCompact(t *testing.T) {
	dir := t.TempDir()
	now := time.Date(2025, 12, 6, 9, 0, 0, 0, time.UTC)
	c, err := OpenConversations(dir, time.Hour, func() time.Time { return now })
	if err != nil {
		t.Fatal(err)
	}
	// Each change appends one line: the file is not rewritten whole.
	for i := range 10 {
		if err := c.Append(fmt.Sprintf("k%d", i%2), Turn{Question: fmt.Sprint("q", i)}); err != nil {
			t.Fatal(err)
		}
		if n := lines(t, dir); n != i+1 {
			t.Fatalf("after %d changes the log has %d lines", i+1, n)
		}
	}
	// Grown to twice the live conversations (and enough lines), it is
	// compacted to one line each.
	for i := 10; i < minCompactLines; i++ {
		if err := c.Append(fmt.Sprintf("k%d", i%2), Turn{Question: fmt.Sprint("q", i)}); err != nil {
			t.Fatal(err)
		}
	}
	if n := lines(t, dir); n != 2 {
		t.Fatalf("after %d changes to 2 conversations the log has %d lines, want 2 (compacted)", minCompactLines, n)
	}
	if got := c.Get("k1"); len(got) != MaxTurns || got[MaxTurns-1].Question != fmt.Sprint("q", minCompactLines-1) {
		t.Fatalf("k1 = %+v after compaction", got)
	}
	// Compaction drops expired conversations.
	now = now.Add(2 * time.Hour)
	for i := range minCompactLines {
		if err := c.Append("fresh", Turn{Question: fmt.Sprint("f", i)}); err != nil {
			t.Fatal(err)
		}
	}
	c.Close()
	data, _ := os.ReadFile(filepath.Join(dir, ConversationsFile))
	if n := lines(t, dir); n > minCompactLines || strings.Contains(string(data), `"k0"`) {
		t.Fatalf("log of %d lines still holds the expired k0: %s", n, data)
	}
}

func TestConversationsTornTail(t *testing.T) {
	dir := t.TempDir()
	now := time.Date(2025, 12, 6, 9, 0, 0, 0, time.UTC)
	clock := func() time.Time { return now }
	c, err := OpenConversations(dir, 0, clock)
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Append("a", Turn{Question: "first"}); err != nil {
		t.Fatal(err)
	}
	c.Close()
	// A crash mid-append leaves half a line.
	f, err := os.OpenFile(filepath.Join(dir, ConversationsFile), os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	f.WriteString(`{"k":"b","v":[{"q":"sec`)
	f.Close()
	var logged strings.Builder
	defer slog.SetDefault(slog.Default())
	slog.SetDefault(slog.New(slog.NewTextHandler(&logged, nil)))
	c, err = OpenConversations(dir, 0, clock)
	if err != nil {
		t.Fatalf("a torn last line lost the file: %v", err)
	}
	if got := c.Get("a"); len(got) != 1 || got[0].Question != "first" || c.Has("b") {
		t.Fatalf("after a torn tail: a=%+v, b kept=%v", got, c.Has("b"))
	}
	if !strings.Contains(logged.String(), "torn last line") {
		t.Fatalf("no warning: %q", logged.String())
	}
	// The next change is a line of its own, readable after a restart.
	if err := c.Append("b", Turn{Question: "again"}); err != nil {
		t.Fatal(err)
	}
	c.Close()
	if c, err = OpenConversations(dir, 0, clock); err != nil || len(c.Get("a")) != 1 || len(c.Get("b")) != 1 {
		t.Fatalf("after a restart: %v, a=%v b=%v", err, c.Get("a"), c.Get("b"))
	}
}

func TestConversationsMigrateOldFile(t *testing.T) {
	dir := t.TempDir()
	now := time.Date(2025, 12, 6, 9, 0, 0, 0, time.UTC)
	clock := func() time.Time { return now }
	old := map[string][]Turn{
		"slack:C1:1.0": {{Question: "What did Lavrov say?", Articles: []string{"x"}, At: now.Add(-time.Hour)}},
		"slack:C1:2.0": {{Question: "stale", At: now.Add(-48 * time.Hour)}},
	}
	data, _ := json.Marshal(old)
	if err := os.WriteFile(filepath.Join(dir, oldConversationsFile), data, 0o600); err != nil {
		t.Fatal(err)
	}
	c, err := OpenConversations(dir, 24*time.Hour, clock)
	if err != nil {
		t.Fatal(err)
	}
	if got := c.Get("slack:C1:1.0"); len(got) != 1 || got[0].Question != "What did Lavrov say?" || got[0].Articles[0] != "x" {
		t.Fatalf("migrated %+v", got)
	}
	if c.Has("slack:C1:2.0") {
		t.Fatal("an expired conversation was migrated")
	}
	if _, err := os.Stat(filepath.Join(dir, oldConversationsFile)); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("the old file is still there (%v): it would be read again", err)
	}
	c.Close()
	if c, err = OpenConversations(dir, 24*time.Hour, clock); err != nil || !c.Has("slack:C1:1.0") {
		t.Fatalf("after the migration a restart lost the conversation (%v)", err)
	}
	// A damaged old file is an error, as it always was.
	os.WriteFile(filepath.Join(dir, oldConversationsFile), []byte("{not json"), 0o600)
	os.Remove(filepath.Join(dir, ConversationsFile))
	if _, err := OpenConversations(dir, 0, clock); err == nil || !strings.Contains(err.Error(), "damaged") {
		t.Fatalf("damaged old file: %v", err)
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
	// "on" is the platform's default, whatever that is.
	if _, err := c.Set("discord", "D1", ChannelSettings{Answer: AnswerOn}); err != nil {
		t.Fatal(err)
	}
	for _, def := range []string{AnswerThreads, AnswerMentions} {
		if m := c.Get("discord", "D1").Mode(def); m != def {
			t.Fatalf("on with default %q: mode %q", def, m)
		}
	}
	if c, err = OpenChannels(dir, nil); err != nil || c.Get("discord", "D1").Answer != AnswerOn {
		t.Fatalf("on not kept across a restart: %+v %v", c.Get("discord", "D1"), err)
	}
	if _, err := OpenChannels(dir, map[string]ChannelSettings{"slack:C1": {Answer: "loud"}}); err == nil {
		t.Fatal("a bad configured setting was accepted")
	}
	os.WriteFile(filepath.Join(dir, ChannelSettingsFile), []byte("[1,"), 0o600)
	if _, err := OpenChannels(dir, nil); err == nil || !strings.Contains(err.Error(), "damaged") {
		t.Fatalf("damaged file: %v", err)
	}
}
