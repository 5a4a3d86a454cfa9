package engine

import (
	"bufio"
	"cmp"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"math"
	"os"
	"path/filepath"
	"slices"
	"unsafe"

	"github.com/briefbot/briefbot/retrieval"
	"github.com/briefbot/briefbot/retrieval/lexical"
	"github.com/briefbot/briefbot/retrieval/store"
)

// The derived index file (IndexName) is laid out to be mapped, not decoded:
//
//	magic, the snapshot's fingerprint, "\n", zero padding to 8 bytes
//	sections, each starting at a multiple of 8 (see the sec* constants)
//	the section table: numSections × (offset, length), uint64 each
//	numSections as uint32, then the CRC-32C of every byte before it
//
// The meta section is decoded at open (varints: the store's info, every
// article's metadata, sentence spans and chunk boundaries, every sentence's
// word count, flags and token count, the lexicon and its posting counts).
// The others are arrays used in place: article bodies, sentence tokens
// (tok records), chunk vectors (float32), their int8 copy and scales (see
// quantized), postings (lexical.PostingSize records) and doc lengths. Every
// integer is little-endian; a machine of the other byte order rebuilds the
// index instead.
const (
	secMeta = iota
	secBodies
	secToks
	secVecs
	secCodes
	secScales
	secPostings
	secDocLen
	numSections
)

// tokSize is the size of a tok record: id int32, flags uint8, 3 bytes of
// padding, as a tok is laid out in memory.
const tokSize = 8

var _ [0]struct{} = [unsafe.Sizeof(tok{}) - tokSize + unsafe.Offsetof(tok{}.flags) - 4]struct{}{}

var littleEndian = binary.NativeEndian.Uint16([]byte{1, 0}) == 1

// secWriter writes the file, counting bytes and summing them.
type secWriter struct {
	w   *bufio.Writer
	off int64
	crc uint32
	err error
}

func (s *secWriter) write(p []byte) {
	if s.err != nil || len(p) == 0 {
		return
	}
	s.crc = crc32.Update(s.crc, castagnoli, p)
	_, s.err = s.w.Write(p)
	s.off += int64(len(p))
}

func (s *secWriter) pad() {
	var zero [8]byte
	s.write(zero[:(8-s.off%8)%8])
}

// bytesOf views a slice of fixed-size values as its bytes.
func bytesOf[T any](xs []T) []byte {
	if len(xs) == 0 {
		return nil
	}
	return unsafe.Slice((*byte)(unsafe.Pointer(&xs[0])), len(xs)*int(unsafe.Sizeof(xs[0])))
}

// sliceOf views b (aligned for T) as a slice of T.
func sliceOf[T any](b []byte) []T {
	var zero T
	n := len(b) / int(unsafe.Sizeof(zero))
	if n == 0 {
		return nil
	}
	return unsafe.Slice((*T)(unsafe.Pointer(&b[0])), n)
}

func appendString(b []byte, s string) []byte {
	b = binary.AppendUvarint(b, uint64(len(s)))
	return append(b, s...)
}

// fileWriter writes the derived index file: the header, then each section
// (in the order of the sec* constants) at a multiple of 8, then the table
// and the checksum.
type fileWriter struct {
	sw    *secWriter
	table [numSections][2]uint64
}

func newFileWriter(out io.Writer, fingerprint string) (*fileWriter, error) {
	if !littleEndian {
		return nil, errors.New("engine: the mapped index is little-endian only")
	}
	fw := &fileWriter{sw: &secWriter{w: bufio.NewWriterSize(out, 1<<20)}}
	fw.sw.write([]byte(indexMagic + fingerprint + "\n"))
	return fw, nil
}

func (fw *fileWriter) section(i int, write func(sw *secWriter)) {
	fw.sw.pad()
	start := fw.sw.off
	write(fw.sw)
	fw.table[i] = [2]uint64{uint64(start), uint64(fw.sw.off - start)}
	if sectionWritten != nil {
		sectionWritten(i)
	}
}

// sectionWritten, when set (tests), is called after each section of an
// index file is written.
var sectionWritten func(sec int)

// quantizeRun is how many vectors encodeIndexFromStore quantises at once
// (a multiple of qBlock; a variable so that tests can shrink it).
var quantizeRun = 16 * qBlock

