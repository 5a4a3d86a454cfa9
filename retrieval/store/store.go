// Package store keeps briefbot's articles, chunks and vectors in chromem-go
// collections and persists them as one snapshot file written atomically. It
// is the only package that imports chromem-go.
//
// chromem-go's NewPersistentDB is deliberately not used: it writes a file per
// document named by a 32-bit hash of the id (ids collide at scale and a
// document is silently lost) and reloads slowly. An in-memory DB exported to
// one file (temp file, fsync, rename) is both safer and faster.
package store

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	chromem "github.com/philippgille/chromem-go"

	"github.com/briefbot/briefbot/retrieval"
)

// SnapshotName is the store's file name inside the data directory.
const SnapshotName = "briefbot.store"

// Version is the snapshot layout version. Version 2 holds every body once
// (the article document's content; chunk documents carry only their vector
// and an id "ARTICLE#ORDINAL", their span is in the article's metadata).
const Version = 2

const (
	chunksCollection   = "chunks"
	articlesCollection = "articles"
	// infoCollection holds one document whose metadata is the Info: chromem-go
	// persists collection metadata but offers no way to read it back.
	infoCollection = "briefbot"
	infoID         = "info"
)

// maxDim bounds a stored vector dimension (embedders give a few thousand at most).
const maxDim = 1 << 16

// Errors callers test for.
var (
	// ErrNoStore reports a data directory without a snapshot.
	ErrNoStore = errors.New("store: no store in the data directory")
	// ErrEmbedderMismatch reports a query or ingest with another embedder
	// than the one the store was built with.
	ErrEmbedderMismatch = errors.New("the store was built with another embedder")
)

// Info describes how a store was built.
type Info struct {
	// Embedder is the embedder's name (embed.Embedder.Name).
	Embedder string
	// Dim is the vector dimension.
	Dim int
	// Version is the snapshot layout version.
	Version int
}

// StoredArticle is an article as the store holds it.
type StoredArticle struct {
	retrieval.ArticleMeta
	Body string
	// Sentences locates every sentence in Body.
	Sentences []retrieval.Span
	// ChunkStarts are the chunk boundaries: chunk i is
	// Body[ChunkStarts[i]:ChunkStarts[i+1]] (the last ends at len(Body)).
	ChunkStarts []int
}

// Chunk returns chunk i's span.
func (a *StoredArticle) Chunk(i int) retrieval.Span {
	end := len(a.Body)
	if i+1 < len(a.ChunkStarts) {
		end = a.ChunkStarts[i+1]
	}
	return retrieval.Span{Start: a.ChunkStarts[i], End: end}
}

// Store holds the collections. Reads are safe concurrently with each other;
// writes (Put, Delete) must not run concurrently with anything else.
type Store struct {
	db       *chromem.DB
	chunks   *chromem.Collection
	articles *chromem.Collection
	info     Info

	mu    sync.RWMutex
	byID  map[string]*StoredArticle
	order []string // article ids by (Ingested, id): see Articles
	// unsorted reports an order that Articles must sort first.
	unsorted bool
	// fingerprint identifies the snapshot the store was last loaded from
	// or saved to, "" after a change (see Fingerprint).
	fingerprint string
	// vecs holds each article's chunk vectors, the very slices chromem-go
	// keeps (no copy), so that the engine can scan them without going
	// through chromem-go's per-query channel, lock and heap.
	vecs map[string][][]float32

	// A view (NewView) holds no chromem-go collections until a write needs
	// them: viewSnap is the snapshot it reads then (kept open, so that it
	// stays readable when another writer replaces the file), viewVecs gives
	// an article's chunk vectors, viewChunks counts chunks.
	view       bool
	viewSnap   *Snapshot
	viewVecs   func(id string) [][]float32
	viewChunks int
}

// Snapshot is a snapshot file held open (OpenSnapshot), with its
// fingerprint: it stays readable as it was even when a writer replaces the
// file in the data directory.
type Snapshot struct {
	dir         string
	f           *os.File
	fingerprint string
}

