package main

import (
	"encoding/json"
	"fmt"
	"strings"

	"github.com/spf13/cobra"

	"github.com/briefbot/briefbot/bot"
)

// showJSON is `briefbot show --json`: an article exactly as the store holds
// it. Offsets are byte offsets into text.
type showJSON struct {
	ID        string      `json:"id"`
	Title     string      `json:"title,omitempty"`
	Published string      `json:"published,omitempty"`
	Source    string      `json:"source,omitempty"`
	URL       string      `json:"url,omitempty"`
	Ingested  string      `json:"ingested,omitempty"`
	Hash      string      `json:"hash,omitempty"`
	Text      string      `json:"text"`
	Chunks    []chunkJSON `json:"chunks"`
}

type chunkJSON struct {
	Ordinal int    `json:"ordinal"`
	Start   int    `json:"start"`
	End     int    `json:"end"`
	Text    string `json:"text"`
}

func (a *app) showCmd() *cobra.Command {
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "show [flags] ID",
		Short: "Print an article as stored: metadata, cleaned text, chunks with offsets",
		Long: `Print one article as the store holds it: its metadata, the cleaned text quotes are
taken from, and the chunks it was cut into with their byte offsets in that text.
IDs are those 'briefbot sources' and 'briefbot ingest' print.`,
		Example: `  briefbot show --data ./data world/story.txt
  briefbot show --data ./data --json corpus.jsonl#12`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			e, _, err := a.openEngine(cmd.Context(), nil)
			if err != nil {
				return err
			}
			sa, ok := e.Store().Article(args[0])
			if !ok {
				return exitError{code: 1, msg: fmt.Sprintf("no article %q in the store (briefbot sources lists them)", args[0])}
			}
			out := showJSON{
				ID: sa.ID, Title: sa.Title, Published: sa.PublishedString(), Source: sa.Source,
				URL: bot.SafeURL(sa.URL), Hash: sa.Hash, Text: sa.Body, Chunks: []chunkJSON{},
			}
			if !sa.Ingested.IsZero() {
				out.Ingested = sa.Ingested.UTC().Format("2006-01-02T15:04:05Z")
			}
			for i := range sa.ChunkStarts {
				sp := sa.Chunk(i)
				if sp.Start < 0 || sp.End > len(sa.Body) || sp.Start > sp.End {
					continue // a store Load accepted never holds one; never slice out of range
				}
				out.Chunks = append(out.Chunks, chunkJSON{Ordinal: i, Start: sp.Start, End: sp.End, Text: sa.Body[sp.Start:sp.End]})
			}
			if asJSON {
				enc := json.NewEncoder(a.stdout)
				enc.SetIndent("", "  ")
				enc.SetEscapeHTML(false)
				return enc.Encode(out)
			}
			w := a.stdout
			fmt.Fprintf(w, "id:        %s\n", out.ID)
			fmt.Fprintf(w, "title:     %s\n", dash(out.Title))
			fmt.Fprintf(w, "published: %s\n", dash(out.Published))
			fmt.Fprintf(w, "source:    %s\n", dash(out.Source))
			fmt.Fprintf(w, "url:       %s\n", dash(out.URL))
			fmt.Fprintf(w, "ingested:  %s\n", dash(out.Ingested))
			fmt.Fprintf(w, "text:      %d bytes, %d chunks\n\n", len(out.Text), len(out.Chunks))
			fmt.Fprintln(w, out.Text)
			for _, c := range out.Chunks {
				fmt.Fprintf(w, "\n--- chunk %d [%d:%d]\n%s\n", c.Ordinal, c.Start, c.End, strings.TrimRight(c.Text, "\n"))
			}
			return nil
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print the article as JSON")
	return cmd
}
