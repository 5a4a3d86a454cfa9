package engine

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/briefbot/briefbot/retrieval"
	"github.com/briefbot/briefbot/retrieval/store"
)

func article(id string) retrieval.Article {
	return retrieval.Article{ID: id, Title: "Report " + id, Body: "The committee published report " + id + " on the river crossing on Tuesday."}
}

// ingestOrFail ingests articles into e.
func ingestOrFail(t *testing.T, e *Engine, ids ...string) {
	t.Helper()
	arts := make([]retrieval.Article, len(ids))
	for i, id := range ids {
		arts[i] = article(id)
	}
	if _, err := e.Ingest(context.Background(), arts); err != nil {
		t.Fatal(err)
	}
}

// idsOnDisk lists the article ids of the snapshot in dir.
func idsOnDisk(t *testing.T, dir string) []string {
	t.Helper()
	st, err := store.Load(context.Background(), dir)
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, a := range st.Articles() {
		ids = append(ids, a.ID)
	}
	slices.Sort(ids)
	return ids
}

// openWriter opens dir for writing, as a writer holding its lock does.
func openWriter(t *testing.T, dir string) *Engine {
	t.Helper()
	e, err := OpenForWrite(context.Background(), dir, Options{}, false)
	if err != nil {
		t.Fatal(err)
	}
	return e
}

// TestWritersBuildOnTheStoreOnDisk: a writer whose engine was loaded before
// another writer saved cannot save over that newer store (ErrStale, nothing
// written); after Refresh it builds on it, whether it ingests or deletes.
func TestWritersBuildOnTheStoreOnDisk(t *testing.T) {
	tests := []struct {
		name   string
		change func(t *testing.T, e *Engine)
		want   string
	}{
		{"ingest", func(t *testing.T, e *Engine) { ingestOrFail(t, e, "mine") }, "[a b mine theirs]"},
		{"delete", func(t *testing.T, e *Engine) {
			if gone, err := e.Delete(context.Background(), "a"); err != nil || len(gone) != 1 {
				t.Fatalf("Delete: %v %v", gone, err)
			}
		}, "[b theirs]"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx := context.Background()
			dir := t.TempDir()
			first := openWriter(t, dir)
			ingestOrFail(t, first, "a", "b")
			if err := first.Save(dir); err != nil {
				t.Fatal(err)
			}
			mine := openWriter(t, dir) // loaded now, changed later
			theirs := openWriter(t, dir)
			ingestOrFail(t, theirs, "theirs")
			if err := theirs.Save(dir); err != nil {
				t.Fatal(err)
			}
			before, err := os.ReadFile(store.Path(dir))
			if err != nil {
				t.Fatal(err)
			}

			tt.change(t, mine)
			if !mine.Unsaved() {
				t.Error("Unsaved is false after a change")
			}
			if err := mine.Save(dir); !errors.Is(err, ErrStale) {
				t.Fatalf("Save over a newer store: %v, want ErrStale", err)
			}
			if after, _ := os.ReadFile(store.Path(dir)); !bytes.Equal(before, after) {
				t.Fatal("a refused Save changed the snapshot")
			}

			reloaded, err := mine.Refresh(ctx, dir)
			if err != nil || !reloaded {
				t.Fatalf("Refresh: %v %v, want a reload", reloaded, err)
			}
			if mine.Unsaved() {
				t.Error("Unsaved after Refresh dropped the stale change")
			}
			tt.change(t, mine)
			// serve's reload calls Refresh without the lock, at any time:
			// with the snapshot on disk unchanged, it keeps the unsaved change.
			if reloaded, err := mine.Refresh(ctx, dir); err != nil || reloaded || !mine.Unsaved() {
				t.Fatalf("Refresh over an unsaved change: reloaded %v, %v, unsaved %v; want it kept", reloaded, err, mine.Unsaved())
			}
			if err := mine.Save(dir); err != nil {
				t.Fatal(err)
			}
			if got := fmt.Sprint(idsOnDisk(t, dir)); got != tt.want {
				t.Errorf("store holds %s, want %s", got, tt.want)
			}
			// Up to date now: Refresh does nothing, and a second save works.
			if reloaded, err := mine.Refresh(ctx, dir); err != nil || reloaded {
				t.Errorf("Refresh of an up-to-date engine: %v %v", reloaded, err)
			}
			if err := mine.Save(dir); err != nil {
				t.Errorf("second Save: %v", err)
			}
		})
	}
}