// OpenSnapshot opens the snapshot in dir and checksums it (read once
// through a small buffer, not decoded). It returns ErrNoStore when there is
// none. The caller closes it, or hands it to NewView.
func OpenSnapshot(dir string) (*Snapshot, error) {
	f, err := os.Open(Path(dir))
	if errors.Is(err, os.ErrNotExist) {
		return nil, ErrNoStore
	}
	if err != nil {
		return nil, fmt.Errorf("store: open snapshot: %w", err)
	}
	fi, err := f.Stat()
	if err == nil && !fi.Mode().IsRegular() {
		err = errors.New("not a regular file")
	}
	sum := newSummer()
	if err == nil {
		_, err = io.CopyBuffer(sum, f, make([]byte, 1<<20))
	}
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("store: read snapshot %s: %w", Path(dir), err)
	}
	return &Snapshot{dir: dir, f: f, fingerprint: sum.String()}, nil
}

// Fingerprint is the snapshot's, as a store loaded from it reports it.
func (sn *Snapshot) Fingerprint() string { return sn.fingerprint }

// Close closes the file.
func (sn *Snapshot) Close() error { return sn.f.Close() }

// NewView returns a store over articles and vectors held elsewhere (the
// engine's mapped index file, derived from snap), without decoding the
// snapshot. Reads are served from arts (in the store's order) and vectors;
// the first write (Put, Delete, Save, Export, a vector query) decodes snap
// (which the view keeps open until then), so that the view's writes go
// through chromem-go and build on the very snapshot the view shows, as a
// loaded store's do.
func NewView(snap *Snapshot, info Info, arts []*StoredArticle, vectors func(id string) [][]float32) *Store {
	s := &Store{info: info, byID: make(map[string]*StoredArticle, len(arts)), order: make([]string, len(arts)),
		fingerprint: snap.fingerprint, view: true, viewSnap: snap, viewVecs: vectors}
	for i, a := range arts {
		s.byID[a.ID] = a
		s.order[i] = a.ID
		s.viewChunks += len(a.ChunkStarts)
	}
	// A view dropped without a write closes its file when collected.
	runtime.AddCleanup(s, func(f *os.File) { f.Close() }, snap.f)
	return s
}

// materialize turns a view into a full store: it decodes the snapshot the
// view derives from. A no-op for a full store.
func (s *Store) materialize(ctx context.Context) error {
	s.mu.RLock()
	view, snap := s.view, s.viewSnap
	s.mu.RUnlock()
	if !view {
		return nil
	}
	full, err := loadFile(ctx, snap.dir, snap.f)
	if err != nil {
		return err
	}
	if full.fingerprint != snap.fingerprint {
		return fmt.Errorf("store: read snapshot %s: it changed while open", Path(snap.dir))
	}
	s.mu.Lock()
	s.db, s.chunks, s.articles, s.info = full.db, full.chunks, full.articles, full.info
	s.byID, s.order, s.unsorted, s.vecs = full.byID, full.order, full.unsorted, full.vecs
	s.view, s.viewVecs = false, nil
	s.mu.Unlock()
	return nil
}

// identity is the embedding function of the collections: every vector is
// supplied by the caller, so chromem-go must never compute one (its nil
// default would call OpenAI).
func identity(context.Context, string) ([]float32, error) {
	return nil, errors.New("store: vectors are computed by briefbot, not by chromem-go")
}

// New returns an empty in-memory store for vectors described by info.
func New(info Info) (*Store, error) {
	info.Version = Version
	db := chromem.NewDB()
	meta := map[string]string{"embedder": info.Embedder, "dim": strconv.Itoa(info.Dim), "version": strconv.Itoa(Version)}
	infoC, err := db.CreateCollection(infoCollection, nil, identity)
	if err != nil {
		return nil, fmt.Errorf("store: create collection: %w", err)
	}
	if err := infoC.AddDocument(context.Background(), chromem.Document{ID: infoID, Embedding: []float32{1}, Metadata: meta}); err != nil {
		return nil, fmt.Errorf("store: record info: %w", err)
	}
	chunks, err := db.CreateCollection(chunksCollection, nil, identity)
	if err != nil {
		return nil, fmt.Errorf("store: create collection: %w", err)
	}
	articles, err := db.CreateCollection(articlesCollection, nil, identity)
	if err != nil {
		return nil, fmt.Errorf("store: create collection: %w", err)
	}
	return &Store{db: db, chunks: chunks, articles: articles, info: info, byID: map[string]*StoredArticle{}, vecs: map[string][][]float32{}}, nil
}

