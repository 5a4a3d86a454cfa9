package ingest_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/briefbot/briefbot/retrieval"
	"github.com/briefbot/briefbot/retrieval/ingest"
)

func TestReadInputTakesTheInputsID(t *testing.T) {
	dir := t.TempDir()
	doc := filepath.Join(dir, "story.txt")
	recs := filepath.Join(dir, "feed.jsonl")
	if err := os.WriteFile(doc, []byte("Bridge reopens\nThe bridge reopened on Monday.\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(recs, []byte(`{"text":"Dock workers began a strike."}`+"\n"+`{"id":"r2","text":"The port closed."}`+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	var ids []string
	collect := func(a retrieval.Article) error { ids = append(ids, a.ID); return nil }
	for _, in := range []ingest.Input{{Path: doc, ID: "a/story.txt"}, {Path: doc}, {Path: recs, ID: "b/feed.jsonl"}} {
		if _, err := ingest.ReadInput(context.Background(), in, collect); err != nil {
			t.Fatal(err)
		}
	}
	want := []string{"a/story.txt", "story.txt", "b/feed.jsonl#1", "r2"}
	if len(ids) != len(want) {
		t.Fatalf("ids = %q, want %q", ids, want)
	}
	for i := range want {
		if ids[i] != want[i] {
			t.Errorf("id %d = %q, want %q", i, ids[i], want[i])
		}
	}
}

func TestClaimsReportTheFirstClaimant(t *testing.T) {
	var c ingest.Claims
	if err := c.Claim("story.txt", "/x/a/story.txt"); err != nil {
		t.Fatal(err)
	}
	if err := c.Claim("story.txt", "/x/a/story.txt"); err != nil {
		t.Errorf("the same file claiming again (records repeating an id): %v", err)
	}
	err := c.Claim("story.txt", "/y/story.txt")
	var se *ingest.SkipError
	if !errors.As(err, &se) || se.Reason != ingest.ReasonDuplicateID || err.Error() != "duplicate id (also /x/a/story.txt)" {
		t.Errorf("second claimant: %v", err)
	}
	if err := c.Claim("other.txt", "/y/story.txt"); err != nil {
		t.Errorf("another id: %v", err)
	}
}
