package main

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/briefbot/briefbot/retrieval"
	"github.com/briefbot/briefbot/retrieval/engine"
	"github.com/briefbot/briefbot/retrieval/evaluate"
	"github.com/briefbot/briefbot/retrieval/ingest"
)

func (a *app) evalCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "eval",
		Short: "Measure answer quality on evaluation data",
	}
	cmd.AddCommand(a.evalRetrievalCmd(), a.evalDigestCmd(), a.evalFitCmd())
	return cmd
}

// evalQuery is what eval reads of a query line: nothing else.
type evalQuery struct {
	QID      string `json:"qid"`
	Date     string `json:"date"`
	Question string `json:"question"`
}

// evalLine is one line of the eval output.
type evalLine struct {
	QID    string   `json:"qid"`
	Docs   []string `json:"docs"`
	Quotes []string `json:"quotes"`
}

func (a *app) evalRetrievalCmd() *cobra.Command {
	var corpus, queries, qrels, out, answers string
	cmd := &cobra.Command{
		Use:   "retrieval --corpus F --queries F [--qrels F] --out F",
		Short: "Index a corpus, ask every query as of its date, write and score the results",
		Long: `Index a JSONL corpus in memory, ask every query's question as of its date, and write
one line per query to --out: {"qid", "docs": [up to 20 article ids, best first],
"quotes": [quote text, best first]}. The docs come from the same retrieval that
answers questions.

With --qrels (BEIR TSV: query-id, corpus-id, score) it prints Recall@1/5/10, MRR@10
and nDCG@10. With --answers (a JSONL file with qid and answer, e.g. the queries file
itself) it prints answer-in-quote@1/3/5, each quote counted up to its first 60 words
and the answer matched as whole words, and @3 with the answer contained anywhere.
Only qid, date and question are read from --queries.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if corpus == "" || queries == "" || out == "" {
				return exitError{code: 2, msg: "eval retrieval needs --corpus, --queries and --out"}
			}
			ctx := cmd.Context()
			emb, err := a.embedder()
			if err != nil {
				return err
			}
			start := time.Now()
			e, err := engine.NewMemory(ctx, engine.Options{Embedder: emb})
			if err != nil {
				return err
			}
			var arts []retrieval.Article
			bad, err := ingest.ReadFile(corpus, func(art retrieval.Article) error {
				arts = append(arts, art)
				return nil
			})
			if err != nil {
				return fmt.Errorf("read corpus %s: %w", corpus, err)
			}
			if _, err := e.Ingest(ctx, arts); err != nil {
				return err
			}
			fmt.Fprintf(a.stderr, "indexed %d articles (%d records skipped), %d chunks in %.1fs\n", len(arts), len(bad), e.Stats().Chunks, time.Since(start).Seconds())
			qs, err := readEvalQueries(queries)
			if err != nil {
				return err
			}
			f, err := os.Create(out)
			if err != nil {
				return err
			}
			defer f.Close()
			w := bufio.NewWriter(f)
			results := make(map[string]evalLine, len(qs))
			var lat []time.Duration
			for _, q := range qs {
				asOf, _ := ingest.ParseDate(q.Date)
				t0 := time.Now()
				res, err := e.Search(ctx, retrieval.Query{Text: q.Question, AsOf: asOf})
				lat = append(lat, time.Since(t0))
				if err != nil {
					return fmt.Errorf("query %s: %w", q.QID, err)
				}
				line := evalLine{QID: q.QID, Docs: []string{}, Quotes: []string{}}
				for _, d := range res.Docs {
					line.Docs = append(line.Docs, d.ID)
				}
				for _, qt := range res.Quotes {
					line.Quotes = append(line.Quotes, qt.Text)
				}
				results[q.QID] = line
				b, _ := json.Marshal(line)
				w.Write(append(b, '\n'))
			}
			if err := w.Flush(); err != nil {
				return err
			}
			latMs := make([]float64, len(lat))
			for i, d := range lat {
				latMs[i] = ms(d)
			}
			fmt.Fprintf(a.stdout, "queries: %d   latency p50 %.1f ms, p99 %.1f ms\n", len(qs), pct(latMs, 50), pct(latMs, 99))
			if qrels != "" {
				rel, err := readQrels(qrels)
				if err != nil {
					return err
				}
				var sum evaluate.Ranking
				n := 0
				for qid, r := range rel {
					line, ok := results[qid]
					if !ok {
						continue
					}
					s := evaluate.ScoreRanking(line.Docs, r)
					sum.Recall1 += s.Recall1
					sum.Recall5 += s.Recall5
					sum.Recall10 += s.Recall10
					sum.MRR10 += s.MRR10
					sum.NDCG10 += s.NDCG10
					n++
				}
				if n > 0 {
					fn := float64(n)
					fmt.Fprintf(a.stdout, "ranking (%d queries with qrels): R@1 %.3f  R@5 %.3f  R@10 %.3f  MRR@10 %.3f  nDCG@10 %.3f\n",
						n, sum.Recall1/fn, sum.Recall5/fn, sum.Recall10/fn, sum.MRR10/fn, sum.NDCG10/fn)
				}
			}
			if answers != "" {
				ans, err := readAnswers(answers)
				if err != nil {
					return err
				}
				var k1, k3, k5, loose3, n float64
				found := 0
				for _, q := range qs {
					gold, ok := ans[q.QID]
					if !ok {
						continue
					}
					n++
					quotes := results[q.QID].Quotes
					if len(quotes) > 0 {
						found++
					}
					if evaluate.AnswerInQuotes(gold, quotes, 1) {
						k1++
					}
					if evaluate.AnswerInQuotes(gold, quotes, 3) {
						k3++
					}
					if evaluate.AnswerInQuotes(gold, quotes, 5) {
						k5++
					}
					if evaluate.AnswerContainedInQuotes(gold, quotes, 3) {
						loose3++
					}
				}
				if n > 0 {
					fmt.Fprintf(a.stdout, "answer-in-quote (%d queries, %d answered): @1 %.3f  @3 %.3f  @5 %.3f (whole words); @3 %.3f contained anywhere\n", int(n), found, k1/n, k3/n, k5/n, loose3/n)
				}
			}
			return nil
		},
	}
	cmd.Flags().StringVar(&corpus, "corpus", "", "corpus JSONL (doc_id/id, title, text, url, publish_date/published)")
	cmd.Flags().StringVar(&queries, "queries", "", "queries JSONL (qid, date, question)")
	cmd.Flags().StringVar(&qrels, "qrels", "", "relevance TSV (query-id, corpus-id, score) for ranking metrics")
	cmd.Flags().StringVar(&answers, "answers", "", "JSONL with qid and answer, for answer-in-quote (may be the queries file)")
	cmd.Flags().StringVar(&out, "out", "", "where to write one JSON line per query")
	return cmd
}

func readEvalQueries(path string) ([]evalQuery, error) {
	var out []evalQuery
	err := eachJSONLine(path, func(raw []byte) error {
		var q evalQuery
		if err := json.Unmarshal(raw, &q); err != nil {
			return err
		}
		if q.QID != "" && strings.TrimSpace(q.Question) != "" {
			out = append(out, q)
		}
		return nil
	})
	return out, err
}

func readAnswers(path string) (map[string]string, error) {
	out := map[string]string{}
	err := eachJSONLine(path, func(raw []byte) error {
		var q struct {
			QID    string `json:"qid"`
			Answer any    `json:"answer"`
		}
		if err := json.Unmarshal(raw, &q); err != nil {
			return err
		}
		switch v := q.Answer.(type) {
		case string:
			out[q.QID] = v
		case []any:
			if len(v) > 0 {
				if s, ok := v[0].(string); ok {
					out[q.QID] = s
				}
			}
		}
		return nil
	})
	return out, err
}

func eachJSONLine(path string, fn func([]byte) error) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 0, 1<<20), 64<<20)
	line := 0
	for sc.Scan() {
		line++
		raw := sc.Bytes()
		if len(strings.TrimSpace(string(raw))) == 0 {
			continue
		}
		if err := fn(raw); err != nil {
			return fmt.Errorf("%s:%d: %w", path, line, err)
		}
	}
	return sc.Err()
}

func readQrels(path string) (map[string]map[string]float64, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	out := map[string]map[string]float64{}
	sc := bufio.NewScanner(f)
	first := true
	for sc.Scan() {
		fields := strings.Split(strings.TrimSpace(sc.Text()), "\t")
		if first {
			first = false
			if len(fields) > 0 && fields[0] == "query-id" {
				continue
			}
		}
		if len(fields) < 3 {
			continue
		}
		var g float64
		if _, err := fmt.Sscan(fields[2], &g); err != nil {
			return nil, fmt.Errorf("%s: bad score %q", path, fields[2])
		}
		if out[fields[0]] == nil {
			out[fields[0]] = map[string]float64{}
		}
		out[fields[0]][fields[1]] = g
	}
	if err := sc.Err(); err != nil {
		return nil, err
	}
	if len(out) == 0 {
		return nil, errors.New(path + ": no relevance judgements")
	}
	return out, nil
}
