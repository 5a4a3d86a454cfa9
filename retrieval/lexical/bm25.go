// Package lexical is briefbot's BM25 index over chunks: English stemming
// and stop words (see package text), built in memory from the stored chunks
// so that the snapshot stays the single source of truth.
package lexical

import (
	"math"
	"slices"
	"strings"
	"sync"
)

// BM25 parameters.
var (
	K1 float32 = 1.2
	B  float32 = 0.75
)

type posting struct {
	doc int32
	tf  float32
}

// Index is an immutable BM25 index. Search is safe for concurrent use.
type Index struct {
	terms    map[string]int32
	words    []string // term id -> term
	postings [][]posting
	docLen   []float32
	avgLen   float32
	// byPrefix groups term ids by their first two bytes, for fuzzy expansion.
	byPrefix map[string][]int32
	// free holds Search's recycled scratch memory (a sync.Pool would drop
	// it at every collection: at a million chunks, 8 MB to allocate again).
	freeMu sync.Mutex
	free   []*scratch
	// idfs caches IDFOf by term id (quote selection asks for every token).
	idfOnce sync.Once
	idfs    []float64
}

// IDFOf returns the idf of a term id.
func (ix *Index) IDFOf(id int32) float64 {
	ix.idfOnce.Do(func() {
		ix.idfs = make([]float64, len(ix.postings))
		for i, p := range ix.postings {
			ix.idfs[i] = ix.idf(max(len(p), 1))
		}
	})
	return ix.idfs[id]
}

// ID returns the id of a stemmed term.
func (ix *Index) ID(term string) (int32, bool) {
	id, ok := ix.terms[term]
	return id, ok
}

// Term returns the stemmed term of an id.
func (ix *Index) Term(id int32) string { return ix.words[id] }

// Len returns the number of indexed docs.
func (ix *Index) Len() int { return len(ix.docLen) }

// IDF returns the BM25 idf of a stemmed term (the idf of a term seen once
// for an unknown term, so that words the corpus lacks still weigh).
func (ix *Index) IDF(term string) float64 {
	df := 0
	if id, ok := ix.terms[term]; ok {
		df = len(ix.postings[id])
	}
	return ix.idf(max(df, 1))
}

func (ix *Index) idf(df int) float64 {
	n := float64(len(ix.docLen))
	return math.Log(1 + (n-float64(df)+0.5)/(float64(df)+0.5))
}

// Known reports whether the index holds a stemmed term.
func (ix *Index) Known(term string) bool {
	_, ok := ix.terms[term]
	return ok
}

// QueryTerm is a stemmed term with a weight (1 for a term of the question,
// less for a fuzzy variant).
type QueryTerm struct {
	Term   string
	Weight float64
	// Of is the question term this one expands (itself for an original term).
	Of string
	// Related marks a word related in meaning (a synonym), not a spelling
	// of Of: it may say something else.
	Related bool
}

// Expand returns the question's terms plus close spellings found in the
// index (Zelenskyy -> zelenski, zelenskiy), weighted down. Only stems of
// six letters or more are expanded (shorter ones have too many unrelated
// neighbours: price/prime), within edit distance 1 (2 when either word has
// nine letters or more), sharing their first two letters.
func (ix *Index) Expand(terms []string) []QueryTerm {
	seen := map[string]bool{}
	var out []QueryTerm
	for _, t := range terms {
		if seen[t] {
			continue
		}
		seen[t] = true
		out = append(out, QueryTerm{Term: t, Weight: 1, Of: t})
	}
	n := len(out)
	for i := 0; i < n; i++ {
		t := out[i].Term
		if len(t) < 6 || isDigits(t) {
			continue
		}
		for _, id := range ix.byPrefix[t[:2]] {
			w := ix.words[id]
			if seen[w] || isDigits(w) {
				continue
			}
			// Edit distance is symmetric, so is the allowance: zelenski
			// (Zelensky) must reach zelenskyy as zelenskyy reaches zelenski.
			maxDist := 1
			if max(len(t), len(w)) >= 9 {
				maxDist = 2
			}
			if abs(len(w)-len(t)) <= maxDist {
				if d := editDistance(t, w, maxDist); d <= maxDist {
					seen[w] = true
					out = append(out, QueryTerm{Term: w, Weight: 0.8 - 0.2*float64(d-1), Of: t})
					continue
				}
			}
		}
	}
	return out
}

