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
// 256, counted 64 chunks at a time along the question's non-zero
// dimensions only: see signCodes), keeps the best prescanCands(n) and the
// question's best prescanLexK BM25 chunks (a chunk similar to the question
// mostly shares its words: the sketch alone is a weak ranking), and
// re-scores those exactly (embed.Dot on the float vector, the very product
// the exhaustive scan computes, two at a time with embed.Dot2). The result is the exhaustive scan's top k
// whenever its top k are among the kept candidates; it is approximate, not
// exact, which is why it engages only where the exact scan is too slow, so
// that smaller stores (the news corpus, the fitted models) answer exactly
// as before.

// prescanMin is the number of chunks from which nearest uses the sign
// pre-scan (a variable for tests).
var prescanMin = 400_000

// sketchMaxDim is the largest dimension the sign sketch handles (its
// adders count up to 8191 agreeing inputs, its scores up to 15 bits);
// nearest scans a wider embedding exactly.
const sketchMaxDim = 4096

// prescanCands is how many chunks the pre-scan passes to the exact
// re-scoring for a corpus of n chunks and a question asking for k.
func prescanCands(n, k int) int {
	return min(n, max(4*k, n/prescanDiv))
}

// prescanDiv: the pre-scan keeps one chunk in prescanDiv (a variable for
// the benchmarks).
var prescanDiv = 200

// signCodes holds each chunk vector's sign bits, dimension by dimension
// (a bitmap of the chunks per dimension): bit d%64 of
// bits[j*stride+d/64] is set when chunk d's j-th int8 code is positive. A
// question reads only the bitmaps of its non-zero dimensions (~60 of 256
// for a hash embedding: a quarter of the sketch), and counts every chunk's
// agreeing weight 64 chunks at a time with bitwise adders (see score).
// Row dim (the last) is all zeros, the padding of the adders' inputs.
type signCodes struct {
	n, dim int
	stride int // words a dimension: (n+63)/64
	bits   []uint64
}

// newSignCodes derives the sign bits from the int8 codes, on every core.
func newSignCodes(qz *quantized) *signCodes {
	stride := (qz.n + 63) / 64
	sc := &signCodes{n: qz.n, dim: qz.dim, stride: stride, bits: make([]uint64, (qz.dim+1)*stride)}
	blocks := (qz.n + qBlock - 1) / qBlock
	var wg sync.WaitGroup
	workers := runtime.GOMAXPROCS(0)
	for wk := range workers {
		wg.Go(func() {
			// qBlock is a multiple of 64: a block's words are its own.
			for b := wk; b < blocks; b += workers {
				first := b * qBlock
				cnt := min(qBlock, qz.n-first)
				base := b * qBlock * qz.dim
				for j := range qz.dim {
					col := qz.codes[base+j*qBlock : base+j*qBlock+cnt]
					out := sc.bits[j*stride+first/64 : j*stride+(first+cnt+63)/64]
					for i, c := range col {
						if c > 0 {
							out[i/64] |= 1 << (i % 64)
						}
					}
				}
			}
		})
	}
	wg.Wait()
	return sc
}

// sketchIn is one input of the pre-scan's adders: a dimension's bitmap
// (its offset in signCodes.bits) and the mask that turns its sign bits
// into agreement with the question's sign (all ones when q_j < 0).
type sketchIn struct {
	off int
	neg uint64
}

// sketchQuery is a question vector as the pre-scan weighs it: each non-zero
// dimension's weight |q_j| rounded to 3 bits (relative to the largest). A
// chunk's score is the weight of the dimensions whose sign agrees with the
// question's, in units of 1/7 of the largest weight: the sum over the bit
// planes p of 2^p times the number of agreeing dimensions whose weight has
// bit p. planes[p] are those dimensions, padded with the zero row to a
// multiple of 8.
type sketchQuery struct {
	planes [3][]sketchIn
	max    int // the largest possible score
}

func newSketchQuery(q []float32, sc *signCodes) sketchQuery {
	var sq sketchQuery
	var top float32
	for _, x := range q {
		top = max(top, abs32(x))
	}
	if top > 0 {
		for j, x := range q {
			l := int(math.Round(float64(abs32(x) / top * 7)))
			if l == 0 {
				continue
			}
			in := sketchIn{off: j * sc.stride}
			if x < 0 {
				in.neg = ^uint64(0)
			}
			for p := range sq.planes {
				if l&(1<<p) != 0 {
					sq.planes[p] = append(sq.planes[p], in)
				}
			}
			sq.max += l
		}
	}
	for p := range sq.planes {
		for len(sq.planes[p])%8 != 0 {
			sq.planes[p] = append(sq.planes[p], sketchIn{off: sc.dim * sc.stride})
		}
	}
	return sq
}

