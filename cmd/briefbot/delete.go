package main

import (
	"errors"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/briefbot/briefbot/retrieval/engine"
	"github.com/briefbot/briefbot/retrieval/ingest"
)

func (a *app) deleteCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "delete [flags] ID...",
		Short: "Remove articles from the store",
		Long: `Remove articles from the store in the data directory by id (as 'briefbot sources'
lists them). Each id is reported as deleted or not found; the store is saved atomically
once. Exit status 1 when none of the ids was in the store.`,
		Example: `  briefbot delete --data ./data story.txt
  briefbot delete --data ./data world/story.txt corpus.jsonl#12`,
		Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if url := a.corpusDatabaseURL(); url != "" {
				return a.deleteCluster(cmd.Context(), url, args) // cluster mode: cluster_corpus.go
			}
			e, dir, unlock, err := a.openWriter(cmd.Context(), false)
			if err != nil {
				return err
			}
			defer unlock()
			gone, err := e.Delete(cmd.Context(), args...)
			if err != nil {
				return err
			}
			reported := a.reportDeleted(args, gone)
			if len(gone) > 0 {
				err := e.Save(dir)
				if errors.Is(err, engine.ErrIndexNotSaved) {
					fmt.Fprintf(a.stderr, "warning: %v; the next start rebuilds it\n", err)
				} else if err != nil {
					return err
				}
			}
			st := e.Stats()
			fmt.Fprintf(a.stdout, "%d deleted, %d not found; store: %d articles, %d chunks in %s\n",
				len(gone), reported-len(gone), st.Articles, st.Chunks, dir)
			if len(gone) == 0 {
				return exitError{code: 1}
			}
			return nil
		},
	}
	return cmd
}

// reportDeleted prints, for each id asked (once), whether it was deleted
// (in gone) or not found, and returns how many distinct ids were asked.
func (a *app) reportDeleted(ids, gone []string) int {
	deleted := make(map[string]bool, len(gone))
	for _, id := range gone {
		deleted[id] = true
	}
	reported := make(map[string]bool, len(ids))
	for _, id := range ids {
		if reported[id] {
			continue
		}
		reported[id] = true
		if deleted[id] {
			fmt.Fprintf(a.stdout, "deleted   %s\n", ingest.DisplayPath(id))
		} else {
			fmt.Fprintf(a.stdout, "not found %s\n", ingest.DisplayPath(id))
		}
	}
	return len(reported)
}