// Info says how the store was built.
func (s *Store) Info() Info { return s.info }

// Path returns the snapshot path inside dir.
func Path(dir string) string { return filepath.Join(dir, SnapshotName) }

// Exists reports whether dir holds a snapshot.
func Exists(dir string) bool {
	_, err := os.Stat(Path(dir))
	return err == nil
}

// Load reads the snapshot in dir. It returns ErrNoStore when there is none,
// and an error naming the file and the damage when it cannot be read.
func Load(ctx context.Context, dir string) (*Store, error) {
	f, err := os.Open(Path(dir))
	if errors.Is(err, os.ErrNotExist) {
		return nil, ErrNoStore
	}
	if err != nil {
		return nil, fmt.Errorf("store: open snapshot: %w", err)
	}
	defer f.Close()
	return loadFile(ctx, dir, f)
}

// loadFile reads the snapshot of dir from f, from its start.
func loadFile(ctx context.Context, dir string, f *os.File) (s *Store, err error) {
	defer func() {
		// chromem-go trusts its snapshot: a damaged one can make it panic
		// (a document filed under another id than its own, say).
		if r := recover(); r != nil {
			s, err = nil, fmt.Errorf("store: read snapshot %s: damaged (%v)", Path(dir), r)
		}
	}()
	if _, err := f.Seek(0, io.SeekStart); err != nil {
		return nil, fmt.Errorf("store: read snapshot %s: %w", Path(dir), err)
	}
	db := chromem.NewDB()
	sum := newSummer()
	hr := &hashingReader{f: f, r: bufio.NewReaderSize(f, 1<<20), sum: sum}
	if err := db.ImportFromReader(hr, ""); err != nil {
		return nil, fmt.Errorf("store: read snapshot %s: %w", Path(dir), err)
	}
	// Whatever gob left unread still belongs to the file's checksum.
	if _, err := io.Copy(sum, f); err != nil {
		return nil, fmt.Errorf("store: read snapshot %s: %w", Path(dir), err)
	}
	chunks := db.GetCollection(chunksCollection, identity)
	articles := db.GetCollection(articlesCollection, identity)
	infoC := db.GetCollection(infoCollection, identity)
	if chunks == nil || articles == nil || infoC == nil {
		return nil, fmt.Errorf("store: snapshot %s has no briefbot collections", Path(dir))
	}
	infoDoc, err := infoC.GetByID(ctx, infoID)
	if err != nil {
		return nil, fmt.Errorf("store: snapshot %s has no store info: %w", Path(dir), err)
	}
	meta := infoDoc.Metadata
	s = &Store{db: db, chunks: chunks, articles: articles, byID: map[string]*StoredArticle{}, vecs: map[string][][]float32{}}
	s.info.Embedder = meta["embedder"]
	s.info.Dim, _ = strconv.Atoi(meta["dim"])
	s.info.Version, _ = strconv.Atoi(meta["version"])
	if s.info.Version == Version && (s.info.Dim < 1 || s.info.Dim > maxDim) {
		return nil, fmt.Errorf("store: read snapshot %s: damaged store info (dimension %q)", Path(dir), meta["dim"])
	}
	if s.info.Version != Version {
		return nil, fmt.Errorf("store: snapshot %s has layout version %d, this briefbot reads version %d: rebuild it by ingesting your briefings again with `briefbot ingest --reembed PATH...`", Path(dir), s.info.Version, Version)
	}
	if err := s.loadArticles(ctx); err != nil {
		return nil, fmt.Errorf("store: read snapshot %s: %w", Path(dir), err)
	}
	if err := s.loadVectors(ctx); err != nil {
		return nil, fmt.Errorf("store: read snapshot %s: %w", Path(dir), err)
	}
	s.fingerprint = sum.String()
	return s, nil
}

// hashingReader reads the snapshot through a buffer and checksums what it
// reads; chromem-go seeks back to the start once after sniffing for gzip,
// which restarts the checksum.
type hashingReader struct {
	f   *os.File
	r   *bufio.Reader
	sum *summer
}