// scorePool recycles the pre-scan's scores (bit-sliced, see score).
var scorePool sync.Pool

// scoreLevels is the number of bits of a score: at most 7 a dimension,
// 256 dimensions and more for a wider embedding.
func scoreLevels(top int) int { return max(bits.Len(uint(top)), 1) }

// candidates returns the m chunks of the best sketch scores for q, in chunk
// order (ties at the threshold broken by lower chunk doc).
func (sc *signCodes) candidates(q []float32, m int) []int32 {
	if m <= 0 || sc.n == 0 {
		return []int32{}
	}
	if m >= sc.n {
		out := make([]int32, sc.n)
		for d := range out {
			out[d] = int32(d)
		}
		return out
	}
	sq := newSketchQuery(q, sc)
	levels := scoreLevels(sq.max)
	bufp, _ := scorePool.Get().(*[]uint64)
	if bufp == nil || cap(*bufp) < (levels+1)*sc.stride {
		b := make([]uint64, (levels+1)*sc.stride)
		bufp = &b
	}
	buf := (*bufp)[:(levels+1)*sc.stride]
	scores, eq := buf[:levels*sc.stride], buf[levels*sc.stride:]
	sc.score(&sq, scores, levels)
	t, room := sc.threshold(scores, eq, levels, m)
	out := make([]int32, 0, m)
	for w := range sc.stride {
		// The chunks scoring above t, and those scoring t (in eq) while
		// room lasts, lowest doc first.
		var above uint64
		sel := ^uint64(0)
		if w == sc.stride-1 {
			sel = sc.lastMask()
		}
		for i := levels - 1; i >= 0; i-- {
			s := scores[i*sc.stride+w]
			if t&(1<<i) != 0 {
				sel &= s
			} else {
				above |= sel & s
				sel &^= s
			}
		}
		for same := eq[w]; same != 0 && room > 0; room-- {
			b := same & -same
			above |= b
			same &^= b
		}
		out = appendBits(out, w, above)
	}
	scorePool.Put(bufp)
	return out
}

// appendBits appends the chunks of word w whose bits are set in x.
func appendBits(out []int32, w int, x uint64) []int32 {
	for x != 0 {
		out = append(out, int32(w*64+bits.TrailingZeros64(x)))
		x &= x - 1
	}
	return out
}

// lastMask is the mask of the chunks in the last word of a bitmap.
func (sc *signCodes) lastMask() uint64 {
	if r := sc.n % 64; r != 0 {
		return 1<<r - 1
	}
	return ^uint64(0)
}

// csa is a carry-save adder of three words of bits: lane by lane, the
// carry (high) and sum (low) bits of a+b+c.
func csa(a, b, c uint64) (hi, lo uint64) {
	u := a ^ b
	return a&b | u&c, u ^ c
}

// scoreBlock is the number of words (of 64 chunks each) the pre-scan's
// adders work through at a time: each input bitmap is read 1 KiB at a
// time, in order, rather than one word of each of ~90 bitmaps in turn.
const scoreBlock = 128

// planeState is the bit-sliced count of one bit plane's agreeing inputs
// over a block: for word w of the block, bit i of the count of lane l is
// bit l of lv[i][w].
type planeState struct {
	lv [13][scoreBlock]uint64 // counts up to 8191: sketchMaxDim inputs
}

