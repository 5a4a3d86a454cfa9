package engine

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/briefbot/briefbot/retrieval"
	"github.com/briefbot/briefbot/retrieval/embed"
	"github.com/briefbot/briefbot/retrieval/store"
)

// countBuilds counts the index builds of Commit for the rest of the test.
func countBuilds(t *testing.T) *atomic.Int64 {
	t.Helper()
	var n atomic.Int64
	orig := buildIndexFn
	buildIndexFn = func(st *store.Store) *index {
		n.Add(1)
		return orig(st)
	}
	t.Cleanup(func() { buildIndexFn = orig })
	return &n
}

// groupArticle is an article whose body names a word no other group uses.
func groupArticle(g, i int, word string) retrieval.Article {
	return retrieval.Article{
		ID:    fmt.Sprintf("g%d-%03d", g, i),
		Title: fmt.Sprintf("Dispatch %d of group %d", i, g),
		Body:  fmt.Sprintf("The harbour office reported a %s sighting near pier %d on Tuesday. Officials said the %s was seen again at dusk.", word, i, word),
	}
}

func TestBatchBuildsTheIndexOnceAndFindsEveryGroup(t *testing.T) {
	ctx := context.Background()
	e, err := NewMemory(ctx, Options{})
	if err != nil {
		t.Fatal(err)
	}
	builds := countBuilds(t)
	words := []string{"quokka", "narwhal", "axolotl"}
	b := e.Begin()
	for g, w := range words {
		arts := make([]retrieval.Article, 20)
		for i := range arts {
			arts[i] = groupArticle(g, i, w)
		}
		outs, err := b.Add(ctx, arts)
		if err != nil {
			t.Fatal(err)
		}
		for _, o := range outs {
			if o.Status != Added {
				t.Fatalf("group %d: %s is %s, want added", g, o.ID, o.Status)
			}
		}
	}
	// Searches see the index of before the batch until it commits.
	if n := e.state().lex.Len(); n != 0 {
		t.Errorf("before Commit the index holds %d chunks, want the empty index of before", n)
	}
	b.Commit()
	b.Commit() // a second Commit does nothing (and must not unlock twice)
	if n := builds.Load(); n != 1 {
		t.Errorf("the index was built %d times for a batch of 3 groups, want 1", n)
	}
	if got := e.Stats().Articles; got != 60 {
		t.Errorf("store holds %d articles, want 60", got)
	}
	for g, w := range words {
		res, err := e.Search(ctx, retrieval.Query{Text: "Where was the " + w + " seen?"})
		if err != nil {
			t.Fatal(err)
		}
		if len(res.Docs) == 0 || res.Docs[0].ID[:3] != fmt.Sprintf("g%d-", g) {
			t.Errorf("search for %s: docs %v, want group %d first", w, res.Docs, g)
		}
	}
	// The engine's write lock was released: other writers proceed.
	if _, err := e.Delete(ctx, "g0-000"); err != nil {
		t.Fatal(err)
	}
	if !e.Unsaved() {
		t.Error("a batch that changed the store left the engine marked saved")
	}
}

func TestBatchAcrossGroupsReplacesAndSkipsUnchanged(t *testing.T) {
	ctx := context.Background()
	e, err := NewMemory(ctx, Options{})
	if err != nil {
		t.Fatal(err)
	}
	builds := countBuilds(t)
	b := e.Begin()
	a := groupArticle(0, 1, "quokka")
	if _, err := b.Add(ctx, []retrieval.Article{a}); err != nil {
		t.Fatal(err)
	}
	changed := a
	changed.Body += " The office closed the pier."
	outs, err := b.Add(ctx, []retrieval.Article{a, changed})
	if err != nil {
		t.Fatal(err)
	}
	if outs[0].Status != Unchanged || outs[1].Status != Updated {
		t.Errorf("outcomes %v, want the earlier duplicate unchanged and the later updated", outs)
	}
	b.Commit()
	if e.Stats().Articles != 1 || builds.Load() != 1 {
		t.Errorf("store holds %d articles after %d builds, want 1 and 1", e.Stats().Articles, builds.Load())
	}
	// A batch that changes nothing builds nothing.
	b = e.Begin()
	if outs, err := b.Add(ctx, []retrieval.Article{changed}); err != nil || outs[0].Status != Unchanged {
		t.Fatalf("re-adding: %v %v", outs, err)
	}
	b.Commit()
	if builds.Load() != 1 {
		t.Errorf("an unchanged batch rebuilt the index")
	}
}

