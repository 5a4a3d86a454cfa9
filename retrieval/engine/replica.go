package engine

import (
	"context"
	"fmt"
	"runtime"

	"golang.org/x/sync/errgroup"

	"github.com/briefbot/briefbot/retrieval"
	"github.com/briefbot/briefbot/retrieval/store"
)

// This file is the engine's side of cluster mode: a replica keeps its
// in-memory store and index, and the database (retrieval/pgcorpus) is the
// source of truth. Writers prepare articles (sentences, chunks, vectors)
// with Prepare and send them to the database; every replica then applies
// the database's changes with Apply, which stores the given vectors (no
// re-embedding) and swaps in one rebuilt index.

// PreparedArticle is an article ready to store: its text with sentence and
// chunk spans and content hash, and one unit vector per chunk.
type PreparedArticle struct {
	Article *store.StoredArticle
	Vectors [][]float32
}

// Prepare splits, chunks and embeds articles, on every core, without
// storing them: out[i] is arts[i] prepared. An article without an ingest
// time is stamped with the engine's clock (the same instant for the
// batch). It does not read the engine's store, so it is safe concurrently
// with anything.
func (e *Engine) Prepare(ctx context.Context, arts []retrieval.Article) ([]PreparedArticle, error) {
	now := e.now().UTC()
	out := make([]PreparedArticle, len(arts))
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(runtime.GOMAXPROCS(0))
	for i := range arts {
		g.Go(func() error {
			p, err := e.prepare(gctx, arts[i], ContentHash(arts[i]), now)
			if err != nil {
				return fmt.Errorf("prepare %s: %w", arts[i].ID, err)
			}
			out[i] = PreparedArticle{Article: p.art, Vectors: p.vectors}
			return nil
		})
	}
	if err := g.Wait(); err != nil {
		return nil, err
	}
	return out, nil
}

// CheckEmbedder reports, as Open does (wrapping ErrMismatch), whether
// vectors made by the embedder named name, of dimension dim, can be stored
// and searched by this engine.
func (e *Engine) CheckEmbedder(ctx context.Context, name string, dim int) error {
	return checkEmbedder(ctx, store.Info{Embedder: name, Dim: dim}, e.emb)
}

// Apply stores puts (with their given vectors) and removes deletes, then
// rebuilds the index once and swaps it in: a search runs on the index
// before the whole change or after it, never on a part. A put of an id
// already stored replaces it; a delete of an unknown id does nothing. A
// vector of another dimension than the store's fails with
// store.ErrEmbedderMismatch before anything is changed.
//
// Apply is for a replica following a database: it does not mark the
// engine unsaved (there is no snapshot to save in cluster mode).
func (e *Engine) Apply(ctx context.Context, puts []PreparedArticle, deletes []string) error {
	e.writeMu.Lock()
	defer e.writeMu.Unlock()
	st := e.Store()
	dim := st.Info().Dim
	for _, p := range puts {
		if p.Article == nil {
			return fmt.Errorf("engine: apply: a put without an article")
		}
		if len(p.Vectors) != len(p.Article.ChunkStarts) {
			return fmt.Errorf("engine: apply %q: %d vectors for %d chunks", p.Article.ID, len(p.Vectors), len(p.Article.ChunkStarts))
		}
		for _, v := range p.Vectors {
			if len(v) != dim {
				return fmt.Errorf("engine: apply %q: %w: vector of dimension %d, store holds %d", p.Article.ID, store.ErrEmbedderMismatch, len(v), dim)
			}
		}
	}
	if len(puts) == 0 && len(deletes) == 0 {
		return nil
	}
	for _, id := range deletes {
		if err := st.Delete(ctx, id); err != nil {
			return err
		}
	}
	for _, p := range puts {
		if err := st.Put(ctx, p.Article, p.Vectors); err != nil {
			return err
		}
	}
	ix := buildIndex(st)
	e.mu.Lock()
	e.ix = ix
	e.seeds = false
	e.mu.Unlock()
	e.changed()
	return nil
}
