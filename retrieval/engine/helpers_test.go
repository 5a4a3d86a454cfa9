package engine

import (
	"context"
	"fmt"
	"strings"
	"testing"

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

// savedSeeds opens the embedded seeds in memory and saves them to a fresh
// directory, for the tests that compare an engine opened from disk with it.
func savedSeeds(t *testing.T) (*Engine, string) {
	t.Helper()
	mem, err := OpenSeeds(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	if err := mem.Save(dir); err != nil {
		t.Fatal(err)
	}
	return mem, dir
}