// cancellingEmbedder cancels its context after a number of embeddings, as
// a Ctrl-C in the middle of a group would.
type cancellingEmbedder struct {
	*embed.Hash
	after  int64
	n      atomic.Int64
	cancel context.CancelFunc
}

func (c *cancellingEmbedder) Embed(ctx context.Context, text string) ([]float32, error) {
	if c.n.Add(1) == c.after {
		c.cancel()
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	return c.Hash.Embed(ctx, text)
}

func TestBatchInterruptedKeepsWhatIsPreparedAndARerunCompletes(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	emb := &cancellingEmbedder{Hash: embed.NewHash(0), after: 15, cancel: cancel}
	e, err := NewMemory(context.Background(), Options{Embedder: emb})
	if err != nil {
		t.Fatal(err)
	}
	arts := make([]retrieval.Article, 40)
	for i := range arts {
		arts[i] = groupArticle(0, i, "quokka")
	}
	b := e.Begin()
	outs, err := b.Add(ctx, arts)
	b.Commit()
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("Add after a cancel: err %v, want context.Canceled", err)
	}
	stored, interrupted := 0, 0
	for _, o := range outs {
		_, inStore := e.Store().Article(o.ID)
		switch o.Status {
		case Added:
			stored++
			if !inStore {
				t.Errorf("%s reported added but not in the store", o.ID)
			}
		case Interrupted:
			interrupted++
			if inStore {
				t.Errorf("%s reported interrupted but stored", o.ID)
			}
		default:
			t.Errorf("%s: unexpected status %s", o.ID, o.Status)
		}
	}
	if stored == 0 || interrupted == 0 || stored+interrupted != len(arts) {
		t.Fatalf("%d stored, %d interrupted of %d: want some of each", stored, interrupted, len(arts))
	}
	if got := e.Stats().Articles; got != stored {
		t.Errorf("the committed index holds %d articles, want the %d stored", got, stored)
	}
	// The same articles again: the stored ones are no-ops, the rest added.
	emb.after = -1
	outs, err = e.Ingest(context.Background(), arts)
	if err != nil {
		t.Fatal(err)
	}
	added, unchanged := 0, 0
	for _, o := range outs {
		switch o.Status {
		case Added:
			added++
		case Unchanged:
			unchanged++
		}
	}
	if added != interrupted || unchanged != stored || e.Stats().Articles != len(arts) {
		t.Errorf("rerun: %d added, %d unchanged, %d in store; want %d, %d, %d", added, unchanged, e.Stats().Articles, interrupted, stored, len(arts))
	}
}

// failingEmbedder fails on a text holding "poison".
type failingEmbedder struct{ *embed.Hash }

func (f failingEmbedder) Embed(ctx context.Context, text string) ([]float32, error) {
	if strings.Contains(text, "poison") {
		return nil, errors.New("embedder down")
	}
	return f.Hash.Embed(ctx, text)
}

func TestBatchAddFailureStoresNothingOfTheGroup(t *testing.T) {
	ctx := context.Background()
	e, err := NewMemory(ctx, Options{Embedder: failingEmbedder{embed.NewHash(0)}})
	if err != nil {
		t.Fatal(err)
	}
	b := e.Begin()
	defer b.Commit()
	if _, err := b.Add(ctx, []retrieval.Article{groupArticle(0, 1, "quokka")}); err != nil {
		t.Fatal(err)
	}
	bad := []retrieval.Article{groupArticle(1, 1, "narwhal"), groupArticle(1, 2, "poison"), groupArticle(1, 3, "narwhal")}
	outs, err := b.Add(ctx, bad)
	if err == nil || outs != nil {
		t.Fatalf("Add with a failing embedder: %v, %v; want an error and no outcomes", outs, err)
	}
	if n := e.Store().Len(); n != 1 {
		t.Errorf("store holds %d articles, want only the first group's 1", n)
	}
}
