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
	QID  string   `json:"qid"`
	Docs []string `json:"docs"`
	// Quotes are the quotes' text only, never their context.
	Quotes []string `json:"quotes"`
	Found  bool     `json:"found"`
}

// retrievalSummary is what eval retrieval writes beside its --out file: the
// figures it prints, for scripts.
type retrievalSummary struct {
	Queries int `json:"queries"`
	// Params are the --set overrides the engine ran with.
	Params    map[string]string `json:"params,omitempty"`
	LatencyMs struct {
		P50 float64 `json:"p50"`
		P99 float64 `json:"p99"`
	} `json:"latency_ms"`
	// Ranking is present with --qrels.
	Ranking *evalRanking `json:"ranking,omitempty"`
	// Answers has the answered share and quote length always, and
	// answer-in-quote with --answers.
	Answers evaluate.Answers `json:"answers"`
}

// evalRanking is the ranking figures over the queries with qrels.
type evalRanking struct {
	Queries  int     `json:"queries"`
	Recall1  float64 `json:"recall_at_1"`
	Recall5  float64 `json:"recall_at_5"`
	Recall10 float64 `json:"recall_at_10"`
	MRR10    float64 `json:"mrr_at_10"`
	NDCG10   float64 `json:"ndcg_at_10"`
}

// summaryPath is where eval retrieval writes its summary for --out path.
func summaryPath(out string) string { return out + ".summary.json" }

// paramOverride is one --set key=value, in the order given.
type paramOverride struct{ Key, Value string }

// parseParamOverrides reads --set values; each must be key=value with a
// non-empty key.
func parseParamOverrides(sets []string) ([]paramOverride, error) {
	out := make([]paramOverride, 0, len(sets))
	for _, s := range sets {
		k, v, ok := strings.Cut(s, "=")
		k = strings.TrimSpace(k)
		if !ok || k == "" {
			return nil, fmt.Errorf("--set %q: want key=value", s)
		}
		out = append(out, paramOverride{Key: k, Value: strings.TrimSpace(v)})
	}
	return out, nil
}

// applyParamOverrides sets the engine parameters given with --set
// (engine.Params.Set names: "min_evidence", "quote_docs", "w.cov", ...) on a
// copy of the defaults; an unknown name is an error, so a tuning run never
// reports the defaults under another name.
func applyParamOverrides(opts *engine.Options, sets []paramOverride) error {
	if len(sets) == 0 {
		return nil
	}
	if opts.Params == nil {
		opts.Params = engine.DefaultParams()
	}
	for _, s := range sets {
		if err := opts.Params.Set(s.Key, s.Value); err != nil {
			return fmt.Errorf("--set %s: %w", s.Key, err)
		}
	}
	return nil
}

