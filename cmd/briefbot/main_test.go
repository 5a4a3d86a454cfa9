package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/briefbot/briefbot/bot"
	"github.com/briefbot/briefbot/retrieval"
)

// runCLI runs briefbot with args and an environment, returning the exit
// code and outputs.
func runCLI(t *testing.T, env map[string]string, args ...string) (int, string, string) {
	t.Helper()
	var out, errOut bytes.Buffer
	getenv := func(k string) string { return env[k] }
	code := run(context.Background(), args, &out, &errOut, getenv)
	return code, out.String(), errOut.String()
}

func TestAskJSONContractOnSeeds(t *testing.T) {
	env := map[string]string{"BRIEFBOT_DATA": t.TempDir()}
	code, out, errOut := runCLI(t, env, "ask", "--json", "How many drones and missiles did Russia fire on Friday night?")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	// Decode strictly into the contract's shape.
	var raw map[string]json.RawMessage
	if err := json.Unmarshal([]byte(out), &raw); err != nil {
		t.Fatalf("not JSON: %v\n%s", err, out)
	}
	for _, k := range []string{"question", "found", "quotes", "searched"} {
		if _, ok := raw[k]; !ok {
			t.Errorf("missing %q in %s", k, out)
		}
	}
	var ans bot.Answer
	if err := json.Unmarshal([]byte(out), &ans); err != nil {
		t.Fatal(err)
	}
	if !ans.Found || len(ans.Quotes) == 0 {
		t.Fatalf("not found: %s", out)
	}
	q := ans.Quotes[0]
	if !strings.Contains(q.Text, "653 drones and 51 missiles") || q.Article.ID != "002_8c35132417f41974.txt" {
		t.Errorf("first quote %+v", q)
	}
	if ans.Searched.Articles != 5 || ans.Searched.From.Format(retrieval.DateLayout) != "2025-12-06" || ans.Searched.To.Format(retrieval.DateLayout) != "2025-12-06" {
		t.Errorf("searched = %+v", ans.Searched)
	}
	// Unknown fields are omitted, never invented: seed 002 has no title, source, url or date.
	var article map[string]any
	var quotes []map[string]json.RawMessage
	json.Unmarshal(raw["quotes"], &quotes)
	json.Unmarshal(quotes[0]["article"], &article)
	for _, k := range []string{"title", "source", "url", "published"} {
		if _, ok := article[k]; ok {
			t.Errorf("article.%s present for an article that does not carry it: %v", k, article)
		}
	}
}

func TestAskNotFoundSaysWhatWasSearched(t *testing.T) {
	env := map[string]string{"BRIEFBOT_DATA": t.TempDir()}
	code, out, _ := runCLI(t, env, "ask", "--json", "What", "is", "the", "capital", "of", "France?")
	if code != 0 {
		t.Fatalf("exit %d", code)
	}
	var ans bot.Answer
	if err := json.Unmarshal([]byte(out), &ans); err != nil {
		t.Fatal(err)
	}
	if ans.Found || len(ans.Quotes) != 0 || !strings.Contains(out, `"quotes": []`) {
		t.Fatalf("want found false and an empty quotes list: %s", out)
	}
	code, out, _ = runCLI(t, env, "ask", "What is the capital of France?")
	if code != 0 || !strings.Contains(out, "couldn't find") || !strings.Contains(out, "5 articles") {
		t.Errorf("plain not-found text: %q", out)
	}
}

func TestAskRejectsBadInput(t *testing.T) {
	env := map[string]string{"BRIEFBOT_DATA": t.TempDir()}
	if code, _, errOut := runCLI(t, env, "ask", "   "); code != 2 || !strings.Contains(errOut, "empty") {
		t.Errorf("empty question: exit %d, %q", code, errOut)
	}
	for _, bad := range []string{"soon", "0  0000 11111,0000111111"} {
		if code, _, errOut := runCLI(t, env, "ask", "--as-of", bad, "question"); code != 2 || !strings.Contains(errOut, "--as-of") {
			t.Errorf("bad date %q: exit %d, %q", bad, code, errOut)
		}
	}
	if code, _, _ := runCLI(t, env, "ask", strings.Repeat("word ", 200)); code != 2 {
		t.Errorf("over-long question: exit %d", code)
	}
}

