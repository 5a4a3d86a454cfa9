package store_test

import (
	"context"
	"errors"
	"os"
	"slices"
	"testing"
	"time"

	"github.com/briefbot/briefbot/retrieval/store"
)

// TestView checks a store opened as a view (NewView over articles held
// elsewhere): reads come from what it was given, and its first write
// decodes the snapshot it derives from, even when another writer has
// replaced the file on disk since, so that its save holds that snapshot's
// articles plus its own change (and the other writer's are not mixed in).
func TestView(t *testing.T) {
	ctx := context.Background()
	const dim = 8
	when := time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC)
	dir := t.TempDir()
	s := newStore(t, dim)
	a, b := makeArticle("a", 2, when), makeArticle("b", 3, when.Add(time.Minute))
	put(t, s, a)
	put(t, s, b)
	if err := s.Save(dir); err != nil {
		t.Fatal(err)
	}
	if _, err := store.OpenSnapshot(t.TempDir()); !errors.Is(err, store.ErrNoStore) {
		t.Fatalf("OpenSnapshot of an empty directory: %v, want ErrNoStore", err)
	}
	snap, err := store.OpenSnapshot(dir)
	if err != nil {
		t.Fatal(err)
	}
	if snap.Fingerprint() != s.Fingerprint() {
		t.Fatalf("snapshot fingerprint %q, the saving store's %q", snap.Fingerprint(), s.Fingerprint())
	}
	asked := 0
	v := store.NewView(snap, s.Info(), []*store.StoredArticle{a, b}, func(id string) [][]float32 {
		asked++
		got, _ := s.Article(id)
		return vectorsFor(got, dim)
	})
	if v.Len() != 2 || v.ChunkCount() != 5 || v.Fingerprint() != s.Fingerprint() {
		t.Fatalf("view: %d articles, %d chunks, fingerprint %q", v.Len(), v.ChunkCount(), v.Fingerprint())
	}
	if got, ok := v.Article("b"); !ok || got != b {
		t.Fatal("the view does not serve the articles it was given")
	}
	if vs := v.ChunkVectors("b"); len(vs) != 3 || asked != 1 {
		t.Fatalf("ChunkVectors: %d vectors, %d calls", len(vs), asked)
	}
	if v.ChunkVectors("nope") != nil {
		t.Fatal("vectors of an unknown article")
	}

	// Another writer replaces the snapshot.
	other := newStore(t, dim)
	put(t, other, makeArticle("theirs", 1, when))
	if err := other.Save(dir); err != nil {
		t.Fatal(err)
	}
	// The view's first write decodes the snapshot it was opened on.
	put(t, v, makeArticle("mine", 1, when.Add(time.Hour)))
	if err := v.Delete(ctx, "a"); err != nil {
		t.Fatal(err)
	}
	out := t.TempDir()
	if err := v.Save(out); err != nil {
		t.Fatal(err)
	}
	loaded, err := store.Load(ctx, out)
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, x := range loaded.Articles() {
		ids = append(ids, x.ID)
	}
	if !slices.Equal(ids, []string{"b", "mine"}) {
		t.Fatalf("saved view holds %v, want [b mine]", ids)
	}
	got, _ := loaded.Article("b")
	sameArticle(t, got, b)
	if !findChunk(t, loaded, "b", 2, 6) {
		t.Fatal("a chunk of the view's snapshot was lost")
	}
	// The file the view read stays as the other writer left it.
	if now, err := store.Load(ctx, dir); err != nil || now.Len() != 1 {
		t.Fatalf("the other writer's snapshot: %v", err)
	}
	if _, err := os.Stat(store.Path(out)); err != nil {
		t.Fatal(err)
	}
}
