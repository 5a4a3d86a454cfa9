package engine

import (
	"math"
	"math/bits"
	"runtime"
	"slices"
	"sync"

	"github.com/briefbot/briefbot/retrieval"
	"github.com/briefbot/briefbot/retrieval/embed"
	"github.com/briefbot/briefbot/retrieval/lexical"
)

// Large corpora: the sign pre-scan.
//
// nearest's int8 scan costs a multiply-add per chunk and question dimension:
// at a million chunks that is most of a question's CPU time, and the exact
// float re-scoring of what its bound lets through reads pages all over the
// vector section. From prescanMin chunks on, nearest first ranks every chunk
// by a 1-bit sketch instead (the signs of its vector, 32 bytes at dimension
// 256, a few popcounts a chunk), keeps the best prescanCands(n) and the
// question's best prescanLexK BM25 chunks (a chunk similar to the question
// mostly shares its words: the sketch alone is a weak ranking), and
// re-scores those exactly (embed.Dot on the float vector, the very product
// the exhaustive scan computes). The result is the exhaustive scan's top k
// whenever its top k are among the kept candidates; it is approximate, not
// exact, which is why it engages only where the exact scan is too slow, so
// that smaller stores (the news corpus, the fitted models) answer exactly
// as before.

// prescanMin is the number of chunks from which nearest uses the sign
// pre-scan (a variable for tests).
var prescanMin = 400_000

// prescanCands is how many chunks the pre-scan passes to the exact
// re-scoring for a corpus of n chunks and a question asking for k.
func prescanCands(n, k int) int {
	return min(n, max(4*k, n/prescanDiv))
}

// prescanDiv: the pre-scan keeps one chunk in prescanDiv (a variable for
// the benchmarks).
var prescanDiv = 200

// signCodes holds each chunk vector's sign bits: bit j of chunk d is set
// when its j-th int8 code is positive. Chunk d's bits are
// words[d*w : (d+1)*w].
type signCodes struct {
	w     int
	words []uint64
}

// newSignCodes derives the sign bits from the int8 codes, on every core.
func newSignCodes(qz *quantized) *signCodes {
	w := (qz.dim + 63) / 64
	sc := &signCodes{w: w, words: make([]uint64, qz.n*w)}
	blocks := (qz.n + qBlock - 1) / qBlock
	var wg sync.WaitGroup
	workers := runtime.GOMAXPROCS(0)
	for wk := range workers {
		wg.Go(func() {
			for b := wk; b < blocks; b += workers {
				first := b * qBlock
				cnt := min(qBlock, qz.n-first)
				base := b * qBlock * qz.dim
				out := sc.words[first*w : (first+cnt)*w]
				for j := range qz.dim {
					col := qz.codes[base+j*qBlock : base+j*qBlock+cnt]
					word, bit := j/64, uint64(1)<<(j%64)
					for i, c := range col {
						if c > 0 {
							out[i*w+word] |= bit
						}
					}
				}
			}
		})
	}
	wg.Wait()
	return sc
}

// sketchQuery is a question vector as the pre-scan weighs it: each non-zero
// dimension's weight |q_j| rounded to 3 bits (relative to the largest), as
// bit planes, and its sign. A chunk's score is the weight of the
// dimensions whose sign agrees with the question's, in units of 1/7 of the
// largest weight.
type sketchQuery struct {
	pos    []uint64    // bit j: q_j > 0
	planes [3][]uint64 // bit j of plane p: bit p of q_j's 3-bit weight
	max    int         // the largest possible score
}

func newSketchQuery(q []float32, w int) sketchQuery {
	sq := sketchQuery{pos: make([]uint64, w)}
	for p := range sq.planes {
		sq.planes[p] = make([]uint64, w)
	}
	var top float32
	for _, x := range q {
		top = max(top, abs32(x))
	}
	if top == 0 {
		return sq
	}
	for j, x := range q {
		l := int(math.Round(float64(abs32(x) / top * 7)))
		if l == 0 {
			continue
		}
		word, bit := j/64, uint64(1)<<(j%64)
		if x > 0 {
			sq.pos[word] |= bit
		}
		for p := range sq.planes {
			if l&(1<<p) != 0 {
				sq.planes[p][word] |= bit
			}
		}
		sq.max += l
	}
	return sq
}

// scorePool recycles the per-chunk score buffers of the pre-scan.
var scorePool sync.Pool

// candidates returns the m chunks of the best sketch scores for q, in chunk
// order (ties at the threshold broken by lower chunk doc).
func (sc *signCodes) candidates(q []float32, m int) []int32 {
	n := len(sc.words) / max(sc.w, 1)
	sq := newSketchQuery(q, sc.w)
	bufp, _ := scorePool.Get().(*[]uint16)
	if bufp == nil || cap(*bufp) < n {
		b := make([]uint16, n)
		bufp = &b
	}
	scores := (*bufp)[:n]
	hist := make([]int, sq.max+1)
	if sc.w == 4 {
		sc.score4(&sq, scores, hist)
	} else {
		sc.scoreAny(&sq, scores, hist)
	}
	// The threshold: the lowest score t such that at most m chunks score
	// above it; chunks scoring t fill the rest in doc order.
	t, above := sq.max, 0
	for t > 0 && above+hist[t] < m {
		above += hist[t]
		t--
	}
	room := m - above
	out := make([]int32, 0, m)
	for d, s := range scores {
		if int(s) > t {
			out = append(out, int32(d))
		} else if int(s) == t && room > 0 {
			out = append(out, int32(d))
			room--
		}
	}
	scorePool.Put(bufp)
	return out
}