func (h *hashingReader) Read(p []byte) (int, error) {
	n, err := h.r.Read(p)
	h.sum.Write(p[:n])
	return n, err
}

func (h *hashingReader) Seek(off int64, whence int) (int64, error) {
	if off != 0 || whence != io.SeekStart {
		return 0, errors.New("store: snapshot reader seeks only to the start")
	}
	if _, err := h.f.Seek(0, io.SeekStart); err != nil {
		return 0, err
	}
	h.r.Reset(h.f)
	*h.sum = summer{}
	return 0, nil
}

// summer is the snapshot checksum: CRC-32C (hardware-accelerated, so it
// costs milliseconds on a 200 MB snapshot) and the byte count.
type summer struct {
	crc uint32
	n   int64
}

func newSummer() *summer { return &summer{} }

func (s *summer) Write(p []byte) (int, error) {
	s.crc = crc32.Update(s.crc, crcTable, p)
	s.n += int64(len(p))
	return len(p), nil
}

func (s *summer) String() string { return fmt.Sprintf("v%d-%d-%08x", Version, s.n, s.crc) }

var crcTable = crc32.MakeTable(crc32.Castagnoli)

// Fingerprint identifies the snapshot this store was loaded from or last
// saved to (layout version, size and CRC-32C of the file), so that data
// derived from the store can be checked against it. It is "" once the store
// has changed since.
func (s *Store) Fingerprint() string {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.fingerprint
}

// parseChunkID splits a chunk id "ARTICLE#ORDINAL" (retrieval.ChunkID).
func parseChunkID(id string) (string, int, bool) {
	i := strings.LastIndexByte(id, '#')
	if i < 0 {
		return "", 0, false
	}
	n, err := strconv.Atoi(id[i+1:])
	if err != nil {
		return "", 0, false
	}
	return id[:i], n, true
}

// loadVectors collects every chunk's vector by article, with one exhaustive
// query (chromem-go has no listing call; its results share the stored
// slices, where GetByID would copy each vector and metadata map).
func (s *Store) loadVectors(ctx context.Context) error {
	n := s.chunks.Count()
	if n == 0 {
		return nil
	}
	probe := make([]float32, s.info.Dim)
	probe[0] = 1
	res, err := s.chunks.QueryEmbedding(ctx, probe, n, nil, nil)
	if err != nil {
		return fmt.Errorf("list chunks: %w", err)
	}
	for id, a := range s.byID {
		s.vecs[id] = make([][]float32, len(a.ChunkStarts))
	}
	for _, r := range res {
		art, ord, ok := parseChunkID(r.ID)
		vs, found := s.vecs[art]
		if !ok || !found || ord < 0 || ord >= len(vs) {
			return fmt.Errorf("chunk %q belongs to no stored article", r.ID)
		}
		vs[ord] = r.Embedding
	}
	for id, vs := range s.vecs {
		for i, v := range vs {
			if len(v) != s.info.Dim {
				return fmt.Errorf("article %q: chunk %d has no vector", id, i)
			}
		}
	}
	return nil
}

// ChunkVectors returns the vectors of an article's chunks, in chunk order.
// The slices are the store's own: callers must not modify them.
func (s *Store) ChunkVectors(id string) [][]float32 {
	s.mu.RLock()
	defer s.mu.RUnlock()
	if s.view {
		if _, ok := s.byID[id]; !ok {
			return nil
		}
		return s.viewVecs(id)
	}
	return s.vecs[id]
}

// loadArticles rebuilds the in-memory article table. chromem-go has no
// listing call, so it runs one exhaustive query: every article document has
// the same one-dimensional vector, and asking for Count() results returns
// them all.
func (s *Store) loadArticles(ctx context.Context) error {
	n := s.articles.Count()
	if n == 0 {
		return nil
	}
	res, err := s.articles.QueryEmbedding(ctx, []float32{1}, n, nil, nil)
	if err != nil {
		return fmt.Errorf("list articles: %w", err)
	}
	for _, r := range res {
		a, err := decodeArticle(r.ID, r.Metadata, r.Content)
		if err != nil {
			return fmt.Errorf("article %q: %w", r.ID, err)
		}
		s.byID[a.ID] = a
	}
	s.order = make([]string, 0, len(s.byID))
	for id := range s.byID {
		s.order = append(s.order, id)
	}
	s.sortOrder()
	return nil
}

