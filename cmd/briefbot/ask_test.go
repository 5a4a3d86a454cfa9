package main

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
	"unicode"

	"github.com/briefbot/briefbot/bot"
	"github.com/briefbot/briefbot/internal/golden"
	"github.com/briefbot/briefbot/retrieval"
)

func TestPrintAnswerGolden(t *testing.T) {
	cases := []struct {
		name string
		ans  bot.Answer
	}{
		{"context", bot.Answer{Found: true, Searched: retrieval.Coverage{Articles: 5, Undated: 4, From: time.Date(2025, 12, 6, 0, 0, 0, 0, time.UTC), To: time.Date(2025, 12, 6, 0, 0, 0, 0, time.UTC)},
			Quotes: []retrieval.Quote{
				{Text: "He said the talks were very productive.", Context: "Zelensky spoke to Witkoff and Kushner on Friday.",
					Article: retrieval.ArticleMeta{ID: "002.txt", Title: "Call with Witkoff", Source: "Kyiv Post", URL: "https://example.com/call", Published: time.Date(2025, 12, 6, 0, 0, 0, 0, time.UTC)}},
				{Text: "The pier is closed.", Article: retrieval.ArticleMeta{ID: "pier.txt"}},
			}}},
		{"hostile", bot.Answer{Found: true, Searched: retrieval.Coverage{Articles: 3, Undated: 3},
			Quotes: []retrieval.Quote{{
				Text:    "Officials said \x1b]8;;https://evil.example\x1b\\click here\x1b]8;;\x1b\\ and \x1b[2Jcleared\u202eevil.",
				Context: "Line one\nline two\x07.",
				Article: retrieval.ArticleMeta{ID: "evil.txt", Title: "Read \x1b[31mred\x1b[0m", URL: "javascript:alert(1)"},
				AlsoIn:  []retrieval.ArticleMeta{{ID: "e2", Title: "Also \x1b]8;;https://evil.example\x1b\\x"}},
			}}}},
		{"not_found_reason", bot.Answer{Reason: "the briefings end on 2025-12-06",
			Searched: retrieval.Coverage{Articles: 5, Undated: 4, From: time.Date(2025, 12, 6, 0, 0, 0, 0, time.UTC), To: time.Date(2025, 12, 6, 0, 0, 0, 0, time.UTC)}}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var b bytes.Buffer
			printAnswer(&b, c.ans)
			out := b.String()
			if strings.ContainsAny(out, "\x1b\x07\u202e") {
				t.Errorf("control characters reach the terminal: %q", out)
			}
			if strings.Contains(out, "javascript") {
				t.Errorf("a javascript: URL is shown: %q", out)
			}
			golden.Text(t, "answer_"+c.name, []byte(out))
		})
	}
}

func TestPrintAnswerShowsContextBeforeQuote(t *testing.T) {
	var b bytes.Buffer
	printAnswer(&b, bot.Answer{Found: true, Quotes: []retrieval.Quote{{
		Text: "He said the talks were very productive.", Context: "Zelensky spoke to Witkoff on Friday.", Article: retrieval.ArticleMeta{ID: "a.txt"},
	}}})
	want := "1. (Zelensky spoke to Witkoff on Friday.)\n   “He said the talks were very productive.”\n   — a.txt\n"
	if !strings.HasPrefix(b.String(), want) {
		t.Errorf("printed:\n%s\nwant it to start with:\n%s", b.String(), want)
	}
}

func TestAskJSONCountsUndatedSeeds(t *testing.T) {
	code, out, errOut := runCLI(t, map[string]string{"BRIEFBOT_DATA": t.TempDir()}, "ask", "--json", "What is the capital of France?")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	var ans bot.Answer
	if err := json.Unmarshal([]byte(out), &ans); err != nil {
		t.Fatal(err)
	}
	// Four of the five seeds carry no date.
	if s := ans.Searched; s.Articles != 5 || s.Undated != 4 || s.From.Format(retrieval.DateLayout) != "2025-12-06" || s.To.Format(retrieval.DateLayout) != "2025-12-06" {
		t.Errorf("searched = %+v", s)
	}
	_, out, _ = runCLI(t, map[string]string{"BRIEFBOT_DATA": t.TempDir()}, "ask", "What is the capital of France?")
	if !strings.Contains(out, "I searched 5 articles: 1 dated 2025-12-06, 4 undated.") {
		t.Errorf("plain not-found text: %q", out)
	}
}

func TestJavascriptURLNeverLeaves(t *testing.T) {
	data, src := t.TempDir(), t.TempDir()
	rec := `{"id": "evil", "title": "Harbour bridge closes", "url": "javascript:alert(1)", "published": "2024-03-10", "text": "The harbour bridge closed again on Sunday after inspectors found cracks in the deck. Repairs will take six weeks."}`
	path := filepath.Join(src, "evil.json")
	if err := os.WriteFile(path, []byte(rec), 0o644); err != nil {
		t.Fatal(err)
	}
	env := map[string]string{"BRIEFBOT_DATA": data}
	if code, _, errOut := runCLI(t, env, "ingest", path); code != 0 {
		t.Fatalf("ingest: exit %d: %s", code, errOut)
	}
	for _, args := range [][]string{
		{"sources", "--json"},
		{"ask", "--json", "When did the harbour bridge close?"},
		{"ask", "When did the harbour bridge close?"},
	} {
		code, out, errOut := runCLI(t, env, args...)
		if code != 0 {
			t.Fatalf("%v: exit %d: %s", args, code, errOut)
		}
		if strings.Contains(out, "javascript") {
			t.Errorf("%v shows the javascript: URL:\n%s", args, out)
		}
		if !strings.Contains(out, "evil") {
			t.Errorf("%v does not show the article:\n%s", args, out)
		}
	}
}

// FuzzPrintAnswer prints article text an attacker controls: no control
// character reaches the terminal and only an http(s) URL is shown.
func FuzzPrintAnswer(f *testing.F) {
	f.Add("Officials said \x1b]8;;https://evil.example\x1b\\click\x1b]8;;\x1b\\.", "Read \x1b[31mred", "javascript:alert(1)", "ctx\x07")
	f.Add("plain", "", "https://example.com/a", "")
	f.Fuzz(func(t *testing.T, text, title, u, context string) {
		render := func(u string) string {
			var b bytes.Buffer
			printAnswer(&b, bot.Answer{Found: true, Quotes: []retrieval.Quote{{Text: text, Context: context,
				Article: retrieval.ArticleMeta{ID: "a", Title: title, URL: u}, AlsoIn: []retrieval.ArticleMeta{{ID: "b", Title: title}}}}})
			printAnswer(&b, bot.Answer{Reason: text})
			return b.String()
		}
		out := render(u)
		for _, r := range out {
			if r != '\n' && (unicode.IsControl(r) || (r >= '\u202a' && r <= '\u202e') || (r >= '\u2066' && r <= '\u2069')) {
				t.Fatalf("control character %U printed: %q", r, out)
			}
		}
		// A URL that is not http(s) changes nothing: it is not shown.
		if bot.SafeURL(u) == "" && out != render("") {
			t.Errorf("non-http URL %q printed: %q", u, out)
		}
	})
}
