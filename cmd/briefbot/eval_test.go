package main

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// writeEvalSplit writes a tiny split in the realtimeqa formats: a corpus,
// queries (one answerable, one the corpus cannot answer) and qrels.
func writeEvalSplit(t *testing.T) (dir string) {
	t.Helper()
	dir = t.TempDir()
	files := map[string]string{
		"corpus.jsonl": `{"doc_id": "d1", "title": "Harbour bridge closes", "publish_date": "2024/03/10", "text": "The harbour bridge closed again on Sunday after inspectors found cracks in the deck. Repairs will take six weeks, the city said."}
{"doc_id": "d2", "title": "Ferries", "publish_date": null, "text": "Ferries will dock at the southern terminal while the northern pier is closed for the winter."}
`,
		"queries.jsonl": `{"qid": "q1", "date": "2024/03/11", "question": "How long will the harbour bridge repairs take?", "answer": ["six weeks"]}
{"qid": "q2", "date": "2024/03/11", "question": "What is the recipe for tikka masala?", "answer": "yogurt"}
`,
		"qrels.tsv": "query-id\tcorpus-id\tscore\nq1\td1\t1\n",
	}
	for name, body := range files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

func TestEvalRetrievalPrintsAndWritesAnswerFigures(t *testing.T) {
	dir := writeEvalSplit(t)
	out := filepath.Join(dir, "out.jsonl")
	code, stdout, stderr := runCLI(t, map[string]string{"BRIEFBOT_DATA": t.TempDir()}, "eval", "retrieval",
		"--corpus", filepath.Join(dir, "corpus.jsonl"), "--queries", filepath.Join(dir, "queries.jsonl"),
		"--qrels", filepath.Join(dir, "qrels.tsv"), "--answers", filepath.Join(dir, "queries.jsonl"), "--out", out)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	for _, want := range []string{"queries: 2", "ranking (1 queries with qrels)", "answered: ", " words a quote", "answer-in-quote (2 queries with answers, quote text only): @1 ", "(contained anywhere)"} {
		if !strings.Contains(stdout, want) {
			t.Errorf("output lacks %q:\n%s", want, stdout)
		}
	}
	// Every line is a query result that scorers read as before.
	raw, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(string(raw)), "\n")
	if len(lines) != 2 {
		t.Fatalf("%d lines in --out, want 2:\n%s", len(lines), raw)
	}
	answered := 0
	for _, l := range lines {
		var line evalLine
		if err := json.Unmarshal([]byte(l), &line); err != nil || line.QID == "" {
			t.Fatalf("bad line %q: %v", l, err)
		}
		if line.Found {
			answered++
		}
		if !line.Found && len(line.Quotes) != 0 {
			t.Errorf("a refusal carries quotes: %s", l)
		}
	}
	var sum retrievalSummary
	b, err := os.ReadFile(summaryPath(out))
	if err != nil {
		t.Fatalf("no summary beside --out: %v", err)
	}
	if err := json.Unmarshal(b, &sum); err != nil {
		t.Fatal(err)
	}
	a := sum.Answers
	if sum.Queries != 2 || a.Queries != 2 || a.Scored != 2 || a.Answered != answered || sum.Ranking == nil || sum.Ranking.Queries != 1 {
		t.Errorf("summary %s", b)
	}
	if a.Answered > 0 && (a.MeanQuoteWords <= 0 || a.AnsweredShare != float64(a.Answered)/2) {
		t.Errorf("summary figures %+v", a)
	}
	if a.At3 < a.At1 || a.ContainedAt3 < a.At3 || a.ContainedAt1 < a.At1 {
		t.Errorf("inconsistent answer-in-quote figures %+v", a)
	}
}