// TestNewStoreNeverReplacesAnExistingOne: an engine started empty (serve
// with a watched folder and no store yet) cannot save over a store another
// writer created meanwhile.
func TestNewStoreNeverReplacesAnExistingOne(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	empty, err := NewMemory(ctx, Options{})
	if err != nil {
		t.Fatal(err)
	}
	other := openWriter(t, dir)
	ingestOrFail(t, other, "x")
	if err := other.Save(dir); err != nil {
		t.Fatal(err)
	}
	ingestOrFail(t, empty, "y")
	if err := empty.Save(dir); !errors.Is(err, ErrStale) {
		t.Fatalf("Save: %v, want ErrStale", err)
	}
	if _, err := empty.Refresh(ctx, dir); err != nil {
		t.Fatal(err)
	}
	ingestOrFail(t, empty, "y")
	if err := empty.Save(dir); err != nil {
		t.Fatal(err)
	}
	if got := fmt.Sprint(idsOnDisk(t, dir)); got != "[x y]" {
		t.Errorf("store holds %s", got)
	}
	// Saving to a new directory is not replacing anything.
	if err := empty.Save(t.TempDir()); err != nil {
		t.Errorf("Save to an empty directory: %v", err)
	}
}

// TestWritersRefuseAnUnreadableStore: a damaged store is never replaced by
// an empty one: OpenForWrite (also re-embedding) and Refresh fail with an
// error naming the file and the reason, and the file is left as it was.
func TestWritersRefuseAnUnreadableStore(t *testing.T) {
	good := t.TempDir()
	e := openWriter(t, good)
	ingestOrFail(t, e, "a", "b")
	if err := e.Save(good); err != nil {
		t.Fatal(err)
	}
	snap, err := os.ReadFile(store.Path(good))
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name   string
		data   []byte
		reason string
	}{
		{"truncated", snap[:len(snap)/2], "EOF"},
		{"garbage", []byte("this is not a briefbot store"), "read snapshot"},
		{"empty", nil, "EOF"},
	}
	for _, tt := range tests {
		for _, reembed := range []bool{false, true} {
			t.Run(fmt.Sprintf("%s reembed=%v", tt.name, reembed), func(t *testing.T) {
				ctx := context.Background()
				dir := t.TempDir()
				if err := os.WriteFile(store.Path(dir), tt.data, 0o644); err != nil {
					t.Fatal(err)
				}
				_, err := OpenForWrite(ctx, dir, Options{}, reembed)
				if !errors.Is(err, ErrUnreadable) || !strings.Contains(err.Error(), store.Path(dir)) || !strings.Contains(err.Error(), tt.reason) {
					t.Fatalf("OpenForWrite: %v; want ErrUnreadable naming %s and %q", err, store.Path(dir), tt.reason)
				}
				if got, _ := os.ReadFile(store.Path(dir)); !bytes.Equal(got, tt.data) {
					t.Error("the damaged store was changed")
				}
			})
		}
		t.Run(tt.name+" refresh", func(t *testing.T) {
			ctx := context.Background()
			dir := t.TempDir()
			w := openWriter(t, dir)
			ingestOrFail(t, w, "mine")
			if err := os.WriteFile(store.Path(dir), tt.data, 0o644); err != nil {
				t.Fatal(err)
			}
			if _, err := w.Refresh(ctx, dir); !errors.Is(err, ErrUnreadable) || !strings.Contains(err.Error(), store.Path(dir)) {
				t.Fatalf("Refresh: %v, want ErrUnreadable naming the file", err)
			}
			if err := w.Save(dir); err == nil {
				t.Fatal("Save replaced a damaged store")
			}
			if got, _ := os.ReadFile(store.Path(dir)); !bytes.Equal(got, tt.data) {
				t.Error("the damaged store was changed")
			}
			if n := w.Stats().Articles; n != 1 {
				t.Errorf("the engine holds %d articles after a failed Refresh, want its own 1", n)
			}
		})
	}
}

// TestSaveReportsAFailedIndexWrite: when the snapshot is saved but the
// derived index beside it cannot be (here its path is a directory), Save
// says so with ErrIndexNotSaved, and the store is saved all the same.
func TestSaveReportsAFailedIndexWrite(t *testing.T) {
	dir := t.TempDir()
	if err := os.MkdirAll(filepath.Join(dir, IndexName, "in-the-way"), 0o755); err != nil {
		t.Fatal(err)
	}
	e := openWriter(t, dir)
	ingestOrFail(t, e, "a")
	err := e.Save(dir)
	if !errors.Is(err, ErrIndexNotSaved) || !strings.Contains(err.Error(), filepath.Join(dir, IndexName)) {
		t.Fatalf("Save: %v, want ErrIndexNotSaved naming the index file", err)
	}
	if got := fmt.Sprint(idsOnDisk(t, dir)); got != "[a]" {
		t.Errorf("store holds %s", got)
	}
	if e.Unsaved() {
		t.Error("the store is saved, yet Unsaved")
	}
	entries, _ := os.ReadDir(dir)
	for _, en := range entries {
		if strings.Contains(en.Name(), ".tmp-") {
			t.Errorf("temporary file %s left behind", en.Name())
		}
	}
}
