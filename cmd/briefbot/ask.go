package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/spf13/cobra"

	"github.com/briefbot/briefbot/bot"
	"github.com/briefbot/briefbot/retrieval/dates"
)

func (a *app) askCmd() *cobra.Command {
	var asJSON bool
	var asOf string
	cmd := &cobra.Command{
		Use:   "ask [flags] QUESTION...",
		Short: "Answer a question with verbatim quotes from the briefings",
		Long: `Answer a question with 1 to 3 verbatim quotes from distinct briefings, best first,
each with its citation. When the briefings do not support an answer, briefbot says
so and what it searched (exit code 0; with --json, "found" is false).`,
		Example: `  briefbot ask "How many drones and missiles did Russia fire on Friday night?"
  briefbot ask --json --as-of 2025-12-07 Who met Witkoff in Miami?`,
		Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			q := bot.Question{Text: strings.Join(args, " "), Platform: bot.PlatformCLI}
			if asOf != "" {
				t, err := dates.Parse(asOf)
				if err != nil {
					return exitError{code: 2, msg: fmt.Sprintf("--as-of %q is not a date (use YYYY-MM-DD)", asOf)}
				}
				q.AsOf = t
			}
			e, _, err := a.openEngine(cmd.Context(), nil)
			if err != nil {
				return err
			}
			b := bot.New(e, bot.Options{})
			ans, err := b.Ask(cmd.Context(), q)
			if errors.Is(err, bot.ErrEmptyQuestion) || errors.Is(err, bot.ErrQuestionTooLong) {
				return exitError{code: 2, msg: strings.TrimPrefix(err.Error(), "bot: ")}
			}
			if err != nil {
				return err
			}
			if asJSON {
				enc := json.NewEncoder(a.stdout)
				enc.SetIndent("", "  ")
				enc.SetEscapeHTML(false)
				return enc.Encode(ans)
			}
			printAnswer(a.stdout, ans)
			return nil
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print the answer as JSON (the /api/ask contract)")
	cmd.Flags().StringVar(&asOf, "as-of", "", "answer as if asked on this date (YYYY-MM-DD): later articles are not seen")
	return cmd
}

// printAnswer renders an answer for a terminal.
func printAnswer(w io.Writer, ans bot.Answer) {
	if !ans.Found {
		fmt.Fprintln(w, ans.NotFoundText())
		return
	}
	for i, q := range ans.Quotes {
		fmt.Fprintf(w, "%d. “%s”\n", i+1, q.Display())
		fmt.Fprintf(w, "   — %s\n", q.Article.Citation())
		if len(q.AlsoIn) > 0 {
			names := make([]string, 0, len(q.AlsoIn))
			for _, o := range q.AlsoIn {
				names = append(names, orID(o.Title, o.ID))
			}
			fmt.Fprintf(w, "   Also reported by: %s\n", strings.Join(names, "; "))
		}
		fmt.Fprintln(w)
	}
	fmt.Fprintln(w, "Sources:")
	seen := map[string]bool{}
	n := 0
	for _, q := range ans.Quotes {
		refs := []bot.ArticleRef{q.Article}
		for _, o := range q.AlsoIn {
			refs = append(refs, bot.ArticleRef{ID: o.ID, Title: o.Title})
		}
		for _, r := range refs {
			if seen[r.ID] {
				continue
			}
			seen[r.ID] = true
			n++
			loc := r.URL
			if loc == "" {
				loc = r.ID
			}
			line := fmt.Sprintf("  [%d] %s", n, orID(r.Title, r.ID))
			if r.Source != "" {
				line += ", " + r.Source
			}
			if r.Published != "" {
				line += ", " + r.Published
			}
			if loc != orID(r.Title, r.ID) {
				line += " — " + loc
			}
			fmt.Fprintln(w, line)
		}
	}
	fmt.Fprintf(w, "\n%s\n", ans.Searched.Describe())
}

func orID(title, id string) string {
	if title != "" {
		return title
	}
	return id
}
