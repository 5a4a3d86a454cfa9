package lexical

import (
	"encoding/binary"
	"errors"
	"math"
	"unsafe"
)

// ErrCorrupt reports an encoded index that does not decode.
var ErrCorrupt = errors.New("lexical: corrupt encoded index")

// AppendBinary appends the index's encoding to b: the lexicon, the postings
// and the document lengths, everything Search, Expand and IDF need.
func (ix *Index) AppendBinary(b []byte) []byte {
	b = binary.LittleEndian.AppendUint32(b, uint32(len(ix.words)))
	for _, w := range ix.words {
		b = binary.AppendUvarint(b, uint64(len(w)))
		b = append(b, w...)
	}
	for _, pl := range ix.postings {
		b = binary.AppendUvarint(b, uint64(len(pl)))
		prev := int32(0)
		for _, p := range pl {
			// Postings are sorted by doc: store the gaps.
			b = binary.AppendUvarint(b, uint64(p.doc-prev))
			prev = p.doc
			b = binary.LittleEndian.AppendUint32(b, math.Float32bits(p.tf))
		}
	}
	b = binary.LittleEndian.AppendUint32(b, uint32(len(ix.docLen)))
	for _, l := range ix.docLen {
		b = binary.LittleEndian.AppendUint32(b, math.Float32bits(l))
	}
	return binary.LittleEndian.AppendUint32(b, math.Float32bits(ix.avgLen))
}

// Decoder reads what AppendBinary wrote, checking every length and id.
type Decoder struct {
	B   []byte
	Err error
}

// Uvarint reads a varint.
func (d *Decoder) Uvarint() uint64 {
	if d.Err != nil {
		return 0
	}
	v, n := binary.Uvarint(d.B)
	if n <= 0 {
		d.Err = ErrCorrupt
		return 0
	}
	d.B = d.B[n:]
	return v
}

// Uint32 reads a little-endian uint32.
func (d *Decoder) Uint32() uint32 {
	if d.Err != nil || len(d.B) < 4 {
		d.Err = ErrCorrupt
		return 0
	}
	v := binary.LittleEndian.Uint32(d.B)
	d.B = d.B[4:]
	return v
}

// Bytes reads n bytes.
func (d *Decoder) Bytes(n uint64) []byte {
	if d.Err != nil || uint64(len(d.B)) < n {
		d.Err = ErrCorrupt
		return nil
	}
	v := d.B[:n:n]
	d.B = d.B[n:]
	return v
}

// Count reads a length of at most limit.
func (d *Decoder) Count(limit int) int {
	n := d.Uvarint()
	if n > uint64(limit) {
		d.Err = ErrCorrupt
		return 0
	}
	return int(n)
}

// DecodeIndex reads an index AppendBinary encoded from d.
func DecodeIndex(d *Decoder) (*Index, error) {
	nterms := int(d.Uint32())
	if d.Err != nil || nterms > len(d.B) {
		return nil, ErrCorrupt
	}
	ix := &Index{terms: make(map[string]int32, nterms), words: make([]string, nterms), postings: make([][]posting, nterms)}
	for i := range nterms {
		w := string(d.Bytes(uint64(d.Count(len(d.B)))))
		ix.words[i] = w
		ix.terms[w] = int32(i)
	}
	if d.Err != nil || len(ix.terms) != nterms {
		return nil, ErrCorrupt
	}
	// One backing array for every list: fewer objects for the GC to track.
	var all []posting
	lens := make([]int, nterms)
	start := *d
	total := 0
	for i := range nterms {
		n := d.Count(len(d.B) / 5)
		lens[i] = n
		total += n
		for range n {
			d.Uvarint()
			d.Uint32()
		}
	}
	if d.Err != nil {
		return nil, ErrCorrupt
	}
	ndocs := int(d.Uint32())
	if d.Err != nil || ndocs > len(d.B)/4 {
		return nil, ErrCorrupt
	}
	ix.docLen = make([]float32, ndocs)
	for i := range ix.docLen {
		ix.docLen[i] = math.Float32frombits(d.Uint32())
	}
	ix.avgLen = math.Float32frombits(d.Uint32())
	if d.Err != nil {
		return nil, ErrCorrupt
	}
	rest := d.B
	*d = start
	all = make([]posting, total)
	for i := range nterms {
		d.Uvarint()
		pl := all[:lens[i]:lens[i]]
		all = all[lens[i]:]
		doc := int64(0)
		for j := range pl {
			doc += int64(d.Uvarint())
			if doc >= int64(ndocs) {
				return nil, ErrCorrupt
			}
			pl[j] = posting{doc: int32(doc), tf: math.Float32frombits(d.Uint32())}
		}
		if len(pl) > 0 {
			ix.postings[i] = pl
		}
	}
	if d.Err != nil {
		return nil, ErrCorrupt
	}
	d.B = rest
	ix.byPrefix = prefixes(ix.words)
	return ix, nil
}

// NumTerms returns the size of the lexicon.
func (ix *Index) NumTerms() int { return len(ix.words) }

func prefixes(words []string) map[string][]int32 {
	m := map[string][]int32{}
	for id, w := range words {
		if len(w) >= 5 {
			p := w[:2]
			m[p] = append(m[p], int32(id))
		}
	}
	return m
}

// PostingSize is the size of one posting in the flat layout (FlatPostings,
// FromFlat): the doc id (int32) and the term frequency (float32), in the
// machine's byte order.
const PostingSize = 8

// FlatPostings returns term id's postings in the flat layout, sharing the
// index's memory (callers must not modify it).
func (ix *Index) FlatPostings(id int32) []byte {
	pl := ix.postings[id]
	if len(pl) == 0 {
		return nil
	}
	return unsafe.Slice((*byte)(unsafe.Pointer(&pl[0])), len(pl)*PostingSize)
}

// DocLens returns every doc's length in terms (shared, not to be modified).
func (ix *Index) DocLens() []float32 { return ix.docLen }

// AvgLen returns the mean doc length.
func (ix *Index) AvgLen() float32 { return ix.avgLen }

// FromFlat returns an index over parts held elsewhere (a mapped file),
// without copying them: the lexicon words (distinct), counts[i] postings of
// term i stored one after another in flat (PostingSize bytes each, aligned
// to 4 bytes), the doc lengths and their mean. It checks the sizes; a
// posting's doc id is checked where it is used (Search skips one outside
// the index), so that damaged postings cannot make it panic.
func FromFlat(words []string, counts []int, flat []byte, docLen []float32, avgLen float32) (*Index, error) {
	if len(words) != len(counts) {
		return nil, ErrCorrupt
	}
	total := 0
	for _, c := range counts {
		if c < 0 || c > len(flat) {
			return nil, ErrCorrupt
		}
		total += c
	}
	if total*PostingSize != len(flat) || (len(flat) > 0 && uintptr(unsafe.Pointer(&flat[0]))%4 != 0) {
		return nil, ErrCorrupt
	}
	var all []posting
	if total > 0 {
		all = unsafe.Slice((*posting)(unsafe.Pointer(&flat[0])), total)
	}
	ix := &Index{terms: make(map[string]int32, len(words)), words: words, postings: make([][]posting, len(words)), docLen: docLen, avgLen: avgLen}
	for i, w := range words {
		ix.terms[w] = int32(i)
		if c := counts[i]; c > 0 {
			ix.postings[i] = all[:c:c]
			all = all[c:]
		}
	}
	if len(ix.terms) != len(words) {
		return nil, ErrCorrupt
	}
	ix.byPrefix = prefixes(words)
	return ix, nil
}