func (fw *fileWriter) finish() error {
	sw := fw.sw
	sw.pad()
	var tail []byte
	for _, t := range fw.table {
		tail = binary.LittleEndian.AppendUint64(tail, t[0])
		tail = binary.LittleEndian.AppendUint64(tail, t[1])
	}
	tail = binary.LittleEndian.AppendUint32(tail, numSections)
	sw.write(tail)
	var crc [4]byte
	binary.LittleEndian.PutUint32(crc[:], sw.crc)
	if sw.err == nil {
		_, sw.err = sw.w.Write(crc[:])
	}
	if sw.err != nil {
		return sw.err
	}
	return sw.w.Flush()
}

// appendToks appends toks as tok records: field by field, since the padding
// of a tok in memory is not zeroed and the file must not depend on it.
func appendTokRecords(buf []byte, toks []tok) []byte {
	for _, t := range toks {
		buf = binary.LittleEndian.AppendUint32(buf, uint32(t.id))
		buf = append(buf, t.flags, 0, 0, 0)
	}
	return buf
}

// lexSource is what the file needs of the BM25 index: a built one
// (lexical.Index) or the builder of one (lexical.Builder).
type lexSource interface {
	NumTerms() int
	Term(id int32) string
	DocLens() []float32
	AvgLen() float32
}

// metaHead is the start of the meta section: the store's info and the
// counts.
func metaHead(info store.Info, chunks int, lex lexSource, arts int) []byte {
	var b []byte
	b = appendString(b, info.Embedder)
	b = binary.AppendUvarint(b, uint64(info.Dim))
	b = binary.AppendUvarint(b, uint64(chunks))
	b = binary.AppendUvarint(b, uint64(lex.NumTerms()))
	b = binary.LittleEndian.AppendUint32(b, math.Float32bits(lex.AvgLen()))
	return binary.AppendUvarint(b, uint64(arts))
}

// appendArticleMeta appends an article's part of the meta section.
func appendArticleMeta(b []byte, a *store.StoredArticle, sents []sentence) []byte {
	b = appendString(b, a.ID)
	m := store.MetaOf(a)
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	b = binary.AppendUvarint(b, uint64(len(keys)))
	for _, k := range keys {
		b = appendString(b, k)
		b = appendString(b, m[k])
	}
	b = binary.AppendUvarint(b, uint64(len(a.Body)))
	b = binary.AppendUvarint(b, uint64(len(a.ChunkStarts)))
	prev := 0
	for _, c := range a.ChunkStarts {
		b = binary.AppendUvarint(b, uint64(c-prev))
		prev = c
	}
	b = binary.AppendUvarint(b, uint64(len(a.Sentences)))
	prev = 0
	for j, sp := range a.Sentences {
		s := sents[j]
		b = binary.AppendUvarint(b, uint64(sp.Start-prev))
		b = binary.AppendUvarint(b, uint64(sp.End-sp.Start))
		prev = sp.Start
		var f uint64
		if s.question {
			f |= 1
		}
		if s.heading {
			f |= 2
		}
		b = binary.AppendUvarint(b, uint64(s.words)<<2|f)
		b = binary.AppendUvarint(b, uint64(len(s.toks)))
	}
	return b
}

// appendLexiconMeta appends the end of the meta section: every term and
// its number of postings.
func appendLexiconMeta(b []byte, lex lexSource, count func(id int32) int) []byte {
	for id := range int32(lex.NumTerms()) {
		b = appendString(b, lex.Term(id))
		b = binary.AppendUvarint(b, uint64(count(id)))
	}
	return b
}

// writeBodies writes the bodies section.
func writeBodies(sw *secWriter, arts []*store.StoredArticle) {
	for _, a := range arts {
		sw.write(unsafe.Slice(unsafe.StringData(a.Body), len(a.Body)))
	}
}

// writeVecs writes the vectors section.
func writeVecs(sw *secWriter, vecs [][]float32, dim int) {
	for _, v := range vecs {
		sw.write(bytesOf(v[:dim]))
	}
}

