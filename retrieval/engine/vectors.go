package engine

import (
	"math"
	"runtime"
	"slices"
	"sync"

	"github.com/briefbot/briefbot/retrieval/embed"
)

// vecHit is a chunk found by vector similarity.
type vecHit struct {
	doc int32
	sim float32
}

// qBlock is the number of chunk vectors a block of the quantised matrix
// holds: its float accumulator (4 KiB) stays in L1 while the query's
// dimensions stream past it.
const qBlock = 1024

// quantized is an int8 copy of every chunk vector, laid out block by block
// and, inside a block, dimension by dimension (column-major), so that a
// query touches only the columns of its non-zero dimensions. Chunk d's
// vector is approximately scale[d] * codes[...d...], each component within
// scale[d]/2 of the float one.
type quantized struct {
	dim   int
	n     int
	codes []int8
	scale []float32
	// signs is the sign pre-scan's sketch, from prescanMin chunks on (see
	// prescan.go); nil below.
	signs *signCodes
}

// sketch derives the sign pre-scan's codes when the corpus is large enough
// to use them, and returns qz.
func (qz *quantized) sketch() *quantized {
	if qz.n >= prescanMin && qz.dim > 0 && qz.dim <= sketchMaxDim {
		qz.signs = newSignCodes(qz)
	}
	return qz
}

// quantize builds the int8 copy of vecs (all of dimension dim), on every core.
func quantize(vecs [][]float32, dim int) *quantized {
	n := len(vecs)
	blocks := (n + qBlock - 1) / qBlock
	qz := &quantized{dim: dim, n: n, codes: make([]int8, blocks*qBlock*dim), scale: make([]float32, n)}
	var wg sync.WaitGroup
	workers := runtime.GOMAXPROCS(0)
	for w := range workers {
		wg.Go(func() {
			for b := w; b < blocks; b += workers {
				base := b * qBlock * dim
				for i := 0; i < qBlock && b*qBlock+i < n; i++ {
					d := b*qBlock + i
					v := vecs[d][:dim]
					var m float32
					for _, x := range v {
						m = max(m, abs32(x))
					}
					if m == 0 {
						continue
					}
					s := m / 127
					qz.scale[d] = s
					for j, x := range v {
						c := math.Round(float64(x / s))
						qz.codes[base+j*qBlock+i] = int8(max(-127, min(127, c)))
					}
				}
			}
		})
	}
	wg.Wait()
	return qz.sketch()
}

func abs32(x float32) float32 {
	if x < 0 {
		return -x
	}
	return x
}

// nearest returns the k chunks whose vectors are most similar to the unit
// vector q, best first (ties by chunk doc): the exhaustive scan chromem-go's
// QueryEmbedding does, over the same vectors, with the same result.
//
// It scans the int8 copy, only along q's non-zero dimensions, and bounds
// each approximate similarity's error rigorously: |q·v - q·v'| <=
// scale/2 * |q|_1 plus float rounding. Every chunk whose upper bound reaches
// the k-th best lower bound is then re-scored exactly with embed.Dot on the
// float vector, the very product the full float scan computes; no chunk of
// the exact top k can fall outside that set.
//
// From prescanMin chunks on it is approximate instead: see prescan.go.
func (ix *index) nearest(q []float32, k int) []vecHit {
	return ix.nearestAlso(q, k, nil)
}

