package ingest_test

import (
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/briefbot/briefbot/retrieval/ingest"
)

// datedMarkup is any published-date markup ingest reads in a page.
var datedMarkup = regexp.MustCompile(`(?i)article:published_time|"datePublished"|itemprop=["']?datePublished|<meta[^>]+name=["']?(?:date|pdate|publishdate|DC\.date\.issued)["' ]|<time[^>]+datetime=`)

// siteSuffix is a title ending in a separator and a short name.
var siteSuffix = regexp.MustCompile(`(?:\s[|–—-]\s+[^|–—-]{2,40}|\s*\[[^\]]{2,30}\])$`)

// TestReadabilityPages measures dates and titles on real pages we did not
// write: the test pages of github.com/mozilla/readability, read in place
// (never copied here). It runs only when BRIEFBOT_READABILITY_PAGES names
// their test/test-pages folder; the figures are in BENCHMARKS.md.
func TestReadabilityPages(t *testing.T) {
	root := os.Getenv("BRIEFBOT_READABILITY_PAGES")
	if root == "" {
		t.Skip("BRIEFBOT_READABILITY_PAGES not set")
	}
	dirs, err := os.ReadDir(root)
	if err != nil {
		t.Fatal(err)
	}
	var pages, marked, markedDated, expected, expectedSame, expectedDated, titles, suffixed, sourced, sameTitle int
	for _, d := range dirs {
		src, err := os.ReadFile(filepath.Join(root, d.Name(), "source.html"))
		if err != nil {
			continue
		}
		var meta struct {
			Title         string `json:"title"`
			SiteName      string `json:"siteName"`
			PublishedTime string `json:"publishedTime"`
		}
		if raw, err := os.ReadFile(filepath.Join(root, d.Name(), "expected-metadata.json")); err == nil {
			_ = json.Unmarshal(raw, &meta)
		}
		pages++
		a, err := ingest.ParseDocument("source.html", src)
		if err != nil {
			t.Logf("%s: %v", d.Name(), err)
			continue
		}
		if datedMarkup.Match(src) {
			marked++
			if !a.Published.IsZero() {
				markedDated++
			} else {
				t.Logf("no date: %s", d.Name())
			}
		}
		if meta.PublishedTime != "" {
			expected++
			if !a.Published.IsZero() {
				expectedDated++
				if want, ok := ingest.ParseDate(meta.PublishedTime); ok && want.Format("2006-01-02") == a.Published.Format("2006-01-02") {
					expectedSame++
				} else {
					t.Logf("date %s: got %s, want %s", d.Name(), a.Published.Format("2006-01-02"), meta.PublishedTime)
				}
			} else {
				t.Logf("expected date missing: %s (%s)", d.Name(), meta.PublishedTime)
			}
		}
		if a.Title != "" && a.Title == strings.TrimSpace(meta.Title) {
			sameTitle++
		} else {
			t.Logf("title %s: %q, Readability.js %q", d.Name(), a.Title, meta.Title)
		}
		if a.Title != "" {
			titles++
			if siteSuffix.MatchString(a.Title) {
				suffixed++
				t.Logf("suffix %s: %q", d.Name(), a.Title)
			}
		}
		if a.Source != "" {
			sourced++
		}
		if testing.Verbose() && os.Getenv("BRIEFBOT_READABILITY_DUMP") != "" {
			t.Logf("%s | %q | %s | %s | %q", d.Name(), a.Title, a.Published.Format("2006-01-02"), a.Source, strings.SplitN(a.Body, "\n", 2)[0])
		}
	}
	t.Logf("pages %d; with date markup %d, dated %d; readability's dated pages %d, dated %d, same day %d; titles %d, with a site suffix %d, equal to Readability.js's %d; with a source %d",
		pages, marked, markedDated, expected, expectedDated, expectedSame, titles, suffixed, sameTitle, sourced)
}
