package store_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/briefbot/briefbot/retrieval/store"
)

// TestLockRemovesOrphanedTemporaryFiles: taking the lock removes what a
// save killed mid-way left (temporary snapshots and indexes) and nothing
// else, not even files whose names come close.
func TestLockRemovesOrphanedTemporaryFiles(t *testing.T) {
	orphans := []string{"briefbot.store.tmp-1", "briefbot.store.tmp-4294967295", "briefbot.store.idx.tmp-0012345"}
	keep := []string{
		"briefbot.store", "briefbot.store.idx", "briefbot.lock", "votes.jsonl",
		"briefbot.store.tmp-", "briefbot.store.tmp-12a", "briefbot.store.tmp-12345678901",
		"briefbot.store.tmp-1.bak", "xbriefbot.store.tmp-1", "briefbot.store.tmp-+1",
		"briefbot.store.bak.tmp-1", "briefbot.store.TMP-1", "notes.tmp-1",
	}
	for _, lockFn := range []struct {
		name string
		lock func(dir string) (*store.Lock, error)
	}{
		{"LockDir", func(dir string) (*store.Lock, error) { return store.LockDir(context.Background(), dir) }},
		{"TryLockDir", func(dir string) (*store.Lock, error) {
			l, ok, err := store.TryLockDir(dir)
			if err == nil && !ok {
				err = fmt.Errorf("not acquired")
			}
			return l, err
		}},
	} {
		t.Run(lockFn.name, func(t *testing.T) {
			dir := t.TempDir()
			for _, n := range append(slices.Clone(orphans), keep...) {
				if err := os.WriteFile(filepath.Join(dir, n), []byte("x"), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			// A directory and a symlink named like temporary files are not
			// files a save left.
			if err := os.Mkdir(filepath.Join(dir, "briefbot.store.tmp-77"), 0o755); err != nil {
				t.Fatal(err)
			}
			target := filepath.Join(t.TempDir(), "elsewhere")
			if err := os.WriteFile(target, []byte("keep me"), 0o644); err != nil {
				t.Fatal(err)
			}
			if err := os.Symlink(target, filepath.Join(dir, "briefbot.store.tmp-78")); err != nil {
				t.Fatal(err)
			}
			keep := append(slices.Clone(keep), "briefbot.store.tmp-77", "briefbot.store.tmp-78")

			l, err := lockFn.lock(dir)
			if err != nil {
				t.Fatal(err)
			}
			defer l.Unlock()
			got := slices.Sorted(slices.Values(l.Orphans()))
			if want := slices.Sorted(slices.Values(orphans)); !slices.Equal(got, want) {
				t.Errorf("removed %v, want %v", got, want)
			}
			entries, err := os.ReadDir(dir)
			if err != nil {
				t.Fatal(err)
			}
			var left []string
			for _, e := range entries {
				left = append(left, e.Name())
			}
			slices.Sort(left)
			if want := slices.Sorted(slices.Values(keep)); !slices.Equal(left, want) {
				t.Errorf("left %v\nwant %v", left, want)
			}
			if b, err := os.ReadFile(target); err != nil || string(b) != "keep me" {
				t.Errorf("the symlink's target was touched: %q %v", b, err)
			}
		})
	}
}

// TestTryLockDirWhileHeld: a second lock on a held directory is refused at
// once, and granted once the first is released.
func TestTryLockDirWhileHeld(t *testing.T) {
	dir := t.TempDir()
	l, err := store.LockDir(context.Background(), dir)
	if err != nil {
		t.Fatal(err)
	}
	if _, ok, err := store.TryLockDir(dir); ok || err != nil {
		t.Fatalf("TryLockDir on a held lock: %v %v", ok, err)
	}
	if err := l.Unlock(); err != nil {
		t.Fatal(err)
	}
	l2, ok, err := store.TryLockDir(dir)
	if !ok || err != nil {
		t.Fatalf("TryLockDir on a free lock: %v %v", ok, err)
	}
	l2.Unlock()
}

// TestUnchanged: the snapshot on disk is recognised by its fingerprint, and
// any other content (also of the same size) is a change.
func TestUnchanged(t *testing.T) {
	dir := t.TempDir()
	check := func(fp string, want bool) {
		t.Helper()
		got, err := store.Unchanged(dir, fp)
		if err != nil || got != want {
			t.Errorf("Unchanged(%q) = %v, %v; want %v", fp, got, err, want)
		}
	}
	check("", true) // no snapshot, none expected
	s := newStore(t, 8)
	put(t, s, makeArticle("a", 3, time.Now()))
	if err := s.Save(dir); err != nil {
		t.Fatal(err)
	}
	fp := s.Fingerprint()
	check(fp, true)
	check("", false)
	loaded, err := store.Load(context.Background(), dir)
	if err != nil {
		t.Fatal(err)
	}
	if loaded.Fingerprint() != fp {
		t.Fatalf("loaded fingerprint %q, saved %q", loaded.Fingerprint(), fp)
	}
	// Same size, one byte different.
	b, err := os.ReadFile(store.Path(dir))
	if err != nil {
		t.Fatal(err)
	}
	b[len(b)-1] ^= 1
	if err := os.WriteFile(store.Path(dir), b, 0o644); err != nil {
		t.Fatal(err)
	}
	check(fp, false)
	if err := os.Remove(store.Path(dir)); err != nil {
		t.Fatal(err)
	}
	check(fp, false)
	check("", true)
	if err := os.Mkdir(store.Path(dir), 0o755); err != nil {
		t.Fatal(err)
	}
	if _, err := store.Unchanged(dir, fp); err == nil {
		t.Error("a directory in the snapshot's place is not an error")
	}
}

// TestWriteFileReplacesAtomically: WriteFile replaces the file, and a failed
// write leaves the old content and no temporary file.
func TestWriteFileReplacesAtomically(t *testing.T) {
	dir := t.TempDir()
	write := func(s string, err error) error {
		return store.WriteFile(dir, store.IndexName, func(w io.Writer) error {
			if _, werr := io.WriteString(w, s); werr != nil {
				return werr
			}
			return err
		})
	}
	if err := write("one", nil); err != nil {
		t.Fatal(err)
	}
	if err := write("two, half", errors.New("disk full")); err == nil {
		t.Fatal("a failed write reported success")
	}
	if b, _ := os.ReadFile(filepath.Join(dir, store.IndexName)); string(b) != "one" {
		t.Errorf("content %q after a failed write, want the old one", b)
	}
	if removed, err := store.RemoveOrphans(dir); err != nil || len(removed) != 0 {
		t.Errorf("temporary files left: %v %v", removed, err)
	}
}
