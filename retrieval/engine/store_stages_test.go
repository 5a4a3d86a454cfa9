package engine

import (
	"context"
	"runtime"
	"syscall"
	"testing"
	"time"

	"github.com/briefbot/briefbot/retrieval"
)

// threadCPU is the CPU time the calling OS thread has used (the caller
// locks itself to its thread): unlike wall time it hardly moves when other
// processes load the machine.
func threadCPU(b *testing.B) time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(1 /* RUSAGE_THREAD */, &ru); err != nil {
		b.Skipf("getrusage: %v", err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// BenchmarkStoreStages is the retrieval of BenchmarkStoreSearch cut into
// its stages over the store of BRIEFBOT_BENCH_STORE and the dev questions:
// the CPU time per question (this thread's) of the question's analysis,
// BM25 (as many hits as the pre-scan re-scores), the embedding, the
// vector search (the sign pre-scan and its exact re-scoring), and of the
// whole answer (e.search).
func BenchmarkStoreStages(b *testing.B) {
	e, qs := storeBench(b)
	ctx := context.Background()
	ix := e.state()
	p := e.params
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	var terms, bm25, emb, vec, whole time.Duration
	n := 0
	for b.Loop() {
		for _, q := range qs {
			t0 := threadCPU(b)
			_, _, search := ix.questionSearch(q.text, p)
			t1 := threadCPU(b)
			_, also := ix.lexicalHits(search, p.LexicalK, nil)
			t2 := threadCPU(b)
			v, err := e.emb.Embed(ctx, q.text)
			if err != nil {
				b.Fatal(err)
			}
			t3 := threadCPU(b)
			ix.nearestAlso(v, p.VectorK, also)
			t4 := threadCPU(b)
			if _, err := e.search(ctx, ix, retrieval.Query{Text: q.text, MaxQuotes: 3, MaxDocs: 20}, e.now()); err != nil {
				b.Fatal(err)
			}
			t5 := threadCPU(b)
			terms += t1 - t0
			bm25 += t2 - t1
			emb += t3 - t2
			vec += t4 - t3
			whole += t5 - t4
			n++
		}
	}
	per := func(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 / float64(n) }
	b.ReportMetric(per(terms), "terms-ms")
	b.ReportMetric(per(bm25), "bm25-ms")
	b.ReportMetric(per(emb), "embed-ms")
	b.ReportMetric(per(vec), "vector-ms")
	b.ReportMetric(per(whole), "search-ms")
}
