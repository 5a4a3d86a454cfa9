package engine

import (
	"context"
	"errors"
	"testing"

	"github.com/briefbot/briefbot/retrieval"
	"github.com/briefbot/briefbot/retrieval/embed"
	"github.com/briefbot/briefbot/retrieval/store"
)

// Apply stores prepared articles with their vectors, as Ingest would have,
// removes deletes, and refuses vectors of another dimension untouched.
func TestPrepareApply(t *testing.T) {
	ctx := context.Background()
	arts := []retrieval.Article{
		{ID: "a.txt", Title: "Bridge", Body: "The harbour bridge reopened on Sunday. Engineers replaced 412 cables."},
		{ID: "b.txt", Title: "Port", Body: "The port handled a record 3.1 million containers. Cranes ran all night."},
	}
	ingested, err := NewMemory(ctx, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := ingested.Ingest(ctx, arts); err != nil {
		t.Fatal(err)
	}
	w, _ := NewMemory(ctx, Options{})
	preps, err := w.Prepare(ctx, arts)
	if err != nil {
		t.Fatal(err)
	}
	if w.Stats().Articles != 0 {
		t.Fatal("Prepare stored articles")
	}
	r, _ := NewMemory(ctx, Options{})
	if err := r.Apply(ctx, preps, nil); err != nil {
		t.Fatal(err)
	}
	q := retrieval.Query{Text: "How many cables were replaced?"}
	want, _ := ingested.Search(ctx, q)
	got, _ := r.Search(ctx, q)
	if len(got.Quotes) == 0 || got.Quotes[0].Text != want.Quotes[0].Text {
		t.Fatalf("applied engine answers %+v, ingested one %+v", got.Quotes, want.Quotes)
	}

	other, _ := NewMemory(ctx, Options{Embedder: embed.NewHash(32)})
	small, err := other.Prepare(ctx, arts[:1])
	if err != nil {
		t.Fatal(err)
	}
	if err := r.Apply(ctx, small, []string{"b.txt"}); !errors.Is(err, store.ErrEmbedderMismatch) {
		t.Fatalf("apply of 32-dimensional vectors: %v", err)
	}
	if r.Stats().Articles != 2 {
		t.Fatal("a refused Apply changed the store")
	}
	if err := r.Apply(ctx, nil, []string{"b.txt", "none"}); err != nil {
		t.Fatal(err)
	}
	if d, _ := r.Articles(ctx); len(d) != 1 || d[0].ID != "a.txt" {
		t.Fatalf("after the delete: %+v", d)
	}
	if err := r.CheckEmbedder(ctx, "hash:32", 32); !errors.Is(err, ErrMismatch) {
		t.Fatalf("CheckEmbedder of another embedder: %v", err)
	}
}
