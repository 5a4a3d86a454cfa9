package engine

import (
	"context"
	"encoding/binary"
	"hash/crc32"
	"os"
	"path/filepath"
	"testing"

	"github.com/briefbot/briefbot/retrieval"
)

// FuzzReadIndex reads damaged derived-index files whose checksum still
// matches (a bug or a forged file, rather than a torn write): readIndex must
// refuse them or return an index that answers questions, never panic.
// data replaces the body after the header; the checksum is recomputed.
func FuzzReadIndex(f *testing.F) {
	ctx := context.Background()
	dir := f.TempDir()
	e, err := NewMemory(ctx, Options{})
	if err != nil {
		f.Fatal(err)
	}
	if _, err := e.Ingest(ctx, []retrieval.Article{
		{ID: "a.txt", Title: "Bridge reopens", Body: "The harbour bridge reopened on Monday. Traffic resumed at noon."},
		{ID: "b.txt", Body: "The council approved 4 new tram stations in March."},
	}); err != nil {
		f.Fatal(err)
	}
	if err := e.Save(dir); err != nil {
		f.Fatal(err)
	}
	good, err := os.ReadFile(filepath.Join(dir, IndexName))
	if err != nil {
		f.Fatal(err)
	}
	st := e.Store()
	fp := st.Fingerprint()
	head := len(indexMagic) + len(fp) + 1
	f.Add(good[head : len(good)-4])
	questions := []string{"When did the bridge reopen?", "How many tram stations?", "council"}
	f.Fuzz(func(t *testing.T, body []byte) {
		b := append([]byte(indexMagic+fp+"\n"), body...)
		b = binary.LittleEndian.AppendUint32(b, crc32.Checksum(b, castagnoli))
		d := t.TempDir()
		if err := os.WriteFile(filepath.Join(d, IndexName), b, 0o600); err != nil {
			t.Fatal(err)
		}
		ix, err := readIndex(d, st, fp)
		if err != nil {
			return
		}
		w := &Engine{emb: e.emb, params: e.params, log: e.log, now: e.now, opts: e.opts, st: st, ix: ix}
		for _, q := range questions {
			if _, err := w.Search(ctx, retrieval.Query{Text: q}); err != nil {
				t.Fatal(err)
			}
		}
	})
}