func (a *app) evalRetrievalCmd() *cobra.Command {
	var corpus, queries, qrels, out, answers string
	var sets []string
	cmd := &cobra.Command{
		Use:   "retrieval --corpus F --queries F [--qrels F] [--answers F] [--set key=value]... --out F",
		Short: "Index a corpus, ask every query as of its date, write and score the results",
		Long: `Index a JSONL corpus in memory, ask every query's question as of its date, and write
one line per query to --out: {"qid", "docs": [up to 20 article ids, best first],
"quotes": [quote text, best first], "found": answered or refused}. A quote's text
is written without its context. The docs come from the same retrieval that
answers questions.

It prints the answered share (found) and the mean words per quote. With --qrels
(BEIR TSV: query-id, corpus-id, score) it prints Recall@1/5/10, MRR@10 and nDCG@10.
With --answers (a JSONL file with qid and answer, e.g. the queries file itself) it
prints answer-in-quote@1/3/5 with the answer matched as whole words and @1/3 with
it contained anywhere, in the quotes' text only, each quote counted up to its first
60 words; a refusal is a miss. Every figure printed is also written as JSON to
OUT.summary.json. Only qid, date and question are read from --queries.

--set key=value (repeatable) overrides an engine parameter for this run.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if corpus == "" || queries == "" || out == "" {
				return exitError{code: 2, msg: "eval retrieval needs --corpus, --queries and --out"}
			}
			overrides, err := parseParamOverrides(sets)
			if err != nil {
				return exitError{code: 2, msg: err.Error()}
			}
			ctx := cmd.Context()
			emb, err := a.embedder()
			if err != nil {
				return err
			}
			opts := engine.Options{Embedder: emb}
			if err := applyParamOverrides(&opts, overrides); err != nil {
				return exitError{code: 2, msg: err.Error()}
			}
			start := time.Now()
			e, err := engine.NewMemory(ctx, opts)
			if err != nil {
				return err
			}
			var arts []retrieval.Article
			bad, err := ingest.ReadFile(ctx, corpus, func(art retrieval.Article) error {
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
			answered := make([]evaluate.QueryResult, 0, len(qs))
			var lat []time.Duration
			for _, q := range qs {
				asOf, _ := ingest.ParseDate(q.Date)
				t0 := time.Now()
				res, err := e.Search(ctx, retrieval.Query{Text: q.Question, AsOf: asOf})
				lat = append(lat, time.Since(t0))
				if err != nil {
					return fmt.Errorf("query %s: %w", q.QID, err)
				}
				line := evalLine{QID: q.QID, Docs: []string{}, Quotes: []string{}, Found: res.Found}
				for _, d := range res.Docs {
					line.Docs = append(line.Docs, d.ID)
				}
				for _, qt := range res.Quotes {
					line.Quotes = append(line.Quotes, qt.Text)
				}
				results[q.QID] = line
				answered = append(answered, evaluate.QueryResult{QID: q.QID, Found: line.Found, Quotes: line.Quotes})
				b, _ := json.Marshal(line)
				w.Write(append(b, '\n'))
			}
			if err := w.Flush(); err != nil {
				return err
			}
			if err := f.Close(); err != nil {
				return err
			}
			latMs := make([]float64, len(lat))
			for i, d := range lat {
				latMs[i] = ms(d)
			}
			sum := retrievalSummary{Queries: len(qs)}
			if len(overrides) > 0 {
				sum.Params = map[string]string{}
				for _, o := range overrides {
					sum.Params[o.Key] = o.Value
				}
			}
			sum.LatencyMs.P50, sum.LatencyMs.P99 = pct(latMs, 50), pct(latMs, 99)
			fmt.Fprintf(a.stdout, "queries: %d   latency p50 %.1f ms, p99 %.1f ms\n", len(qs), sum.LatencyMs.P50, sum.LatencyMs.P99)
			if qrels != "" {
				rel, err := readQrels(qrels)
				if err != nil {
					return err
				}
				var rank evaluate.Ranking
				n := 0
				for qid, r := range rel {
					line, ok := results[qid]
					if !ok {
						continue
					}
					s := evaluate.ScoreRanking(line.Docs, r)
					rank.Recall1 += s.Recall1
					rank.Recall5 += s.Recall5
					rank.Recall10 += s.Recall10
					rank.MRR10 += s.MRR10
					rank.NDCG10 += s.NDCG10
					n++
				}
				if n > 0 {
					fn := float64(n)
					sum.Ranking = &evalRanking{Queries: n, Recall1: rank.Recall1 / fn, Recall5: rank.Recall5 / fn,
						Recall10: rank.Recall10 / fn, MRR10: rank.MRR10 / fn, NDCG10: rank.NDCG10 / fn}
					r := sum.Ranking
					fmt.Fprintf(a.stdout, "ranking (%d queries with qrels): R@1 %.3f  R@5 %.3f  R@10 %.3f  MRR@10 %.3f  nDCG@10 %.3f\n",
						n, r.Recall1, r.Recall5, r.Recall10, r.MRR10, r.NDCG10)
				}
			}
			var gold map[string]string
			if answers != "" {
				if gold, err = readAnswers(answers); err != nil {
					return err
				}
			}
			s := evaluate.SummarizeAnswers(answered, gold)
			sum.Answers = s
			fmt.Fprintf(a.stdout, "answered: %d of %d (%.3f)   quotes: %d, %.1f words a quote\n",
				s.Answered, s.Queries, s.AnsweredShare, s.Quotes, s.MeanQuoteWords)
			if s.Scored > 0 {
				fmt.Fprintf(a.stdout, "answer-in-quote (%d queries with answers, quote text only): @1 %.3f  @3 %.3f  @5 %.3f (whole words); @1 %.3f  @3 %.3f (contained anywhere)\n",
					s.Scored, s.At1, s.At3, s.At5, s.ContainedAt1, s.ContainedAt3)
			}
			b, err := json.MarshalIndent(sum, "", "  ")
			if err != nil {
				return err
			}
			if err := os.WriteFile(summaryPath(out), append(b, '\n'), 0o644); err != nil {
				return fmt.Errorf("write summary: %w", err)
			}
			return nil
		},
	}
	cmd.Flags().StringArrayVar(&sets, "set", nil, "override an engine parameter for this run, key=value (repeatable)")
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
