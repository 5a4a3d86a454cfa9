package store

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math"
	"math/bits"
	"sort"
	"sync"

	chromem "github.com/philippgille/chromem-go"
)

// Streaming export.
//
// chromem-go's ExportToWriter hands the whole database to one gob Encode,
// and gob builds a message in memory before writing it: saving a store of a
// million chunks held a 2 GB buffer (grown by doubling) on top of the store
// itself. exportStream writes the very same gob stream (chromem-go's type
// descriptors, taken from chromem-go's own export of an empty database,
// then one value message) straight to the writer: a first pass counts the
// value's bytes, since gob puts a message's length before it, and a second
// writes them. ImportFromReader reads it back unchanged (TestExportStream).

// gobPrefix is what chromem-go's export of an empty database writes before
// its value: the type descriptor messages, and the value's type id.
type gobPrefix struct {
	types  []byte
	typeID int64
}

var gobHeader = sync.OnceValues(func() (gobPrefix, error) {
	p, id, err := readGobHeader()
	return gobPrefix{p, id}, err
})

func readGobHeader() ([]byte, int64, error) {
	var buf bytes.Buffer
	if err := chromem.NewDB().ExportToWriter(&buf, false, ""); err != nil {
		return nil, 0, err
	}
	b := buf.Bytes()
	for off := 0; off < len(b); {
		n, k, err := readGobUint(b[off:])
		if err != nil {
			return nil, 0, err
		}
		start := off + k
		if n > uint64(len(b)-start) {
			return nil, 0, errors.New("truncated gob message")
		}
		id, _, err := readGobUint(b[start:])
		if err != nil {
			return nil, 0, err
		}
		typeID := int64(id >> 1)
		if id&1 != 0 {
			typeID = ^typeID
		}
		if typeID > 0 { // the value: everything before it is type descriptors
			return b[:off:off], typeID, nil
		}
		off = start + int(n)
	}
	return nil, 0, errors.New("no value message")
}

func readGobUint(b []byte) (uint64, int, error) {
	if len(b) == 0 {
		return 0, 0, errors.New("truncated gob integer")
	}
	if b[0] <= 0x7f {
		return uint64(b[0]), 1, nil
	}
	n := -int(int8(b[0]))
	if n > 8 || len(b) < 1+n {
		return 0, 0, errors.New("bad gob integer")
	}
	var x uint64
	for _, c := range b[1 : 1+n] {
		x = x<<8 | uint64(c)
	}
	return x, 1 + n, nil
}

// gobWriter writes gob's encodings of integers, strings and floats through
// a buffer, or only counts them (w nil).
type gobWriter struct {
	w   io.Writer
	n   int64
	buf []byte
	err error
}

func (g *gobWriter) bytes(p []byte) {
	g.n += int64(len(p))
	if g.w == nil || g.err != nil {
		return
	}
	if len(g.buf)+len(p) > cap(g.buf) {
		g.flush()
		if len(p) > cap(g.buf) {
			_, g.err = g.w.Write(p)
			return
		}
	}
	g.buf = append(g.buf, p...)
}

func (g *gobWriter) flush() {
	if g.w == nil || g.err != nil || len(g.buf) == 0 {
		return
	}
	_, g.err = g.w.Write(g.buf)
	g.buf = g.buf[:0]
}

func (g *gobWriter) uint(x uint64) {
	if x <= 0x7f {
		g.bytes([]byte{byte(x)})
		return
	}
	var b [9]byte
	binary.BigEndian.PutUint64(b[1:], x)
	bc := bits.LeadingZeros64(x) >> 3
	b[bc] = uint8(bc - 8)
	g.bytes(b[bc:])
}

// floats writes v's elements as gob writes float32s (as float64s, their
// bytes reversed, as unsigned integers): g.uint for each, without a call
// per byte slice, since vectors are nearly all of a snapshot.
func (g *gobWriter) floats(v []float32) {
	if g.w == nil || g.err != nil {
		for _, x := range v {
			u := bits.ReverseBytes64(math.Float64bits(float64(x)))
			if u <= 0x7f {
				g.n++
			} else {
				g.n += int64(9 - bits.LeadingZeros64(u)>>3)
			}
		}
		return
	}
	start := len(g.buf)
	for i, x := range v {
		if cap(g.buf)-len(g.buf) < 9 {
			g.n += int64(len(g.buf) - start)
			g.flush()
			if g.err != nil {
				g.floats(v[i:]) // counted only
				return
			}
			start = 0
		}
		u := bits.ReverseBytes64(math.Float64bits(float64(x)))
		if u <= 0x7f {
			g.buf = append(g.buf, byte(u))
			continue
		}
		bc := bits.LeadingZeros64(u) >> 3
		g.buf = append(g.buf, uint8(bc-8))
		for sh := (7 - bc) * 8; sh >= 0; sh -= 8 {
			g.buf = append(g.buf, byte(u>>uint(sh)))
		}
	}
	g.n += int64(len(g.buf) - start)
}