// add counts the inputs into st over the block's words [from, from+n)
// (Harley-Seal: eight inputs through seven carry-save adders, the eights
// carried into the higher levels).
func (st *planeState) add(b []uint64, in []sketchIn, from, n int) {
	for i := range st.lv {
		clear(st.lv[i][:n])
	}
	for i := 0; i+8 <= len(in); i += 8 {
		g := in[i : i+8 : i+8]
		r0, r1 := b[g[0].off+from:][:n], b[g[1].off+from:][:n]
		r2, r3 := b[g[2].off+from:][:n], b[g[3].off+from:][:n]
		r4, r5 := b[g[4].off+from:][:n], b[g[5].off+from:][:n]
		r6, r7 := b[g[6].off+from:][:n], b[g[7].off+from:][:n]
		n0, n1, n2, n3 := g[0].neg, g[1].neg, g[2].neg, g[3].neg
		n4, n5, n6, n7 := g[4].neg, g[5].neg, g[6].neg, g[7].neg
		ones, twos, fours := st.lv[0][:n], st.lv[1][:n], st.lv[2][:n]
		for w := range n {
			twosA, o := csa(ones[w], r0[w]^n0, r1[w]^n1)
			twosB, o := csa(o, r2[w]^n2, r3[w]^n3)
			foursA, t := csa(twos[w], twosA, twosB)
			twosA, o = csa(o, r4[w]^n4, r5[w]^n5)
			twosB, ones[w] = csa(o, r6[w]^n6, r7[w]^n7)
			foursB, t := csa(t, twosA, twosB)
			twos[w] = t
			eights, f := csa(fours[w], foursA, foursB)
			fours[w] = f
			for k := 3; eights != 0 && k < len(st.lv); k++ {
				c := st.lv[k][w] & eights
				st.lv[k][w] ^= eights
				eights = c
			}
		}
	}
}

// score writes every chunk's score, bit-sliced: bit l of
// scores[i*stride+w] is bit i of chunk w*64+l's score.
func (sc *signCodes) score(sq *sketchQuery, scores []uint64, levels int) {
	var c [3]planeState
	var lens [3]int // the levels of each plane's count
	for p, in := range sq.planes {
		lens[p] = min(bits.Len(uint(len(in))), len(c[p].lv))
	}
	for from := 0; from < sc.stride; from += scoreBlock {
		n := min(scoreBlock, sc.stride-from)
		for p := range sq.planes {
			c[p].add(sc.bits, sq.planes[p], from, n)
		}
		for w := range n {
			// c[0] + 2 c[1] + 4 c[2], a ripple-carry adder lane by lane,
			// over the levels a score can have (a plane's count has at
			// most those of its number of inputs).
			var s [16]uint64 // scores up to 7 * sketchMaxDim
			for i := range min(lens[0], levels) {
				s[i] = c[0].lv[i][w]
			}
			for p := 1; p < 3; p++ {
				var carry uint64
				i := p
				for ; i < min(p+lens[p], levels); i++ {
					x, a := c[p].lv[i-p][w], s[i]
					s[i] = a ^ x ^ carry
					carry = a&x | carry&(a^x)
				}
				for ; carry != 0 && i < levels; i++ {
					a := s[i]
					s[i] = a ^ carry
					carry &= a
				}
			}
			for i := range levels {
				scores[i*sc.stride+from+w] = s[i]
			}
		}
	}
}

// threshold returns the m-th best score t (0 < m < n) and how many chunks
// scoring exactly t are among the best m (room; the others score above t),
// and leaves in eq the chunks that score t. It reads the scores one bit
// level at a time, from the top (a radix select).
func (sc *signCodes) threshold(scores, eq []uint64, levels, m int) (t, room int) {
	for w := range eq {
		eq[w] = ^uint64(0)
	}
	eq[len(eq)-1] = sc.lastMask()
	room = m
	for i := levels - 1; i >= 0; i-- {
		s := scores[i*sc.stride : (i+1)*sc.stride]
		s = s[:len(eq)]
		c := 0
		for w, x := range eq {
			c += bits.OnesCount64(x & s[w])
		}
		if c >= room {
			t |= 1 << i
			for w := range eq {
				eq[w] &= s[w]
			}
		} else {
			room -= c
			for w := range eq {
				eq[w] &^= s[w]
			}
		}
	}
	return t, room
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
	add := func(d int32, sim float32) {
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
			return
		}
		hits = append(hits, vecHit{doc: d, sim: sim})
	}
	dim := len(q)
	vec := func(d int32) []float32 { return ix.vecs[d] }
	if flat := ix.flatVecs; len(flat) == len(ix.vecs)*dim {
		vec = func(d int32) []float32 { return flat[int(d)*dim : int(d+1)*dim] }
	}
	// Two candidates at a time: their vectors' cache misses overlap.
	i := 0
	for ; i+2 <= len(cands); i += 2 {
		a, b := embed.Dot2(q, vec(cands[i]), vec(cands[i+1]))
		add(cands[i], a)
		add(cands[i+1], b)
	}
	for ; i < len(cands); i++ {
		add(cands[i], embed.Dot(q, vec(cands[i])))
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
