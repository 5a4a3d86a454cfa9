package lexical

import (
	"encoding/binary"
	"math"
	"unsafe"
)

// Builder builds an Index from documents given as term ids. Intern assigns
// the ids, so that callers can keep token streams (sentences) that refer
// to the same lexicon.
//
// While building, a term's postings are held compactly (the gap to the
// previous doc and the term frequency, as varints: 2 to 3 bytes a posting
// rather than 8 and the slack of a growing []posting), so that an ingest
// of a million chunks holds ~150 MB of postings, not ~500 MB. They are
// expanded once: by Index, or written out one term at a time by
// AppendFlat (the engine's index file), without an Index at all.
type Builder struct {
	terms  map[string]int32
	words  []string
	post   [][]byte // term id -> its postings, varint gaps and frequencies
	npost  []int32  // term id -> its number of postings
	last   []int32  // term id -> the last doc it was added to, plus one
	docLen []float32
	total  float64
	// Add's scratch: frequency by term id, and the terms it touched.
	tf      []int32
	touched []int32
}

// NewBuilder returns an empty builder.
func NewBuilder() *Builder {
	return &Builder{terms: map[string]int32{}}
}

// Intern returns the id of a stemmed term, adding it to the lexicon.
func (b *Builder) Intern(term string) int32 {
	id, ok := b.terms[term]
	if !ok {
		id = int32(len(b.words))
		b.terms[term] = id
		b.words = append(b.words, term)
		b.post = append(b.post, nil)
		b.npost = append(b.npost, 0)
		b.last = append(b.last, 0)
		b.tf = append(b.tf, 0)
	}
	return id
}

// Add indexes the next document (ids 0, 1, ... in call order) given its
// term ids, repeated as often as they occur.
func (b *Builder) Add(termIDs []int32) {
	doc := int32(len(b.docLen))
	b.touched = b.touched[:0]
	for _, id := range termIDs {
		if b.tf[id] == 0 {
			b.touched = append(b.touched, id)
		}
		b.tf[id]++
	}
	// Postings are appended doc by doc, so each list is sorted by doc id.
	for _, id := range b.touched {
		b.post[id] = binary.AppendUvarint(b.post[id], uint64(doc+1-b.last[id]))
		b.post[id] = binary.AppendUvarint(b.post[id], uint64(b.tf[id]))
		b.last[id] = doc + 1
		b.npost[id]++
		b.tf[id] = 0
	}
	b.docLen = append(b.docLen, float32(len(termIDs)))
	b.total += float64(len(termIDs))
}

// NumTerms returns the size of the lexicon so far.
func (b *Builder) NumTerms() int { return len(b.words) }

// Term returns the stemmed term of an id.
func (b *Builder) Term(id int32) string { return b.words[id] }

// Count returns the number of postings of term id.
func (b *Builder) Count(id int32) int { return int(b.npost[id]) }

// DocLens returns every doc's length in terms (shared, not to be modified).
func (b *Builder) DocLens() []float32 { return b.docLen }

// AvgLen returns the mean doc length, as the Index has it.
func (b *Builder) AvgLen() float32 {
	if len(b.docLen) == 0 {
		return 0
	}
	return float32(b.total / float64(len(b.docLen)))
}

// AppendFlat appends term id's postings to dst in the flat layout
// (FlatPostings, little-endian: the flat layout's byte order on the
// machines that use it).
func (b *Builder) AppendFlat(dst []byte, id int32) []byte {
	b.eachPosting(id, func(p posting) {
		dst = binary.LittleEndian.AppendUint32(dst, uint32(p.doc))
		dst = binary.LittleEndian.AppendUint32(dst, math.Float32bits(p.tf))
	})
	return dst
}

func (b *Builder) eachPosting(id int32, fn func(posting)) {
	enc := b.post[id]
	doc := int64(-1)
	for len(enc) > 0 {
		gap, n := binary.Uvarint(enc)
		tf, m := binary.Uvarint(enc[n:])
		enc = enc[n+m:]
		doc += int64(gap)
		fn(posting{doc: int32(doc), tf: float32(tf)})
	}
}

// Index finishes the index: every term's postings expanded into one array.
// The builder must not be used afterwards.
func (b *Builder) Index() *Index {
	total := 0
	for _, n := range b.npost {
		total += int(n)
	}
	all := make([]posting, 0, total)
	ix := &Index{terms: b.terms, words: b.words, postings: make([][]posting, len(b.words)), docLen: b.docLen, avgLen: b.AvgLen()}
	for id := range b.words {
		start := len(all)
		b.eachPosting(int32(id), func(p posting) { all = append(all, p) })
		if len(all) > start {
			ix.postings[id] = all[start:len(all):len(all)]
		}
		b.post[id] = nil
	}
	ix.byPrefix = prefixes(ix.words)
	*b = Builder{}
	return ix
}

var _ [0]struct{} = [unsafe.Sizeof(posting{}) - PostingSize]struct{}{}
