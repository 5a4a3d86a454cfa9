// Package engine is briefbot's search engine: it owns the store, the
// embedder and the derived BM25 index, ingests articles, and answers
// queries with ranked articles and verbatim quotes. It implements
// bot.Searcher.
package engine

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"path/filepath"
	"sync"
	"time"

	"github.com/briefbot/briefbot/retrieval"
	"github.com/briefbot/briefbot/retrieval/embed"
	"github.com/briefbot/briefbot/retrieval/ingest"
	"github.com/briefbot/briefbot/retrieval/store"
	"github.com/briefbot/briefbot/seeds"
)

// ErrNotFound reports an unknown article id.
var ErrNotFound = errors.New("engine: no such article")

// Options configures an Engine.
type Options struct {
	// Embedder embeds chunks and questions; nil means the default hash embedder.
	Embedder embed.Embedder
	// Logger logs; nil discards.
	Logger *slog.Logger
	// Now is the clock; nil means time.Now.
	Now func() time.Time
	// ChunkWords is the target chunk size (default ingest.DefaultChunkWords).
	ChunkWords int
	// Params tunes the search; nil means DefaultParams (the fitted model).
	Params *Params
}

// Engine answers queries over a store. Search, Articles and Document are safe
// for concurrent use with each other and with Ingest; Ingest, Delete, Save,
// Refresh and Replace serialise among themselves.
//
// A writer (an ingest, a watched folder, a delete) changes the snapshot in a
// data directory by holding the directory's lock (store.LockDir), calling
// Refresh, applying its changes, and calling Save. Refresh makes the engine
// build on the snapshot on disk, and Save refuses to replace any snapshot
// but the one the engine was loaded from or last saved (ErrStale): no writer
// ever overwrites a newer store.
type Engine struct {
	emb    embed.Embedder
	params *Params
	log    *slog.Logger
	now    func() time.Time
	opts   Options

	writeMu sync.Mutex // serialises Ingest/Delete/Save/Refresh/Replace
	mu      sync.RWMutex
	st      *store.Store
	ix      *index
	seeds   bool
	// onChange, when set (OnChange), is called after the engine's store
	// changed or was replaced. Guarded by writeMu.
	onChange func()
	// pendMu serialises building an index left to be built (see state).
	pendMu sync.Mutex

	// Guarded by writeMu: the snapshot the engine's store derives from,
	// baseDir's snapshot with fingerprint base ("": none, for a store
	// started empty), and whether the store has changed since (unsaved).
	base, baseDir string
	unsaved       bool
}

