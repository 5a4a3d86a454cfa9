package engine

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"strings"
	"time"

	"github.com/briefbot/briefbot/retrieval"
	"github.com/briefbot/briefbot/retrieval/ingest"
	"github.com/briefbot/briefbot/retrieval/store"
	"github.com/briefbot/briefbot/retrieval/text"
)

// Status is what ingesting an article did.
type Status string

// Ingest outcomes.
const (
	Added     Status = "added"
	Updated   Status = "updated"
	Unchanged Status = "unchanged"
)

// Outcome reports one ingested article.
type Outcome struct {
	ID     string
	Status Status
}

// ContentHash identifies an article's content.
func ContentHash(a retrieval.Article) string {
	h := sha256.New()
	for _, s := range []string{a.Title, a.Source, a.URL, a.Published.UTC().Format(time.RFC3339), a.Body} {
		h.Write([]byte(s))
		h.Write([]byte{0})
	}
	if a.Collection != "" { // (left out when empty: unlabelled articles keep their hash)
		h.Write([]byte("collection\x00" + a.Collection))
	}
	return hex.EncodeToString(h.Sum(nil)[:12])
}

type prepared struct {
	art     *store.StoredArticle
	vectors [][]float32
	status  Status
}

// Ingest adds or replaces articles. Unchanged content is a no-op; changed
// content replaces the article's chunks. Sentence splitting, chunking and
// embedding run on every core; the lexical index is rebuilt once at the end.
// It is one Batch (Begin, Add, Commit); ingest many articles in groups
// through a Batch to bound memory.
func (e *Engine) Ingest(ctx context.Context, arts []retrieval.Article) ([]Outcome, error) {
	return e.IngestProgress(ctx, arts, nil)
}

// IngestProgress is Ingest with a progress callback, called after each
// article.
func (e *Engine) IngestProgress(ctx context.Context, arts []retrieval.Article, progress func(done int)) ([]Outcome, error) {
	b := e.Begin()
	defer b.Commit()
	out, err := b.add(ctx, arts, progress)
	if err != nil {
		return nil, err
	}
	return out, nil
}

func (e *Engine) prepare(ctx context.Context, a retrieval.Article, hash string, now time.Time) (*prepared, error) {
	sents := text.Sentences(a.Body)
	chunks := ingest.Chunk(a.ID, a.Body, sents, e.opts.ChunkWords)
	// A copy of exactly its size: a body decoded from JSON or cleaned up is
	// built in a buffer with up to a third of it unused (30 MB at 200k chunks).
	sa := &store.StoredArticle{Body: strings.Clone(a.Body)}
	sa.ID, sa.Title, sa.Source, sa.URL, sa.Published = a.ID, a.Title, a.Source, a.URL, a.Published
	sa.Collection = a.Collection
	sa.Hash = hash
	sa.Ingested = a.Ingested
	if sa.Ingested.IsZero() {
		sa.Ingested = now
	}
	sa.Sentences = make([]retrieval.Span, len(sents))
	copy(sa.Sentences, sents)
	sa.ChunkStarts = make([]int, len(chunks))
	vectors := make([][]float32, len(chunks))
	for i, c := range chunks {
		sa.ChunkStarts[i] = c.Span.Start
		in := a.Body[c.Span.Start:c.Span.End]
		if i == 0 && a.Title != "" {
			in = a.Title + "\n" + in
		}
		v, err := e.emb.Embed(ctx, in)
		if err != nil {
			return nil, err
		}
		vectors[i] = v
	}
	return &prepared{art: sa, vectors: vectors}, nil
}

// Delete removes articles by id and reports which existed.
func (e *Engine) Delete(ctx context.Context, ids ...string) ([]string, error) {
	e.writeMu.Lock()
	defer e.writeMu.Unlock()
	st := e.Store()
	var gone []string
	for _, id := range ids {
		if _, ok := st.Article(id); !ok {
			continue
		}
		e.unsaved = true
		if err := st.Delete(ctx, id); err != nil {
			return gone, err
		}
		gone = append(gone, id)
	}
	if len(gone) > 0 {
		ix := buildIndex(st)
		e.mu.Lock()
		e.ix = ix
		e.mu.Unlock()
	}
	return gone, nil
}
