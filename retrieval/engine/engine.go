// Package engine is briefbot's search engine: it owns the store, the
// embedder and the derived BM25 index, ingests articles, and answers
// queries with ranked articles and verbatim quotes. It implements
// bot.Searcher.
package engine

import (
	"container/list"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"hash/crc32"
	"log/slog"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"sync"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/briefbot/briefbot/retrieval"
	"github.com/briefbot/briefbot/retrieval/embed"
	"github.com/briefbot/briefbot/retrieval/ingest"
	"github.com/briefbot/briefbot/retrieval/lexical"
	"github.com/briefbot/briefbot/retrieval/store"
	"github.com/briefbot/briefbot/retrieval/text"
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
var ErrMismatch = errors.New("engine: the store was built with another embedder")

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
	for i, s := range sents {
		sa.Sentences[i] = retrieval.Span{Start: s.Start, End: s.End}
	}
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

// index is the derived, immutable search state: the lexical index, the
// article table it refers to, and every sentence as term ids, so that
// scoring sentences at query time is integer work.
type index struct {
	lex       *lexical.Index
	arts      []*store.StoredArticle
	artIdx    map[string]int32
	chunkArt  []int32      // chunk doc -> article index
	chunkBase []int32      // article index -> first chunk doc
	sents     [][]sentence // article index -> its sentences
	vecs      [][]float32  // chunk doc -> its vector (the store's slices)
	qvecs     *quantized   // int8 copy of vecs for the scan (see nearest)
	answers   *answerCache // answers computed over this index
	info      store.Info   // the store's, for the derived index file

	// whole is the coverage of the whole index, computed once (prescan.go).
	whole wholeCoverage
}

// Token flags, for answer-type matching.
const (
	flagDigit  uint8 = 1 << iota // starts with a digit
	flagCap                      // capitalised, not the first word of its sentence
	flagMonth                    // a month or weekday name
	flagNumber                   // a number word (seven, dozen, million)
)

// tok is an indexed token of a sentence (stop words are left out).
type tok struct {
	id    int32
	flags uint8
}

// sentence is a sentence of an article as term ids.
type sentence struct {
	toks     []tok
	words    int32 // white-space separated words, as the 60-word limit counts
	question bool  // ends with a question mark: asks rather than tells
	heading  bool  // no closing punctuation: a headline or subhead
}

func buildIndex(st *store.Store) *index {
	arts := st.Articles()
	ix := &index{info: st.Info(), arts: arts, artIdx: make(map[string]int32, len(arts)), chunkBase: make([]int32, len(arts)), sents: make([][]sentence, len(arts))}
	tz := newTokenizer()
	eachAnalysed(arts, func(i int, an *analysed) error {
		a := arts[i]
		ix.artIdx[a.ID] = int32(i)
		ix.chunkBase[i] = int32(len(ix.chunkArt))
		sents := tz.intern(a, an)
		// The sentences' tokens in one array of the article's own (nil for
		// an article without tokens): tz reuses its buffer.
		all := append([]tok(nil), tz.toks...)
		off := 0
		for j := range sents {
			n := len(sents[j].toks)
			sents[j].toks = all[off : off+n : off+n]
			off += n
		}
		ix.sents[i] = sents
		ix.vecs = append(ix.vecs, st.ChunkVectors(a.ID)...)
		for range a.ChunkStarts {
			ix.chunkArt = append(ix.chunkArt, int32(i))
		}
		return nil
	})
	ix.lex = tz.b.Index()
	ix.qvecs = quantize(ix.vecs, st.Info().Dim)
	ix.answers = newAnswerCache(answerCacheSize)
	return ix
}

// tokenizer derives what the index holds of each article in turn: its
// sentences as term ids, and its chunks added to the BM25 builder. The
// in-memory index (buildIndex) and the index file written straight from
// the store (tokeniseStore) both use it, so that they agree term id for
// term id. The work that needs no lexicon (analyse: splitting into words,
// stemming, flags) runs on every core (eachAnalysed); assigning term ids
// (intern) runs in article order.
type tokenizer struct {
	b    *lexical.Builder
	toks []tok   // the current article's tokens, sentence after sentence
	doc  []int32 // scratch: a chunk's term ids
}

func newTokenizer() *tokenizer { return &tokenizer{b: lexical.NewBuilder()} }

// analysed is an article's sentences before term ids are assigned.
type analysed struct {
	sents []sentence // without their tokens
	ntoks []int      // each sentence's token count
	stems []string   // every token's stemmed term, sentence after sentence
	flags []uint8    // every token's answer-type flags
	title []string   // the title's terms
}

// analyse splits a's sentences into stemmed terms with answer-type flags.
func analyse(a *store.StoredArticle) *analysed {
	an := &analysed{sents: make([]sentence, len(a.Sentences)), ntoks: make([]int, len(a.Sentences))}
	for j, sp := range a.Sentences {
		s := a.Body[sp.Start:sp.End]
		n := len(an.stems)
		an.stems, an.flags = appendTerms(an.stems, an.flags, s)
		an.ntoks[j] = len(an.stems) - n
		an.sents[j].words = int32(text.WordCount(s))
		an.sents[j].question = isQuestion(s)
		an.sents[j].heading = isHeading(s)
	}
	if a.Title != "" && len(a.ChunkStarts) > 0 {
		an.title = text.Terms(a.Title)
	}
	return an
}

// intern assigns term ids to a's analysis (its sentences' terms, then
// its title's) and adds a's chunks to the builder as the next docs. The
// returned sentences' toks are slices of t.toks, valid until the next call.
func (t *tokenizer) intern(a *store.StoredArticle, an *analysed) []sentence {
	t.toks = t.toks[:0]
	for i, stem := range an.stems {
		t.toks = append(t.toks, tok{id: t.b.Intern(stem), flags: an.flags[i]})
	}
	sents := an.sents
	off := 0
	for j := range sents {
		n := an.ntoks[j]
		sents[j].toks = t.toks[off : off+n : off+n]
		off += n
	}
	// Chunks are sentence-aligned: a chunk's terms are its sentences' terms.
	j := 0
	for c := range a.ChunkStarts {
		sp := a.Chunk(c)
		t.doc = t.doc[:0]
		if c == 0 {
			for _, term := range an.title {
				t.doc = append(t.doc, t.b.Intern(term))
			}
		}
		for j < len(a.Sentences) && a.Sentences[j].Start < sp.End {
			for _, tk := range sents[j].toks {
				t.doc = append(t.doc, tk.id)
			}
			j++
		}
		t.b.Add(t.doc)
	}
	return sents
}

// analyseWindow bounds the articles analysed ahead of the one interned.
const analyseWindow = 256

// eachAnalysed calls fn with every article of arts and its analysis, in
// order, analysing ahead on every core.
func eachAnalysed(arts []*store.StoredArticle, fn func(i int, an *analysed) error) error {
	workers := runtime.GOMAXPROCS(0)
	if workers < 2 || len(arts) < 2 {
		for i, a := range arts {
			if err := fn(i, analyse(a)); err != nil {
				return err
			}
		}
		return nil
	}
	slots := make([]chan *analysed, len(arts))
	for i := range slots {
		slots[i] = make(chan *analysed, 1)
	}
	window := make(chan struct{}, analyseWindow)
	work := make(chan int)
	stop := make(chan struct{})
	var wg sync.WaitGroup
	defer wg.Wait()
	defer close(stop)
	wg.Go(func() {
		defer close(work)
		for i := range arts {
			select {
			case window <- struct{}{}:
			case <-stop:
				return
			}
			select {
			case work <- i:
			case <-stop:
				return
			}
		}
	})
	for range workers {
		wg.Go(func() {
			for i := range work {
				slots[i] <- analyse(arts[i])
			}
		})
	}
	for i := range arts {
		an := <-slots[i]
		slots[i] = nil
		<-window
		if err := fn(i, an); err != nil {
			return err
		}
	}
	return nil
}

// appendTerms appends the stemmed terms of s's tokens, stop words left
// out, and their answer-type flags.
func appendTerms(stems []string, flags []uint8, s string) ([]string, []uint8) {
	first := true
	text.EachToken(s, func(t text.Token) {
		isFirst := first
		first = false
		if text.IsStopWord(t.Word) {
			return
		}
		var f uint8
		r, _ := utf8.DecodeRuneInString(s[t.Start:])
		switch {
		case unicode.IsDigit(r):
			f |= flagDigit
		case !isFirst && unicode.IsUpper(r):
			f |= flagCap
		}
		if monthsAndDays[t.Word] {
			f |= flagMonth
		}
		if numberWords[t.Word] {
			f |= flagNumber
		}
		stems = append(stems, text.Stem(t.Word))
		flags = append(flags, f)
	})
	return stems, flags
}

// isHeading reports a line without closing punctuation (a subhead).
func isHeading(s string) bool {
	t := strings.TrimRight(s, ` "'”’)]`)
	if t == "" {
		return true
	}
	switch t[len(t)-1] {
	case '.', '!', '?', ':', ';':
		return false
	}
	return true
}

func isQuestion(s string) bool {
	return strings.HasSuffix(strings.TrimRight(s, ` "'”’)`), "?")
}

// coverage counts the articles visible at asOf, the undated ones among
// them, and the published date range of the dated ones.
func (ix *index) coverage(visible func(int32) bool) retrieval.Coverage {
	var c retrieval.Coverage
	for i, a := range ix.arts {
		if !visible(int32(i)) {
			continue
		}
		c.Articles++
		if a.Published.IsZero() {
			c.Undated++
			continue
		}
		if c.From.IsZero() || a.Published.Before(c.From) {
			c.From = a.Published
		}
		if c.To.IsZero() || a.Published.After(c.To) {
			c.To = a.Published
		}
	}
	return c
}

// IndexName is the derived index's file name inside the data directory. It
// holds what buildIndex derives from the snapshot and what questions read
// of it (articles, every sentence as term ids, the BM25 lexicon and
// postings, the chunk vectors and their int8 copy), laid out to be mapped
// (see mapped.go): the snapshot stays the single source of truth, and the
// file is only used when it names the snapshot's fingerprint (layout
// version, size and CRC-32C), so a stale, corrupt or missing one is rebuilt.
const IndexName = store.IndexName

// indexMagic starts the derived index file; the digit is its format.
const indexMagic = "briefbot-index-3\n"

// loadIndex returns the derived index of st, loaded from dir when the file
// there was derived from the same snapshot, else built and written back
// (best effort: a read-only data directory only costs the rebuild). The
// index is written under the directory's lock: locked says the caller holds
// it; otherwise the lock is taken if it is free, and the write skipped if
// not (the writer holding it writes the index when it saves).
func (e *Engine) loadIndex(dir string, st *store.Store, locked bool) *index {
	fp := st.Fingerprint()
	ix, err := readIndex(dir, st, fp)
	if err == nil {
		return ix
	}
	if !errors.Is(err, os.ErrNotExist) {
		e.log.Info("rebuilding the derived index", "reason", err)
	}
	if fp == "" {
		return buildIndex(st)
	}
	if !locked {
		l, ok, err := store.TryLockDir(dir)
		if err != nil || !ok {
			return buildIndex(st)
		}
		defer l.Unlock()
		// The snapshot may have changed before the lock was free.
		if same, err := store.Unchanged(dir, fp); err != nil || !same {
			return buildIndex(st)
		}
	}
	// Written straight from the store, then mapped: the index is never
	// held in memory whole.
	if err := writeIndexFromStore(dir, st, fp); err != nil {
		e.log.Warn("could not save the derived index", "path", filepath.Join(dir, IndexName), "err", err)
		return buildIndex(st)
	}
	if ix, err := readIndex(dir, st, fp); err == nil {
		return ix
	}
	return buildIndex(st)
}

// errStaleIndex reports a derived index of another snapshot.
var errStaleIndex = errors.New("engine: derived index is stale")

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

// answerCacheSize is how many answers an index keeps (a few KB each).
const answerCacheSize = 4096

// answerKey identifies a question as Search answers it. minute is the
// clock minute of a question without an as-of time: its recency boost is
// computed from the clock, so its answer is reused for a minute at most
// (the boost decays over days; a minute moves it by under 1e-4).
type answerKey struct {
	text         string
	within       string // Query.Within, joined
	asOf         time.Time
	minute       int64
	quotes, docs int
}

// answerCache is a least-recently-used cache of whole answers. It belongs
// to one index, so that any change of the store (a new index) empties it.
type answerCache struct {
	mu  sync.Mutex
	max int
	m   map[answerKey]*list.Element
	lru list.List // of *answerEntry, most recent first
}

type answerEntry struct {
	key answerKey
	res retrieval.Result
}

func newAnswerCache(n int) *answerCache {
	return &answerCache{max: n, m: make(map[answerKey]*list.Element)}
}

func (c *answerCache) get(k answerKey) (retrieval.Result, bool) {
	if c == nil {
		return retrieval.Result{}, false
	}
	c.mu.Lock()
	el, ok := c.m[k]
	if ok {
		c.lru.MoveToFront(el)
	}
	c.mu.Unlock()
	if !ok {
		return retrieval.Result{}, false
	}
	return cloneResult(el.Value.(*answerEntry).res), true
}

func (c *answerCache) put(k answerKey, r retrieval.Result) {
	if c == nil {
		return
	}
	r = cloneResult(r)
	c.mu.Lock()
	defer c.mu.Unlock()
	if el, ok := c.m[k]; ok {
		el.Value.(*answerEntry).res = r
		c.lru.MoveToFront(el)
		return
	}
	c.m[k] = c.lru.PushFront(&answerEntry{key: k, res: r})
	for c.lru.Len() > c.max {
		old := c.lru.Back()
		c.lru.Remove(old)
		delete(c.m, old.Value.(*answerEntry).key)
	}
}

// cloneResult copies a result's slices, so that a caller changing the answer
// it got cannot change the cached one.
func cloneResult(r retrieval.Result) retrieval.Result {
	r.Docs = slices.Clone(r.Docs)
	r.Quotes = slices.Clone(r.Quotes)
	for i := range r.Quotes {
		r.Quotes[i].AlsoIn = slices.Clone(r.Quotes[i].AlsoIn)
	}
	return r
}