func TestIngestReportsEachFileAndIsIdempotent(t *testing.T) {
	data := t.TempDir()
	src := t.TempDir()
	write := func(name, body string) {
		t.Helper()
		if err := os.WriteFile(filepath.Join(src, name), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("bridge.txt", "Bridge reopens\nThe harbour bridge reopened to traffic on Monday after repairs.\n")
	write("notes.md", "---\ntitle: Council vote\ndate: 2025-01-02\nsource: City Desk\n---\nThe council voted to expand the tram network by four stations.\n")
	write("records.jsonl", `{"id":"r1","title":"Port strike","text":"Dock workers began a strike at the port on Tuesday.","published":"2025-01-03"}`+"\n"+`{broken`+"\n")
	write("empty.txt", "   \n")
	write("binary.txt", "abc\x00def")
	write("latin1.txt", "caf\xe9 au lait in the harbour caf\xe9s.")
	env := map[string]string{}
	code, out, errOut := runCLI(t, env, "ingest", "--data", data, src)
	if code != 0 {
		t.Fatalf("exit %d: %s %s", code, out, errOut)
	}
	for _, want := range []string{
		"added     " + filepath.Join(src, "bridge.txt"),
		"added     " + filepath.Join(src, "notes.md"),
		"1 added, 0 updated, 0 unchanged, 1 records skipped",
		"skipped   " + filepath.Join(src, "empty.txt") + ": empty",
		"skipped   " + filepath.Join(src, "binary.txt") + ": binary",
		// Not UTF-8 and no charset declared: read as windows-1252, with a warning.
		"warning   " + filepath.Join(src, "latin1.txt") + ": not UTF-8; read as windows-1252",
		"added     " + filepath.Join(src, "latin1.txt"),
		"4 added, 0 updated, 0 unchanged, 2 skipped",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("ingest output lacks %q:\n%s", want, out)
		}
	}
	// Again: a no-op.
	_, out, _ = runCLI(t, env, "ingest", "--data", data, src)
	if !strings.Contains(out, "0 added, 0 updated, 4 unchanged") {
		t.Errorf("re-ingest not a no-op:\n%s", out)
	}
	// Changed content replaces it.
	write("bridge.txt", "Bridge closes\nThe harbour bridge closed again on Friday after cracks were found.\n")
	_, out, _ = runCLI(t, env, "ingest", "--data", data, filepath.Join(src, "bridge.txt"))
	if !strings.Contains(out, "updated   "+filepath.Join(src, "bridge.txt")) {
		t.Errorf("changed file not updated:\n%s", out)
	}
	// The store now answers from the ingested briefings, not the seeds.
	code, out, _ = runCLI(t, env, "ask", "--data", data, "--json", "When did the harbour bridge close again?")
	if code != 0 || !strings.Contains(out, "cracks were found") || !strings.Contains(out, `"title": "Bridge closes"`) {
		t.Errorf("ask after ingest: %s", out)
	}
	code, out, _ = runCLI(t, env, "sources", "--data", data, "--json")
	var list []sourceJSON
	if err := json.Unmarshal([]byte(out), &list); code != 0 || err != nil || len(list) != 4 {
		t.Fatalf("sources: exit %d, %v, %s", code, err, out)
	}

}

func TestIngestOnlyBadFilesFails(t *testing.T) {
	src := t.TempDir()
	os.WriteFile(filepath.Join(src, "empty.txt"), nil, 0o644)
	code, out, _ := runCLI(t, map[string]string{}, "ingest", "--data", t.TempDir(), filepath.Join(src, "empty.txt"))
	if code == 0 || !strings.Contains(out, "skipped") {
		t.Errorf("exit %d for a batch of only bad files:\n%s", code, out)
	}
}

func TestServeHTTPAPI(t *testing.T) {
	a := &app{stdout: io.Discard, stderr: io.Discard, getenv: func(string) string { return "" }}
	cfg := Config{HTTPAddr: "127.0.0.1:0", Data: t.TempDir()}
	var logs bytes.Buffer
	s := newMain(cfg, a.getenv, newLogger(Config{LogFormat: "json"}, &logs))
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- serve(ctx, s) }()
	<-s.ready
	base := "http://" + s.Addr().String()
	// Ready once the seeds are loaded: poll /healthz (bounded).
	deadline := time.Now().Add(10 * time.Second)
	for {
		resp, err := http.Get(base + "/healthz")
		if err == nil && resp.StatusCode == http.StatusOK {
			resp.Body.Close()
			break
		}
		if err == nil {
			if resp.StatusCode != http.StatusServiceUnavailable {
				t.Fatalf("healthz status %d before ready", resp.StatusCode)
			}
			resp.Body.Close()
		}
		if time.Now().After(deadline) {
			t.Fatal("healthz never became 200")
		}
		time.Sleep(10 * time.Millisecond)
	}
	get := func(path string) (int, string) {
		resp, err := http.Get(base + path)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	question := "How many drones and missiles did Russia fire on Friday night?"
	code, body := get("/api/ask?q=" + url.QueryEscape(question))
	if code != 200 || !strings.Contains(body, "653 drones and 51 missiles") {
		t.Fatalf("/api/ask: %d %s", code, body)
	}
	// The same contract as `ask --json`.
	_, cli, _ := runCLI(t, map[string]string{"BRIEFBOT_DATA": t.TempDir()}, "ask", "--json", question)
	var fromAPI, fromCLI bot.Answer
	json.Unmarshal([]byte(body), &fromAPI)
	json.Unmarshal([]byte(cli), &fromCLI)
	if a, b := mustJSON(t, fromAPI), mustJSON(t, fromCLI); a != b {
		t.Errorf("API and CLI answers differ:\n%s\n%s", a, b)
	}
	for _, bad := range []string{"/api/ask", "/api/ask?q=", "/api/ask?q=" + strings.Repeat("x", 600), "/api/ask?q=x&as_of=someday", "/api/ask?q=x&as_of=0%20%200000%2011111%2C0000111111"} {
		code, body := get(bad)
		var e map[string]string
		if code != 400 || json.Unmarshal([]byte(body), &e) != nil || e["error"] == "" {
			t.Errorf("%s: %d %s, want 400 with a JSON error", bad, code, body)
		}
	}
	code, body = get("/metrics")
	for _, want := range []string{
		`briefbot_questions_total{outcome="answered",platform="http"} 1`,
		"briefbot_answer_latency_seconds_bucket",
		"briefbot_store_articles 5",
		"briefbot_store_chunks",
		"briefbot_deduplicated_deliveries_total",
		"briefbot_rate_limit_waits_total",
	} {
		if code != 200 || !strings.Contains(body, want) {
			t.Errorf("/metrics lacks %q", want)
		}
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatalf("Run returned %v on shutdown", err)
	}
	if strings.Contains(logs.String(), "drones") {
		t.Errorf("a question body reached the log:\n%s", logs.String())
	}
}

func mustJSON(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func TestPrintAnswerMarksTruncatedQuotes(t *testing.T) {
	var b bytes.Buffer
	printAnswer(&b, bot.Answer{Found: true, Quotes: []retrieval.Quote{
		{Text: "Ferries will dock at the southern terminal, which will add", Article: retrieval.ArticleMeta{ID: "a.txt"}, Truncated: true},
		{Text: "The pier is closed.", Article: retrieval.ArticleMeta{ID: "b.txt"}},
	}})
	out := b.String()
	if !strings.Contains(out, "1. “Ferries will dock at the southern terminal, which will add…”") ||
		!strings.Contains(out, "2. “The pier is closed.”") {
		t.Errorf("printed:\n%s", out)
	}
}
