package engine

import (
	"bufio"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"testing"

	"github.com/briefbot/briefbot/retrieval"
	"github.com/briefbot/briefbot/retrieval/evaluate"
	"github.com/briefbot/briefbot/retrieval/ingest"
)

// evalDir is the shared evaluation data, beside the repository.
func evalDir(t *testing.T) string {
	t.Helper()
	dir := filepath.Join("..", "..", "..", "shared", "eval", "realtimeqa")
	if d := os.Getenv("BRIEFBOT_EVAL_DIR"); d != "" {
		dir = d
	}
	if _, err := os.Stat(filepath.Join(dir, "corpus.jsonl")); err != nil {
		t.Skipf("RealTime QA data not found at %s", dir)
	}
	return dir
}

// TestRealTimeQADevQuality guards answer quality on the RealTime QA dev
// split against regressions: the floors sit a little under the figures in
// BENCHMARKS.md (nDCG@10 .803; answer-in-quote@3 .399 with quotes of one
// sentence or two, about 33 words).
func TestRealTimeQADevQuality(t *testing.T) {
	if testing.Short() || raceEnabled {
		t.Skip("indexes 4,872 articles (skipped under -short and -race)")
	}
	dir := evalDir(t)
	ctx := context.Background()
	e, err := NewMemory(ctx, Options{})
	if err != nil {
		t.Fatal(err)
	}
	var arts []retrieval.Article
	if _, err := ingest.ReadFile(context.Background(), filepath.Join(dir, "corpus.jsonl"), func(a retrieval.Article) error {
		arts = append(arts, a)
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if _, err := e.Ingest(ctx, arts); err != nil {
		t.Fatal(err)
	}
	rel := map[string]map[string]float64{}
	f, err := os.Open(filepath.Join(dir, "qrels.dev.tsv"))
	if err != nil {
		t.Fatal(err)
	}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		var q, d string
		var g float64
		if n, _ := fmtSscan(sc.Text(), &q, &d, &g); n == 3 && g > 0 {
			if rel[q] == nil {
				rel[q] = map[string]float64{}
			}
			rel[q][d] = g
		}
	}
	f.Close()
	qf, err := os.Open(filepath.Join(dir, "queries.dev.jsonl"))
	if err != nil {
		t.Fatal(err)
	}
	defer qf.Close()
	var ndcg, aiq float64
	var nRel, n int
	sc = bufio.NewScanner(qf)
	sc.Buffer(nil, 1<<24)
	for sc.Scan() {
		var q struct{ QID, Date, Question, Answer string }
		if err := json.Unmarshal(sc.Bytes(), &q); err != nil {
			t.Fatal(err)
		}
		asOf, _ := ingest.ParseDate(q.Date)
		res, err := e.Search(ctx, retrieval.Query{Text: q.Question, AsOf: asOf})
		if err != nil {
			t.Fatal(err)
		}
		var quotes, docs []string
		for _, x := range res.Quotes {
			quotes = append(quotes, x.Text)
		}
		for _, d := range res.Docs {
			docs = append(docs, d.ID)
		}
		n++
		if evaluate.AnswerInQuotes(q.Answer, quotes, 3) {
			aiq++
		}
		if r := rel[q.QID]; r != nil {
			nRel++
			ndcg += evaluate.ScoreRanking(docs, r).NDCG10
		}
	}
	ndcg /= float64(nRel)
	aiq /= float64(n)
	t.Logf("RealTime QA dev: %d questions, nDCG@10 %.3f (%d with qrels), answer-in-quote@3 %.3f", n, ndcg, nRel, aiq)
	if ndcg < 0.78 {
		t.Errorf("nDCG@10 %.3f fell below .78", ndcg)
	}
	if aiq < 0.38 {
		t.Errorf("answer-in-quote@3 %.3f fell below .38", aiq)
	}
}
