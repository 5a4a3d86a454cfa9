package engine

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"testing"

	"github.com/briefbot/briefbot/retrieval"
	"github.com/briefbot/briefbot/retrieval/store"
)

// sameIndex compares the derived parts of two indexes.
func sameIndex(t *testing.T, got, want *index) {
	t.Helper()
	if !reflect.DeepEqual(got.sents, want.sents) || !reflect.DeepEqual(got.chunkArt, want.chunkArt) ||
		!reflect.DeepEqual(got.chunkBase, want.chunkBase) || !reflect.DeepEqual(got.artIdx, want.artIdx) {
		t.Fatal("derived sentences or chunk tables differ from a rebuild")
	}
	if got.lex.Len() != want.lex.Len() || got.lex.NumTerms() != want.lex.NumTerms() {
		t.Fatal("derived lexical index differs from a rebuild")
	}
	for id := range int32(want.lex.NumTerms()) {
		if got.lex.Term(id) != want.lex.Term(id) || got.lex.IDFOf(id) != want.lex.IDFOf(id) {
			t.Fatalf("term %d differs", id)
		}
	}
	if !reflect.DeepEqual(got.qvecs, want.qvecs) {
		t.Fatal("quantised vectors differ")
	}
}

// TestDerivedIndex checks the derived index file: written with the snapshot,
// loaded instead of rebuilt when it matches, and detected and rebuilt when
// it is stale (another snapshot), corrupt or missing.
func TestDerivedIndex(t *testing.T) {
	ctx := context.Background()
	mem, dir := savedSeeds(t)
	idx := filepath.Join(dir, IndexName)
	good, err := os.ReadFile(idx)
	if err != nil {
		t.Fatalf("Save wrote no derived index: %v", err)
	}
	loaded, err := Open(ctx, dir, Options{})
	if err != nil {
		t.Fatal(err)
	}
	st := loaded.Store()
	fromFile, err := readIndex(dir, st, st.Fingerprint())
	if err != nil {
		t.Fatalf("fresh derived index refused: %v", err)
	}
	sameIndex(t, fromFile, buildIndex(st))
	sameIndex(t, loaded.state(), buildIndex(st))
	for _, q := range []string{"interest rates", "wildfire evacuation", "Who won the election?"} {
		a, _ := mem.Search(ctx, retrieval.Query{Text: q})
		b, _ := loaded.Search(ctx, retrieval.Query{Text: q})
		if !reflect.DeepEqual(a, b) {
			t.Errorf("%q: the engine over the derived index answers differently", q)
		}
	}

	// Corrupt: a flipped byte is caught by the checksum, and Open rebuilds
	// and rewrites the file.
	bad := append([]byte(nil), good...)
	bad[len(bad)/2] ^= 0x40
	if err := os.WriteFile(idx, bad, 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := readIndex(dir, st, st.Fingerprint()); err == nil {
		t.Fatal("corrupt derived index accepted")
	}
	re, err := Open(ctx, dir, Options{})
	if err != nil {
		t.Fatal(err)
	}
	sameIndex(t, re.state(), buildIndex(re.Store()))
	if now, _ := os.ReadFile(idx); !reflect.DeepEqual(now, good) {
		t.Fatal("corrupt derived index not rewritten")
	}

	// Stale: the snapshot changes (another save of a changed store) while
	// the derived file stays from the old one.
	other := t.TempDir()
	if _, err := mem.Ingest(ctx, []retrieval.Article{{ID: "extra", Title: "Extra", Body: "A new briefing about tidal power in Scotland. It opened today."}}); err != nil {
		t.Fatal(err)
	}
	if err := mem.Store().Save(other); err != nil { // the snapshot alone
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(other, IndexName), good, 0o644); err != nil {
		t.Fatal(err)
	}
	changed, err := store.Load(ctx, other)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := readIndex(other, changed, changed.Fingerprint()); !errors.Is(err, errStaleIndex) {
		t.Fatalf("stale derived index: %v, want errStaleIndex", err)
	}
	fresh, err := Open(ctx, other, Options{})
	if err != nil {
		t.Fatal(err)
	}
	sameIndex(t, fresh.state(), buildIndex(fresh.Store()))
	if _, err := fresh.Document(ctx, "extra"); err != nil {
		t.Fatal(err)
	}

	// Missing: rebuilt and written.
	os.Remove(idx)
	if _, err := Open(ctx, dir, Options{}); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(idx); err != nil {
		t.Fatal("missing derived index not rewritten")
	}
}

// TestAnswerCache checks that a cached answer equals a fresh one, that
// callers cannot change it, and that an ingest empties the cache.
func TestAnswerCache(t *testing.T) {
	ctx := context.Background()
	e, err := OpenSeeds(ctx)
	if err != nil {
		t.Fatal(err)
	}
	q := retrieval.Query{Text: "What did the central bank decide about interest rates?"}
	first, err := e.Search(ctx, q)
	if err != nil {
		t.Fatal(err)
	}
	fresh, _ := e.search(ctx, e.state(), retrieval.Query{Text: q.Text, MaxQuotes: 3, MaxDocs: 20}, e.now())
	if len(first.Docs) == 0 || !reflect.DeepEqual(first, fresh) {
		t.Fatal("first answer differs from an uncached search")
	}
	first.Docs[0].ID = "changed by the caller"
	second, _ := e.Search(ctx, q)
	if !reflect.DeepEqual(second, fresh) {
		t.Fatal("cached answer differs from an uncached search")
	}
	if _, err := e.Ingest(ctx, []retrieval.Article{{ID: "zz-bank", Title: "Central bank decides on interest rates", Body: "The central bank decided to raise interest rates by half a point on Tuesday. The central bank said interest rates will rise again."}}); err != nil {
		t.Fatal(err)
	}
	third, _ := e.Search(ctx, q)
	found := false
	for _, d := range third.Docs {
		found = found || d.ID == "zz-bank"
	}
	if !found {
		t.Fatal("an answer cached before an ingest outlived it")
	}
}