// score4 is scoreAny for four words a chunk (dimension 193 to 256), unrolled.
func (sc *signCodes) score4(sq *sketchQuery, scores []uint16, hist []int) {
	p0, p1, p2, pos := sq.planes[0][:4], sq.planes[1][:4], sq.planes[2][:4], sq.pos[:4]
	words := sc.words[:len(scores)*4]
	for d := range scores {
		v := words[d*4 : d*4+4 : d*4+4]
		a0, a1, a2, a3 := ^(v[0] ^ pos[0]), ^(v[1] ^ pos[1]), ^(v[2] ^ pos[2]), ^(v[3] ^ pos[3])
		s := bits.OnesCount64(a0&p0[0]) + bits.OnesCount64(a1&p0[1]) + bits.OnesCount64(a2&p0[2]) + bits.OnesCount64(a3&p0[3]) +
			2*(bits.OnesCount64(a0&p1[0])+bits.OnesCount64(a1&p1[1])+bits.OnesCount64(a2&p1[2])+bits.OnesCount64(a3&p1[3])) +
			4*(bits.OnesCount64(a0&p2[0])+bits.OnesCount64(a1&p2[1])+bits.OnesCount64(a2&p2[2])+bits.OnesCount64(a3&p2[3]))
		scores[d] = uint16(s)
		hist[s]++
	}
}

// scoreAny scores every chunk's sign bits against sq into scores and
// counts the scores in hist.
func (sc *signCodes) scoreAny(sq *sketchQuery, scores []uint16, hist []int) {
	for d := range scores {
		v := sc.words[d*sc.w : (d+1)*sc.w]
		s := 0
		for i, x := range v {
			a := ^(x ^ sq.pos[i])
			s += bits.OnesCount64(a&sq.planes[0][i]) + 2*bits.OnesCount64(a&sq.planes[1][i]) + 4*bits.OnesCount64(a&sq.planes[2][i])
		}
		scores[d] = uint16(s)
		hist[s]++
	}
}

// nearestPrescan is nearest through the sign pre-scan: the best k of the
// candidates by exact similarity, best first, ties by chunk doc.
//
// also are chunks to re-score in any case (the question's best BM25 chunks:
// a chunk similar to the question mostly shares its words), in any order,
// possibly repeating candidates.
func (ix *index) nearestPrescan(q []float32, k int, also []int32) []vecHit {
	if k <= 0 {
		return nil
	}
	cands := ix.qvecs.signs.candidates(q, prescanCands(len(ix.vecs), k))
	if len(also) > 0 {
		cands = mergeDocs(cands, also)
	}
	// The k best similarities in a min-heap (the k-th best at the root,
	// rising): a candidate below it can no longer be among the best k.
	best := make([]float32, 0, k)
	tau := float32(math.Inf(-1))
	hits := make([]vecHit, 0, 2*k)
	for _, d := range cands {
		sim := embed.Dot(q, ix.vecs[d])
		switch {
		case len(best) < k:
			best = append(best, sim)
			siftUpF(best, len(best)-1)
			if len(best) == k {
				tau = best[0]
			}
		case sim > best[0]:
			best[0] = sim
			siftDownF(best, 0)
			tau = best[0]
		case sim < tau:
			continue
		}
		hits = append(hits, vecHit{doc: d, sim: sim})
	}
	hits = slices.DeleteFunc(hits, func(h vecHit) bool { return h.sim < tau })
	sortHits(hits)
	return hits[:min(k, len(hits))]
}

// mergeDocs returns the sorted docs (ascending, distinct) with extra's
// docs added, sorted and distinct.
func mergeDocs(docs, extra []int32) []int32 {
	x := slices.Clone(extra)
	slices.Sort(x)
	x = slices.Compact(x)
	out := make([]int32, 0, len(docs)+len(x))
	i, j := 0, 0
	for i < len(docs) || j < len(x) {
		switch {
		case j == len(x) || i < len(docs) && docs[i] < x[j]:
			out = append(out, docs[i])
			i++
		case i == len(docs) || x[j] < docs[i]:
			out = append(out, x[j])
			j++
		default:
			out = append(out, docs[i])
			i++
			j++
		}
	}
	return out
}

// prescanLexK is how many of the question's best BM25 chunks the sign
// pre-scan re-scores in any case (a variable for the benchmarks).
var prescanLexK = 3000

// lexicalHits returns the best k BM25 hits for terms and, when the index
// uses the sign pre-scan, the docs of the best max(k, prescanLexK) to
// re-score: the first k of those are the k hits, in the same order.
func (ix *index) lexicalHits(terms []lexical.QueryTerm, k int, keep func(int32) bool) ([]lexical.Hit, []int32) {
	if ix.qvecs == nil || ix.qvecs.signs == nil {
		return ix.lex.Search(terms, k, keep), nil
	}
	hits := ix.lex.Search(terms, max(k, prescanLexK), keep)
	docs := make([]int32, len(hits))
	for i, h := range hits {
		docs[i] = h.Doc
	}
	return hits[:min(k, len(hits))], docs
}

// wholeCoverage is the coverage of every article of an index, computed on
// first use: most questions search the whole archive, and counting its
// articles and dates again for each is a pass over every article (a
// millisecond at a million chunks).
type wholeCoverage struct {
	once sync.Once
	cov  retrieval.Coverage
}

// coverageAll is coverage(every article), cached.
func (ix *index) coverageAll() retrieval.Coverage {
	ix.whole.once.Do(func() {
		ix.whole.cov = ix.coverage(func(int32) bool { return true })
	})
	return ix.whole.cov
}