// encodeIndex writes the derived index file of ix (see the layout above).
func encodeIndex(out io.Writer, ix *index, fingerprint string) error {
	fw, err := newFileWriter(out, fingerprint)
	if err != nil {
		return err
	}
	fw.section(secMeta, func(sw *secWriter) {
		b := metaHead(ix.info, len(ix.chunkArt), ix.lex, len(ix.arts))
		for i, a := range ix.arts {
			b = appendArticleMeta(b, a, ix.sents[i])
		}
		b = appendLexiconMeta(b, ix.lex, func(id int32) int { return len(ix.lex.FlatPostings(id)) / lexical.PostingSize })
		sw.write(b)
	})
	fw.section(secBodies, func(sw *secWriter) { writeBodies(sw, ix.arts) })
	fw.section(secToks, func(sw *secWriter) {
		var buf []byte
		for _, ss := range ix.sents {
			for _, s := range ss {
				buf = appendTokRecords(buf[:0], s.toks)
				sw.write(buf)
			}
		}
	})
	fw.section(secVecs, func(sw *secWriter) { writeVecs(sw, ix.vecs, ix.info.Dim) })
	fw.section(secCodes, func(sw *secWriter) { sw.write(bytesOf(ix.qvecs.codes)) })
	fw.section(secScales, func(sw *secWriter) { sw.write(bytesOf(ix.qvecs.scale)) })
	fw.section(secPostings, func(sw *secWriter) {
		for id := range int32(ix.lex.NumTerms()) {
			sw.write(ix.lex.FlatPostings(id))
		}
	})
	fw.section(secDocLen, func(sw *secWriter) { sw.write(bytesOf(ix.lex.DocLens())) })
	return fw.finish()
}

// storeIndex is the derived index of a store, tokenised but not yet
// written (tokeniseStore): what the index file needs besides the store's
// own bodies and vectors. Only the BM25 postings (compact, see
// lexical.Builder) and the articles' part of the meta section are held;
// the tokens are in spill, a scratch file (the tokens section comes after
// the meta section, which is complete only once every article is
// tokenised).
type storeIndex struct {
	info    store.Info
	arts    []*store.StoredArticle
	vecs    [][]float32 // every chunk's vector: the store's slices
	lex     *lexical.Builder
	artMeta []byte
	spill   io.ReadSeeker
}

// tokeniseStore tokenises every article of st in turn, as buildIndex does,
// writing their tokens to spill.
func tokeniseStore(st *store.Store, spill io.ReadWriteSeeker) (*storeIndex, error) {
	si := &storeIndex{info: st.Info(), arts: st.Articles(), vecs: make([][]float32, 0, st.ChunkCount()), spill: spill}
	tz := newTokenizer()
	sp := bufio.NewWriterSize(spill, 1<<20)
	var buf []byte
	err := eachAnalysed(si.arts, func(i int, an *analysed) error {
		a := si.arts[i]
		sents := tz.intern(a, an)
		si.artMeta = appendArticleMeta(si.artMeta, a, sents)
		buf = appendTokRecords(buf[:0], tz.toks)
		if _, err := sp.Write(buf); err != nil {
			return err
		}
		vs := st.ChunkVectors(a.ID)
		if len(vs) != len(a.ChunkStarts) {
			return fmt.Errorf("engine: article %q has %d vectors for %d chunks", a.ID, len(vs), len(a.ChunkStarts))
		}
		si.vecs = append(si.vecs, vs...)
		return nil
	})
	if err != nil {
		return nil, err
	}
	if err := sp.Flush(); err != nil {
		return nil, err
	}
	si.lex = tz.b
	return si, nil
}

// encode writes the derived index file, the very file encodeIndex writes
// of buildIndex(st): bodies and vectors from the store's own memory, the
// int8 copy of the vectors computed a few blocks at a time.
func (si *storeIndex) encode(out io.Writer, fingerprint string) error {
	fw, err := newFileWriter(out, fingerprint)
	if err != nil {
		return err
	}
	lex, dim := si.lex, si.info.Dim
	fw.section(secMeta, func(sw *secWriter) {
		sw.write(metaHead(si.info, len(si.vecs), lex, len(si.arts)))
		sw.write(si.artMeta)
		sw.write(appendLexiconMeta(nil, lex, lex.Count))
	})
	fw.section(secBodies, func(sw *secWriter) { writeBodies(sw, si.arts) })
	fw.section(secToks, func(sw *secWriter) {
		if _, err := si.spill.Seek(0, io.SeekStart); err != nil {
			sw.err = cmp.Or(sw.err, err)
			return
		}
		if _, err := io.CopyBuffer(secWriterFunc(sw.write), si.spill, make([]byte, 1<<20)); err != nil {
			sw.err = cmp.Or(sw.err, err)
		}
	})
	fw.section(secVecs, func(sw *secWriter) { writeVecs(sw, si.vecs, dim) })
	// The int8 copy, quantize's layout block by block: quantize over a run
	// of whole blocks yields exactly those blocks' codes and scales.
	scales := make([]float32, 0, len(si.vecs))
	fw.section(secCodes, func(sw *secWriter) {
		for lo := 0; lo < len(si.vecs); lo += quantizeRun {
			q := quantize(si.vecs[lo:min(lo+quantizeRun, len(si.vecs))], dim)
			sw.write(bytesOf(q.codes))
			scales = append(scales, q.scale...)
		}
	})
	fw.section(secScales, func(sw *secWriter) { sw.write(bytesOf(scales)) })
	var buf []byte
	fw.section(secPostings, func(sw *secWriter) {
		for id := range int32(lex.NumTerms()) {
			buf = lex.AppendFlat(buf[:0], id)
			sw.write(buf)
		}
	})
	fw.section(secDocLen, func(sw *secWriter) { sw.write(bytesOf(lex.DocLens())) })
	return fw.finish()
}

