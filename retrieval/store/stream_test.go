package store

import (
	"bytes"
	"context"
	"encoding/gob"
	"fmt"
	"math"
	"math/bits"
	"math/rand/v2"
	"os"
	"reflect"
	"strings"
	"testing"
	"time"

	chromem "github.com/philippgille/chromem-go"

	"github.com/briefbot/briefbot/retrieval"
)

// Mirrors of chromem-go's export structs: gob matches fields by name.
type mirrorCollection struct {
	Name      string
	Metadata  map[string]string
	Documents map[string]*chromem.Document
}

type mirrorDB struct {
	Collections map[string]*mirrorCollection
}

func decodeMirror(t *testing.T, b []byte) mirrorDB {
	t.Helper()
	var m mirrorDB
	dec := gob.NewDecoder(bytes.NewReader(b))
	if err := dec.Decode(&m); err != nil {
		t.Fatalf("decode: %v", err)
	}
	return m
}

// TestExportStream checks that the streaming export writes what
// chromem-go's own export writes (decoded value for value: the byte order
// of gob's maps is random), that it is deterministic, and that a store saved
// with it loads back equal.
func TestExportStream(t *testing.T) {
	ctx := context.Background()
	const dim = 300 // vector length above 127: a multi-byte gob count
	s, err := New(Info{Embedder: "test-v1", Dim: dim})
	if err != nil {
		t.Fatal(err)
	}
	when := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	for k := range 5 {
		a := &StoredArticle{}
		a.ID = fmt.Sprintf("art-%d «ü»", k)
		a.Title = "Title " + a.ID
		a.Ingested = when.Add(time.Duration(k) * time.Minute)
		var b strings.Builder
		for i := range k { // article 0 has no chunk and an empty body
			a.ChunkStarts = append(a.ChunkStarts, b.Len())
			start := b.Len()
			fmt.Fprintf(&b, "Sentence %d of %s. ", i, strings.Repeat("long ", 40*i))
			a.Sentences = append(a.Sentences, retrieval.Span{Start: start, End: b.Len()})
		}
		a.Body = b.String()
		vecs := make([][]float32, k)
		for i := range vecs {
			v := make([]float32, dim)
			v[(k+i)%dim] = -0.6
			v[(k+i+1)%dim] = 0.8 // the rest are zeros, which gob still writes
			vecs[i] = v
		}
		if err := s.Put(ctx, a, vecs); err != nil {
			t.Fatal(err)
		}
	}
	var want, got, again bytes.Buffer
	if err := s.db.ExportToWriter(&want, false, ""); err != nil {
		t.Fatal(err)
	}
	if err := s.Export(&got); err != nil {
		t.Fatal(err)
	}
	if got.Len() != want.Len() {
		t.Errorf("stream is %d bytes, chromem-go's export %d", got.Len(), want.Len())
	}
	if w, g := decodeMirror(t, want.Bytes()), decodeMirror(t, got.Bytes()); !reflect.DeepEqual(w, g) {
		t.Fatalf("streamed export decodes to\n%+v\nchromem-go's to\n%+v", g, w)
	}
	if err := s.Export(&again); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got.Bytes(), again.Bytes()) {
		t.Error("two exports of one store differ")
	}

	// The store saved with it loads as the same snapshot written by
	// chromem-go loads.
	dir, ref := t.TempDir(), t.TempDir()
	if err := s.Save(dir); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(Path(ref), want.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	l, err := Load(ctx, dir)
	if err != nil {
		t.Fatal(err)
	}
	r, err := Load(ctx, ref)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(l.Articles(), r.Articles()) || l.ChunkCount() != s.ChunkCount() || l.Len() != 5 {
		t.Fatal("the loaded store differs from the saved one")
	}
	for _, a := range s.Articles() {
		if !reflect.DeepEqual(l.ChunkVectors(a.ID), s.ChunkVectors(a.ID)) {
			t.Fatalf("%s: vectors differ after a round trip", a.ID)
		}
	}
	var back bytes.Buffer
	if err := l.Export(&back); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(back.Bytes(), got.Bytes()) {
		t.Error("the loaded store exports other bytes")
	}
}

// TestGobFloats checks the vector fast path against gob's integer encoding
// one element at a time: every length of encoding (zero, small and large
// exponents, negative, subnormal, infinite), written through a buffer that
// fills in the middle of a vector, and counted alike.
func TestGobFloats(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	v := []float32{0, 1, -1, 0.5, 2, float32(math.Inf(1)), float32(math.Inf(-1)), math.SmallestNonzeroFloat32, math.MaxFloat32, 1e-30}
	for range 500 {
		v = append(v, math.Float32frombits(r.Uint32()), float32(r.NormFloat64()))
	}
	var want bytes.Buffer
	ref := &gobWriter{w: &want, buf: make([]byte, 0, 64)}
	for _, x := range v {
		ref.uint(bits.ReverseBytes64(math.Float64bits(float64(x))))
	}
	ref.flush()
	for _, size := range []int{0, 9, 10, 64, 1 << 20} {
		var got bytes.Buffer
		g := &gobWriter{w: &got, buf: make([]byte, 0, size)}
		g.floats(v[:7])
		g.floats(v[7:])
		g.flush()
		count := &gobWriter{}
		count.floats(v)
		if !bytes.Equal(got.Bytes(), want.Bytes()) || g.n != ref.n || count.n != ref.n {
			t.Fatalf("buffer %d: %d bytes (counted %d, %d), want %d", size, got.Len(), g.n, count.n, want.Len())
		}
	}
}