// before is the store's article order: by ingest time, then id. A store
// loaded from its snapshot and the store that saved it list their articles
// in the same order, so that indexes derived from them agree.
func (s *Store) before(i, j string) bool {
	ai, aj := s.byID[i], s.byID[j]
	if !ai.Ingested.Equal(aj.Ingested) {
		return ai.Ingested.Before(aj.Ingested)
	}
	return i < j
}

func (s *Store) sortOrder() {
	sort.Slice(s.order, func(i, j int) bool { return s.before(s.order[i], s.order[j]) })
	s.unsorted = false
}

// Save writes the snapshot into dir atomically (see WriteFile): a crash at
// any point leaves the previous snapshot intact. Save does not check what it
// replaces: writers hold the directory's lock and check the snapshot with
// Unchanged first (the engine's Save does).
func (s *Store) Save(dir string) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("store: save: %w", err)
	}
	if err := s.materialize(context.Background()); err != nil {
		return fmt.Errorf("store: save: %w", err)
	}
	sum := newSummer()
	err := WriteFile(dir, SnapshotName, func(f io.Writer) error {
		w := bufio.NewWriterSize(f, 1<<20)
		if err := s.Export(io.MultiWriter(w, sum)); err != nil {
			return err
		}
		return w.Flush()
	})
	if err != nil {
		return fmt.Errorf("store: save %s: %w", Path(dir), err)
	}
	s.mu.Lock()
	s.fingerprint = sum.String()
	s.mu.Unlock()
	return nil
}

// Export writes the snapshot stream (chromem-go's gob export format) to w,
// streaming: the snapshot is never held in memory whole (see exportStream).
func (s *Store) Export(w io.Writer) error {
	if err := s.materialize(context.Background()); err != nil {
		return fmt.Errorf("store: export: %w", err)
	}
	if err := s.exportStream(context.Background(), w); err != nil {
		return fmt.Errorf("store: export: %w", err)
	}
	return nil
}

// Article returns a stored article.
func (s *Store) Article(id string) (*StoredArticle, bool) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	a, ok := s.byID[id]
	return a, ok
}

// Articles returns every article in the store's order: by ingest time,
// then id (insertion order for a batch stamped with one time, up to ids).
func (s *Store) Articles() []*StoredArticle {
	s.mu.Lock()
	if s.unsorted {
		s.sortOrder()
	}
	s.mu.Unlock()
	s.mu.RLock()
	defer s.mu.RUnlock()
	out := make([]*StoredArticle, 0, len(s.order))
	for _, id := range s.order {
		out = append(out, s.byID[id])
	}
	return out
}

// Len returns the number of articles.
func (s *Store) Len() int {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return len(s.order)
}

// ChunkCount returns the number of chunks.
func (s *Store) ChunkCount() int {
	s.mu.RLock()
	defer s.mu.RUnlock()
	if s.view {
		return s.viewChunks
	}
	return s.chunks.Count()
}