// nearestAlso is nearest, where on a corpus large enough for the sign
// pre-scan (see prescan.go) the chunks in also are re-scored exactly too.
func (ix *index) nearestAlso(q []float32, k int, also []int32) []vecHit {
	n := len(ix.vecs)
	if k > n {
		k = n
	}
	if k <= 0 || len(q) == 0 {
		return nil
	}
	qz := ix.qvecs
	if qz == nil || qz.n != n || len(q) != qz.dim {
		return ix.nearestExact(q, k)
	}
	if qz.signs != nil {
		return ix.nearestPrescan(q, k, also)
	}
	type nzDim struct {
		col int
		w   float32
	}
	var l1 float32
	nz := make([]nzDim, 0, len(q))
	for j, w := range q {
		if w != 0 {
			nz = append(nz, nzDim{col: j * qBlock, w: w})
			l1 += abs32(w)
		}
	}
	// Float rounding of both products: at most ~dim * 2^-24 * sum|q_i v_i|,
	// and sum|q_i v_i| <= |q|_1 for a unit vector v; 4e-5 covers 256 dims
	// with a margin (and any dimension up to ~670).
	slack := float32(4e-5)*l1*float32(max(1, qz.dim/256)) + 1e-6
	var acc [qBlock]float32
	lower := make([]float32, 0, k) // min-heap of the k best lower bounds
	type cand struct {
		doc   int32
		upper float32
	}
	cands := make([]cand, 0, 2*k)
	tau := float32(math.Inf(-1))
	for b := 0; b*qBlock < n; b++ {
		cnt := min(qBlock, n-b*qBlock)
		a := acc[:cnt]
		clear(a)
		base := b * qBlock * qz.dim
		// Four columns per pass: a quarter of the accumulator loads and
		// stores of one column at a time.
		j := 0
		for ; j+4 <= len(nz); j += 4 {
			z0, z1, z2, z3 := nz[j], nz[j+1], nz[j+2], nz[j+3]
			c0 := qz.codes[base+z0.col : base+z0.col+cnt]
			c1 := qz.codes[base+z1.col : base+z1.col+cnt]
			c2 := qz.codes[base+z2.col : base+z2.col+cnt]
			c3 := qz.codes[base+z3.col : base+z3.col+cnt]
			c1, c2, c3 = c1[:len(c0)], c2[:len(c0)], c3[:len(c0)]
			a := a[:len(c0)]
			for i, x := range c0 {
				a[i] += (z0.w*float32(x) + z1.w*float32(c1[i])) + (z2.w*float32(c2[i]) + z3.w*float32(c3[i]))
			}
		}
		for ; j < len(nz); j++ {
			z := nz[j]
			col := qz.codes[base+z.col : base+z.col+cnt]
			for i, c := range col {
				a[i] += z.w * float32(c)
			}
		}
		first := b * qBlock
		scales := qz.scale[first : first+cnt]
		for i, s := range a {
			sc := scales[i]
			approx := s * sc
			delta := 0.5*sc*l1 + slack
			up := approx + delta
			if up < tau {
				continue
			}
			cands = append(cands, cand{doc: int32(first + i), upper: up})
			lo := approx - delta
			if len(lower) < k {
				lower = append(lower, lo)
				siftUpF(lower, len(lower)-1)
				if len(lower) == k {
					tau = lower[0]
				}
			} else if lo > lower[0] {
				lower[0] = lo
				siftDownF(lower, 0)
				tau = lower[0]
			}
		}
		if len(cands) > 8*k+qBlock {
			cands = slices.DeleteFunc(cands, func(c cand) bool { return c.upper < tau })
		}
	}
	hits := make([]vecHit, 0, len(cands))
	for _, c := range cands {
		if c.upper >= tau {
			hits = append(hits, vecHit{doc: c.doc, sim: embed.Dot(q, ix.vecs[c.doc])})
		}
	}
	sortHits(hits)
	if len(hits) > k {
		hits = hits[:k]
	}
	return hits
}

// nearestExact is the plain float scan: the reference nearest must equal.
func (ix *index) nearestExact(q []float32, k int) []vecHit {
	n := len(ix.vecs)
	if k > n {
		k = n
	}
	if k <= 0 || len(q) == 0 {
		return nil
	}
	hits := make([]vecHit, n)
	for d, v := range ix.vecs {
		hits[d] = vecHit{doc: int32(d), sim: embed.Dot(q, v)}
	}
	sortHits(hits)
	return hits[:k]
}

// sortHits orders hits best first, ties by chunk doc.
func sortHits(h []vecHit) {
	slices.SortFunc(h, func(a, b vecHit) int {
		switch {
		case a.sim > b.sim:
			return -1
		case a.sim < b.sim:
			return 1
		}
		return int(a.doc - b.doc)
	})
}

func siftUpF(h []float32, i int) {
	for i > 0 {
		p := (i - 1) / 2
		if h[i] >= h[p] {
			return
		}
		h[i], h[p] = h[p], h[i]
		i = p
	}
}

func siftDownF(h []float32, i int) {
	for {
		l := 2*i + 1
		if l >= len(h) {
			return
		}
		m := l
		if r := l + 1; r < len(h) && h[r] < h[l] {
			m = r
		}
		if h[m] >= h[i] {
			return
		}
		h[i], h[m] = h[m], h[i]
		i = m
	}
}