func TestEvalRetrievalSetFlag(t *testing.T) {
	got, err := parseParamOverrides([]string{"minEvidence=0.4", " k = v=w ", "empty="})
	if err != nil {
		t.Fatal(err)
	}
	want := []paramOverride{{"minEvidence", "0.4"}, {"k", "v=w"}, {"empty", ""}}
	if len(got) != len(want) {
		t.Fatalf("parsed %v, want %v", got, want)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("override %d = %v, want %v", i, got[i], want[i])
		}
	}
	for _, bad := range []string{"novalue", "=1", " =x"} {
		if _, err := parseParamOverrides([]string{bad}); err == nil {
			t.Errorf("--set %q accepted", bad)
		}
	}

	// A malformed --set is a usage error before anything is indexed.
	dir := writeEvalSplit(t)
	args := []string{"eval", "retrieval", "--corpus", filepath.Join(dir, "corpus.jsonl"),
		"--queries", filepath.Join(dir, "queries.jsonl"), "--out", filepath.Join(dir, "out.jsonl")}
	code, _, stderr := runCLI(t, nil, append(args, "--set", "novalue")...)
	if code != 2 || !strings.Contains(stderr, "key=value") {
		t.Errorf("malformed --set: exit %d, %q", code, stderr)
	}
	// An override is never silently ignored: an unknown key is refused.
	code, _, stderr = runCLI(t, nil, append(args, "--set", "noSuchKnob=1")...)
	if code != 2 || !strings.Contains(stderr, "noSuchKnob") {
		t.Errorf("unknown --set: exit %d, %q", code, stderr)
	}
	if _, err := os.Stat(filepath.Join(dir, "out.jsonl")); err == nil {
		t.Errorf("a refused run wrote --out")
	}
	// A known parameter is applied.
	if code, _, stderr = runCLI(t, nil, append(args, "--set", "min_evidence=0.5", "--set", "w.cov=2")...); code != 0 {
		t.Errorf("known --set: exit %d, %q", code, stderr)
	}
}

func TestEvalFitRefusalNegatives(t *testing.T) {
	dir := writeEvalSplit(t)
	env := map[string]string{"BRIEFBOT_DATA": t.TempDir()}
	args := []string{"eval", "fit", "--refusal", "--corpus", filepath.Join(dir, "corpus.jsonl"), "--queries", filepath.Join(dir, "queries.jsonl")}
	code, _, stderr := runCLI(t, env, append(args, "--negatives", "bogus", "--out", filepath.Join(dir, "m.json"))...)
	if code != 2 || !strings.Contains(stderr, "--negatives is none or a comma-separated list of drop-answer, swap-word") {
		t.Fatalf("bad --negatives: exit %d, %s", code, stderr)
	}
	cache := filepath.Join(dir, "refusal.gob")
	out1, out2 := filepath.Join(dir, "m1.json"), filepath.Join(dir, "m2.json")
	code, stdout, stderr := runCLI(t, env, append(args, "--negatives", "drop-answer,swap-word", "--cache", cache, "--out", out1)...)
	if code != 0 || !strings.Contains(stdout, "negatives built") {
		t.Fatalf("exit %d: %s%s", code, stdout, stderr)
	}
	// The cache gives the same model without the corpus being read again.
	if code, _, stderr = runCLI(t, env, append(args, "--negatives", "drop-answer,swap-word", "--cache", cache, "--out", out2)...); code != 0 {
		t.Fatalf("from the cache: exit %d: %s", code, stderr)
	}
	a, _ := os.ReadFile(out1)
	b, _ := os.ReadFile(out2)
	if len(a) == 0 || string(a) != string(b) {
		t.Fatalf("refit from the cache differs:\n%s\n%s", a, b)
	}
	var m struct {
		RefusalWeights map[string]float64 `json:"refusal_weights"`
	}
	if err := json.Unmarshal(a, &m); err != nil {
		t.Fatal(err)
	}
	for _, f := range []string{"pred", "key_word", "year_miss"} {
		if _, ok := m.RefusalWeights[f]; !ok {
			t.Errorf("refusal weights lack %s: %v", f, m.RefusalWeights)
		}
	}
	// The cache keeps each kind of negative apart: a fit on fewer kinds
	// uses fewer examples.
	code, stdout2, stderr := runCLI(t, env, append(args, "--negatives", "drop-answer", "--cache", cache, "--out", out2)...)
	if code != 0 {
		t.Fatalf("drop-answer only: exit %d: %s", code, stderr)
	}
	if n1, n2 := fittedExamples(t, stdout), fittedExamples(t, stdout2); n2 > n1 {
		t.Errorf("drop-answer only fitted %d examples, both kinds %d", n2, n1)
	}
}

// fittedExamples reads how many examples eval fit --refusal says it fitted.
func fittedExamples(t *testing.T, stdout string) int {
	t.Helper()
	var n int
	i := strings.Index(stdout, "fitted the refusal model on ")
	if i < 0 {
		t.Fatalf("no fit line in %q", stdout)
	}
	if _, err := fmt.Sscanf(stdout[i:], "fitted the refusal model on %d examples", &n); err != nil {
		t.Fatal(err)
	}
	return n
}
