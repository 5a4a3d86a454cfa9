package ingest_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/briefbot/briefbot/retrieval"
	"github.com/briefbot/briefbot/retrieval/ingest"
)

// ReadInput tells Input.Progress how far it has read, growing to the
// file's size, while the records are emitted (so a bar can follow a large
// file).
func TestReadInputReportsBytesRead(t *testing.T) {
	var b strings.Builder
	for i := range 3000 {
		fmt.Fprintf(&b, `{"id":"r%d","text":"The ferry made crossing number %d before the storm."}`+"\n", i, i)
	}
	path := filepath.Join(t.TempDir(), "wire.jsonl")
	if err := os.WriteFile(path, []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	var reads []int64
	var atFirst int64 = -1
	in := ingest.Input{Path: path, Progress: func(n int64) { reads = append(reads, n) }}
	_, err := ingest.ReadInput(context.Background(), in, func(retrieval.Article) error {
		if atFirst < 0 {
			atFirst = reads[len(reads)-1]
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	for i := 1; i < len(reads); i++ {
		if reads[i] < reads[i-1] {
			t.Fatalf("progress went back: %v", reads)
		}
	}
	if len(reads) == 0 || reads[len(reads)-1] != int64(b.Len()) {
		t.Fatalf("progress ended at %v, want the file's %d bytes", reads, b.Len())
	}
	if atFirst <= 0 || atFirst >= int64(b.Len()) {
		t.Errorf("at the first record %d bytes were read of %d: want part of the file, streamed", atFirst, b.Len())
	}
}