func newEngine(opts Options) *Engine {
	if opts.Embedder == nil {
		opts.Embedder = embed.NewHash(0)
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.ChunkWords <= 0 {
		opts.ChunkWords = ingest.DefaultChunkWords
	}
	if opts.Params == nil {
		opts.Params = DefaultParams()
	} else {
		opts.Params = opts.Params.Clone()
	}
	return &Engine{emb: opts.Embedder, params: opts.Params, log: opts.Logger, now: opts.Now, opts: opts}
}

// dimOf embeds a probe text to learn the embedder's dimension.
func dimOf(ctx context.Context, e embed.Embedder) (int, error) {
	if h, ok := e.(*embed.Hash); ok {
		return h.Dim, nil
	}
	v, err := e.Embed(ctx, "dimension probe")
	if err != nil {
		return 0, err
	}
	return len(v), nil
}

// NewMemory returns an engine over an empty in-memory store.
func NewMemory(ctx context.Context, opts Options) (*Engine, error) {
	e := newEngine(opts)
	dim, err := dimOf(ctx, e.emb)
	if err != nil {
		return nil, fmt.Errorf("engine: %w", err)
	}
	st, err := store.New(store.Info{Embedder: e.emb.Name(), Dim: dim})
	if err != nil {
		return nil, err
	}
	e.st = st
	e.ix = buildIndex(st)
	return e, nil
}

// OpenSeeds returns an engine over the embedded seed briefings, indexed in
// memory with the default hash embedder.
func OpenSeeds(ctx context.Context) (*Engine, error) {
	return OpenSeedsWith(ctx, Options{})
}

// OpenSeedsWith is OpenSeeds with options.
func OpenSeedsWith(ctx context.Context, opts Options) (*Engine, error) {
	e, err := NewMemory(ctx, opts)
	if err != nil {
		return nil, err
	}
	var arts []retrieval.Article
	if err := ingest.ReadFS(seeds.FS(), func(a retrieval.Article) error {
		arts = append(arts, a)
		return nil
	}); err != nil {
		return nil, err
	}
	if _, err := e.Ingest(ctx, arts); err != nil {
		return nil, err
	}
	e.seeds = true
	return e, nil
}

// ErrMismatch reports a store built by another embedder than the one configured.
var ErrMismatch = store.ErrEmbedderMismatch // one sentinel for the store, the engine and the corpus database

// Open loads the store in dir. With no store there, it serves the embedded
// seeds (Seeds reports true). A store built by another embedder is an error
// naming the fix.
//
// The store is opened as a view of the derived index file, mapped (see
// openMapped): nothing is decoded but article metadata and sentence
// headers. When that file is missing or stale, the snapshot is loaded, the
// index rebuilt and written, and then mapped in place of what was loaded.
func Open(ctx context.Context, dir string, opts Options) (*Engine, error) {
	e := newEngine(opts)
	st, ix, err := openMapped(dir)
	if errors.Is(err, store.ErrNoStore) {
		return OpenSeedsWith(ctx, opts)
	}
	if err != nil {
		st, err = store.Load(ctx, dir)
		if errors.Is(err, store.ErrNoStore) {
			return OpenSeedsWith(ctx, opts)
		}
		if err != nil {
			return nil, err
		}
		if err := checkEmbedder(ctx, st.Info(), e.emb); err != nil {
			return nil, err
		}
		ix = e.loadIndex(dir, st, false)
		if mst, mix, err := openMapped(dir); err == nil && mst.Fingerprint() == st.Fingerprint() {
			st, ix = mst, mix
		}
	}
	if err := checkEmbedder(ctx, st.Info(), e.emb); err != nil {
		return nil, err
	}
	e.st, e.ix = st, ix
	e.base, e.baseDir = st.Fingerprint(), dir
	return e, nil
}

// OnChange makes the engine call fn after every change or replacement of
// its store (a Commit or CommitUnindexed that changed it, Refresh loading
// another snapshot, Replace, Apply), and calls it once now. fn runs with
// the engine's write lock held: it must not call the engine's writing
// methods. A serving process uses it to apply its memory policy (a soft
// limit that follows the store); the engine itself decides none.
func (e *Engine) OnChange(fn func()) {
	e.writeMu.Lock()
	defer e.writeMu.Unlock()
	e.onChange = fn
	e.changed()
}

// changed calls the OnChange hook; the caller holds writeMu.
func (e *Engine) changed() {
	if e.onChange != nil {
		e.onChange()
	}
}

// OpenForWrite loads the store in dir for ingesting, or starts an empty one
// when there is none. The caller holds the directory's lock
// (store.LockDir). A store that exists but cannot be read is an error naming
// the file and the reason, never an empty start that would replace it. With
// reembed, a store built by another embedder is rebuilt with the configured
// one instead of refused.
func OpenForWrite(ctx context.Context, dir string, opts Options, reembed bool) (*Engine, error) {
	return openForWrite(ctx, dir, opts, reembed, true)
}

// openForWrite is OpenForWrite; locked says whether the caller holds the
// directory's lock (see loadIndex).
func openForWrite(ctx context.Context, dir string, opts Options, reembed, locked bool) (*Engine, error) {
	// A view of the mapped index when there is one: an ingest that changes
	// nothing never decodes the snapshot, and the first change loads it.
	st, ix, err := openMapped(dir)
	if err != nil {
		st, err = store.Load(ctx, dir)
	}
	if errors.Is(err, store.ErrNoStore) {
		e, err := NewMemory(ctx, opts)
		if err != nil {
			return nil, err
		}
		e.baseDir = dir
		return e, nil
	}
	if err != nil {
		return nil, fmt.Errorf("%w (%v); it is left as it is: restore it from a backup, or move it aside to start an empty store", ErrUnreadable, err)
	}
	e := newEngine(opts)
	if err := checkEmbedder(ctx, st.Info(), e.emb); err != nil {
		if !reembed {
			return nil, err
		}
		fresh, ferr := NewMemory(ctx, opts)
		if ferr != nil {
			return nil, ferr
		}
		// Re-embed every stored article with the new embedder.
		old := st.Articles()
		arts := make([]retrieval.Article, 0, len(old))
		for _, a := range old {
			arts = append(arts, retrieval.Article{ID: a.ID, Title: a.Title, Source: a.Source, URL: a.URL, Published: a.Published, Ingested: a.Ingested, Body: a.Body})
		}
		if _, err := fresh.Ingest(ctx, arts); err != nil {
			return nil, err
		}
		// The rebuilt store replaces the snapshot it was built from.
		fresh.base, fresh.baseDir, fresh.unsaved = st.Fingerprint(), dir, true
		return fresh, nil
	}
	e.st = st
	if ix == nil {
		ix = e.loadIndex(dir, st, locked)
	}
	e.ix = ix
	e.base, e.baseDir = st.Fingerprint(), dir
	return e, nil
}

// openMapped opens the store in dir as a view of its derived index file,
// mapped: the snapshot is only checksummed (to check the file derives from
// it). It fails with store.ErrNoStore when there is no snapshot, and with
// readIndex's errors when the file is missing, stale or damaged.
func openMapped(dir string) (*store.Store, *index, error) {
	snap, err := store.OpenSnapshot(dir)
	if err != nil {
		return nil, nil, err
	}
	ix, err := readIndex(dir, nil, snap.Fingerprint())
	if err != nil {
		snap.Close()
		return nil, nil, err
	}
	st := store.NewView(snap, ix.info, ix.arts, func(id string) [][]float32 {
		i, ok := ix.artIdx[id]
		if !ok {
			return nil
		}
		b := ix.chunkBase[i]
		return ix.vecs[b : b+int32(len(ix.arts[i].ChunkStarts))]
	})
	return st, ix, nil
}

// ErrUnreadable reports a store that exists but cannot be read: damaged, or
// not a briefbot snapshot. A writer refuses it rather than replace it.
var ErrUnreadable = errors.New("engine: the store cannot be read")

// ErrStale reports a Save over a snapshot that is not the one the engine was
// loaded from or last saved: another writer saved since. Nothing is
// written; Refresh, apply the changes again, and save.
var ErrStale = errors.New("engine: the store on disk changed since this engine loaded it")

// ErrIndexNotSaved reports a Save that wrote the snapshot but not the
// derived index beside it. The store is saved; the index is rebuilt (and
// written again) by the next process that opens it, at some cost in start-up
// time.
var ErrIndexNotSaved = errors.New("engine: the store is saved, but its derived index could not be written")

func checkEmbedder(ctx context.Context, info store.Info, emb embed.Embedder) error {
	if info.Embedder != emb.Name() {
		return fmt.Errorf("%w: it was built with %s, briefbot is configured for %s; set --embedder/BRIEFBOT_EMBEDDER back to %s, or rebuild it with `briefbot ingest --reembed`",
			ErrMismatch, embed.Describe(info.Embedder, info.Dim), emb.Name(), info.Embedder)
	}
	dim, err := dimOf(ctx, emb)
	if err != nil {
		return fmt.Errorf("engine: %w", err)
	}
	if dim != info.Dim {
		return fmt.Errorf("%w: it holds %d-dimensional vectors, %s gives %d; rebuild it with `briefbot ingest --reembed`",
			ErrMismatch, info.Dim, emb.Name(), dim)
	}
	return nil
}

// Seeds reports whether the engine serves the embedded seeds.
func (e *Engine) Seeds() bool { return e.seeds }

// Embedder returns the engine's embedder.
func (e *Engine) Embedder() embed.Embedder { return e.emb }

// Store returns the underlying store.
func (e *Engine) Store() *store.Store {
	e.mu.RLock()
	defer e.mu.RUnlock()
	return e.st
}

// state is the index searches use. One left unbuilt by CommitUnindexed is
// built now: mapped from the file Save wrote of the store, or else in
// memory, once the writer that holds the write lock is done.
func (e *Engine) state() *index {
	e.mu.RLock()
	ix := e.ix
	e.mu.RUnlock()
	if ix != nil {
		return ix
	}
	return e.buildPending()
}

func (e *Engine) buildPending() *index {
	e.pendMu.Lock()
	defer e.pendMu.Unlock()
	e.writeMu.Lock()
	defer e.writeMu.Unlock()
	e.mu.RLock()
	ix, st := e.ix, e.st
	e.mu.RUnlock()
	if ix != nil {
		return ix
	}
	if fp := st.Fingerprint(); fp != "" && fp == e.base && !e.unsaved {
		ix, _ = readIndex(e.baseDir, st, fp)
	}
	if ix == nil {
		ix = buildIndex(st)
	}
	e.mu.Lock()
	e.ix = ix
	e.mu.Unlock()
	return ix
}

// Save writes the store into dir atomically, then the derived index for it
// (see IndexName). The caller holds the directory's lock. Save replaces only
// the snapshot the engine's store derives from (the one it was loaded from
// or last saved, or none for a store started empty): over any other it
// writes nothing and returns ErrStale. When the snapshot is saved but the
// index is not, the error wraps ErrIndexNotSaved.
func (e *Engine) Save(dir string) error {
	e.writeMu.Lock()
	defer e.writeMu.Unlock()
	same, err := store.Unchanged(dir, e.baseIn(dir))
	if err != nil {
		return fmt.Errorf("engine: save: %w", err)
	}
	if !same {
		return fmt.Errorf("%w: %s; nothing was written", ErrStale, store.Path(dir))
	}
	st := e.Store()
	e.mu.RLock()
	ix := e.ix
	e.mu.RUnlock()
	if err := st.Save(dir); err != nil {
		return err
	}
	e.base, e.baseDir, e.unsaved = st.Fingerprint(), dir, false
	if ix == nil {
		// Left unbuilt (CommitUnindexed): written straight from the store
		// (after the snapshot, so that the listing the snapshot's export
		// holds is gone before the postings grow), and read from the file
		// when a search needs it (see state).
		err = writeIndexFromStore(dir, st, e.base)
	} else {
		err = writeIndex(dir, ix, e.base)
	}
	if err != nil {
		return fmt.Errorf("%w: %s: %v", ErrIndexNotSaved, filepath.Join(dir, IndexName), err)
	}
	return nil
}

// baseIn is the fingerprint the snapshot in dir has when the engine's store
// derives from it: "" (no snapshot) for a directory it was not loaded from.
func (e *Engine) baseIn(dir string) string {
	if e.baseDir == "" || !sameDir(dir, e.baseDir) {
		return ""
	}
	return e.base
}

func sameDir(a, b string) bool {
	if a == b {
		return true
	}
	aa, err1 := filepath.Abs(a)
	ab, err2 := filepath.Abs(b)
	return err1 == nil && err2 == nil && aa == ab
}

// Refresh makes the engine build on the snapshot in dir, the one every
// writer of dir shares. A writer calls it holding the directory's lock
// (store.LockDir), before it applies its changes: when the snapshot on disk
// is not the one the engine's store derives from (another process saved
// since, or removed it), the engine loads it, as Replace would, and Refresh
// reports true; changes of its own not yet saved are dropped then. A snapshot
// that cannot be read is an error (ErrUnreadable, or an embedder mismatch),
// and the engine is left as it was.
//
// A reader (serve picking up a hand-run ingest) may call it without the
// lock: it only reads the snapshot (which writers replace atomically), and
// writes the derived index only when the lock is free. While a writer of
// this engine holds the lock, the snapshot on disk is the one the engine
// derives from, so such a call changes nothing under the writer's feet.
func (e *Engine) Refresh(ctx context.Context, dir string) (bool, error) {
	e.writeMu.Lock()
	defer e.writeMu.Unlock()
	same, err := store.Unchanged(dir, e.baseIn(dir))
	if err != nil {
		return false, fmt.Errorf("%w (%v)", ErrUnreadable, err)
	}
	if same {
		return false, nil
	}
	fresh, err := openForWrite(ctx, dir, e.opts, false, false)
	if err != nil {
		return false, err
	}
	e.mu.Lock()
	e.st, e.ix, e.seeds = fresh.st, fresh.ix, false
	e.mu.Unlock()
	e.base, e.baseDir, e.unsaved = fresh.base, dir, false
	e.changed()
	return true, nil
}

// Unsaved reports whether the engine's store has changed since it was
// loaded or last saved (an ingest or delete whose save failed, say).
func (e *Engine) Unsaved() bool {
	e.writeMu.Lock()
	defer e.writeMu.Unlock()
	return e.unsaved
}

// Replace swaps in another engine's store and index (a reload after another
// process ingested into the same data directory).
func (e *Engine) Replace(other *Engine) {
	e.writeMu.Lock()
	defer e.writeMu.Unlock()
	other.writeMu.Lock()
	base, baseDir, unsaved := other.base, other.baseDir, other.unsaved
	other.writeMu.Unlock()
	other.mu.RLock()
	st, ix := other.st, other.ix
	other.mu.RUnlock()
	e.mu.Lock()
	e.st, e.ix, e.seeds = st, ix, other.seeds
	e.mu.Unlock()
	e.base, e.baseDir, e.unsaved = base, baseDir, unsaved
	e.changed()
}

// Articles lists every article (without bodies), in insertion order.
func (e *Engine) Articles(context.Context) ([]retrieval.ArticleMeta, error) {
	ix := e.state()
	out := make([]retrieval.ArticleMeta, len(ix.arts))
	for i, a := range ix.arts {
		out[i] = a.ArticleMeta
	}
	return out, nil
}

// Document returns one article with its body and sentences.
func (e *Engine) Document(_ context.Context, id string) (retrieval.Document, error) {
	ix := e.state()
	i, ok := ix.artIdx[id]
	if !ok {
		return retrieval.Document{}, fmt.Errorf("%w: %q", ErrNotFound, id)
	}
	a := ix.arts[i]
	d := retrieval.Document{ArticleMeta: a.ArticleMeta, Body: a.Body, Sentences: make([]retrieval.Sentence, len(a.Sentences))}
	for j, s := range a.Sentences {
		d.Sentences[j] = retrieval.Sentence{Span: s, Text: a.Body[s.Start:s.End]}
	}
	return d, nil
}

// Stats summarises the engine's corpus.
type Stats struct {
	Articles int
	Chunks   int
	Embedder string
	Seeds    bool
}

// Stats returns counts for health checks and metrics.
func (e *Engine) Stats() Stats {
	e.mu.RLock()
	ix, st := e.ix, e.st
	e.mu.RUnlock()
	s := Stats{Embedder: embed.Describe(st.Info().Embedder, st.Info().Dim), Seeds: e.seeds}
	if ix == nil { // not built (CommitUnindexed): the store counts the same
		s.Articles, s.Chunks = st.Len(), st.ChunkCount()
	} else {
		s.Articles, s.Chunks = len(ix.arts), len(ix.chunkArt)
	}
	return s
}
