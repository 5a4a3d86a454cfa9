package main

import (
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/briefbot/briefbot/bot"
)

// askUntil polls /api/ask until pred holds for the answer (bounded).
func askUntil(t *testing.T, base, q string, within time.Duration, pred func(bot.Answer) bool) bot.Answer {
	t.Helper()
	deadline := time.Now().Add(within)
	for {
		resp, err := http.Get(base + "/api/ask?q=" + url.QueryEscape(q))
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		var ans bot.Answer
		if err := json.Unmarshal(b, &ans); err != nil {
			t.Fatalf("%s: %s", err, b)
		}
		if pred(ans) {
			return ans
		}
		if time.Now().After(deadline) {
			t.Fatalf("condition not met within %v; last answer %s", within, b)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func TestServeWatchPicksUpNewBriefings(t *testing.T) {
	watch := t.TempDir()
	data := t.TempDir()
	if err := os.WriteFile(filepath.Join(watch, "first.txt"), []byte("Harbour bridge reopens\nThe harbour bridge reopened to traffic on Monday after storm repairs.\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	base := startServe(t, map[string]string{"BRIEFBOT_DATA": data, "BRIEFBOT_WATCH": watch, "BRIEFBOT_WATCH_INTERVAL": "100ms"})
	askUntil(t, base, "When did the harbour bridge reopen?", 10*time.Second, func(a bot.Answer) bool {
		return a.Found && a.Quotes[0].Article.ID == "first.txt"
	})
	// A new file is ingested while serve runs, and persisted in the store.
	if err := os.WriteFile(filepath.Join(watch, "second.md"), []byte("---\ntitle: Tram extension approved\n---\nThe city council approved a tram extension with four new stations.\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	ans := askUntil(t, base, "How many new stations will the tram extension have?", 10*time.Second, func(a bot.Answer) bool {
		return a.Found && a.Quotes[0].Article.ID == "second.md"
	})
	if ans.Quotes[0].Article.Title != "Tram extension approved" {
		t.Errorf("title %q", ans.Quotes[0].Article.Title)
	}
	deadline := time.Now().Add(5 * time.Second)
	for {
		_, out, _ := runCLI(t, map[string]string{}, "sources", "--data", data, "--json")
		var list []sourceJSON
		if json.Unmarshal([]byte(out), &list) == nil && len(list) == 2 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("store in the data dir does not hold both watched files: %s", out)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func TestServePicksUpAHandRunIngest(t *testing.T) {
	data := t.TempDir()
	base := startServe(t, map[string]string{"BRIEFBOT_DATA": data})
	// Serving the seeds: the question is not covered.
	q := "Which river flooded the old mill district?"
	askUntil(t, base, q, 5*time.Second, func(a bot.Answer) bool { return !a.Found && a.Searched.Articles == 5 })
	src := filepath.Join(t.TempDir(), "mill.txt")
	if err := os.WriteFile(src, []byte("Mill district flooded\nThe river Ouse flooded the old mill district on Sunday night.\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if code, out, errOut := runCLI(t, map[string]string{}, "ingest", "--data", data, src); code != 0 {
		t.Fatalf("ingest: %d %s %s", code, out, errOut)
	}
	askUntil(t, base, q, 10*time.Second, func(a bot.Answer) bool {
		return a.Found && a.Quotes[0].Article.ID == "mill.txt"
	})
}
