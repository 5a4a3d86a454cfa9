package main

import (
	"context"
	"encoding/json"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/briefbot/briefbot/bot"
	"github.com/briefbot/briefbot/cluster"
	"github.com/briefbot/briefbot/cluster/pgdb"
	"github.com/briefbot/briefbot/retrieval/dates"
)

func (a *app) feedbackCmd() *cobra.Command {
	var since string
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "feedback [--since DATE] [--json]",
		Short: "Report the 👍/👎 votes by question and by article",
		Long: `Report the votes recorded in votes.jsonl in the data directory: totals, the reasons
given for 👎 (doesn't answer, wrong article, out of date), then each question and
each quoted article with its 👍 and 👎, the most 👎 first. The reasons are labelled
examples for the answer-quality work; they never leave the data directory.`,
		Example: `  briefbot feedback
  briefbot feedback --since 2025-12-01 --json`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			var from time.Time
			if since != "" {
				t, err := dates.Parse(since)
				if err != nil {
					return exitError{code: 2, msg: fmt.Sprintf("--since %q is not a date (use YYYY-MM-DD)", since)}
				}
				from = t
			}
			votes, err := a.readVotes(cmd.Context())
			if err != nil {
				return err
			}
			rep := bot.Feedback(votes, from)
			if asJSON {
				enc := json.NewEncoder(a.stdout)
				enc.SetIndent("", "  ")
				return enc.Encode(rep)
			}
			printFeedback(a, rep)
			return nil
		},
	}
	cmd.Flags().StringVar(&since, "since", "", "only votes from this date on (YYYY-MM-DD)")
	cmd.Flags().BoolVar(&asJSON, "json", false, "print the report as JSON")
	return cmd
}

// readVotes reads the votes: from the database in cluster mode
// (BRIEFBOT_DATABASE_URL), else from votes.jsonl in the data directory.
func (a *app) readVotes(ctx context.Context) ([]bot.Vote, error) {
	if cfg, err := readConfig("", a.getenv); err == nil && cfg.DatabaseURL != "" {
		pool, err := pgdb.OpenMigrated(ctx, cfg.DatabaseURL)
		if err != nil {
			return nil, err
		}
		defer pool.Close()
		return cluster.NewVotes(pool).Votes(ctx)
	}
	dir, err := a.dataDir()
	if err != nil {
		return nil, err
	}
	log, err := bot.OpenVoteLog(dir)
	if err != nil {
		return nil, err
	}
	return log.Votes()
}

func printFeedback(a *app, rep bot.FeedbackReport) {
	w := a.stdout
	if rep.Votes == 0 && len(rep.Reasons) == 0 {
		fmt.Fprintln(w, "no votes recorded")
		return
	}
	fmt.Fprintf(w, "%d votes: %d 👍, %d 👎", rep.Votes, rep.Up, rep.Down)
	if len(rep.Reasons) > 0 {
		fmt.Fprintf(w, " (reasons: %s)", reasons(rep.Reasons))
	}
	fmt.Fprintln(w)
	fmt.Fprintln(w, "\nby question (most 👎 first):")
	for _, q := range rep.Questions {
		line := fmt.Sprintf("  %3d 👍 %3d 👎  %s", q.Up, q.Down, oneLineText(q.Question, 90))
		if len(q.Reasons) > 0 {
			line += "  [" + reasons(q.Reasons) + "]"
		}
		fmt.Fprintln(w, line)
	}
	fmt.Fprintln(w, "\nby article (most 👎 first):")
	for _, ar := range rep.Articles {
		line := fmt.Sprintf("  %3d 👍 %3d 👎  %s", ar.Up, ar.Down, ar.ID)
		if len(ar.Reasons) > 0 {
			line += "  [" + reasons(ar.Reasons) + "]"
		}
		fmt.Fprintln(w, line)
	}
}

// reasons prints reason counts by label, most first.
func reasons(m map[string]int) string {
	codes := make([]string, 0, len(m))
	for c := range m {
		codes = append(codes, c)
	}
	sort.Slice(codes, func(i, j int) bool {
		if m[codes[i]] != m[codes[j]] {
			return m[codes[i]] > m[codes[j]]
		}
		return codes[i] < codes[j]
	})
	parts := make([]string, len(codes))
	for i, c := range codes {
		label := bot.ReasonLabel(c)
		if label == "" {
			label = c
		}
		parts[i] = fmt.Sprintf("%s %d", strings.ToLower(label), m[c])
	}
	return strings.Join(parts, ", ")
}

// oneLineText flattens s and cuts it to n runes.
func oneLineText(s string, n int) string {
	s = strings.Join(strings.Fields(s), " ")
	if r := []rune(s); len(r) > n {
		return string(r[:n-1]) + "…"
	}
	return s
}
