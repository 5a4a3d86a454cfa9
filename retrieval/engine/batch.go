package engine

import (
	"context"
	"fmt"
	"runtime"
	"sync"
	"sync/atomic"
	"time"

	"github.com/briefbot/briefbot/retrieval"
)

// Interrupted is the outcome of an article a Batch.Add did not store
// because its context was cancelled first: it is not in the store.
const Interrupted Status = "interrupted"

// Batch is an ingest of many articles handed over group by group (a folder
// of files, a large JSONL file read a few hundred records at a time): each
// group is prepared (sentences, chunks, embeddings) on every core and put
// into the store, and the derived index is built once, at Commit, so that
// ingesting N files costs about what one file of N articles costs.
//
// Begin takes the engine's write lock and Commit releases it: between them
// no other Ingest, Delete, Save, Refresh or Replace runs, and searches see
// the index of before the batch. A Batch is used by one goroutine; Commit
// must be called (defer it) even when an Add failed.
type Batch struct {
	e       *Engine
	now     time.Time
	changed bool
	done    bool
}

// buildIndexFn builds the derived index at Commit; tests count its calls.
var buildIndexFn = buildIndex

// Begin starts a batch. Every article it stores is stamped with the same
// ingest time, so the store keeps them in id order (see store.Articles).
func (e *Engine) Begin() *Batch {
	e.writeMu.Lock()
	return &Batch{e: e, now: e.now().UTC()}
}

// Add prepares arts on every core and stores them, in order. Outcomes are
// per article, in arts' order. Unchanged content is a no-op; when an id
// occurs twice in arts the later one wins (the earlier is reported
// Unchanged); an id stored by an earlier Add of the batch is replaced.
//
// When ctx is cancelled part-way, the articles already prepared are stored
// all the same, the others are reported Interrupted, and the error is
// ctx's. Any other failure (an embedder error) stores nothing of arts and is
// returned with nil outcomes.
func (b *Batch) Add(ctx context.Context, arts []retrieval.Article) ([]Outcome, error) {
	return b.add(ctx, arts, nil)
}

func (b *Batch) add(ctx context.Context, arts []retrieval.Article, progress func(done int)) ([]Outcome, error) {
	if b.done {
		return nil, fmt.Errorf("engine: Add after Commit")
	}
	e := b.e
	st := e.Store()
	out := make([]Outcome, len(arts))
	preps := make([]*prepared, len(arts))
	last := make(map[string]int, len(arts))
	for i, a := range arts {
		last[a.ID] = i
	}
	// wctx stops the other workers at the first real failure.
	wctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var (
		next     atomic.Int64
		errMu    sync.Mutex
		firstErr error
		wg       sync.WaitGroup
	)
	for range min(runtime.GOMAXPROCS(0), max(len(arts), 1)) {
		wg.Go(func() {
			for wctx.Err() == nil {
				i := int(next.Add(1)) - 1
				if i >= len(arts) {
					return
				}
				a := arts[i]
				if last[a.ID] != i {
					out[i] = Outcome{ID: a.ID, Status: Unchanged}
					continue
				}
				hash := ContentHash(a)
				status := Added
				if old, ok := st.Article(a.ID); ok {
					if old.Hash == hash {
						out[i] = Outcome{ID: a.ID, Status: Unchanged}
						continue
					}
					status = Updated
				}
				p, err := e.prepare(wctx, a, hash, b.now)
				if err != nil {
					if ctx.Err() != nil {
						return // interrupted, not failed
					}
					errMu.Lock()
					if firstErr == nil {
						firstErr = fmt.Errorf("ingest %s: %w", a.ID, err)
					}
					errMu.Unlock()
					cancel()
					return
				}
				p.status = status
				preps[i] = p
			}
		})
	}
	wg.Wait()
	if firstErr != nil {
		return nil, firstErr
	}
	// What was prepared is stored even when ctx was cancelled meanwhile:
	// the work is done, and the store is in memory.
	putCtx := context.WithoutCancel(ctx)
	for i, p := range preps {
		switch {
		case p != nil:
			// Set before the Put: a batch that fails half-way has changed
			// the store all the same.
			e.unsaved, b.changed = true, true
			if err := st.Put(putCtx, p.art, p.vectors); err != nil {
				return nil, err
			}
			out[i] = Outcome{ID: p.art.ID, Status: p.status}
		case out[i].ID == "":
			out[i] = Outcome{ID: arts[i].ID, Status: Interrupted}
		}
		if progress != nil {
			progress(i + 1)
		}
	}
	if err := ctx.Err(); err != nil {
		for _, o := range out {
			if o.Status == Interrupted {
				return out, err
			}
		}
	}
	return out, nil
}

// Commit ends the batch: when it changed the store, it builds the derived
// index over the whole store, once, and makes searches use it. It releases
// the engine's write lock. Calling it again does nothing.
func (b *Batch) Commit() {
	b.commit(true)
}

// CommitUnindexed ends the batch as Commit does, but without building the
// derived index in memory: the next Save writes the index file straight
// from the store (tokenising one article at a time, holding only the
// postings) and searches after it read that file, mapped. A search before
// that Save waits for the batch and builds the index in memory. It is for
// a command that ingests, saves and exits (briefbot ingest): at a million
// chunks the in-memory index is ~1.4 GB that nothing would read.
func (b *Batch) CommitUnindexed() {
	b.commit(false)
}

func (b *Batch) commit(build bool) {
	if b.done {
		return
	}
	b.done = true
	e := b.e
	defer e.writeMu.Unlock()
	if !b.changed {
		return
	}
	var ix *index
	if build {
		ix = buildIndexFn(e.Store())
	}
	e.mu.Lock()
	e.ix = ix
	e.mu.Unlock()
	e.changed()
}
