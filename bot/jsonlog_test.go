package bot

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestKeyedLogTornTailAndDamage(t *testing.T) {
	path := filepath.Join(t.TempDir(), "log.jsonl")
	var logged bytes.Buffer
	log := slog.New(slog.NewTextHandler(&logged, nil))
	os.WriteFile(path, []byte(`{"k":"a","v":1}`+"\n"+`{"k":"b","v":2}`+"\n"+`{"k":"a","v":3}`+"\n"+`{"k":"c","v":`), 0o600)
	m, err := readKeyedLog(path, log)
	if err != nil {
		t.Fatal(err)
	}
	if len(m) != 2 || string(m["a"]) != "3" || string(m["b"]) != "2" {
		t.Fatalf("read %v, want a=3 b=2 (the last line for a key wins, the torn one ignored)", m)
	}
	if !strings.Contains(logged.String(), "torn last line") {
		t.Fatalf("no warning for the torn line: %q", logged.String())
	}
	l, err := openKeyedLog(path, log, m)
	if err != nil {
		t.Fatal(err)
	}
	if err := l.set("d", 4); err != nil {
		t.Fatal(err)
	}
	l.close()
	if m, err = readKeyedLog(path, log); err != nil || len(m) != 3 || string(m["d"]) != "4" {
		t.Fatalf("after compaction and an append: %v %v", m, err)
	}

	os.WriteFile(path, []byte(`{"k":"a","v":1}`+"\nnot json\n"+`{"k":"b","v":2}`+"\n"), 0o600)
	if _, err := readKeyedLog(path, log); err == nil || !strings.Contains(err.Error(), "line 2") {
		t.Fatalf("a damaged middle line read with %v, want an error naming line 2", err)
	}
}

func TestVoteLogKeepsAnswersAcrossReopen(t *testing.T) {
	dir := t.TempDir()
	now := time.Date(2026, 12, 7, 12, 0, 0, 0, time.UTC)
	open := func() *VoteLog {
		l, err := OpenVoteLog(dir)
		if err != nil {
			t.Fatal(err)
		}
		l.now = func() time.Time { return now }
		return l
	}
	ctx := context.Background()
	l := open()
	if err := l.RememberAnswer(ctx, "discord:old", RatedAnswer{Question: "old?", ArticleIDs: []string{"x"}}); err != nil {
		t.Fatal(err)
	}
	now = now.Add(AnswerRetention / 2)
	for i := range minCompactLines {
		if err := l.RememberAnswer(ctx, "discord:k", RatedAnswer{Question: "q?", ArticleIDs: []string{"a", string(rune('a' + i%26))}}); err != nil {
			t.Fatal(err)
		}
	}
	data, _ := os.ReadFile(filepath.Join(dir, AnswersFile))
	if n := bytes.Count(data, []byte{'\n'}); n > minCompactLines/2 {
		t.Fatalf("answers.jsonl has %d lines for 2 answers: not compacted", n)
	}
	// A crash mid-append leaves a torn line: ignored at the next open.
	f, _ := os.OpenFile(filepath.Join(dir, AnswersFile), os.O_APPEND|os.O_WRONLY, 0)
	f.WriteString(`{"k":"discord:torn","v":{"q":"tor`)
	f.Close()

	l = open()
	got, ok, err := l.RecallAnswer(ctx, "discord:k")
	if err != nil || !ok || got.Question != "q?" || len(got.ArticleIDs) != 2 || !got.Time.Equal(now) {
		t.Fatalf("recalled %+v %v %v", got, ok, err)
	}
	if _, ok, _ := l.RecallAnswer(ctx, "discord:old"); !ok {
		t.Fatal("an answer within the retention was dropped")
	}
	if _, ok, _ := l.RecallAnswer(ctx, "discord:torn"); ok {
		t.Fatal("a torn line was read")
	}
	// Past the retention an answer is dropped at open.
	now = now.Add(AnswerRetention/2 + time.Hour)
	l = open()
	if _, ok, _ := l.RecallAnswer(ctx, "discord:old"); ok {
		t.Fatal("an answer past the retention was kept")
	}
	if _, ok, _ := l.RecallAnswer(ctx, "discord:k"); !ok {
		t.Fatal("a recent answer was dropped")
	}
	var line logLine
	data, _ = os.ReadFile(filepath.Join(dir, AnswersFile))
	if err := json.Unmarshal(bytes.SplitN(data, []byte{'\n'}, 2)[0], &line); err != nil || line.K != "discord:k" {
		t.Fatalf("compacted file starts %q (%v)", data, err)
	}
}

// FuzzKeyedLog: any file is read without a panic, and what is read
// survives a compaction and a reread unchanged.
func FuzzKeyedLog(f *testing.F) {
	f.Add([]byte(`{"k":"a","v":1}` + "\n" + `{"k":"b","v":[{"q":"x"}]}` + "\n"))
	f.Add([]byte(`{"k":"a","v":1}` + "\n" + `{"k":"a","v":{"q":"tor`))
	f.Add([]byte("{not json\n{\"k\":\"a\",\"v\":2}\n"))
	f.Add([]byte(`{"k":"","v":null}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		path := filepath.Join(t.TempDir(), "log.jsonl")
		if err := os.WriteFile(path, data, 0o600); err != nil {
			t.Fatal(err)
		}
		log := slog.New(slog.DiscardHandler)
		m, err := readKeyedLog(path, log)
		if err != nil {
			return
		}
		l, err := openKeyedLog(path, log, m)
		if err != nil {
			t.Fatal(err)
		}
		l.close()
		again, err := readKeyedLog(path, log)
		if err != nil {
			t.Fatalf("a compacted file does not read: %v", err)
		}
		if len(again) != len(m) {
			t.Fatalf("read %d values, %d after compaction", len(m), len(again))
		}
		for k, v := range m {
			var a, b any
			json.Unmarshal(v, &a)
			json.Unmarshal(again[k], &b)
			if fmt.Sprint(a) != fmt.Sprint(b) {
				t.Fatalf("%q: %s, %s after compaction", k, v, again[k])
			}
		}
	})
}
