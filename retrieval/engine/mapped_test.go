package engine

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"testing"

	"github.com/briefbot/briefbot/retrieval"
)

// TestMappedStore checks the store opened over the mapped index file: an
// index file of the previous format is replaced on open (the migration),
// answers equal the in-memory engine's, and a write through the mapped
// engine (which decodes the snapshot then) keeps every article.
func TestMappedStore(t *testing.T) {
	ctx := context.Background()
	mem, dir := savedSeeds(t)
	idx := filepath.Join(dir, IndexName)
	fp := mem.Store().Fingerprint()
	// A store written by the previous briefbot: its index file has the
	// format-2 magic.
	if err := os.WriteFile(idx, []byte("briefbot-index-2\n"+fp+"\nold body"), 0o600); err != nil {
		t.Fatal(err)
	}
	e, err := Open(ctx, dir, Options{})
	if err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(idx)
	if err != nil || !bytes.HasPrefix(b, []byte(indexMagic+fp+"\n")) {
		t.Fatalf("the old index file was not replaced: %v", err)
	}
	for _, q := range []string{"interest rates", "wildfire evacuation", "Who won the election?", "How many people were evacuated?"} {
		want, _ := mem.Search(ctx, retrieval.Query{Text: q})
		got, err := e.Search(ctx, retrieval.Query{Text: q})
		if err != nil || !reflect.DeepEqual(got, want) {
			t.Errorf("%q: the mapped engine answers differently (%v)", q, err)
		}
	}
	n := e.Stats()
	if n.Articles != mem.Stats().Articles || n.Chunks != mem.Stats().Chunks {
		t.Fatalf("mapped stats %+v, in memory %+v", n, mem.Stats())
	}
	if d, err := e.Document(ctx, mem.state().arts[0].ID); err != nil || d.Body != mem.state().arts[0].Body {
		t.Fatalf("Document over the mapped index: %v", err)
	}

	// A write through an engine opened mapped.
	w, err := OpenForWrite(ctx, dir, Options{}, false)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := w.Ingest(ctx, []retrieval.Article{{ID: "extra", Title: "Tidal power", Body: "A tidal power plant opened in Scotland today. It powers 4,000 homes."}}); err != nil {
		t.Fatal(err)
	}
	if err := w.Save(dir); err != nil {
		t.Fatal(err)
	}
	after, err := Open(ctx, dir, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if got := after.Stats().Articles; got != n.Articles+1 {
		t.Fatalf("%d articles after adding one to %d", got, n.Articles)
	}
	for _, a := range mem.state().arts {
		if _, err := after.Document(ctx, a.ID); err != nil {
			t.Fatalf("article %q lost by a write through the mapped store", a.ID)
		}
	}
	r, err := after.Search(ctx, retrieval.Query{Text: "How many homes does the tidal power plant power?"})
	if err != nil || len(r.Quotes) == 0 || r.Quotes[0].Article.ID != "extra" {
		t.Fatalf("the new article is not found: %+v %v", r.Quotes, err)
	}
}

// With the sign pre-scan on, a mapped index hands its int8 vectors' pages
// back to the kernel once the sketch is derived (adviseDone): the engine
// still answers as the in-memory one does, and the vectors read back from
// the file are the same (an index written from the mapped one is the same
// file).
func TestMappedSketchedIndexDropsCodesAndReadsThemBack(t *testing.T) {
	withPrescan(t, 1, 200)
	ctx := context.Background()
	mem, dir := savedSeeds(t)
	e, err := Open(ctx, dir, Options{})
	if err != nil {
		t.Fatal(err)
	}
	ix := e.state()
	if ix.qvecs.signs == nil {
		t.Fatal("no sign sketch with the pre-scan on")
	}
	if len(ix.flatVecs) == 0 || len(ix.flatVecs) != len(ix.vecs)*ix.info.Dim {
		t.Fatal("the mapped index does not re-score from its flat vectors")
	}
	for _, q := range []string{"interest rates", "wildfire evacuation", "How many drones and missiles did Russia fire?"} {
		// The pre-scan re-scores the mapped vectors in place, as the
		// in-memory index re-scores its own.
		v, err := e.emb.Embed(ctx, q)
		if err != nil {
			t.Fatal(err)
		}
		if got, want := ix.nearest(v, 50), mem.state().nearest(v, 50); !slices.Equal(got, want) {
			t.Errorf("%q: mapped nearest %v, in memory %v", q, head(got), head(want))
		}
		want, _ := mem.Search(ctx, retrieval.Query{Text: q})
		got, err := e.Search(ctx, retrieval.Query{Text: q})
		if err != nil || !reflect.DeepEqual(got, want) {
			t.Errorf("%q: the mapped, sketched engine answers differently (%v)", q, err)
		}
	}
	again := t.TempDir()
	if err := writeIndex(again, ix, mem.Store().Fingerprint()); err != nil {
		t.Fatal(err)
	}
	a, err := os.ReadFile(filepath.Join(dir, IndexName))
	if err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(filepath.Join(again, IndexName))
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(a, b) {
		t.Fatal("the index written from the mapped one differs: its int8 vectors did not read back")
	}
}