// secWriterFunc adapts a secWriter's write to io.Writer (errors stay in
// the secWriter).
type secWriterFunc func([]byte)

func (f secWriterFunc) Write(p []byte) (int, error) {
	f(p)
	return len(p), nil
}

// writeIndex writes the derived index atomically (temporary file, fsync,
// rename), like the snapshot.
func writeIndex(dir string, ix *index, fingerprint string) error {
	if fingerprint == "" {
		return errors.New("engine: the store has no saved snapshot to derive an index from")
	}
	return store.WriteFile(dir, IndexName, func(w io.Writer) error {
		return encodeIndex(w, ix, fingerprint)
	})
}

// writeIndexFromStore writes the derived index of st atomically, as
// writeIndex writes buildIndex(st), without holding the index in memory
// (see storeIndex). Its scratch file is in dir, unlinked as soon as it is
// created, so that nothing is left behind by a crash.
func writeIndexFromStore(dir string, st *store.Store, fingerprint string) error {
	if fingerprint == "" {
		return errors.New("engine: the store has no saved snapshot to derive an index from")
	}
	spill, err := os.CreateTemp(dir, ".briefbot-index-tokens-*")
	if err != nil {
		return err
	}
	defer spill.Close()
	if err := os.Remove(spill.Name()); err != nil {
		return err
	}
	si, err := tokeniseStore(st, spill)
	if err != nil {
		return err
	}
	return si.write(dir, fingerprint)
}

// write writes the index file into dir atomically (temporary file, fsync,
// rename), like the snapshot.
func (si *storeIndex) write(dir, fingerprint string) error {
	if fingerprint == "" {
		return errors.New("engine: the store has no saved snapshot to derive an index from")
	}
	return store.WriteFile(dir, IndexName, func(w io.Writer) error {
		return si.encode(w, fingerprint)
	})
}