func (g *gobWriter) int(i int64) {
	var x uint64
	if i < 0 {
		x = uint64(^i<<1) | 1
	} else {
		x = uint64(i << 1)
	}
	g.uint(x)
}

func (g *gobWriter) string(s string) {
	g.uint(uint64(len(s)))
	g.n += int64(len(s))
	if g.w == nil || g.err != nil {
		return
	}
	if len(g.buf)+len(s) > cap(g.buf) {
		g.flush()
		if len(s) > cap(g.buf) {
			_, g.err = io.WriteString(g.w, s)
			return
		}
	}
	g.buf = append(g.buf, s...)
}

func (g *gobWriter) stringMap(m map[string]string) {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	g.uint(uint64(len(keys)))
	for _, k := range keys {
		g.string(k)
		g.string(m[k])
	}
}

// document writes a chromem.Document as gob does: present fields as
// (field-number delta, value), zero ones left out, then 0.
func (g *gobWriter) document(d *chromem.Result) {
	last := -1
	field := func(i int) {
		g.uint(uint64(i - last))
		last = i
	}
	if d.ID != "" {
		field(0)
		g.string(d.ID)
	}
	if d.Metadata != nil {
		field(1)
		g.stringMap(d.Metadata)
	}
	if len(d.Embedding) > 0 {
		field(2)
		g.uint(uint64(len(d.Embedding)))
		g.floats(d.Embedding)
	}
	if d.Content != "" {
		field(3)
		g.string(d.Content)
	}
	g.uint(0)
}

// streamCollection is a collection's documents, as exhaustive queries list
// them (the results share chromem-go's strings, maps and vectors).
type streamCollection struct {
	name string
	docs []chromem.Result
}

// value writes the database value: struct{Collections map[string]*persistenceCollection}
// with persistenceCollection{Name, Metadata, Documents map[string]*Document}.
// The collections' metadata is always an empty map: briefbot creates its
// collections without any, and chromem-go keeps a non-nil map.
func (g *gobWriter) value(cols []streamCollection) {
	g.uint(1) // field 0: Collections
	g.uint(uint64(len(cols)))
	for _, c := range cols {
		g.string(c.name)
		if c.name != "" {
			g.uint(1) // field 0: Name
			g.string(c.name)
			g.uint(1) // field 1: Metadata
		} else {
			g.uint(2)
		}
		g.uint(0) // empty map
		g.uint(1) // field 2: Documents
		g.uint(uint64(len(c.docs)))
		for i := range c.docs {
			g.string(c.docs[i].ID)
			g.document(&c.docs[i])
		}
		g.uint(0)
	}
	g.uint(0)
}

// exportStream writes the snapshot stream of s's collections to w without
// building it in memory. The caller keeps writes out (the engine's write
// lock); s is not a view.
func (s *Store) exportStream(ctx context.Context, w io.Writer) error {
	prefix, err := gobHeader()
	header, typeID := prefix.types, prefix.typeID
	if err != nil {
		return fmt.Errorf("gob header: %w", err)
	}
	cols := []streamCollection{{name: infoCollection}, {name: chunksCollection}, {name: articlesCollection}}
	dims := []int{1, s.info.Dim, 1}
	if len(s.db.ListCollections()) != len(cols) {
		return errors.New("unexpected collections in the database")
	}
	for i := range cols {
		c := s.db.GetCollection(cols[i].name, identity)
		if c == nil {
			return fmt.Errorf("no collection %q", cols[i].name)
		}
		if n := c.Count(); n > 0 {
			probe := make([]float32, dims[i])
			probe[0] = 1
			res, err := c.QueryEmbedding(ctx, probe, n, nil, nil)
			if err != nil {
				return fmt.Errorf("list %s: %w", cols[i].name, err)
			}
			if len(res) != n {
				return fmt.Errorf("list %s: %d of %d documents", cols[i].name, len(res), n)
			}
			sort.Slice(res, func(a, b int) bool { return res[a].ID < res[b].ID })
			cols[i].docs = res
		}
	}
	sort.Slice(cols, func(a, b int) bool { return cols[a].name < cols[b].name })
	count := &gobWriter{}
	count.int(typeID)
	count.value(cols)
	g := &gobWriter{w: w, buf: make([]byte, 0, 1<<20)}
	g.bytes(header)
	g.uint(uint64(count.n))
	g.int(typeID)
	g.value(cols)
	g.flush()
	return g.err
}
