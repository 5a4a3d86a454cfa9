package engine

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"reflect"
	"slices"
	"testing"

	"github.com/briefbot/briefbot/retrieval"
	"github.com/briefbot/briefbot/retrieval/embed"
)

// withPrescan sets the pre-scan's threshold and candidate share for a
// test, restoring them after it.
func withPrescan(t testing.TB, minChunks, div int) {
	t.Helper()
	oldMin, oldDiv := prescanMin, prescanDiv
	prescanMin, prescanDiv = minChunks, div
	t.Cleanup(func() { prescanMin, prescanDiv = oldMin, oldDiv })
}

// sketchedSeeds is the seed archive's engine with the pre-scan on (its
// candidate share one chunk in div) and its index.
func sketchedSeeds(t *testing.T, div int) (*Engine, *index) {
	t.Helper()
	withPrescan(t, 1, div)
	e, err := OpenSeeds(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return e, e.state()
}

// vectorIndex is an index of only the given vectors, quantised (and
// sketched, from prescanMin on) as buildIndex does.
func vectorIndex(vecs [][]float32, dim int) *index {
	return &index{vecs: vecs, qvecs: quantize(vecs, dim)}
}

func randomUnit(rng *rand.Rand, dim, sparse int) []float32 {
	v := make([]float32, dim)
	for i := range v {
		if sparse == 0 || rng.IntN(dim) < sparse {
			v[i] = float32(rng.NormFloat64())
		}
	}
	v[rng.IntN(dim)] += 0.5
	embed.Normalize(v)
	return v
}

// When the pre-scan keeps every chunk, nearest is the exact scan, for
// every size, dimension and k, including the edges: no chunk, one chunk,
// all vectors equal, a zero question.
func TestPrescanAllCandidatesIsExact(t *testing.T) {
	withPrescan(t, 0, 1)
	rng := rand.New(rand.NewPCG(3, 4))
	for _, dim := range []int{256, 64, 100} {
		for _, n := range []int{0, 1, 2, 7, qBlock + 5, 3000} {
			for _, kind := range []string{"random", "equal", "sparse"} {
				vecs := make([][]float32, n)
				same := randomUnit(rng, dim, 0)
				for i := range vecs {
					switch kind {
					case "random":
						vecs[i] = randomUnit(rng, dim, 0)
					case "equal":
						vecs[i] = same
					case "sparse":
						vecs[i] = randomUnit(rng, dim, 3)
					}
				}
				ix := vectorIndex(vecs, dim)
				if n > 0 && ix.qvecs.signs == nil {
					t.Fatalf("n=%d: no sign codes at prescanMin 0", n)
				}
				for _, q := range [][]float32{randomUnit(rng, dim, 0), randomUnit(rng, dim, 8), make([]float32, dim)} {
					for _, k := range []int{1, 5, 100, n + 3} {
						got, want := ix.nearest(q, k), ix.nearestExact(q, k)
						if !slices.Equal(got, want) {
							t.Fatalf("dim %d, %d %s vectors, k=%d: pre-scan %v, exact %v", dim, n, kind, k, head(got), head(want))
						}
					}
				}
			}
		}
	}
}

func head(h []vecHit) []vecHit { return h[:min(5, len(h))] }

// With fewer candidates than chunks the pre-scan is approximate, but what
// it returns is exact for those chunks: sorted as the exact scan sorts,
// with the exact similarities, distinct, k of them; a question equal to a
// stored vector finds that vector first (its signs all agree); the chunks
// passed in also are always re-scored.
func TestPrescanFewCandidates(t *testing.T) {
	withPrescan(t, 0, 50)
	rng := rand.New(rand.NewPCG(5, 6))
	const dim, n = 256, 5000
	vecs := make([][]float32, n)
	for i := range vecs {
		vecs[i] = randomUnit(rng, dim, 0)
	}
	ix := vectorIndex(vecs, dim)
	for trial := range 50 {
		self := int32(rng.IntN(n))
		for _, q := range [][]float32{vecs[self], randomUnit(rng, dim, 10)} {
			k := 1 + rng.IntN(120)
			got := ix.nearest(q, k)
			if len(got) != k {
				t.Fatalf("trial %d: %d hits for k=%d", trial, len(got), k)
			}
			seen := map[int32]bool{}
			for i, h := range got {
				if seen[h.doc] {
					t.Fatalf("trial %d: chunk %d twice", trial, h.doc)
				}
				seen[h.doc] = true
				if h.sim != embed.Dot(q, vecs[h.doc]) {
					t.Fatalf("trial %d: chunk %d similarity %v, exact %v", trial, h.doc, h.sim, embed.Dot(q, vecs[h.doc]))
				}
				if i > 0 && (got[i-1].sim < h.sim || got[i-1].sim == h.sim && got[i-1].doc > h.doc) {
					t.Fatalf("trial %d: hits out of order at %d", trial, i)
				}
			}
		}
		if got := ix.nearest(vecs[self], 1); got[0].doc != self {
			t.Fatalf("trial %d: a stored vector's own question found chunk %d, not %d", trial, got[0].doc, self)
		}
		// The exact best chunk, passed in also, is found whatever the
		// sketch thinks of it.
		q := randomUnit(rng, dim, 10)
		best := ix.nearestExact(q, 1)[0]
		if got := ix.nearestAlso(q, 1, []int32{best.doc, best.doc, 0}); got[0] != best {
			t.Fatalf("trial %d: with the best chunk passed in, found %v, want %v", trial, got[0], best)
		}
	}
}

// Below prescanMin nothing changes: no sign codes, the exact scan.
func TestPrescanOnlyFromMin(t *testing.T) {
	withPrescan(t, 100, 1)
	rng := rand.New(rand.NewPCG(7, 8))
	vecs := make([][]float32, 99)
	for i := range vecs {
		vecs[i] = randomUnit(rng, 32, 0)
	}
	if ix := vectorIndex(vecs, 32); ix.qvecs.signs != nil {
		t.Fatal("sign codes below prescanMin")
	}
	if ix := vectorIndex(append(vecs, randomUnit(rng, 32, 0)), 32); ix.qvecs.signs == nil {
		t.Fatal("no sign codes at prescanMin")
	}
	// Nor beyond the widest embedding the sketch's adders count.
	wide := make([][]float32, 100)
	for i := range wide {
		wide[i] = randomUnit(rng, sketchMaxDim+1, 5)
	}
	if ix := vectorIndex(wide, sketchMaxDim+1); ix.qvecs.signs != nil {
		t.Fatal("sign codes for a dimension over sketchMaxDim")
	}
}

func TestMergeDocs(t *testing.T) {
	for _, c := range []struct{ docs, extra, want []int32 }{
		{nil, nil, []int32{}},
		{[]int32{1, 4}, nil, []int32{1, 4}},
		{nil, []int32{3, 1, 3}, []int32{1, 3}},
		{[]int32{1, 4, 9}, []int32{9, 0, 4, 5}, []int32{0, 1, 4, 5, 9}},
	} {
		if got := mergeDocs(c.docs, c.extra); !slices.Equal(got, c.want) {
			t.Errorf("mergeDocs(%v, %v) = %v, want %v", c.docs, c.extra, got, c.want)
		}
	}
}

// Through the whole answer pipeline, on the seed archive: with the
// pre-scan keeping every chunk (and the BM25 candidates added), every
// answer is the exact scan's, deeply equal.
func TestPrescanSearchSameAnswers(t *testing.T) {
	ctx := context.Background()
	e, ix := sketchedSeeds(t, 1)
	signs := ix.qvecs.signs
	if signs == nil {
		t.Fatal("no sign codes")
	}
	ref := e.now()
	for _, q := range []string{"What did the central bank decide about interest rates?", "wildfire evacuation", "election results", "x", "How many drones were launched?"} {
		query := retrieval.Query{Text: q, MaxQuotes: 3, MaxDocs: 20}
		got, err := e.search(ctx, ix, query, ref)
		if err != nil {
			t.Fatal(err)
		}
		ix.qvecs.signs = nil
		want, err := e.search(ctx, ix, query, ref)
		ix.qvecs.signs = signs
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(got, want) {
			t.Errorf("%q: with the pre-scan\n%+v\nexact\n%+v", q, got, want)
		}
	}
}

// BenchmarkSignCandidates is the pre-scan over a million chunks, for a
// question of 60 non-zero dimensions of 256 (a hash embedding's).
func BenchmarkSignCandidates(b *testing.B) {
	rng := rand.New(rand.NewPCG(1, 2))
	const n, dim = 1_000_000, 256
	sc := &signCodes{n: n, dim: dim, stride: (n + 63) / 64}
	sc.bits = make([]uint64, (dim+1)*sc.stride)
	for i := range sc.bits[:dim*sc.stride] {
		sc.bits[i] = rng.Uint64()
	}
	q := make([]float32, dim)
	for _, j := range rng.Perm(dim)[:60] {
		q[j] = float32(rng.NormFloat64())
	}
	embed.Normalize(q)
	for b.Loop() {
		sc.candidates(q, 5_000)
	}
}

// signScoresRef is the pre-scan's score of every chunk computed plainly,
// chunk by chunk, from the int8 codes: the weight (|q_j| in sevenths of the
// largest, rounded) of the dimensions where the chunk's code is positive
// and q_j > 0, or not positive and q_j < 0.
func signScoresRef(qz *quantized, q []float32) []int {
	var top float32
	for _, x := range q {
		top = max(top, abs32(x))
	}
	scores := make([]int, qz.n)
	if top == 0 {
		return scores
	}
	for d := range scores {
		b, i := d/qBlock, d%qBlock
		for j, x := range q {
			l := int(math.Round(float64(abs32(x) / top * 7)))
			pos := qz.codes[b*qBlock*qz.dim+j*qBlock+i] > 0
			if l > 0 && pos == (x > 0) {
				scores[d] += l
			}
		}
	}
	return scores
}

// candidatesRef is candidates computed plainly: the chunks sorted by score
// (best first, ties by lower doc), the first m, in doc order.
func candidatesRef(scores []int, m int) []int32 {
	order := make([]int32, len(scores))
	for d := range order {
		order[d] = int32(d)
	}
	slices.SortStableFunc(order, func(a, b int32) int { return scores[b] - scores[a] })
	out := slices.Clone(order[:max(0, min(m, len(order)))])
	slices.Sort(out)
	return out
}

// The bit-sliced pre-scan keeps exactly the chunks a plain chunk-by-chunk
// scoring keeps: every size (a partial last word, one chunk, several
// blocks of the codes and of score's adders), dimension (under and over
// 64, not a multiple of 64, over 1,023 so that a plane counts past 9 bits
// and a score past 12), question (dense, sparse, one dimension, zero, all
// weights equal) and share.
func TestSignCandidatesMatchPlainScoring(t *testing.T) {
	rng := rand.New(rand.NewPCG(9, 10))
	for _, dim := range []int{256, 64, 100, 3, 300, 1100} {
		for _, n := range []int{1, 2, 63, 64, 65, 1000, qBlock + 70, 3*qBlock + 1, 2*scoreBlock*64 + 100} {
			if n > 3*qBlock+1 && dim != 100 || dim > 300 && n > 1000 {
				continue // several of score's blocks: one dimension suffices
			}
			vecs := make([][]float32, n)
			for i := range vecs {
				vecs[i] = randomUnit(rng, dim, 0)
				if i%17 == 3 {
					vecs[i] = randomUnit(rng, dim, 2)
				}
			}
			qz := quantize(vecs, dim)
			sc := newSignCodes(qz)
			equal := make([]float32, dim)
			for j := range equal {
				equal[j] = 1
			}
			one := make([]float32, dim)
			one[dim/2] = -1
			for qi, q := range [][]float32{randomUnit(rng, dim, 0), randomUnit(rng, dim, 15), one, make([]float32, dim), equal} {
				ref := signScoresRef(qz, q)
				for _, m := range []int{1, 2, 5, n / 3, n - 1, n, n + 4} {
					got, want := sc.candidates(q, m), candidatesRef(ref, m)
					if !slices.Equal(got, want) {
						t.Fatalf("dim %d, %d chunks, question %d, m=%d: %d candidates %v, plain scoring %d %v", dim, n, qi, m, len(got), got[:min(8, len(got))], len(want), want[:min(8, len(want))])
					}
				}
			}
		}
	}
}

// FuzzPrescan: vectors and a question from arbitrary bytes (one byte a
// component, so ties, zeros and equal vectors are common). With every chunk
// kept the pre-scan is the exact scan; its candidates are those of plain
// chunk-by-chunk scoring; with few, its hits are exact similarities of
// distinct chunks, in the exact scan's order.
func FuzzPrescan(f *testing.F) {
	f.Add(uint8(8), uint8(3), uint8(2), []byte{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 200, 100, 0, 0, 0, 0, 0, 255})
	f.Add(uint8(70), uint8(1), uint8(1), []byte{})
	f.Fuzz(func(t *testing.T, dimB, kB, divB uint8, data []byte) {
		dim := 1 + int(dimB)%130
		next := func(i int) float32 {
			if len(data) == 0 {
				return 0
			}
			return float32(int8(data[i%len(data)]))
		}
		q := make([]float32, dim)
		for j := range q {
			q[j] = next(j)
		}
		embed.Normalize(q)
		n := 0
		if len(data) > dim {
			n = min((len(data)-dim)/dim+1, 300)
		}
		vecs := make([][]float32, n)
		for i := range vecs {
			v := make([]float32, dim)
			for j := range v {
				v[j] = next(dim + i*dim + j)
			}
			if !embed.Normalize(v) {
				v[0] = 1
			}
			vecs[i] = v
		}
		k := int(kB) % (n + 3)
		withPrescan(t, 0, 1)
		ix := vectorIndex(vecs, dim)
		if got, want := ix.nearest(q, k), ix.nearestExact(q, k); !slices.Equal(got, want) {
			t.Fatalf("every chunk kept: %v, exact %v", head(got), head(want))
		}
		if sc := ix.qvecs.signs; sc != nil {
			// The bit-sliced pre-scan keeps what plain scoring keeps.
			m := 1 + int(divB)%(n+1)
			if got, want := sc.candidates(q, m), candidatesRef(signScoresRef(ix.qvecs, q), m); !slices.Equal(got, want) {
				t.Fatalf("m=%d: candidates %v, plain scoring %v", m, got[:min(8, len(got))], want[:min(8, len(want))])
			}
		}
		prescanDiv = 1 + int(divB)
		got, all := ix.nearest(q, k), ix.nearestExact(q, n)
		if len(got) != min(k, n) {
			t.Fatalf("%d hits for k=%d of %d chunks", len(got), k, n)
		}
		rank := map[int32]int{}
		for i, h := range all {
			rank[h.doc] = i
		}
		for i, h := range got {
			if h.sim != all[rank[h.doc]].sim || i > 0 && rank[got[i-1].doc] >= rank[h.doc] {
				t.Fatalf("hit %d %v is not in the exact scan's order or similarity", i, h)
			}
		}
	})
}

// Concurrent questions over a sketched index (shared sign codes, recycled
// score buffers and BM25 scratch) get the answers they get one at a time.
func TestPrescanConcurrentSearch(t *testing.T) {
	ctx := context.Background()
	e, ix := sketchedSeeds(t, 3)
	ref := e.now()
	questions := []string{"What did the central bank decide about interest rates?", "wildfire evacuation", "election results", "How many drones were launched?", "security guarantees", "energy facilities power outages"}
	want := make([]retrieval.Result, len(questions))
	for i, q := range questions {
		var err error
		if want[i], err = e.search(ctx, ix, retrieval.Query{Text: q}, ref); err != nil {
			t.Fatal(err)
		}
	}
	errs := make(chan error, 8)
	for w := range 8 {
		go func() {
			for r := range 20 {
				i := (w + r) % len(questions)
				got, err := e.search(ctx, ix, retrieval.Query{Text: questions[i]}, ref)
				if err == nil && !reflect.DeepEqual(got, want[i]) {
					err = fmt.Errorf("%q answered differently concurrently", questions[i])
				}
				if err != nil {
					errs <- err
					return
				}
			}
			errs <- nil
		}()
	}
	for range 8 {
		if err := <-errs; err != nil {
			t.Fatal(err)
		}
	}
}

// lexicalHits returns the BM25 hits Search returns for k, and, over a
// sketched index, the docs of more of them to re-score, starting with those.
func TestLexicalHits(t *testing.T) {
	_, ix := sketchedSeeds(t, 1)
	terms := ix.lex.Expand([]string{"drone", "ukrain", "secur"})
	for _, k := range []int{0, 1, 3, 1000} {
		want := ix.lex.Search(terms, k, nil)
		hits, also := ix.lexicalHits(terms, k, nil)
		if !reflect.DeepEqual(hits, want) {
			t.Fatalf("k=%d: hits %v, Search %v", k, hits, want)
		}
		if len(also) < len(hits) || len(also) < min(prescanLexK, len(ix.lex.Search(terms, prescanLexK, nil))) {
			t.Fatalf("k=%d: %d docs to re-score for %d hits", k, len(also), len(hits))
		}
		for i, h := range hits {
			if also[i] != h.Doc {
				t.Fatalf("k=%d: re-scored doc %d is %d, hit %d", k, i, also[i], h.Doc)
			}
		}
	}
	ix.qvecs.signs = nil
	if _, also := ix.lexicalHits(terms, 3, nil); also != nil {
		t.Fatal("docs to re-score without the pre-scan")
	}
}
