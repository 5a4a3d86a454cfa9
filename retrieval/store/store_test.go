package store_test

import (
	"context"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/briefbot/briefbot/retrieval"
	"github.com/briefbot/briefbot/retrieval/store"
)

// newStore returns an empty store of dimension dim.
func newStore(t testing.TB, dim int) *store.Store {
	t.Helper()
	s, err := store.New(store.Info{Embedder: "test-v1", Dim: dim})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// makeArticle builds an article of n one-sentence chunks whose text and
// metadata depend only on id and n.
func makeArticle(id string, n int, when time.Time) *store.StoredArticle {
	a := &store.StoredArticle{}
	a.ID = id
	a.Title = "Title of " + id
	a.Source = "Source " + id
	a.URL = "https://example.com/" + id
	a.Published = when.Truncate(time.Second).UTC()
	a.Ingested = when.Add(time.Hour).UTC()
	a.Hash = "hash-" + id
	var b strings.Builder
	for i := 0; i < n; i++ {
		if i > 0 {
			b.WriteString(" ")
		}
		start := b.Len()
		a.ChunkStarts = append(a.ChunkStarts, start)
		fmt.Fprintf(&b, "Sentence %d of %s says “something” about Kyiv.", i, id)
		a.Sentences = append(a.Sentences, retrieval.Span{Start: start, End: b.Len()})
	}
	a.Body = b.String()
	return a
}

// vectorFor is chunk ordinal's deterministic unit vector of article id.
func vectorFor(id string, ordinal, dim int) []float32 {
	var seed uint64
	for _, c := range id {
		seed = seed*131 + uint64(c)
	}
	r := rand.New(rand.NewPCG(seed, uint64(ordinal)+1))
	v := make([]float32, dim)
	var sum float64
	for i := range v {
		v[i] = float32(r.NormFloat64())
		sum += float64(v[i]) * float64(v[i])
	}
	inv := float32(1 / math.Sqrt(sum))
	for i := range v {
		v[i] *= inv
	}
	return v
}

func vectorsFor(a *store.StoredArticle, dim int) [][]float32 {
	vs := make([][]float32, len(a.ChunkStarts))
	for i := range vs {
		vs[i] = vectorFor(a.ID, i, dim)
	}
	return vs
}

func put(t testing.TB, s *store.Store, a *store.StoredArticle) {
	t.Helper()
	if err := s.Put(context.Background(), a, vectorsFor(a, s.Info().Dim)); err != nil {
		t.Fatalf("Put %s: %v", a.ID, err)
	}
}

// sameArticle compares two stored articles field by field.
func sameArticle(t testing.TB, got, want *store.StoredArticle) {
	t.Helper()
	if got.ID != want.ID || got.Title != want.Title || got.Source != want.Source || got.URL != want.URL || got.Hash != want.Hash {
		t.Errorf("%s: metadata %+v, want %+v", want.ID, got.ArticleMeta, want.ArticleMeta)
	}
	if !got.Published.Equal(want.Published) || !got.Ingested.Equal(want.Ingested) {
		t.Errorf("%s: dates %v/%v, want %v/%v", want.ID, got.Published, got.Ingested, want.Published, want.Ingested)
	}
	if got.Body != want.Body {
		t.Errorf("%s: body differs", want.ID)
	}
	if !reflect.DeepEqual(got.Sentences, want.Sentences) {
		t.Errorf("%s: sentences %v, want %v", want.ID, got.Sentences, want.Sentences)
	}
	if !reflect.DeepEqual(got.ChunkStarts, want.ChunkStarts) || got.Chunks != len(want.ChunkStarts) {
		t.Errorf("%s: chunks %v (%d), want %v", want.ID, got.ChunkStarts, got.Chunks, want.ChunkStarts)
	}
}

// findChunk reports whether querying with the chunk's own vector finds it
// with similarity ~1 among the top n.
func findChunk(t testing.TB, s *store.Store, id string, ordinal, n int) bool {
	t.Helper()
	hits, err := s.QueryVector(context.Background(), vectorFor(id, ordinal, s.Info().Dim), n)
	if err != nil {
		t.Fatalf("QueryVector: %v", err)
	}
	for _, h := range hits {
		if h.ArticleID == id && h.Ordinal == ordinal {
			return h.Similarity > 0.9999
		}
	}
	return false
}

func TestSnapshotRoundTrip(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	const dim = 16
	s := newStore(t, dim)
	base := time.Date(2025, 12, 6, 10, 30, 0, 0, time.UTC)
	arts := []*store.StoredArticle{
		makeArticle("002_8c35132417f41974.txt", 5, base),
		makeArticle("d00201", 1, base.AddDate(0, 0, -1)),
		makeArticle("with,comma#and#hash", 3, base.AddDate(0, 0, 1)),
	}
	undated := makeArticle("undated.md", 2, base)
	undated.Published = time.Time{}
	undated.Source, undated.URL = "", ""
	arts = append(arts, undated)
	for _, a := range arts {
		put(t, s, a)
	}
	if err := s.Save(dir); err != nil {
		t.Fatal(err)
	}
	if !store.Exists(dir) {
		t.Fatal("Exists = false after Save")
	}
	got, err := store.Load(ctx, dir)
	if err != nil {
		t.Fatal(err)
	}
	if info := got.Info(); info != (store.Info{Embedder: "test-v1", Dim: dim, Version: store.Version}) {
		t.Errorf("Info = %+v", info)
	}
	if got.Len() != len(arts) || got.ChunkCount() != 5+1+3+2 {
		t.Fatalf("Len %d ChunkCount %d", got.Len(), got.ChunkCount())
	}
	// Articles come back in ingestion order.
	var order []string
	for _, a := range got.Articles() {
		order = append(order, a.ID)
	}
	if want := []string{"d00201", "002_8c35132417f41974.txt", "undated.md", "with,comma#and#hash"}; !reflect.DeepEqual(order, want) {
		// By ingestion time, ties by id.
		t.Errorf("Articles after Load = %v, want %v", order, want)
	}
	for _, want := range arts {
		a, ok := got.Article(want.ID)
		if !ok {
			t.Fatalf("article %s missing after Load", want.ID)
		}
		sameArticle(t, a, want)
		for i := range want.ChunkStarts {
			sp := a.Chunk(i)
			if a.Body[sp.Start:sp.End] != want.Body[sp.Start:sp.End] {
				t.Errorf("%s chunk %d text differs", want.ID, i)
			}
			if !findChunk(t, got, want.ID, i, 3) {
				t.Errorf("%s chunk %d not found by its vector after Load", want.ID, i)
			}
		}
	}
	// A second save of the loaded store gives an equal store.
	dir2 := t.TempDir()
	if err := got.Save(dir2); err != nil {
		t.Fatal(err)
	}
	again, err := store.Load(ctx, dir2)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range arts {
		a, _ := again.Article(want.ID)
		sameArticle(t, a, want)
	}
}

func TestLoadMissing(t *testing.T) {
	dir := t.TempDir()
	if store.Exists(dir) {
		t.Fatal("Exists on an empty dir")
	}
	if _, err := store.Load(context.Background(), dir); !errors.Is(err, store.ErrNoStore) {
		t.Errorf("Load on an empty dir: %v, want ErrNoStore", err)
	}
}

func TestLoadCorrupt(t *testing.T) {
	tests := []struct {
		name string
		data []byte
	}{
		{"empty file", nil},
		{"garbage", []byte("not a snapshot at all")},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			if err := os.WriteFile(store.Path(dir), tt.data, 0o644); err != nil {
				t.Fatal(err)
			}
			_, err := store.Load(context.Background(), dir)
			if err == nil || errors.Is(err, store.ErrNoStore) {
				t.Errorf("Load of a corrupt snapshot: %v, want a read error", err)
			}
		})
	}
	t.Run("truncated", func(t *testing.T) {
		dir := t.TempDir()
		s := newStore(t, 8)
		put(t, s, makeArticle("a", 20, time.Now()))
		if err := s.Save(dir); err != nil {
			t.Fatal(err)
		}
		data, err := os.ReadFile(store.Path(dir))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(store.Path(dir), data[:len(data)/2], 0o644); err != nil {
			t.Fatal(err)
		}
		if _, err := store.Load(context.Background(), dir); err == nil {
			t.Error("Load of a truncated snapshot succeeded")
		}
	})
}

