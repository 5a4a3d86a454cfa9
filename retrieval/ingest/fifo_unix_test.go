//go:build unix

package ingest_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/briefbot/briefbot/retrieval"
	"github.com/briefbot/briefbot/retrieval/ingest"
)

// A FIFO with a briefing's name used to block ingest forever in open(2).
func TestFIFOIsSkippedAndTheBatchCompletes(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "a.txt"), []byte("Headline\nThe body sentence."), 0o644); err != nil {
		t.Fatal(err)
	}
	fifo := filepath.Join(dir, "b.txt")
	if err := syscall.Mkfifo(fifo, 0o644); err != nil {
		t.Skipf("mkfifo: %v", err)
	}
	// The batch runs in a goroutine so that a regression fails the test
	// instead of hanging it.
	type result struct {
		reasons map[string]string
		ids     []string
	}
	done := make(chan result, 1)
	go func() {
		r := result{reasons: map[string]string{}}
		for _, in := range ingest.Collect([]string{dir, fifo}) {
			err := in.Skip
			if err == nil {
				_, err = ingest.ReadFile(context.Background(), in.Path, func(a retrieval.Article) error {
					r.ids = append(r.ids, a.ID)
					return nil
				})
			}
			var se *ingest.SkipError
			if errors.As(err, &se) {
				r.reasons[filepath.Base(in.Path)] += se.Reason + ";"
			}
		}
		// Called directly (the watcher's path), it is refused too.
		if _, err := ingest.ReadFile(context.Background(), fifo, func(retrieval.Article) error { return nil }); errors.As(err, new(*ingest.SkipError)) {
			r.reasons["direct"] = err.(*ingest.SkipError).Reason
		}
		done <- r
	}()
	select {
	case r := <-done:
		if len(r.ids) != 1 || r.ids[0] != "a.txt" {
			t.Errorf("ingested %v, want a.txt", r.ids)
		}
		want := ingest.ReasonNotRegular + ";"
		if r.reasons["b.txt"] != want+want || r.reasons["direct"] != ingest.ReasonNotRegular {
			t.Errorf("reasons %v, want b.txt skipped twice (walked and named) and directly as %q", r.reasons, ingest.ReasonNotRegular)
		}
	case <-time.After(20 * time.Second):
		t.Fatal("ingest of a folder with a FIFO did not complete (blocked opening it?)")
	}
}
