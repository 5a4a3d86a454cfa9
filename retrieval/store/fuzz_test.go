package store

import (
	"bytes"
	"context"
	"os"
	"testing"

	"github.com/briefbot/briefbot/retrieval"
)

// FuzzDecodeArticle feeds the article metadata of a damaged or forged
// snapshot to decodeArticle: it must never panic, and an article it accepts
// must have every sentence and chunk inside its body, in order, so that
// nothing that slices the body by them can panic.
func FuzzDecodeArticle(f *testing.F) {
	f.Add("The bridge reopened. Traffic resumed.", "0,20,21,37", "0,21", "2025-12-06T00:00:00Z", "2025-12-06T10:00:00.5Z")
	f.Add("", "", "", "", "")
	f.Add("abc", "0,3", "0", "", "")
	f.Add("abc", "2,1", "2,1", "", "")
	f.Add("abc", "0,1,1", "+0,-1", "x", "y")
	f.Fuzz(func(t *testing.T, body, sentences, chunks, published, ingested string) {
		m := map[string]string{"sentences": sentences, "chunks": chunks, "published": published, "ingested": ingested, "title": "t"}
		a, err := decodeArticle("id", m, body)
		if err != nil {
			return
		}
		last := 0
		for _, sp := range a.Sentences {
			if sp.Start < last || sp.Start > sp.End || sp.End > len(body) {
				t.Fatalf("accepted sentence %v out of order or range (body %d bytes)", sp, len(body))
			}
			_ = body[sp.Start:sp.End]
			last = sp.Start
		}
		for i := range a.ChunkStarts {
			sp := a.Chunk(i)
			if sp.Start < 0 || sp.Start > sp.End || sp.End > len(body) {
				t.Fatalf("accepted chunk %d %v out of order or range (body %d bytes)", i, sp, len(body))
			}
			_ = body[sp.Start:sp.End]
		}
		if a.Chunks != len(a.ChunkStarts) {
			t.Fatalf("Chunks %d, %d starts", a.Chunks, len(a.ChunkStarts))
		}
	})
}

// FuzzLoad reads damaged snapshots (a valid small one, mutated): Load must
// fail with an error or return a store whose articles and vectors are
// usable, never panic.
func FuzzLoad(f *testing.F) {
	s, err := New(Info{Embedder: "hash-v1", Dim: 4})
	if err != nil {
		f.Fatal(err)
	}
	a := &StoredArticle{Body: "The bridge reopened. Traffic resumed.", Sentences: []retrieval.Span{{Start: 0, End: 20}, {Start: 21, End: 37}}, ChunkStarts: []int{0, 21}}
	a.ID, a.Title = "a.txt", "Bridge"
	if err := s.Put(context.Background(), a, [][]float32{{1, 0, 0, 0}, {0, 1, 0, 0}}); err != nil {
		f.Fatal(err)
	}
	var buf bytes.Buffer
	if err := s.Export(&buf); err != nil {
		f.Fatal(err)
	}
	f.Add(buf.Bytes())
	f.Fuzz(func(t *testing.T, data []byte) {
		dir := t.TempDir()
		if err := os.WriteFile(Path(dir), data, 0o600); err != nil {
			t.Fatal(err)
		}
		st, err := Load(context.Background(), dir)
		if err != nil {
			return
		}
		for _, a := range st.Articles() {
			vs := st.ChunkVectors(a.ID)
			if len(vs) != len(a.ChunkStarts) {
				t.Fatalf("article %q: %d vectors for %d chunks", a.ID, len(vs), len(a.ChunkStarts))
			}
			for i := range a.ChunkStarts {
				sp := a.Chunk(i)
				_ = a.Body[sp.Start:sp.End]
				if len(vs[i]) != st.Info().Dim {
					t.Fatalf("vector of dimension %d in a store of %d", len(vs[i]), st.Info().Dim)
				}
			}
		}
		if st.Info().Dim > 0 {
			v := make([]float32, st.Info().Dim)
			v[0] = 1
			if _, err := st.QueryVector(context.Background(), v, 3); err != nil {
				return
			}
		}
	})
}
