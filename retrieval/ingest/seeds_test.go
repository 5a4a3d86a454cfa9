package ingest_test

import (
	"flag"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/briefbot/briefbot/retrieval"
	"github.com/briefbot/briefbot/retrieval/ingest"
	"github.com/briefbot/briefbot/seeds"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/")

// renderArticle is the golden form of a parsed article: its metadata, then
// the cleaned body verbatim.
func renderArticle(a retrieval.Article) string {
	var b strings.Builder
	b.WriteString("id: " + a.ID + "\n")
	b.WriteString("title: " + a.Title + "\n")
	pub := ""
	if !a.Published.IsZero() {
		pub = a.Published.Format(retrieval.DateLayout)
	}
	b.WriteString("published: " + pub + "\n")
	b.WriteString("source: " + a.Source + "\n")
	b.WriteString("url: " + a.URL + "\n")
	b.WriteString("--- body ---\n")
	b.WriteString(a.Body)
	b.WriteString("\n")
	return b.String()
}

// checkGolden compares got with testdata/name, or rewrites it under -update.
func checkGolden(t *testing.T, name, got string) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("read golden (run go test -update to create it): %v", err)
	}
	if got != string(want) {
		t.Errorf("%s differs from the golden file (go test -update rewrites it)\n--- got ---\n%s\n--- want ---\n%s", path, got, want)
	}
}

func seedNames(t *testing.T) []string {
	t.Helper()
	names, err := fs.Glob(seeds.FS(), "*.txt")
	if err != nil {
		t.Fatal(err)
	}
	if len(names) != 5 {
		t.Fatalf("want 5 seed briefings, got %d: %v", len(names), names)
	}
	return names
}

func parseSeed(t *testing.T, name string) (retrieval.Article, string) {
	t.Helper()
	raw, err := fs.ReadFile(seeds.FS(), name)
	if err != nil {
		t.Fatal(err)
	}
	a, err := ingest.ParseDocument(name, raw)
	if err != nil {
		t.Fatalf("parse %s: %v", name, err)
	}
	return a, string(raw)
}

func TestParseSeedsGolden(t *testing.T) {
	for _, name := range seedNames(t) {
		t.Run(name, func(t *testing.T) {
			a, _ := parseSeed(t, name)
			checkGolden(t, filepath.Join("seeds", strings.TrimSuffix(name, ".txt")+".golden"), renderArticle(a))
		})
	}
}

// TestParseSeedsShape states by hand what the goldens must show, so that an
// -update run cannot silently bless a regression.
func TestParseSeedsShape(t *testing.T) {
	tests := []struct {
		name      string
		title     string
		published string
		bodyStart string
		bodyEnd   string
		absent    []string
		signOff   string // the trailing sign-off cut from the last line
	}{
		{
			name:      "000_eb42b95f6b4ebabf.txt",
			title:     "", // the first line is already body text
			bodyStart: "President Donald Trump's advisers held talks on Wednesday",
			bodyEnd:   `"Such reckless actions will not go unanswered," Lavrov was quoted as saying.`,
		},
		{
			name:      "001_eacc4f17978b34f1.txt",
			title:     "'Good' talks with US envoy Witkoff, Kushner on ending Russia war: Zelenskyy",
			bodyStart: "Ongoing talks between Ukraine and the US reflect efforts",
			absent:    []string{"'Good' talks with US envoy"},
		},
		{
			name:      "002_8c35132417f41974.txt",
			title:     "", // leading blank line, then body text
			bodyStart: "Volodymyr Zelensky, the President of Ukraine, stated",
			bodyEnd:   "the statement added.",
		},
		{
			name:      "003_37c6020937afcbb6.txt",
			title:     "",
			bodyStart: "In a significant diplomatic push, senior US officials",
		},
		{
			name:      "004_77a3aa7004129db4.txt",
			title:     "",
			published: "2025-12-06",
			bodyStart: "An adviser to Ukrainian President Volodymyr Zelensky said much of the diplomacy",
			bodyEnd:   "expecting compromises from both sides.”",
			absent:    []string{"Sign up", "newsletters", "date 2025-12-06", "REUTERS"},
			signOff:   "REUTERS",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a, raw := parseSeed(t, tt.name)
			if a.ID != tt.name {
				t.Errorf("ID = %q, want the base name %q", a.ID, tt.name)
			}
			if a.Title != tt.title {
				t.Errorf("Title = %q, want %q", a.Title, tt.title)
			}
			pub := ""
			if !a.Published.IsZero() {
				pub = a.Published.Format(retrieval.DateLayout)
			}
			if pub != tt.published {
				t.Errorf("Published = %q, want %q", pub, tt.published)
			}
			if !strings.HasPrefix(a.Body, tt.bodyStart) {
				t.Errorf("body starts %q, want %q", head(a.Body, 80), tt.bodyStart)
			}
			if tt.bodyEnd != "" && !strings.HasSuffix(a.Body, tt.bodyEnd) {
				t.Errorf("body ends %q, want %q", tail(a.Body, 80), tt.bodyEnd)
			}
			for _, s := range tt.absent {
				if strings.Contains(a.Body, s) {
					t.Errorf("body still holds %q", s)
				}
			}
			if a.Body != strings.TrimSpace(a.Body) || strings.Contains(a.Body, "\n\n") {
				t.Errorf("body has surrounding space or blank lines")
			}
			// Cleaning drops lines, never rewrites them: every body line is a
			// line of the file.
			rawLines := map[string]bool{}
			for _, l := range strings.Split(raw, "\n") {
				rawLines[strings.TrimSpace(l)] = true
			}
			lines := strings.Split(a.Body, "\n")
			for i, l := range lines {
				if rawLines[l] {
					continue
				}
				// Only the last line may be cut short (a wire sign-off).
				if i == len(lines)-1 && tt.signOff != "" && rawLines[l+" "+tt.signOff] {
					continue
				}
				t.Errorf("body line not in the file: %q", head(l, 80))
			}
		})
	}
}

func head(s string, n int) string {
	if len(s) > n {
		return s[:n]
	}
	return s
}

func tail(s string, n int) string {
	if len(s) > n {
		return s[len(s)-n:]
	}
	return s
}

func TestReadFSSeeds(t *testing.T) {
	var ids []string
	err := ingest.ReadFS(seeds.FS(), func(a retrieval.Article) error {
		ids = append(ids, a.ID)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	want := seedNames(t)
	if strings.Join(ids, ",") != strings.Join(want, ",") {
		t.Errorf("ReadFS ids = %v, want %v in name order", ids, want)
	}
}