// Put adds or replaces an article with its chunks and their vectors
// (vectors[i] is chunk i's unit vector of the store's dimension).
func (s *Store) Put(ctx context.Context, a *StoredArticle, vectors [][]float32) error {
	if len(vectors) != len(a.ChunkStarts) {
		return fmt.Errorf("store: put %q: %d vectors for %d chunks", a.ID, len(vectors), len(a.ChunkStarts))
	}
	for _, v := range vectors {
		if len(v) != s.info.Dim {
			return fmt.Errorf("%w: vector of dimension %d, store holds %d", ErrEmbedderMismatch, len(v), s.info.Dim)
		}
	}
	if err := s.materialize(ctx); err != nil {
		return fmt.Errorf("store: put %q: %w", a.ID, err)
	}
	if old, ok := s.Article(a.ID); ok {
		if err := s.Delete(ctx, old.ID); err != nil {
			return err
		}
	}
	a.Chunks = len(a.ChunkStarts)
	// A chunk document is its id and vector only: its text is the span
	// Chunk(i) of the article's body, which the article document holds, so
	// every body is kept (and saved) once.
	docs := make([]chromem.Document, len(vectors))
	for i, v := range vectors {
		docs[i] = chromem.Document{ID: retrieval.ChunkID(a.ID, i), Embedding: v}
	}
	if len(docs) > 0 {
		if err := s.chunks.AddDocuments(ctx, docs, runtime.GOMAXPROCS(0)); err != nil {
			return fmt.Errorf("store: put %q: %w", a.ID, err)
		}
	}
	if err := s.articles.AddDocument(ctx, chromem.Document{
		ID: a.ID, Embedding: []float32{1}, Content: a.Body, Metadata: encodeArticle(a),
	}); err != nil {
		return fmt.Errorf("store: put %q: %w", a.ID, err)
	}
	s.mu.Lock()
	s.byID[a.ID] = a
	if n := len(s.order); n > 0 && !s.unsorted && s.before(a.ID, s.order[n-1]) {
		s.unsorted = true
	}
	s.order = append(s.order, a.ID)
	s.vecs[a.ID] = vectors
	s.fingerprint = ""
	s.mu.Unlock()
	return nil
}

// Delete removes an article and its chunks.
func (s *Store) Delete(ctx context.Context, id string) error {
	if _, ok := s.Article(id); !ok {
		return nil
	}
	if err := s.materialize(ctx); err != nil {
		return fmt.Errorf("store: delete %q: %w", id, err)
	}
	a, _ := s.Article(id)
	ids := make([]string, len(a.ChunkStarts))
	for i := range ids {
		ids[i] = retrieval.ChunkID(id, i)
	}
	if len(ids) > 0 {
		if err := s.chunks.Delete(ctx, nil, nil, ids...); err != nil {
			return fmt.Errorf("store: delete %q: %w", id, err)
		}
	}
	if err := s.articles.Delete(ctx, nil, nil, id); err != nil {
		return fmt.Errorf("store: delete %q: %w", id, err)
	}
	s.mu.Lock()
	s.fingerprint = ""
	delete(s.byID, id)
	delete(s.vecs, id)
	for i, o := range s.order {
		if o == id {
			s.order = append(s.order[:i], s.order[i+1:]...)
			break
		}
	}
	s.mu.Unlock()
	return nil
}

// VectorHit is a chunk found by vector similarity.
type VectorHit struct {
	ArticleID  string
	Ordinal    int
	Similarity float32
}

// QueryVector returns up to n chunks most similar to the unit vector v, best
// first. It never asks chromem-go for more results than the collection holds.
func (s *Store) QueryVector(ctx context.Context, v []float32, n int) ([]VectorHit, error) {
	if len(v) != s.info.Dim {
		return nil, fmt.Errorf("%w: query vector of dimension %d, store holds %d", ErrEmbedderMismatch, len(v), s.info.Dim)
	}
	if err := s.materialize(ctx); err != nil {
		return nil, err
	}
	if c := s.chunks.Count(); n > c {
		n = c
	}
	if n <= 0 {
		return nil, nil
	}
	res, err := s.chunks.QueryEmbedding(ctx, v, n, nil, nil)
	if err != nil {
		return nil, fmt.Errorf("store: vector query: %w", err)
	}
	out := make([]VectorHit, 0, len(res))
	for _, r := range res {
		art, ord, _ := parseChunkID(r.ID)
		out = append(out, VectorHit{ArticleID: art, Ordinal: ord, Similarity: r.Similarity})
	}
	return out, nil
}

func encodeArticle(a *StoredArticle) map[string]string {
	m := map[string]string{
		"title":    a.Title,
		"source":   a.Source,
		"url":      a.URL,
		"hash":     a.Hash,
		"ingested": a.Ingested.UTC().Format(time.RFC3339Nano),
		"chunks":   encodeInts(a.ChunkStarts),
	}
	if !a.Published.IsZero() {
		m["published"] = a.Published.UTC().Format(time.RFC3339)
	}
	if a.Collection != "" {
		m["collection"] = a.Collection
	}
	flat := make([]int, 0, 2*len(a.Sentences))
	for _, sp := range a.Sentences {
		flat = append(flat, sp.Start, sp.End)
	}
	m["sentences"] = encodeInts(flat)
	return m
}

