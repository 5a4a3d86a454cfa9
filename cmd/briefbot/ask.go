package main

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"unicode"

	"github.com/spf13/cobra"

	"github.com/briefbot/briefbot/bot"
	"github.com/briefbot/briefbot/retrieval"
	"github.com/briefbot/briefbot/retrieval/dates"
)

func (a *app) askCmd() *cobra.Command {
	var asJSON bool
	var asOf string
	cmd := &cobra.Command{
		Use:   "ask [flags] QUESTION...",
		Short: "Answer a question with verbatim quotes from the briefings",
		Long: `Answer a question with 1 to 3 verbatim quotes (at most two a briefing), best first,
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
			if msg, ok := bot.UserText(err); ok {
				return exitError{code: 2, msg: msg}
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

// printAnswer renders an answer for a terminal: each quote, numbered, after
// its context (the sentence it refers back to) in parentheses, dimmed on a
// terminal; its citation and corroboration; then the sources and what was
// searched. A not-found answer is the sentence that says why, when known,
// and what was searched. Article text is shown with its control characters
// replaced, so nothing in it can move the cursor, recolour the screen or
// open a hyperlink; only http(s) URLs are shown.
func printAnswer(w io.Writer, ans bot.Answer) {
	dim, undim := "", ""
	if isTerminal(w) {
		dim, undim = "\x1b[2m", "\x1b[22m"
	}
	if !ans.Found {
		fmt.Fprintln(w, termSafe(ans.NotFoundText()))
		return
	}
	for i, q := range ans.Quotes {
		prefix := fmt.Sprintf("%d. ", i+1)
		if c := termSafe(q.Context); c != "" {
			fmt.Fprintf(w, "%s%s(%s)%s\n", prefix, dim, c, undim)
			prefix = "   "
		}
		fmt.Fprintf(w, "%s“%s”\n", prefix, termSafe(q.Display()))
		fmt.Fprintf(w, "   — %s\n", termSafe(bot.CitationText(q.Article)))
		if len(q.AlsoIn) > 0 {
			names := make([]string, 0, len(q.AlsoIn))
			for _, o := range q.AlsoIn {
				names = append(names, termSafe(orID(o.Title, o.ID)))
			}
			fmt.Fprintf(w, "   Also reported by: %s\n", strings.Join(names, "; "))
		}
		fmt.Fprintln(w)
	}
	fmt.Fprintln(w, "Sources:")
	seen := map[string]bool{}
	n := 0
	for _, q := range ans.Quotes {
		refs := []retrieval.ArticleMeta{q.Article}
		for _, o := range q.AlsoIn {
			// A corroborating article is listed by its title and id alone.
			refs = append(refs, retrieval.ArticleMeta{ID: o.ID, Title: o.Title})
		}
		for _, r := range refs {
			if seen[r.ID] {
				continue
			}
			seen[r.ID] = true
			n++
			loc := bot.SafeURL(r.URL)
			if loc == "" {
				loc = r.ID
			}
			line := fmt.Sprintf("  [%d] %s", n, orID(r.Title, r.ID))
			if r.Source != "" {
				line += ", " + r.Source
			}
			if p := r.PublishedString(); p != "" {
				line += ", " + p
			}
			if loc != orID(r.Title, r.ID) {
				line += " — " + loc
			}
			fmt.Fprintln(w, termSafe(line))
		}
	}
	fmt.Fprintf(w, "\n%s\n", bot.DescribeSearched(ans.Searched))
}

// termSafe makes article text safe to print on a terminal: line breaks and
// tabs become spaces, and every other control character (escape sequences
// that would move the cursor, recolour the screen or draw a hyperlink, OSC 8)
// and bidirectional override becomes U+FFFD.
func termSafe(s string) string {
	return strings.Map(func(r rune) rune {
		switch {
		case r == '\n' || r == '\r' || r == '\t':
			return ' '
		case unicode.IsControl(r), r >= '\u202a' && r <= '\u202e', r >= '\u2066' && r <= '\u2069':
			return '\ufffd'
		}
		return r
	}, s)
}

func orID(title, id string) string {
	if title != "" {
		return title
	}
	return id
}
