package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func writeFile(t *testing.T, path, body string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
}

func TestShowPrintsTheArticleAsStored(t *testing.T) {
	src, data := t.TempDir(), t.TempDir()
	writeFile(t, filepath.Join(src, "world", "bridge.txt"), "---\ntitle: Bridge reopens\ndate: 2025-12-04\nsource: Harbour News\n---\n"+
		"The harbour bridge reopened to traffic on Monday after repairs. Engineers replaced 40 cables.\n")
	if code, out, errOut := runCLI(t, nil, "ingest", "--data", data, src); code != 0 {
		t.Fatalf("ingest exit %d: %s %s", code, out, errOut)
	}
	code, out, errOut := runCLI(t, nil, "show", "--data", data, "--json", "world/bridge.txt")
	if code != 0 {
		t.Fatalf("show exit %d: %s", code, errOut)
	}
	var got showJSON
	if err := json.Unmarshal([]byte(out), &got); err != nil {
		t.Fatalf("not JSON: %v\n%s", err, out)
	}
	if got.ID != "world/bridge.txt" || got.Title != "Bridge reopens" || got.Published != "2025-12-04" || got.Source != "Harbour News" {
		t.Errorf("metadata = %+v", got)
	}
	if !strings.HasPrefix(got.Text, "The harbour bridge reopened") || len(got.Chunks) == 0 {
		t.Fatalf("text %q, chunks %d", got.Text, len(got.Chunks))
	}
	// Chunks are contiguous, cover the text, and their offsets locate their text.
	pos := 0
	for i, c := range got.Chunks {
		if c.Ordinal != i || c.Start != pos || got.Text[c.Start:c.End] != c.Text {
			t.Errorf("chunk %d = %+v (expected start %d)", i, c, pos)
		}
		pos = c.End
	}
	if pos != len(got.Text) {
		t.Errorf("chunks end at %d, text is %d bytes", pos, len(got.Text))
	}

	code, out, _ = runCLI(t, nil, "show", "--data", data, "world/bridge.txt")
	if code != 0 || !strings.Contains(out, "title:     Bridge reopens") || !strings.Contains(out, "--- chunk 0 [0:") {
		t.Errorf("text output (exit %d):\n%s", code, out)
	}

	code, _, errOut = runCLI(t, nil, "show", "--data", data, "bridge.txt")
	if code != 1 || !strings.Contains(errOut, `no article "bridge.txt"`) {
		t.Errorf("unknown id: exit %d, stderr %q", code, errOut)
	}
}

func TestDeleteRemovesArticlesAndReportsUnknownIDs(t *testing.T) {
	src, data := t.TempDir(), t.TempDir()
	writeFile(t, filepath.Join(src, "a.txt"), "Bridge reopens\nThe harbour bridge reopened to traffic on Monday after repairs.\n")
	writeFile(t, filepath.Join(src, "b.txt"), "Tram vote\nThe council voted to expand the tram network on Tuesday.\n")
	if code, out, errOut := runCLI(t, nil, "ingest", "--data", data, src); code != 0 {
		t.Fatalf("ingest exit %d: %s %s", code, out, errOut)
	}
	code, out, errOut := runCLI(t, nil, "delete", "--data", data, "a.txt", "nope.txt")
	if code != 0 {
		t.Fatalf("delete exit %d: %s %s", code, out, errOut)
	}
	for _, want := range []string{"deleted   a.txt", "not found nope.txt", "1 deleted, 1 not found; store: 1 articles"} {
		if !strings.Contains(out, want) {
			t.Errorf("delete output lacks %q:\n%s", want, out)
		}
	}
	// Saved: a new process no longer sees it, and still sees the other.
	_, out, _ = runCLI(t, nil, "sources", "--data", data, "--json")
	if strings.Contains(out, `"a.txt"`) || !strings.Contains(out, `"b.txt"`) {
		t.Errorf("sources after delete:\n%s", out)
	}
	code, out, _ = runCLI(t, nil, "delete", "--data", data, "a.txt")
	if code != 1 || !strings.Contains(out, "not found a.txt") {
		t.Errorf("deleting again: exit %d\n%s", code, out)
	}
}

// Files with one base name in two sub-folders are two articles; an id two
// inputs claim is reported, not merged; every file of the folder gets a line.
func TestIngestIDsAreRelativePathsAndNeverCollide(t *testing.T) {
	src, data := t.TempDir(), t.TempDir()
	writeFile(t, filepath.Join(src, "a", "story.txt"), "Bridge reopens\nThe harbour bridge reopened to traffic on Monday after repairs.\n")
	writeFile(t, filepath.Join(src, "b", "story.txt"), "Tram vote\nThe council voted to expand the tram network on Tuesday.\n")
	writeFile(t, filepath.Join(src, "report.pdf"), "%PDF-1.4\n")
	writeFile(t, filepath.Join(src, "notes"), "no extension\n")
	lone := filepath.Join(t.TempDir(), "a", "story.txt")
	writeFile(t, lone, "Ferry strike\nFerry crews walked out on Wednesday over pay.\n")
	other := t.TempDir()
	writeFile(t, filepath.Join(other, "story.txt"), "Port closes\nThe port closed on Thursday because of the storm.\n")
	writeFile(t, filepath.Join(other, "x", "story.txt"), "Port closes again\nThe port closed again on Friday because of the storm.\n")

	code, out, errOut := runCLI(t, nil, "ingest", "--data", data, src, filepath.Join(src, "a"), other)
	// The store holds the story of a/ and of b/, not one of them "updated".
	if code != 0 {
		t.Fatalf("exit %d: %s %s", code, out, errOut)
	}
	for _, want := range []string{
		"added     " + filepath.Join(src, "a", "story.txt") + " (a/story.txt)",
		"added     " + filepath.Join(src, "b", "story.txt") + " (b/story.txt)",
		"skipped   " + filepath.Join(src, "report.pdf") + ": unsupported file type: .pdf",
		"skipped   " + filepath.Join(src, "notes") + ": unsupported file type",
		// The folder a/ named on its own gives its file the id story.txt.
		"added     " + filepath.Join(src, "a", "story.txt") + " (story.txt)",
		"skipped   " + filepath.Join(other, "story.txt") + ": duplicate id (also " + filepath.Join(src, "a", "story.txt") + ")",
		"added     " + filepath.Join(other, "x", "story.txt") + " (x/story.txt)",
		"4 added, 0 updated, 0 unchanged, 3 skipped",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("ingest output lacks %q:\n%s", want, out)
		}
	}
	_, out, _ = runCLI(t, nil, "sources", "--data", data, "--json")
	for _, id := range []string{`"a/story.txt"`, `"b/story.txt"`, `"story.txt"`, `"x/story.txt"`} {
		if !strings.Contains(out, id) {
			t.Errorf("store lacks %s:\n%s", id, out)
		}
	}
	// A lone file keeps its base name, as before.
	data2 := t.TempDir()
	code, out, _ = runCLI(t, nil, "ingest", "--data", data2, lone)
	if code != 0 || !strings.Contains(out, "("+"story.txt)") {
		t.Errorf("lone file: exit %d\n%s", code, out)
	}
}