// Correct returns the indexed term closest in spelling to term, a term the
// index lacks (missl -> missil, talsk -> talk): within edit distance 1 for
// terms of four to seven letters, 2 from eight, sharing the first letter;
// among equally close ones the most frequent. ok is false when none is
// close enough or term is too short to guess.
func (ix *Index) Correct(term string) (string, bool) {
	if len(term) < 4 || isDigits(term) {
		return "", false
	}
	maxDist := 1
	if len(term) >= 8 {
		maxDist = 2
	}
	best, bestD, bestDF := int32(-1), maxDist+1, 0
	for p, ids := range ix.byPrefix {
		if p[0] != term[0] {
			continue
		}
		for _, id := range ids {
			w := ix.words[id]
			if abs(len(w)-len(term)) > maxDist || isDigits(w) {
				continue
			}
			d := editDistance(term, w, maxDist)
			if d > maxDist {
				continue
			}
			df := len(ix.postings[id])
			if d < bestD || (d == bestD && (df > bestDF || (df == bestDF && w < ix.words[best]))) {
				best, bestD, bestDF = id, d, df
			}
		}
	}
	if best < 0 {
		return "", false
	}
	return ix.words[best], true
}

// Near reports whether a and b are within edit distance d.
func Near(a, b string, d int) bool { return abs(len(a)-len(b)) <= d && editDistance(a, b, d) <= d }

func isDigits(s string) bool {
	return strings.IndexFunc(s, func(r rune) bool { return r < '0' || r > '9' }) < 0
}

func abs(x int) int {
	if x < 0 {
		return -x
	}
	return x
}

// editDistance is the Damerau-Levenshtein (optimal string alignment)
// distance of a and b, or maxDist+1 once it is known to exceed maxDist.
func editDistance(a, b string, maxDist int) int {
	la, lb := len(a), len(b)
	// Three rows, on the stack for words of up to 47 bytes (Expand calls
	// this for every indexed word sharing a question word's prefix).
	var buf [3 * 48]int
	rows := buf[:]
	if lb+1 > 48 {
		rows = make([]int, 3*(lb+1))
	}
	prev2, prev, cur := rows[:lb+1], rows[lb+1:2*(lb+1)], rows[2*(lb+1):3*(lb+1)]
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= la; i++ {
		cur[0] = i
		rowMin := cur[0]
		for j := 1; j <= lb; j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			v := min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
			if i > 1 && j > 1 && a[i-1] == b[j-2] && a[i-2] == b[j-1] {
				v = min(v, prev2[j-2]+1)
			}
			cur[j] = v
			rowMin = min(rowMin, v)
		}
		if rowMin > maxDist {
			return maxDist + 1
		}
		prev2, prev, cur = prev, cur, prev2
	}
	return prev[lb]
}

// Hit is a scored doc.
type Hit struct {
	Doc   int32
	Score float64
}

// scratch is Search's per-call memory, recycled: per doc its accumulator
// (all zero between calls) next to its BM25 length norm, so that a posting
// costs one random access, not two (at a million chunks, a question's
// common words touch hundreds of thousands of docs); and the docs touched.
type scratch struct {
	docs    []docAcc
	k1, b   float32 // the parameters the norms were computed with
	ready   bool    // the norms are computed
	touched []int32
	hits    []Hit
}

// maxFree bounds the scratch memory an index keeps between searches (one
// per concurrent search, up to this many).
const maxFree = 8

type docAcc struct {
	acc, norm float32
}

// scratch returns a recycled scratch, its norms computed for K1 and B.
func (ix *Index) scratch() *scratch {
	var sc *scratch
	ix.freeMu.Lock()
	if n := len(ix.free); n > 0 {
		sc, ix.free = ix.free[n-1], ix.free[:n-1]
	}
	ix.freeMu.Unlock()
	if sc == nil || len(sc.docs) != len(ix.docLen) {
		sc = &scratch{docs: make([]docAcc, len(ix.docLen))}
	}
	if !sc.ready || sc.k1 != K1 || sc.b != B {
		for d, l := range ix.docLen {
			sc.docs[d].norm = K1 * (1 - B + B*l/ix.avgLen)
		}
		sc.k1, sc.b, sc.ready = K1, B, true
	}
	return sc
}

