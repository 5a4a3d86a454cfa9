package store

import (
	"testing"
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