// readIndex opens the derived index in dir, mapped, for the snapshot with
// the given fingerprint. It fails with os.ErrNotExist when there is none,
// errStaleIndex when it was derived from another snapshot (or by another
// format), and an error naming the damage when it is corrupt. The whole
// file is checksummed (read through a small buffer, so that only the pages
// a question touches become part of the process) and every token checked
// against the lexicon before it is used. st, when not nil, must hold the
// same articles.
//
// The mapping is never unmapped: strings and vectors of the index point
// into it, and answers (quotes are substrings of bodies) may outlive the
// index. A replaced file stays mapped as long as the process runs; its
// pages are the kernel's to reclaim.
func readIndex(dir string, st *store.Store, fingerprint string) (*index, error) {
	if fingerprint == "" {
		return nil, errStaleIndex
	}
	if !littleEndian {
		return nil, errStaleIndex
	}
	f, err := os.Open(filepath.Join(dir, IndexName))
	if err != nil {
		return nil, err
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return nil, err
	}
	size := fi.Size()
	head := indexMagic + fingerprint + "\n"
	hb := make([]byte, len(head))
	if _, err := f.ReadAt(hb, 0); err != nil || string(hb) != head {
		return nil, errStaleIndex
	}
	corrupt := errors.New("engine: derived index is corrupt")
	tailLen := int64(numSections*16 + 8)
	if size < int64(len(head))+tailLen || size%8 != 0 || int64(int(size)) != size {
		return nil, corrupt
	}
	tail := make([]byte, tailLen)
	if _, err := f.ReadAt(tail, size-tailLen); err != nil {
		return nil, err
	}
	if binary.LittleEndian.Uint32(tail[tailLen-8:]) != numSections {
		return nil, corrupt
	}
	var secs [numSections][2]int64
	prevEnd := int64(len(head))
	for i := range secs {
		off := binary.LittleEndian.Uint64(tail[16*i:])
		n := binary.LittleEndian.Uint64(tail[16*i+8:])
		if off%8 != 0 || off < uint64(prevEnd) || n > uint64(size-tailLen) || off > uint64(size-tailLen)-n {
			return nil, corrupt
		}
		secs[i] = [2]int64{int64(off), int64(n)}
		prevEnd = int64(off + n)
	}
	b, err := mapFile(f, int(size))
	if err != nil {
		return nil, err
	}
	sec := func(i int) []byte { return b[secs[i][0] : secs[i][0]+secs[i][1] : secs[i][0]+secs[i][1]] }
	adviseRandom(b)
	adviseNormal(b, int(secs[secCodes][0]), int(secs[secCodes][1]))
	m, err := decodeMeta(sec(secMeta))
	if err != nil {
		return nil, corrupt
	}
	// The checksum, and every token's term id, read through a buffer.
	toks := secs[secToks]
	var crc uint32
	buf := make([]byte, 1<<20)
	for off := int64(0); off < size-4; {
		n := int(min(int64(len(buf)), size-4-off))
		if _, err := f.ReadAt(buf[:n], off); err != nil {
			return nil, err
		}
		crc = crc32.Update(crc, castagnoli, buf[:n])
		// Tokens start at a multiple of 8, as does every read.
		lo, hi := max(off, toks[0]), min(off+int64(n), toks[0]+toks[1])
		for p := lo; p+int64(tokSize) <= hi; p += int64(tokSize) {
			id := int32(binary.LittleEndian.Uint32(buf[p-off:]))
			if id < 0 || int(id) >= len(m.words) {
				return nil, corrupt
			}
		}
		off += int64(n)
	}
	if crc != binary.LittleEndian.Uint32(tail[tailLen-4:]) {
		return nil, errors.New("engine: derived index is corrupt (checksum)")
	}
	if st != nil && st.Len() != len(m.arts) {
		return nil, errStaleIndex
	}
	ix, err := m.index(sec, corrupt)
	if err == nil && ix.qvecs.signs != nil {
		// Questions read the sign sketch, not the int8 vectors it was
		// derived from (read in full just now): ~256 MB at 1M chunks the
		// process need not keep resident.
		adviseDone(b, int(secs[secCodes][0]), int(secs[secCodes][1]))
	}
	return ix, err
}

// meta is the decoded meta section.
type meta struct {
	info   store.Info
	chunks int
	avgLen float32
	arts   []metaArt
	words  []string
	counts []int
}

type metaArt struct {
	id          string
	meta        map[string]string
	bodyLen     int
	chunkStarts []int
	spans       []retrieval.Span
	sents       []sentence // without their tokens
	ntoks       []int      // each sentence's token count
}

func decodeMeta(b []byte) (*meta, error) {
	d := &lexical.Decoder{B: b}
	str := func() string {
		n := d.Count(len(d.B))
		v := d.Bytes(uint64(n))
		if d.Err != nil || n == 0 {
			return ""
		}
		return unsafe.String(&v[0], n)
	}
	m := &meta{}
	m.info.Embedder = str()
	m.info.Dim = d.Count(1 << 16)
	m.info.Version = store.Version
	m.chunks = d.Count(len(b))
	nterms := d.Count(len(b))
	m.avgLen = math.Float32frombits(d.Uint32())
	narts := d.Count(len(b))
	if d.Err != nil {
		return nil, d.Err
	}
	m.arts = make([]metaArt, narts)
	for i := range m.arts {
		a := &m.arts[i]
		a.id = str()
		nk := d.Count(len(d.B))
		a.meta = make(map[string]string, nk)
		for range nk {
			k := str()
			a.meta[k] = str()
		}
		a.bodyLen = d.Count(math.MaxInt32)
		nc := d.Count(len(d.B))
		if d.Err != nil {
			return nil, d.Err
		}
		if nc > 0 {
			a.chunkStarts = make([]int, nc)
		}
		prev := 0
		for j := range a.chunkStarts {
			prev += d.Count(math.MaxInt32)
			a.chunkStarts[j] = prev
		}
		ns := d.Count(len(d.B))
		if d.Err != nil {
			return nil, d.Err
		}
		a.spans = make([]retrieval.Span, ns)
		a.sents = make([]sentence, ns)
		a.ntoks = make([]int, ns)
		prev = 0
		for j := range a.spans {
			prev += d.Count(math.MaxInt32)
			a.spans[j] = retrieval.Span{Start: prev, End: prev + d.Count(math.MaxInt32)}
			wf := d.Uvarint()
			a.sents[j].words = int32(min(wf>>2, math.MaxInt32))
			a.sents[j].question = wf&1 != 0
			a.sents[j].heading = wf&2 != 0
			a.ntoks[j] = d.Count(len(b))
		}
		if d.Err != nil {
			return nil, d.Err
		}
	}
	m.words = make([]string, nterms)
	m.counts = make([]int, nterms)
	for i := range m.words {
		m.words[i] = str()
		m.counts[i] = d.Count(len(b))
	}
	if d.Err != nil {
		return nil, d.Err
	}
	if len(d.B) != 0 {
		return nil, lexical.ErrCorrupt
	}
	return m, nil
}

