package engine

import (
	"fmt"
	"strings"

	"github.com/briefbot/briefbot/retrieval/embed"
	"github.com/briefbot/briefbot/retrieval/store"
)

func storeEmbedder(spec string) (embed.Embedder, error) {
	return store.NewEmbedder(spec, store.EmbedderConfig{})
}

// fmtSscan reads the tab-separated fields of a qrels line.
func fmtSscan(line string, q, d *string, g *float64) (int, error) {
	return fmt.Sscanf(strings.ReplaceAll(line, "\t", " "), "%s %s %g", q, d, g)
}