// Search scores every doc that holds a query term and returns the best k
// docs that pass keep (nil keeps all), best first.
func (ix *Index) Search(q []QueryTerm, k int, keep func(doc int32) bool) []Hit {
	sc := ix.scratch()
	docs := sc.docs
	// Every doc touched is listed once, on its first posting; the list has
	// room for every doc, so that the append needs no branch (a doc's
	// second posting overwrites the slot after the last).
	touched := sc.touched
	if len(touched) != len(docs)+1 {
		touched = make([]int32, len(docs)+1)
	}
	nt := 0
	k1p1 := K1 + 1 // a global, read again each posting otherwise
	for _, qt := range q {
		id, ok := ix.terms[qt.Term]
		if !ok {
			continue
		}
		pl := ix.postings[id]
		w := float32(ix.idf(len(pl)) * qt.Weight)
		for _, p := range pl {
			// An index over a mapped file trusts its postings no further
			// than this (see FromFlat).
			if uint32(p.doc) >= uint32(len(docs)) {
				continue
			}
			da := &docs[p.doc]
			s := w * p.tf * k1p1 / (p.tf + da.norm)
			touched[nt] = p.doc
			if da.acc == 0 {
				nt++
			}
			da.acc += s
		}
	}
	// Keep the best k, rather than sorting every doc that holds a common
	// word (hundreds of thousands at a million chunks, for a few thousand
	// kept): candidates gather in a buffer of 2k; when it is full, the
	// best k are selected in it and the k-th best becomes the bar a doc
	// must beat to be added.
	k = min(k, nt) // no more hits than docs touched (nor a buffer for more)
	var hits []Hit
	if k > 0 {
		hits = sc.hits[:0]
		if cap(hits) < 2*k {
			hits = make([]Hit, 0, 2*k)
		}
	}
	var bar Hit
	full := false
	for _, d := range touched[:nt] {
		s := docs[d].acc
		docs[d].acc = 0
		if k <= 0 || keep != nil && !keep(d) {
			continue
		}
		h := Hit{Doc: d, Score: float64(s)}
		if full && !better(h, bar) {
			continue
		}
		hits = append(hits, h)
		if len(hits) == 2*k {
			selectBest(hits, k)
			hits = hits[:k]
			bar, full = hits[k-1], true
		}
	}
	if len(hits) > k {
		selectBest(hits, k)
		hits = hits[:k]
	}
	out := slices.Clone(hits)
	slices.SortFunc(out, func(a, b Hit) int {
		if better(a, b) {
			return -1
		}
		return 1 // docs are distinct: never equal
	})
	sc.touched, sc.hits = touched, hits
	ix.freeMu.Lock()
	if len(ix.free) < maxFree {
		ix.free = append(ix.free, sc)
	}
	ix.freeMu.Unlock()
	if out == nil {
		out = []Hit{}
	}
	return out
}

// better orders hits best first: by score, then by lower doc.
func better(a, b Hit) bool { return a.Score > b.Score || a.Score == b.Score && a.Doc < b.Doc }

// selectBest reorders h so that its k best hits (0 < k <= len(h)) come
// first, the k-th best at h[k-1] (a quickselect, median-of-three pivots).
func selectBest(h []Hit, k int) {
	lo, hi := 0, len(h)-1
	for lo < hi {
		mid := lo + (hi-lo)/2
		if better(h[mid], h[lo]) {
			h[mid], h[lo] = h[lo], h[mid]
		}
		if better(h[hi], h[lo]) {
			h[hi], h[lo] = h[lo], h[hi]
		}
		if better(h[hi], h[mid]) {
			h[hi], h[mid] = h[mid], h[hi]
		}
		// h[lo] >= h[mid] >= h[hi]: the median is the pivot, at hi.
		h[mid], h[hi] = h[hi], h[mid]
		p := h[hi]
		i := lo
		for j := lo; j < hi; j++ {
			if better(h[j], p) {
				h[i], h[j] = h[j], h[i]
				i++
			}
		}
		h[i], h[hi] = h[hi], h[i]
		switch {
		case i == k-1:
			return
		case i > k-1:
			hi = i - 1
		default:
			lo = i + 1
		}
	}
}