func TestPutReplacesChunks(t *testing.T) {
	ctx := context.Background()
	const dim = 8
	s := newStore(t, dim)
	when := time.Date(2025, 12, 6, 0, 0, 0, 0, time.UTC)
	put(t, s, makeArticle("a", 6, when))
	put(t, s, makeArticle("b", 2, when))
	if s.ChunkCount() != 8 {
		t.Fatalf("ChunkCount %d, want 8", s.ChunkCount())
	}
	// Replace a with a shorter version whose chunks have other vectors.
	short := makeArticle("a", 2, when)
	short.Body = "Changed. " + short.Body
	short.Title = "Changed title"
	for i := range short.ChunkStarts {
		if i > 0 {
			short.ChunkStarts[i] += len("Changed. ")
		}
	}
	for i := range short.Sentences {
		short.Sentences[i].Start += len("Changed. ")
		short.Sentences[i].End += len("Changed. ")
	}
	vs := [][]float32{vectorFor("a-new", 0, dim), vectorFor("a-new", 1, dim)}
	if err := s.Put(ctx, short, vs); err != nil {
		t.Fatal(err)
	}
	if s.Len() != 2 || s.ChunkCount() != 4 {
		t.Fatalf("after replace: Len %d ChunkCount %d, want 2 and 4", s.Len(), s.ChunkCount())
	}
	got, _ := s.Article("a")
	if got.Title != "Changed title" || got.Chunks != 2 {
		t.Errorf("replaced article: %+v", got.ArticleMeta)
	}
	// No hit may point at a chunk a no longer has.
	hits, err := s.QueryVector(ctx, vectorFor("a", 5, dim), 100)
	if err != nil {
		t.Fatal(err)
	}
	if len(hits) != 4 {
		t.Errorf("QueryVector(n=100) returned %d hits for 4 chunks", len(hits))
	}
	for _, h := range hits {
		if a, ok := s.Article(h.ArticleID); !ok || h.Ordinal >= a.Chunks {
			t.Errorf("hit %+v points at a chunk that is gone", h)
		}
	}
}

