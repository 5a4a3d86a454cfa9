package store

import (
	"context"
	"strings"
	"testing"

	chromem "github.com/philippgille/chromem-go"
)

// TestOldVersionNamesTheFix checks that a snapshot of another layout version
// is refused with an error naming `briefbot ingest --reembed`.
func TestOldVersionNamesTheFix(t *testing.T) {
	ctx := context.Background()
	s, err := New(Info{Embedder: "hash-v1", Dim: 4})
	if err != nil {
		t.Fatal(err)
	}
	infoC := s.db.GetCollection(infoCollection, identity)
	if err := infoC.AddDocument(ctx, chromem.Document{ID: infoID, Embedding: []float32{1}, Metadata: map[string]string{"embedder": "hash-v1", "dim": "4", "version": "1"}}); err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	if err := s.Save(dir); err != nil {
		t.Fatal(err)
	}
	_, err = Load(ctx, dir)
	if err == nil || !strings.Contains(err.Error(), "briefbot ingest --reembed") || !strings.Contains(err.Error(), "version 1") {
		t.Fatalf("old snapshot: %v", err)
	}
}

// TestFingerprint checks that the fingerprint Save records is the one Load
// computes, and that a change clears it.
func TestFingerprint(t *testing.T) {
	ctx := context.Background()
	s, err := New(Info{Embedder: "hash-v1", Dim: 2})
	if err != nil {
		t.Fatal(err)
	}
	a := &StoredArticle{Body: "One. Two.", ChunkStarts: []int{0}}
	a.ID = "a"
	if err := s.Put(ctx, a, [][]float32{{1, 0}}); err != nil {
		t.Fatal(err)
	}
	if s.Fingerprint() != "" {
		t.Fatal("unsaved store has a fingerprint")
	}
	dir := t.TempDir()
	if err := s.Save(dir); err != nil {
		t.Fatal(err)
	}
	l, err := Load(ctx, dir)
	if err != nil {
		t.Fatal(err)
	}
	if s.Fingerprint() == "" || l.Fingerprint() != s.Fingerprint() {
		t.Fatalf("fingerprints: saved %q, loaded %q", s.Fingerprint(), l.Fingerprint())
	}
	if got, _ := l.Article("a"); got == nil || got.Body != a.Body {
		t.Fatal("body not restored")
	}
	if err := l.Delete(ctx, "a"); err != nil {
		t.Fatal(err)
	}
	if l.Fingerprint() != "" {
		t.Fatal("changed store keeps its fingerprint")
	}
}
