package main

import (
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/schollz/progressbar/v3"
	"github.com/spf13/cobra"

	"github.com/briefbot/briefbot/retrieval"
	"github.com/briefbot/briefbot/retrieval/engine"
	"github.com/briefbot/briefbot/retrieval/ingest"
	"github.com/briefbot/briefbot/retrieval/ingest/feed"
)

func (a *app) ingestCmd() *cobra.Command {
	var reembed, fetch bool
	cmd := &cobra.Command{
		Use:   "ingest [flags] PATH...",
		Short: "Add briefings (files or directories) to the store",
		Long: `Add briefings to the store in the data directory. PATH may be a file or a directory
(walked recursively; hidden entries skipped). Formats:

  .txt, .md     plain text; optional YAML front matter (title, date/published, source, url);
                a headline first line, a leading "date YYYY-MM-DD" line and newsletter,
                byline and wire sign-off boilerplate are recognised
  .html         title, published-time meta and the article's main text
  .json/.jsonl  one article per record: id (or doc_id), title, text (or body), url,
                published (or publish_date), source
  .rss .atom .xml, a JSON Feed .json
                one article per feed item, id FILE#guid (or link); items with only a
                summary are ingested as it, or fetched with --fetch (see README)

Each file is reported as added, updated, unchanged or skipped with its reason. A bad
file never stops the batch. The store is saved atomically once at the end.`,
		Example: `  briefbot ingest --data ./data ./briefings
  briefbot ingest --data ./data corpus.jsonl
  briefbot ingest --data ./data --embedder ollama:nomic-embed-text --reembed`,
		RunE: func(cmd *cobra.Command, args []string) error {
			if len(args) == 0 && !reembed {
				return exitError{code: 2, msg: "ingest needs at least one PATH (or --reembed)"}
			}
			if url := a.corpusDatabaseURL(); url != "" {
				return a.ingestCluster(cmd, url, args, reembed) // cluster mode: cluster_corpus.go
			}
			start := time.Now()
			if fetch { // feeds.go: pages of summary-only feed items
				cmd.SetContext(ingest.WithFetcher(cmd.Context(), feed.NewClient(feed.ClientOptions{})))
			}
			e, dir, unlock, err := a.openWriter(cmd.Context(), reembed)
			if err != nil {
				return err
			}
			defer unlock()
			sum, err := ingestPaths(cmd, e, args, a.stdout, a.stderr)
			if err != nil {
				return err
			}
			if sum.changed() || reembed {
				err := e.Save(dir)
				if errors.Is(err, engine.ErrIndexNotSaved) {
					// The snapshot, the source of truth, is saved: the index
					// only speeds up loading, and is rebuilt when missing.
					fmt.Fprintf(a.stderr, "warning: %v; the next start rebuilds it\n", err)
				} else if err != nil {
					return err
				}
			}
			st := e.Stats()
			fmt.Fprintf(a.stdout, "%d added, %d updated, %d unchanged, %d skipped; store: %d articles, %d chunks (%s) in %s [%.1fs]\n",
				sum.added, sum.updated, sum.unchanged, sum.skipped, st.Articles, st.Chunks, st.Embedder, dir, time.Since(start).Seconds())
			if sum.skipped > 0 && sum.added+sum.updated+sum.unchanged == 0 {
				return exitError{code: 1}
			}
			return nil
		},
	}
	cmd.Flags().BoolVar(&reembed, "reembed", false, "rebuild every stored vector with the configured embedder")
	cmd.Flags().BoolVar(&fetch, "fetch", false, "fetch the page of each feed item that has only a summary and a link (http/https, 30s, 10 MiB, 1s between requests to a host)")
	return cmd
}

type ingestSummary struct{ added, updated, unchanged, skipped int }

func (s ingestSummary) changed() bool { return s.added+s.updated > 0 }

// ingestPaths reads every file, ingests its articles and reports each file.
func ingestPaths(cmd *cobra.Command, e *engine.Engine, paths []string, stdout, stderr io.Writer) (ingestSummary, error) {
	var sum ingestSummary
	inputs := ingest.Collect(paths)
	var bar *progressbar.ProgressBar
	if isTerminal(stderr) && len(inputs) > 1 {
		bar = progressbar.NewOptions(len(inputs), progressbar.OptionSetWriter(stderr),
			progressbar.OptionSetDescription("ingesting"), progressbar.OptionShowCount(),
			progressbar.OptionClearOnFinish(), progressbar.OptionThrottle(100*time.Millisecond))
	}
	report := func(format string, args ...any) {
		if bar != nil {
			bar.Clear()
		}
		fmt.Fprintf(stdout, format+"\n", args...)
	}
	var claims ingest.Claims
	for _, in := range inputs {
		if bar != nil {
			bar.Add(1)
		}
		if in.Skip != nil {
			sum.skipped++
			report("skipped   %s: %v", ingest.DisplayPath(in.Path), in.Skip)
			continue
		}
		var arts []retrieval.Article
		var dups []error
		in.Warn = func(msg string) { report("warning   %s: %s", ingest.DisplayPath(in.Path), msg) }
		bad, err := ingest.ReadInput(cmd.Context(), in, func(a retrieval.Article) error {
			if err := claims.Claim(a.ID, in.Path); err != nil {
				dups = append(dups, fmt.Errorf("%s: %w", ingest.DisplayPath(a.ID), err))
				return nil
			}
			arts = append(arts, a)
			return nil
		})
		var se *ingest.SkipError
		if err == nil && len(arts) == 0 && len(dups) > 0 && !ingest.IsRecords(in.Path) {
			sum.skipped++
			report("skipped   %s: %v", ingest.DisplayPath(in.Path), errors.Unwrap(dups[0]))
			continue
		}
		if errors.As(err, &se) {
			sum.skipped++
			report("skipped   %s: %v", ingest.DisplayPath(in.Path), se)
			continue
		}
		if err != nil {
			return sum, err
		}
		outs, err := e.Ingest(cmd.Context(), arts)
		if err != nil {
			return sum, err
		}
		var fa, fu, fn int
		for _, o := range outs {
			switch o.Status {
			case engine.Added:
				fa++
			case engine.Updated:
				fu++
			default:
				fn++
			}
		}
		sum.added += fa
		sum.updated += fu
		sum.unchanged += fn
		if !ingest.IsRecords(in.Path) && len(outs) == 1 {
			report("%-9s %s (%s)", outs[0].Status, ingest.DisplayPath(in.Path), ingest.DisplayPath(outs[0].ID))
			continue
		}
		report("read      %s: %d articles: %d added, %d updated, %d unchanged, %d records skipped", ingest.DisplayPath(in.Path), len(outs), fa, fu, fn, len(bad)+len(dups))
		for i, d := range dups {
			if i == 10 {
				report("          ... and %d more records with a duplicate id", len(dups)-10)
				break
			}
			report("          skipped record %v", d)
		}
		for i, b := range bad {
			if i == 10 {
				report("          ... and %d more skipped records", len(bad)-10)
				break
			}
			report("          skipped %v", b)
		}
	}
	if bar != nil {
		bar.Finish()
	}
	return sum, nil
}