func TestDelete(t *testing.T) {
	ctx := context.Background()
	s := newStore(t, 8)
	now := time.Now()
	for _, id := range []string{"a", "b", "c"} {
		put(t, s, makeArticle(id, 3, now))
	}
	if err := s.Delete(ctx, "b"); err != nil {
		t.Fatal(err)
	}
	if err := s.Delete(ctx, "missing"); err != nil {
		t.Errorf("Delete of an unknown id: %v", err)
	}
	if _, ok := s.Article("b"); ok || s.Len() != 2 || s.ChunkCount() != 6 {
		t.Fatalf("after Delete: present %v, Len %d, ChunkCount %d", ok, s.Len(), s.ChunkCount())
	}
	hits, err := s.QueryVector(ctx, vectorFor("b", 0, 8), 10)
	if err != nil {
		t.Fatal(err)
	}
	for _, h := range hits {
		if h.ArticleID == "b" {
			t.Errorf("deleted article still found: %+v", h)
		}
	}
	var ids []string
	for _, a := range s.Articles() {
		ids = append(ids, a.ID)
	}
	if !reflect.DeepEqual(ids, []string{"a", "c"}) {
		t.Errorf("Articles = %v", ids)
	}
	// Deleting survives a round trip.
	dir := t.TempDir()
	if err := s.Save(dir); err != nil {
		t.Fatal(err)
	}
	got, err := store.Load(ctx, dir)
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := got.Article("b"); ok || got.ChunkCount() != 6 {
		t.Errorf("after Load: b present %v, ChunkCount %d", ok, got.ChunkCount())
	}
}

func TestQueryVectorBounds(t *testing.T) {
	ctx := context.Background()
	const dim = 8
	tests := []struct {
		name   string
		chunks int
		n      int
		want   int
	}{
		{"empty store", 0, 5, 0},
		{"n above count", 3, 50, 3},
		{"n equal count", 3, 3, 3},
		{"n below count", 10, 4, 4},
		{"n zero", 3, 0, 0},
		{"n negative", 3, -1, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := newStore(t, dim)
			if tt.chunks > 0 {
				put(t, s, makeArticle("a", tt.chunks, time.Now()))
			}
			hits, err := s.QueryVector(ctx, vectorFor("a", 0, dim), tt.n)
			if err != nil {
				t.Fatalf("QueryVector: %v", err)
			}
			if len(hits) != tt.want {
				t.Fatalf("%d hits, want %d", len(hits), tt.want)
			}
			for i := 1; i < len(hits); i++ {
				if hits[i].Similarity > hits[i-1].Similarity {
					t.Errorf("hits not best first: %+v", hits)
				}
			}
			if tt.want > 0 && (hits[0].Ordinal != 0 || hits[0].Similarity < 0.9999) {
				t.Errorf("best hit %+v, want chunk 0 with similarity 1", hits[0])
			}
		})
	}
}

