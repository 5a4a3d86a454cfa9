package engine

import (
	"bufio"
	"context"
	"encoding/json"
	"os"
	"runtime"
	"sync"
	"testing"

	"github.com/briefbot/briefbot/retrieval"
	"github.com/briefbot/briefbot/retrieval/ingest"
	"github.com/briefbot/briefbot/retrieval/text"
)

// The benchmarks run on the RealTime QA news corpus. Set
// BRIEFBOT_BENCH_CORPUS (default ../../../shared/eval/realtimeqa/corpus.jsonl
// relative to the repository root, as laid out on the team machines) and
// BRIEFBOT_BENCH_QUERIES; a benchmark is skipped when they are missing.
//
//	go test ./retrieval/engine -run '^$' -bench . -benchtime 200x

func benchPath(env, def string) string {
	if p := os.Getenv(env); p != "" {
		return p
	}
	return def
}

var (
	benchOnce    sync.Once
	benchArts    []retrieval.Article
	benchEngine  *Engine
	benchQueries []string
	benchErr     error
)

func benchFixture(b *testing.B) (*Engine, []retrieval.Article, []string) {
	b.Helper()
	benchOnce.Do(func() {
		corpus := benchPath("BRIEFBOT_BENCH_CORPUS", "/work/shared/eval/realtimeqa/corpus.jsonl")
		queries := benchPath("BRIEFBOT_BENCH_QUERIES", "/work/shared/eval/realtimeqa/queries.dev.jsonl")
		if _, err := os.Stat(corpus); err != nil {
			benchErr = err
			return
		}
		if _, benchErr = ingest.ReadFile(context.Background(), corpus, func(a retrieval.Article) error {
			benchArts = append(benchArts, a)
			return nil
		}); benchErr != nil {
			return
		}
		f, err := os.Open(queries)
		if err != nil {
			benchErr = err
			return
		}
		defer f.Close()
		sc := bufio.NewScanner(f)
		sc.Buffer(make([]byte, 1<<20), 1<<20)
		for sc.Scan() {
			var q struct{ Question string }
			if json.Unmarshal(sc.Bytes(), &q) == nil && q.Question != "" {
				benchQueries = append(benchQueries, q.Question)
			}
		}
		ctx := context.Background()
		benchEngine, benchErr = NewMemory(ctx, Options{})
		if benchErr != nil {
			return
		}
		_, benchErr = benchEngine.Ingest(ctx, benchArts)
	})
	if benchErr != nil {
		b.Skipf("bench corpus: %v", benchErr)
	}
	return benchEngine, benchArts, benchQueries
}

// BenchmarkSentences is the sentence splitter over whole article bodies.
func BenchmarkSentences(b *testing.B) {
	_, arts, _ := benchFixture(b)
	b.ResetTimer()
	for i := 0; b.Loop(); i++ {
		text.Sentences(arts[i%len(arts)].Body)
	}
}

// BenchmarkPrepare is one article's ingest work: sentences, chunks, vectors.
func BenchmarkPrepare(b *testing.B) {
	e, arts, _ := benchFixture(b)
	ctx := context.Background()
	for i := 0; b.Loop(); i++ {
		a := arts[i%len(arts)]
		if _, err := e.prepare(ctx, a, "h", e.now()); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkBuildIndex derives the BM25 index and sentence tokens from the
// whole news store, as a cold start does.
func BenchmarkBuildIndex(b *testing.B) {
	e, _, _ := benchFixture(b)
	st := e.Store()
	for b.Loop() {
		buildIndex(st)
	}
}

// BenchmarkSearch is the whole answer pipeline, cycling through the dev
// questions, without the answer cache (every answer computed).
func BenchmarkSearch(b *testing.B) {
	e, _, qs := benchFixture(b)
	ctx := context.Background()
	ix := e.state()
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		if _, err := e.search(ctx, ix, retrieval.Query{Text: qs[i%len(qs)], MaxQuotes: 3, MaxDocs: 20}, e.now()); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkSearchCached is Search answering questions it has answered before.
func BenchmarkSearchCached(b *testing.B) {
	e, _, qs := benchFixture(b)
	ctx := context.Background()
	for _, q := range qs {
		e.Search(ctx, retrieval.Query{Text: q})
	}
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		if _, err := e.Search(ctx, retrieval.Query{Text: qs[i%len(qs)]}); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkBareQueryEmbedding is chromem-go's QueryEmbedding on the same
// collection and the same question vectors: the scan Search cannot avoid.
func BenchmarkBareQueryEmbedding(b *testing.B) {
	e, _, qs := benchFixture(b)
	ctx := context.Background()
	vecs := make([][]float32, len(qs))
	for i, q := range qs {
		vecs[i], _ = e.emb.Embed(ctx, q)
	}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; b.Loop(); i++ {
		if err := e.Store().BareQueryEmbedding(ctx, vecs[i%len(vecs)], DefaultParams().VectorK); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkNearest is the vector candidate scan alone.
func BenchmarkNearest(b *testing.B) {
	e, _, qs := benchFixture(b)
	ctx := context.Background()
	ix := e.state()
	vecs := make([][]float32, len(qs))
	for i, q := range qs {
		vecs[i], _ = e.emb.Embed(ctx, q)
	}
	for i := 0; b.Loop(); i++ {
		ix.nearest(vecs[i%len(vecs)], DefaultParams().VectorK)
	}
}

// BenchmarkOpen is a cold start: loading the store in BRIEFBOT_BENCH_STORE
// (a data directory `briefbot ingest` wrote) with its derived index. It
// reports the live heap after the load.
func BenchmarkOpen(b *testing.B) {
	dir := os.Getenv("BRIEFBOT_BENCH_STORE")
	if dir == "" {
		b.Skip("set BRIEFBOT_BENCH_STORE to a data directory")
	}
	ctx := context.Background()
	var e *Engine
	for b.Loop() {
		var err error
		if e, err = Open(ctx, dir, Options{}); err != nil {
			b.Fatal(err)
		}
	}
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	b.ReportMetric(float64(ms.HeapAlloc)/1e6, "heapMB")
	runtime.KeepAlive(e)
}
