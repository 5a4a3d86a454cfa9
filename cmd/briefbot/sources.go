package main

import (
	"encoding/json"
	"fmt"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/briefbot/briefbot/bot"
)

// sourceJSON is one line of `briefbot sources --json`.
type sourceJSON struct {
	ID        string `json:"id"`
	Title     string `json:"title,omitempty"`
	Published string `json:"published,omitempty"`
	Source    string `json:"source,omitempty"`
	URL       string `json:"url,omitempty"`
	Chunks    int    `json:"chunks"`
	// Collection is the article's collection label, when it has one.
	Collection string `json:"collection,omitempty"`
}

func (a *app) sourcesCmd() *cobra.Command {
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "sources [flags]",
		Short: "List the articles in the store",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			e, _, err := a.openEngine(cmd.Context(), nil)
			if err != nil {
				return err
			}
			metas, err := e.Articles(cmd.Context())
			if err != nil {
				return err
			}
			list := make([]sourceJSON, 0, len(metas))
			for _, m := range metas {
				list = append(list, sourceJSON{ID: m.ID, Title: m.Title, Published: m.PublishedString(), Source: m.Source, URL: bot.SafeURL(m.URL), Chunks: m.Chunks, Collection: m.Collection})
			}
			if asJSON {
				enc := json.NewEncoder(a.stdout)
				enc.SetIndent("", "  ")
				enc.SetEscapeHTML(false)
				return enc.Encode(list)
			}
			tw := tabwriter.NewWriter(a.stdout, 0, 4, 2, ' ', 0)
			fmt.Fprintln(tw, "ID\tDATE\tSOURCE\tCHUNKS\tTITLE")
			for _, s := range list {
				fmt.Fprintf(tw, "%s\t%s\t%s\t%d\t%s\n", s.ID, dash(s.Published), dash(s.Source), s.Chunks, dash(s.Title))
			}
			if err := tw.Flush(); err != nil {
				return err
			}
			what := "store"
			if e.Seeds() {
				what = "embedded seeds (no store in the data directory)"
			}
			fmt.Fprintf(a.stdout, "\n%d articles, %d chunks — %s\n", len(list), e.Stats().Chunks, what)
			return nil
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print the list as JSON")
	return cmd
}

func dash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}
