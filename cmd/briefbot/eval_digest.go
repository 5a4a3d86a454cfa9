package main

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"runtime"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"golang.org/x/sync/errgroup"

	"github.com/briefbot/briefbot/bot/digest"
	"github.com/briefbot/briefbot/bot/digest/rouge"
	"github.com/briefbot/briefbot/retrieval"
	"github.com/briefbot/briefbot/retrieval/engine"
)

// evalCluster is what eval digest reads to build a summary: nothing else.
type evalCluster struct {
	Idx       json.RawMessage `json:"idx"`
	Documents []string        `json:"documents"`
}

// evalReference is read only to score, never to build.
type evalReference struct {
	Summary *string `json:"summary"`
}

// evalSummary is one line of the eval digest output.
type evalSummary struct {
	Idx     json.RawMessage `json:"idx"`
	Summary string          `json:"summary"`
}

func (a *app) evalDigestCmd() *cobra.Command {
	var clusters, out string
	var words, skip, limit int
	cmd := &cobra.Command{
		Use:   "digest --clusters F [--words 230] --out F",
		Short: "Summarise document clusters with the digest and score them with ROUGE",
		Long: `Treat each cluster's documents as one day's briefings: index them in memory, build
the digest of every article, and write one line per cluster to --out:
{"idx": ..., "summary": "the digest's sentences only, no headlines or markup"},
cut to --words words. Only idx and documents are read to build a summary.

When the clusters carry a reference "summary", print the mean ROUGE-1, ROUGE-2 and
ROUGE-L F1 (tokens: lower-cased runs of [a-z0-9], no stemming; ROUGE-L: longest
common subsequence over the whole summary).`,
		Example: `  briefbot eval digest --clusters ../shared/eval/multinews/val.jsonl --limit 1000 --out /tmp/digest.jsonl`,
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if clusters == "" || out == "" {
				return exitError{code: 2, msg: "eval digest needs --clusters and --out"}
			}
			if words <= 0 {
				return exitError{code: 2, msg: "--words must be positive"}
			}
			ctx := cmd.Context()
			var cs []evalCluster
			var refs []*string
			n := 0
			err := eachJSONLine(clusters, func(raw []byte) error {
				n++
				if n <= skip || (limit > 0 && len(cs) >= limit) {
					return nil
				}
				var c evalCluster
				if err := json.Unmarshal(raw, &c); err != nil {
					return err
				}
				var r evalReference
				if err := json.Unmarshal(raw, &r); err != nil {
					return err
				}
				cs = append(cs, c)
				refs = append(refs, r.Summary)
				return nil
			})
			if err != nil {
				return err
			}
			start := time.Now()
			sums := make([]string, len(cs))
			g, gctx := errgroup.WithContext(ctx)
			g.SetLimit(runtime.GOMAXPROCS(0))
			for i := range cs {
				g.Go(func() error {
					s, err := summariseCluster(gctx, cs[i], words)
					if err != nil {
						return fmt.Errorf("cluster %d (idx %s): %w", skip+i+1, cs[i].Idx, err)
					}
					sums[i] = s
					return nil
				})
			}
			if err := g.Wait(); err != nil {
				return err
			}
			f, err := os.Create(out)
			if err != nil {
				return err
			}
			w := bufio.NewWriter(f)
			enc := json.NewEncoder(w)
			enc.SetEscapeHTML(false)
			var mean rouge.Mean
			for i, c := range cs {
				if err := enc.Encode(evalSummary{Idx: c.Idx, Summary: sums[i]}); err != nil {
					f.Close()
					return err
				}
				if refs[i] != nil {
					mean.Add(rouge.Compare(sums[i], rouge.CutWords(*refs[i], 0)))
				}
			}
			if err := w.Flush(); err != nil {
				f.Close()
				return err
			}
			if err := f.Close(); err != nil {
				return err
			}
			fmt.Fprintf(a.stderr, "summarised %d clusters in %.1fs\n", len(cs), time.Since(start).Seconds())
			if mean.N() > 0 {
				r1, r2, rl := mean.F1()
				fmt.Fprintf(a.stdout, "clusters: %d   words: %d   ROUGE-1 %.2f   ROUGE-2 %.2f   ROUGE-L %.2f (F1)\n", mean.N(), words, r1, r2, rl)
			}
			return nil
		},
	}
	cmd.Flags().StringVar(&clusters, "clusters", "", "clusters JSONL (idx, documents; summary for scoring)")
	cmd.Flags().IntVar(&words, "words", 230, "cut every summary to this many words")
	cmd.Flags().StringVar(&out, "out", "", "where to write one JSON line per cluster")
	cmd.Flags().IntVar(&skip, "skip", 0, "skip this many clusters first")
	cmd.Flags().IntVar(&limit, "limit", 0, "summarise at most this many clusters (0: all)")
	return cmd
}

// evalEpoch stamps the articles of an evaluation cluster: one day's briefings.
var evalEpoch = time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC)

// summariseCluster indexes a cluster's documents in memory and returns the
// digest's sentences, cut to words.
func summariseCluster(ctx context.Context, c evalCluster, words int) (string, error) {
	e, err := engine.NewMemory(ctx, engine.Options{Now: func() time.Time { return evalEpoch }})
	if err != nil {
		return "", err
	}
	arts := make([]retrieval.Article, 0, len(c.Documents))
	for i, d := range c.Documents {
		if strings.TrimSpace(d) == "" {
			continue
		}
		arts = append(arts, retrieval.Article{ID: fmt.Sprintf("doc%03d", i), Body: d, Ingested: evalEpoch})
	}
	if _, err := e.Ingest(ctx, arts); err != nil {
		return "", err
	}
	d, err := digest.Build(ctx, e, digest.Options{All: true, Now: evalEpoch, MaxStories: -1, MaxSentences: 1 << 20, Words: words})
	if err != nil {
		return "", err
	}
	var parts []string
	for _, s := range d.Stories {
		for _, sn := range s.Sentences {
			parts = append(parts, sn.Text)
		}
	}
	return rouge.CutWords(strings.Join(parts, " "), words), nil
}