func decodeArticle(id string, m map[string]string, body string) (*StoredArticle, error) {
	chunks, err := decodeInts(m["chunks"])
	if err != nil {
		return nil, fmt.Errorf("chunks: %w", err)
	}
	flat, err := decodeInts(m["sentences"])
	if err != nil || len(flat)%2 != 0 {
		return nil, fmt.Errorf("sentences: malformed")
	}
	sents := make([]retrieval.Span, 0, len(flat)/2)
	for i := 0; i < len(flat); i += 2 {
		sents = append(sents, retrieval.Span{Start: flat[i], End: flat[i+1]})
	}
	return NewArticle(id, m, body, sents, chunks)
}

// NewArticle builds a stored article from its metadata as the snapshot
// records it (MetaOf; "sentences" and "chunks" are ignored), its body, its
// sentences and its chunk boundaries, with the checks a snapshot's articles
// get: spans inside the body and in order, dates that parse. Derived files
// (the engine's index) use it to rebuild articles without the snapshot.
func NewArticle(id string, m map[string]string, body string, sentences []retrieval.Span, chunkStarts []int) (*StoredArticle, error) {
	a := &StoredArticle{Body: body}
	a.ID = id
	a.Title, a.Source, a.URL, a.Hash, a.Collection = m["title"], m["source"], m["url"], m["hash"], m["collection"]
	if p := m["published"]; p != "" {
		t, err := time.Parse(time.RFC3339, p)
		if err != nil {
			return nil, fmt.Errorf("published: %w", err)
		}
		a.Published = t
	}
	if p := m["ingested"]; p != "" {
		t, err := time.Parse(time.RFC3339Nano, p)
		if err != nil {
			return nil, fmt.Errorf("ingested: %w", err)
		}
		a.Ingested = t
	}
	// A damaged snapshot must not yield spans that slice outside the body,
	// or chunks that end before they start.
	for i, sp := range sentences {
		if sp.Start < 0 || sp.End > len(body) || sp.Start > sp.End {
			return nil, fmt.Errorf("sentence %d out of range", i)
		}
		if i > 0 && sp.Start < sentences[i-1].Start {
			return nil, fmt.Errorf("sentence %d out of order", i)
		}
	}
	if sentences == nil {
		sentences = []retrieval.Span{}
	}
	a.Sentences = sentences
	for i, c := range chunkStarts {
		if c < 0 || c > len(body) {
			return nil, fmt.Errorf("chunk boundary out of range")
		}
		if i > 0 && c < chunkStarts[i-1] {
			return nil, fmt.Errorf("chunk boundaries out of order")
		}
	}
	a.ChunkStarts = chunkStarts
	a.Chunks = len(a.ChunkStarts)
	return a, nil
}

// MetaOf returns an article's metadata as the snapshot records it, without
// the sentences and chunk boundaries: the strings NewArticle reads back.
func MetaOf(a *StoredArticle) map[string]string {
	m := encodeArticle(a)
	delete(m, "sentences")
	delete(m, "chunks")
	return m
}

func encodeInts(xs []int) string {
	var b strings.Builder
	for i, x := range xs {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString(strconv.Itoa(x))
	}
	return b.String()
}

func decodeInts(s string) ([]int, error) {
	if s == "" {
		return nil, nil
	}
	parts := strings.Split(s, ",")
	out := make([]int, len(parts))
	for i, p := range parts {
		n, err := strconv.Atoi(p)
		if err != nil {
			return nil, err
		}
		out[i] = n
	}
	return out, nil
}

// BareQueryEmbedding runs chromem-go's own QueryEmbedding for the n chunks
// nearest to v and discards the results. It exists to measure, side by side
// with a search, the exhaustive scan chromem-go does on its own (tools/bench
// and the engine's benchmarks).
func (s *Store) BareQueryEmbedding(ctx context.Context, v []float32, n int) error {
	if err := s.materialize(ctx); err != nil {
		return err
	}
	if c := s.chunks.Count(); n > c {
		n = c
	}
	if n <= 0 {
		return nil
	}
	_, err := s.chunks.QueryEmbedding(ctx, v, n, nil, nil)
	return err
}