// index builds the index over the mapped sections, checking every size
// against the meta section.
func (m *meta) index(sec func(int) []byte, corrupt error) (*index, error) {
	dim := m.info.Dim
	if dim < 1 {
		return nil, corrupt
	}
	blocks := (m.chunks + qBlock - 1) / qBlock
	bodies, vecs, codes, scales := sec(secBodies), sec(secVecs), sec(secCodes), sec(secScales)
	if len(vecs) != m.chunks*dim*4 || len(codes) != blocks*qBlock*dim || len(scales) != m.chunks*4 ||
		len(sec(secDocLen)) != m.chunks*4 {
		return nil, corrupt
	}
	allToks := sliceOf[tok](sec(secToks))
	if len(sec(secToks))%tokSize != 0 {
		return nil, corrupt
	}
	ix := &index{info: m.info, arts: make([]*store.StoredArticle, len(m.arts)), artIdx: make(map[string]int32, len(m.arts)),
		chunkBase: make([]int32, len(m.arts)), sents: make([][]sentence, len(m.arts)), chunkArt: make([]int32, 0, m.chunks)}
	flat := sliceOf[float32](vecs)
	ix.vecs = make([][]float32, m.chunks)
	ix.flatVecs = flat
	bodyOff, tokOff := 0, 0
	for i := range m.arts {
		ma := &m.arts[i]
		if ma.bodyLen > len(bodies)-bodyOff {
			return nil, corrupt
		}
		body := ""
		if ma.bodyLen > 0 {
			body = unsafe.String(&bodies[bodyOff], ma.bodyLen)
		}
		bodyOff += ma.bodyLen
		a, err := store.NewArticle(ma.id, ma.meta, body, ma.spans, ma.chunkStarts)
		if err != nil {
			return nil, fmt.Errorf("%w: article %q: %v", corrupt, ma.id, err)
		}
		if _, dup := ix.artIdx[a.ID]; dup {
			return nil, corrupt
		}
		ix.arts[i] = a
		ix.artIdx[a.ID] = int32(i)
		ix.chunkBase[i] = int32(len(ix.chunkArt))
		if len(ix.chunkArt)+len(a.ChunkStarts) > m.chunks {
			return nil, corrupt
		}
		for range a.ChunkStarts {
			d := len(ix.chunkArt)
			ix.vecs[d] = flat[d*dim : (d+1)*dim : (d+1)*dim]
			ix.chunkArt = append(ix.chunkArt, int32(i))
		}
		// As buildIndex has it: an article without tokens has nil token
		// slices, the others slices of one array.
		total := 0
		for _, n := range ma.ntoks {
			if n > len(allToks) {
				return nil, corrupt
			}
			total += n
		}
		if total > len(allToks)-tokOff {
			return nil, corrupt
		}
		for j := range ma.sents {
			if total > 0 {
				n := ma.ntoks[j]
				ma.sents[j].toks = allToks[tokOff : tokOff+n : tokOff+n]
				tokOff += n
			}
		}
		ix.sents[i] = ma.sents
	}
	if bodyOff != len(bodies) || tokOff != len(allToks) || len(ix.chunkArt) != m.chunks {
		return nil, corrupt
	}
	lex, err := lexical.FromFlat(m.words, m.counts, sec(secPostings), sliceOf[float32](sec(secDocLen)), m.avgLen)
	if err != nil || lex.Len() != m.chunks {
		return nil, corrupt
	}
	ix.lex = lex
	ix.qvecs = &quantized{dim: dim, n: m.chunks, codes: sliceOf[int8](codes), scale: sliceOf[float32](scales)}
	if ix.qvecs.codes == nil {
		ix.qvecs.codes = []int8{}
	}
	if ix.qvecs.scale == nil {
		ix.qvecs.scale = []float32{}
	}
	ix.qvecs.sketch()
	ix.answers = newAnswerCache(answerCacheSize)
	return ix, nil
}
