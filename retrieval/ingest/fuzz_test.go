package ingest_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/briefbot/briefbot/retrieval"
	"github.com/briefbot/briefbot/retrieval/dates"
	"github.com/briefbot/briefbot/retrieval/ingest"
)

// checkArticle holds what every ingested article promises, whatever the
// input: text in UTF-8, a body, an http(s) URL or none, a plausible date.
func checkArticle(t *testing.T, a retrieval.Article) {
	t.Helper()
	for field, s := range map[string]string{"id": a.ID, "title": a.Title, "source": a.Source, "url": a.URL, "body": a.Body} {
		if !utf8.ValidString(s) {
			t.Fatalf("%s is not UTF-8: %q", field, s)
		}
	}
	if a.ID == "" || strings.TrimSpace(a.Body) == "" {
		t.Fatalf("article without id or body: %+v", a)
	}
	if a.URL != "" && ingest.SafeURL(a.URL) != a.URL {
		t.Fatalf("unsafe URL stored: %q", a.URL)
	}
	if !a.Published.IsZero() && (a.Published.Year() < dates.MinYear || a.Published.Year() > dates.MaxYear) {
		t.Fatalf("implausible date %v", a.Published)
	}
}

func checkSkip(t *testing.T, err error) {
	t.Helper()
	var se *ingest.SkipError
	if err != nil && !errors.As(err, &se) {
		t.Fatalf("error %v is not a *SkipError", err)
	}
}

func fuzzDocument(t *testing.T, name string, data []byte) {
	a, err := ingest.ParseDocument(name, data)
	if err != nil {
		checkSkip(t, err)
		return
	}
	if a.ID != name {
		t.Fatalf("id %q, want %q", a.ID, name)
	}
	checkArticle(t, a)
}

// FuzzParseDocumentText feeds .txt and .md briefings, front matter included.
func FuzzParseDocumentText(f *testing.F) {
	f.Add(false, []byte("---\ntitle: T\ndate: 2025-12-05\nurl: https://example.com/a\n---\nHeadline\nBody sentence.\n"))
	f.Fuzz(func(t *testing.T, markdown bool, data []byte) {
		name := "brief.txt"
		if markdown {
			name = "brief.md"
		}
		fuzzDocument(t, name, data)
	})
}

// FuzzParseDocumentHTML feeds .html pages.
func FuzzParseDocumentHTML(f *testing.F) {
	f.Add([]byte(`<html><head><title>T</title><link rel="canonical" href="https://example.com/a"></head><body><p>Body sentence.</p></body></html>`))
	f.Fuzz(func(t *testing.T, data []byte) {
		fuzzDocument(t, "page.html", data)
	})
}

func fuzzRecords(t *testing.T, name string, data []byte) {
	n := 0
	bad, err := ingest.ParseRecords(context.Background(), name, strings.NewReader(string(data)), func(a retrieval.Article) error {
		n++
		checkArticle(t, a)
		return nil
	})
	checkSkip(t, err)
	for _, b := range bad {
		checkSkip(t, b.Err)
		if b.Line < 1 {
			t.Fatalf("record error at line %d", b.Line)
		}
	}
}

// FuzzParseRecordsJSON feeds .json files: arrays, objects, anything.
func FuzzParseRecordsJSON(f *testing.F) {
	f.Add([]byte(`[{"id":"1","title":"T","text":"Body.","url":"https://example.com","published":"2025-12-05"}]`))
	f.Fuzz(func(t *testing.T, data []byte) {
		fuzzRecords(t, "records.json", data)
	})
}

// FuzzParseRecordsJSONL feeds .jsonl files.
func FuzzParseRecordsJSONL(f *testing.F) {
	f.Add([]byte(`{"doc_id":"d1","text":"Body.","publish_date":"2018/03/15"}` + "\n" + `{bad` + "\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		fuzzRecords(t, "records.jsonl", data)
	})
}