func TestDimensionMismatch(t *testing.T) {
	ctx := context.Background()
	s := newStore(t, 8)
	a := makeArticle("a", 2, time.Now())
	tests := []struct {
		name string
		run  func() error
	}{
		{"put", func() error { return s.Put(ctx, a, [][]float32{vectorFor("a", 0, 8), vectorFor("a", 1, 16)}) }},
		{"query", func() error { _, err := s.QueryVector(ctx, vectorFor("a", 0, 16), 1); return err }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if err := tt.run(); !errors.Is(err, store.ErrEmbedderMismatch) {
				t.Errorf("err = %v, want ErrEmbedderMismatch", err)
			}
		})
	}
	if err := s.Put(ctx, a, [][]float32{vectorFor("a", 0, 8)}); err == nil {
		t.Error("Put with fewer vectors than chunks succeeded")
	}
	if s.Len() != 0 || s.ChunkCount() != 0 {
		t.Errorf("a refused Put left Len %d ChunkCount %d", s.Len(), s.ChunkCount())
	}
}

// TestSaveLeavesNoTemp checks that repeated saves replace the snapshot and
// leave nothing else in the directory.
func TestSaveLeavesNoTemp(t *testing.T) {
	dir := t.TempDir()
	s := newStore(t, 8)
	for i := 0; i < 3; i++ {
		put(t, s, makeArticle(fmt.Sprint("a", i), 2, time.Now()))
		if err := s.Save(dir); err != nil {
			t.Fatal(err)
		}
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(entries) != 1 || entries[0].Name() != store.SnapshotName {
		var names []string
		for _, e := range entries {
			names = append(names, e.Name())
		}
		t.Errorf("dir holds %v, want only %s", names, store.SnapshotName)
	}
	// Save creates a missing directory.
	nested := filepath.Join(dir, "x", "y")
	if err := s.Save(nested); err != nil || !store.Exists(nested) {
		t.Errorf("Save into a new directory: %v", err)
	}
}

// TestTwoHundredThousandChunks saves and loads 200,000 chunks and checks
// none is lost: chromem-go's NewPersistentDB lost documents to 32-bit file
// name collisions at this scale, which is why the store writes one snapshot.
func TestTwoHundredThousandChunks(t *testing.T) {
	if testing.Short() {
		t.Skip("builds a 200,000-chunk store (~4 s, ~25 s with -race)")
	}

	ctx := context.Background()
	const (
		articles = 2000
		perArt   = 100
		dim      = 8
	)
	s := newStore(t, dim)
	base := time.Date(2022, 6, 1, 0, 0, 0, 0, time.UTC)
	for i := 0; i < articles; i++ {
		a := makeArticle(fmt.Sprintf("d%05d", i), perArt, base.Add(time.Duration(i)*time.Minute))
		put(t, s, a)
	}
	if s.ChunkCount() != articles*perArt {
		t.Fatalf("before Save: ChunkCount %d", s.ChunkCount())
	}
	dir := t.TempDir()
	start := time.Now()
	if err := s.Save(dir); err != nil {
		t.Fatal(err)
	}
	saved := time.Since(start)
	start = time.Now()
	got, err := store.Load(ctx, dir)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("save %v, load %v", saved, time.Since(start))
	if got.ChunkCount() != articles*perArt {
		t.Fatalf("ChunkCount after Load = %d, want %d", got.ChunkCount(), articles*perArt)
	}
	if got.Len() != articles {
		t.Fatalf("Len after Load = %d, want %d", got.Len(), articles)
	}
	for i, a := range got.Articles() {
		if want := fmt.Sprintf("d%05d", i); a.ID != want || a.Chunks != perArt || len(a.ChunkStarts) != perArt {
			t.Fatalf("article %d: %s with %d chunks, want %s with %d", i, a.ID, a.Chunks, want, perArt)
		}
	}
	r := rand.New(rand.NewPCG(7, 7))
	for i := 0; i < 40; i++ {
		id, ord := fmt.Sprintf("d%05d", r.IntN(articles)), r.IntN(perArt)
		if !findChunk(t, got, id, ord, 5) {
			t.Errorf("chunk %s#%d not found by its vector", id, ord)
		}
	}
	// The first and last chunks of all, by vector.
	for _, c := range []struct {
		id  string
		ord int
	}{{"d00000", 0}, {fmt.Sprintf("d%05d", articles-1), perArt - 1}} {
		if !findChunk(t, got, c.id, c.ord, 5) {
			t.Errorf("chunk %s#%d not found by its vector", c.id, c.ord)
		}
	}
}
