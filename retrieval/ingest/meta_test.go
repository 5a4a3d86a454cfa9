package ingest_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/briefbot/briefbot/retrieval/ingest"
)

// Pages written to reproduce the markup of real news sites: each date
// markup, a site suffix in the title, captions and cross-links in the text.
func TestHTMLDatesTitlesAndCaptions(t *testing.T) {
	tests := []struct {
		file, title, date, source string
	}{
		{"itemprop-meta.html", "Bridge reopens after repairs", "2025-12-04", "The Harbour Times"},
		{"itemprop-time.html", "Bridge reopens after repairs", "2025-12-04", ""},
		{"named-meta.html", "Bridge reopens after repairs", "2025-12-04", ""},
		{"pdate.html", "Bridge reopens after repairs", "2025-12-04", ""},
		// The <time> of the article, not the page header's.
		{"article-time.html", "Bridge reopens after repairs", "2025-12-04", ""},
		// JSON-LD first, as Readability.js reads it.
		{"jsonld-graph.html", "Bridge reopens after repairs", "2025-12-04", ""},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			data, err := os.ReadFile(filepath.Join("testdata", "pages", tt.file))
			if err != nil {
				t.Fatal(err)
			}
			a, err := ingest.ParseDocument(tt.file, data)
			if err != nil {
				t.Fatal(err)
			}
			if a.Title != tt.title {
				t.Errorf("title = %q, want %q", a.Title, tt.title)
			}
			got := ""
			if !a.Published.IsZero() {
				got = a.Published.Format("2006-01-02")
			}
			if got != tt.date {
				t.Errorf("published = %q, want %q", got, tt.date)
			}
			if a.Source != tt.source {
				t.Errorf("source = %q, want %q", a.Source, tt.source)
			}
			for _, want := range []string{"reopened to traffic on Monday", "forty steel cables", "cycle lane would open in the spring"} {
				if !strings.Contains(a.Body, want) {
					t.Errorf("body lost %q:\n%s", want, a.Body)
				}
			}
			for _, furniture := range []string{"Media caption", "Provided by", "Getty Images", "Image source", "Related:", "Read more:", "Harbour tunnel"} {
				if strings.Contains(a.Body, furniture) {
					t.Errorf("body keeps %q:\n%s", furniture, a.Body)
				}
			}
		})
	}
}

func TestCutSiteSuffixKeepsHeadlines(t *testing.T) {
	page := func(title, siteName string) string {
		meta := ""
		if siteName != "" {
			meta = `<meta property="og:site_name" content="` + siteName + `">`
		}
		return "<html><head><title>" + title + "</title>" + meta + "</head><body><article><p>The harbour bridge reopened to traffic on Monday after eight months of repairs, the port authority said on Monday.</p><p>Engineers replaced forty steel cables and resurfaced the whole deck.</p></article></body></html>"
	}
	tests := []struct{ title, siteName, want string }{
		{"Ferry fares rise - BBC News", "", "Ferry fares rise"},
		{"Ferry fares rise sharply in winter | Harbour Times", "", "Ferry fares rise sharply in winter"},
		{"Ferry fares rise – harbourtimes", "Harbour Times", "Ferry fares rise"},
		{"Mozilla - Wikipedia", "", "Mozilla"},
		// A subtitle is no site name.
		{"Minecraft 1.8 - The Bountiful Update", "", "Minecraft 1.8 - The Bountiful Update"},
		{"Ferries: the long view", "", "Ferries: the long view"},
	}
	for _, tt := range tests {
		a, err := ingest.ParseDocument("p.html", []byte(page(tt.title, tt.siteName)))
		if err != nil {
			t.Fatal(err)
		}
		if a.Title != tt.want {
			t.Errorf("%q: title %q, want %q", tt.title, a.Title, tt.want)
		}
	}
}

func TestTextHeaderDateLines(t *testing.T) {
	tests := []struct {
		name, text, title, date, body string
	}{
		{"Date: line first", "Date: 4 December 2025\nBridge reopens\nThe bridge reopened on Monday.", "Bridge reopens", "2025-12-04", "The bridge reopened on Monday."},
		{"date line after the headline", "Bridge reopens\ndate 2025-12-04\nThe bridge reopened on Monday.", "Bridge reopens", "2025-12-04", "The bridge reopened on Monday."},
		{"written date, third line", "Bridge reopens\nBy Jane Doe\nDecember 4, 2025\nThe bridge reopened on Monday.", "Bridge reopens", "2025-12-04", "The bridge reopened on Monday."},
		{"published with weekday and time", "Bridge reopens\nPublished: Thursday 4 December 2025 10:30\nThe bridge reopened on Monday.", "Bridge reopens", "2025-12-04", "The bridge reopened on Monday."},
		{"a date in a sentence stays", "Bridge reopens\nThe bridge reopened on December 4, 2025 after repairs.", "Bridge reopens", "", "The bridge reopened on December 4, 2025 after repairs."},
		{"past the header block", "Bridge reopens\nOne.\nTwo.\nThree.\nFour.\nDecember 4, 2025", "Bridge reopens", "", "One.\nTwo.\nThree.\nFour.\nDecember 4, 2025"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := ingest.CleanText(tt.text, true)
			got := ""
			if !c.Published.IsZero() {
				got = c.Published.Format("2006-01-02")
			}
			if c.Title != tt.title || got != tt.date || c.Body != tt.body {
				t.Errorf("= %q / %q / %q, want %q / %q / %q", c.Title, got, c.Body, tt.title, tt.date, tt.body)
			}
		})
	}
}
