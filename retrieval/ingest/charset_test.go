package ingest_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/briefbot/briefbot/retrieval"
	"github.com/briefbot/briefbot/retrieval/ingest"
)

// readWithWarnings reads one file through ReadInput and returns its article
// and the warnings it gave.
func readWithWarnings(t *testing.T, path string) (retrieval.Article, []string) {
	t.Helper()
	var arts []retrieval.Article
	var warnings []string
	in := ingest.Input{Path: path, Warn: func(msg string) { warnings = append(warnings, msg) }}
	if _, err := ingest.ReadInput(context.Background(), in, func(a retrieval.Article) error { arts = append(arts, a); return nil }); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	if len(arts) != 1 {
		t.Fatalf("%s: %d articles", path, len(arts))
	}
	return arts[0], warnings
}

func TestLegacyCharsetsAreTranscoded(t *testing.T) {
	t.Run("HTML declaring windows-1252 (http-equiv)", func(t *testing.T) {
		a, warnings := readWithWarnings(t, filepath.Join("testdata", "pages", "cp1252.html"))
		if a.Title != "Café owners protest “unfair” rent rise" {
			t.Errorf("title = %q", a.Title)
		}
		if !strings.Contains(a.Body, "thirty cafés") || !strings.Contains(a.Body, "12€ a month") || !strings.Contains(a.Body, "owners’ association") {
			t.Errorf("body = %q", a.Body)
		}
		if len(warnings) != 0 {
			t.Errorf("a declared charset is no warning: %q", warnings)
		}
	})
	t.Run("HTML declaring ISO-8859-1 (meta charset)", func(t *testing.T) {
		a, _ := readWithWarnings(t, filepath.Join("testdata", "pages", "latin1.html"))
		if a.Title != "Grève des dockers" || !strings.Contains(a.Body, "ont commencé une grève mardi") {
			t.Errorf("article = %q / %q", a.Title, a.Body)
		}
	})
	t.Run("text without a declaration", func(t *testing.T) {
		p := filepath.Join(t.TempDir(), "note.txt")
		if err := os.WriteFile(p, []byte("Caf\xe9 strike\nWaiters at the \x93Grand Caf\xe9\x94 walked out on Monday.\n"), 0o644); err != nil {
			t.Fatal(err)
		}
		a, warnings := readWithWarnings(t, p)
		if a.Title != "Café strike" || a.Body != "Waiters at the “Grand Café” walked out on Monday." {
			t.Errorf("article = %q / %q", a.Title, a.Body)
		}
		if len(warnings) != 1 || warnings[0] != "not UTF-8; read as windows-1252" {
			t.Errorf("warnings = %q", warnings)
		}
	})
	t.Run("valid UTF-8 declared latin-1 stays as written", func(t *testing.T) {
		p := filepath.Join(t.TempDir(), "p.html")
		page := `<html><head><meta charset="iso-8859-1"><title>Grève</title></head><body><article><p>Les dockers ont commencé une grève mardi matin pour les salaires du port.</p></article></body></html>`
		if err := os.WriteFile(p, []byte(page), 0o644); err != nil {
			t.Fatal(err)
		}
		a, _ := readWithWarnings(t, p)
		if !strings.Contains(a.Body, "commencé une grève") {
			t.Errorf("body = %q", a.Body)
		}
	})
}

// Broken front matter: the file is kept, read as plain text, and a warning
// says so.
func TestBrokenFrontMatterIsAWarning(t *testing.T) {
	p := filepath.Join(t.TempDir(), "broken.md")
	if err := os.WriteFile(p, []byte("---\ntitle: [unclosed\ndate: 2025-12-04\n---\nThe council voted to expand the tram network.\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	a, warnings := readWithWarnings(t, p)
	if len(warnings) != 1 || warnings[0] != ingest.WarnFrontMatter {
		t.Errorf("warnings = %q", warnings)
	}
	if !strings.Contains(a.Body, "The council voted to expand the tram network.") {
		t.Errorf("body = %q", a.Body)
	}
	// A valid block is no warning.
	if err := os.WriteFile(p, []byte("---\ntitle: Tram vote\n---\nThe council voted to expand the tram network.\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if a, warnings := readWithWarnings(t, p); len(warnings) != 0 || a.Title != "Tram vote" {
		t.Errorf("valid front matter: %q, warnings %q", a.Title, warnings)
	}
}
