package engine

import (
	"container/heap"
	"runtime"
	"sort"
	"sync"

	"github.com/briefbot/briefbot/retrieval/embed"
)

// vecHit is a chunk found by vector similarity.
type vecHit struct {
	doc int32
	sim float32
}

// minSegment is the fewest vectors worth a goroutine of their own.
const minSegment = 16384

// nearest returns the k chunks whose vectors are most similar to the unit
// vector q, best first: the same exhaustive scan chromem-go's QueryEmbedding
// does, over the same vectors, without its per-document channel send,
// mutex and heap push. Each goroutine keeps its own top k.
func (ix *index) nearest(q []float32, k int) []vecHit {
	n := len(ix.vecs)
	if k > n {
		k = n
	}
	if k <= 0 || len(q) == 0 {
		return nil
	}
	parts := min(runtime.GOMAXPROCS(0), max(n/minSegment, 1))
	tops := make([]topK, parts)
	var wg sync.WaitGroup
	for p := range parts {
		lo, hi := p*n/parts, (p+1)*n/parts
		tops[p].k = k
		scan := func() { tops[p].scan(q, ix.vecs, lo, hi) }
		if p == parts-1 {
			scan()
			continue
		}
		wg.Go(scan)
	}
	wg.Wait()
	all := tops[0].h
	for _, t := range tops[1:] {
		all = append(all, t.h...)
	}
	sort.Slice(all, func(i, j int) bool {
		if all[i].sim != all[j].sim {
			return all[i].sim > all[j].sim
		}
		return all[i].doc < all[j].doc
	})
	if len(all) > k {
		all = all[:k]
	}
	return all
}

// topK is a min-heap of the best k hits seen.
type topK struct {
	k int
	h []vecHit
}

func (t *topK) scan(q []float32, vecs [][]float32, lo, hi int) {
	t.h = make([]vecHit, 0, t.k)
	for d := lo; d < hi; d++ {
		s := embed.Dot(q, vecs[d])
		if len(t.h) < t.k {
			heap.Push(t, vecHit{doc: int32(d), sim: s})
			continue
		}
		if s > t.h[0].sim {
			t.h[0] = vecHit{doc: int32(d), sim: s}
			heap.Fix(t, 0)
		}
	}
}

func (t *topK) Len() int           { return len(t.h) }
func (t *topK) Less(i, j int) bool { return t.h[i].sim < t.h[j].sim }
func (t *topK) Swap(i, j int)      { t.h[i], t.h[j] = t.h[j], t.h[i] }
func (t *topK) Push(x any)         { t.h = append(t.h, x.(vecHit)) }
func (t *topK) Pop() any {
	x := t.h[len(t.h)-1]
	t.h = t.h[:len(t.h)-1]
	return x
}
