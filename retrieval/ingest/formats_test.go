package ingest_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/briefbot/briefbot/retrieval"
	"github.com/briefbot/briefbot/retrieval/ingest"
)

func date(t *testing.T, s string) time.Time {
	t.Helper()
	d, err := time.Parse(retrieval.DateLayout, s)
	if err != nil {
		t.Fatal(err)
	}
	return d
}

func TestParseDocumentFrontMatter(t *testing.T) {
	tests := []struct {
		name string
		file string
		in   string
		want retrieval.Article
	}{
		{
			name: "all fields",
			file: "brief.md",
			in: "---\ntitle: Talks resume in Miami\ndate: 2025-12-05\nsource: Example Wire\nurl: https://example.com/miami\n---\n" +
				"Ukrainian and US negotiators met in Miami on Friday.\nThe talks will continue on Saturday.\n",
			want: retrieval.Article{ID: "brief.md", Title: "Talks resume in Miami", Source: "Example Wire", URL: "https://example.com/miami",
				Published: date(t, "2025-12-05"),
				Body:      "Ukrainian and US negotiators met in Miami on Friday.\nThe talks will continue on Saturday."},
		},
		{
			name: "published wins over date, quoted",
			file: "b.txt",
			in:   "---\ntitle: \"A: quoted title\"\npublished: \"December 6, 2025\"\ndate: 2020-01-01\n---\nBody text here.\n",
			want: retrieval.Article{ID: "b.txt", Title: "A: quoted title", Published: date(t, "2025-12-06"), Body: "Body text here."},
		},
		{
			name: "front matter title keeps a headline-like first line in the body",
			file: "c.md",
			in:   "---\ntitle: Given title\n---\nSubhead without a stop\nThe first sentence.\n",
			want: retrieval.Article{ID: "c.md", Title: "Given title", Body: "Subhead without a stop\nThe first sentence."},
		},
		{
			name: "no title in front matter: headline detected",
			file: "d.md",
			in:   "---\nsource: Wire\n---\nA headline with no stop\nThe first sentence.\n",
			want: retrieval.Article{ID: "d.md", Title: "A headline with no stop", Source: "Wire", Body: "The first sentence."},
		},
		{
			name: "unterminated front matter is body text",
			file: "e.md",
			in:   "---\ntitle: never closed\nThe first sentence.\n",
			want: retrieval.Article{ID: "e.md", Body: "---\ntitle: never closed\nThe first sentence."},
		},
		{
			name: "path is reduced to its base name",
			file: filepath.Join("some", "dir", "f.txt"),
			in:   "Only body text.",
			want: retrieval.Article{ID: "f.txt", Body: "Only body text."},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ingest.ParseDocument(tt.file, []byte(tt.in))
			if err != nil {
				t.Fatal(err)
			}
			if renderArticle(got) != renderArticle(tt.want) {
				t.Errorf("got\n%s\nwant\n%s", renderArticle(got), renderArticle(tt.want))
			}
		})
	}
}

func TestCleanText(t *testing.T) {
	tests := []struct {
		name, in         string
		title, pub, body string
	}{
		{"byline dropped", "Headline here\nBy Jane Smith\nFirst sentence.", "Headline here", "", "First sentence."},
		{"sign-off line dropped", "First sentence.\nSecond sentence.\n(AFP)", "", "", "First sentence.\nSecond sentence."},
		{"inline sign-off cut", "First sentence.\nLast one.” REUTERS", "", "", "First sentence.\nLast one.”"},
		{"credit line dropped", "First sentence.\n(Reporting by Jane Smith; Editing by John Doe)", "", "", "First sentence."},
		{"date line alone", "Published: 2022/06/12\nFirst sentence.", "", "2022-06-12", "First sentence."},
		{"CRLF and BOM", "\ufeffHeadline\r\nFirst sentence.\r\n", "Headline", "", "First sentence."},
		{"single line is never a title", "Only a headline", "", "", "Only a headline"},
		{"a sentence is not a headline", "It rained.\nThen it stopped.", "", "", "It rained.\nThen it stopped."},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := ingest.CleanText(tt.in, true)
			pub := ""
			if !c.Published.IsZero() {
				pub = c.Published.Format(retrieval.DateLayout)
			}
			if c.Title != tt.title || pub != tt.pub || c.Body != tt.body {
				t.Errorf("CleanText = {%q, %q, %q}, want {%q, %q, %q}", c.Title, pub, c.Body, tt.title, tt.pub, tt.body)
			}
		})
	}
}

func TestParseDocumentHTML(t *testing.T) {
	data, err := os.ReadFile(filepath.Join("testdata", "article.html"))
	if err != nil {
		t.Fatal(err)
	}
	a, err := ingest.ParseDocument("article.html", data)
	if err != nil {
		t.Fatal(err)
	}
	checkGolden(t, "article.golden", renderArticle(a))
	if a.Title != "Kyiv hit by overnight drone attack" {
		t.Errorf("Title = %q", a.Title)
	}
	if want := time.Date(2025, 12, 6, 8, 30, 0, 0, time.UTC); !a.Published.Equal(want) {
		t.Errorf("Published = %v, want %v", a.Published, want)
	}
	if a.URL != "https://news.example.com/world/kyiv-drone-attack" {
		t.Errorf("URL = %q", a.URL)
	}
	if !strings.HasPrefix(a.Body, "Russia fired 653 drones and 51 missiles") {
		t.Errorf("body does not start with the first paragraph: %q", head(a.Body, 80))
	}
	for _, furniture := range []string{"Log in", "Home", "Copyright", "Privacy", "Careers", a.Title} {
		if strings.Contains(a.Body, furniture) {
			t.Errorf("body holds page furniture %q", furniture)
		}
	}
}

// parseRecords runs ParseRecords on data and collects what it emits.
func parseRecords(t *testing.T, name, data string) ([]retrieval.Article, []ingest.RecordError, error) {
	t.Helper()
	var got []retrieval.Article
	bad, err := ingest.ParseRecords(context.Background(), name, strings.NewReader(data), func(a retrieval.Article) error {
		got = append(got, a)
		return nil
	})
	return got, bad, err
}

func TestParseRecords(t *testing.T) {
	tests := []struct {
		name, file, data string
		want             []retrieval.Article
		badLines         []int
	}{
		{
			name: "array",
			file: "a.json",
			data: `[{"id": "x1", "title": "One", "text": "First body.", "url": "https://e.com/1", "published": "2025-12-06", "source": "Wire"},
			        {"id": 7, "title": "Two", "body": "Second body."}]`,
			want: []retrieval.Article{
				{ID: "x1", Title: "One", Body: "First body.", URL: "https://e.com/1", Published: date(t, "2025-12-06"), Source: "Wire"},
				{ID: "7", Title: "Two", Body: "Second body."},
			},
		},
		{
			name: "single object",
			file: "one.json",
			data: `{"title": "Solo", "content": "Only body.", "date": "2024-02-29"}`,
			want: []retrieval.Article{{ID: "one.json", Title: "Solo", Body: "Only body.", Published: date(t, "2024-02-29")}},
		},
		{
			name: "JSONL as in the eval corpus",
			file: "corpus.jsonl",
			data: `{"doc_id": "d00201", "url": "https://e.com/a", "title": "Title A", "publish_date": "2022/06/12", "text": "Karen Gilchrist\n\nCNBC\n\nBody of A."}` + "\n" +
				`{"doc_id": "d00202", "url": "https://e.com/b", "title": "Title B", "publish_date": null, "text": "Title B\nBody of B."}` + "\n",
			want: []retrieval.Article{
				{ID: "d00201", Title: "Title A", URL: "https://e.com/a", Published: date(t, "2022-06-12"), Body: "Karen Gilchrist\nCNBC\nBody of A."},
				{ID: "d00202", Title: "Title B", URL: "https://e.com/b", Body: "Body of B."},
			},
		},
		{
			name: "JSONL with a broken line in the middle",
			file: "broken.jsonl",
			data: `{"id": "a", "text": "Alpha body."}` + "\n" +
				`{"id": "b", "text": "Beta body` + "\n" +
				"\n" +
				`{"id": "c", "text": ""}` + "\n" +
				`{"id": "d", "text": "Delta body."}` + "\n",
			want:     []retrieval.Article{{ID: "a", Body: "Alpha body."}, {ID: "d", Body: "Delta body."}},
			badLines: []int{2, 4},
		},
		{
			name:     "array with a record without text",
			file:     "arr.json",
			data:     `[{"id": "a", "text": "Alpha."}, {"id": "b"}, {"id": "c", "text": "Gamma."}]`,
			want:     []retrieval.Article{{ID: "a", Body: "Alpha."}, {ID: "c", Body: "Gamma."}},
			badLines: []int{2},
		},
		{
			name: "JSONL record without id falls back to file and line",
			file: "noid.jsonl",
			data: `{"text": "Alpha."}` + "\n" + `{"text": "Beta."}`,
			want: []retrieval.Article{{ID: "noid.jsonl#1", Body: "Alpha."}, {ID: "noid.jsonl#2", Body: "Beta."}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, bad, err := parseRecords(t, tt.file, tt.data)
			if err != nil {
				t.Fatalf("ParseRecords: %v", err)
			}
			if len(got) != len(tt.want) {
				t.Fatalf("got %d articles, want %d: %+v", len(got), len(tt.want), got)
			}
			for i := range got {
				if renderArticle(got[i]) != renderArticle(tt.want[i]) {
					t.Errorf("article %d:\n%s\nwant\n%s", i, renderArticle(got[i]), renderArticle(tt.want[i]))
				}
			}
			var lines []int
			for _, b := range bad {
				lines = append(lines, b.Line)
				var se *ingest.SkipError
				if !errors.As(b.Err, &se) {
					t.Errorf("record %d: error %v is not a *SkipError", b.Line, b.Err)
				}
			}
			if !equalInts(lines, tt.badLines) {
				t.Errorf("bad records at %v, want %v (%v)", lines, tt.badLines, bad)
			}
		})
	}
}

func TestParseRecordsRejects(t *testing.T) {
	tests := []struct {
		name, file, data, reason string
	}{
		{"empty", "e.jsonl", "  \n\n", ingest.ReasonEmpty},
		{"not JSON", "t.jsonl", "hello world\n", ingest.ReasonInvalid},
		{"binary", "b.jsonl", "\x00\x01\x02", ingest.ReasonBinary},
		{"every line bad", "bad.jsonl", "{oops\n{nope\n", ingest.ReasonInvalid},
		{"broken object", "o.json", `{"id": "a", "text": `, ingest.ReasonInvalid},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, _, err := parseRecords(t, tt.file, tt.data)
			if len(got) != 0 {
				t.Errorf("emitted %d articles", len(got))
			}
			assertSkip(t, err, tt.reason)
		})
	}
}

func assertSkip(t *testing.T, err error, reason string) {
	t.Helper()
	var se *ingest.SkipError
	if !errors.As(err, &se) {
		t.Fatalf("error %v, want a *SkipError with reason %q", err, reason)
	}
	if se.Reason != reason {
		t.Errorf("skip reason %q (%v), want %q", se.Reason, err, reason)
	}
}

func equalInts(a, b []int) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func TestParseDocumentSkips(t *testing.T) {
	tests := []struct {
		name, file string
		data       []byte
		reason     string
	}{
		{"empty", "e.txt", nil, ingest.ReasonEmpty},
		{"only white space", "w.txt", []byte(" \n\t\n"), ingest.ReasonEmpty},
		{"binary", "b.txt", []byte("PK\x03\x04\x00\x00text"), ingest.ReasonBinary},
		{"not UTF-8 in a charset not read", "l.html", []byte("<html><head><meta charset=\"shift_jis\"></head><body><p>\x82\xa0\x82\xa2 text.</p></body></html>"), ingest.ReasonNotUTF8},
		{"too large", "big.txt", make([]byte, ingest.MaxTextBytes+1), ingest.ReasonTooLarge},
		{"unsupported extension", "doc.pdf", []byte("%PDF-1.7 text"), ingest.ReasonUnsupported},
		{"nothing left after cleaning", "n.txt", []byte("Sign up now: Get our newsletters delivered to your inbox\n"), ingest.ReasonNoText},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ingest.ParseDocument(tt.file, tt.data)
			assertSkip(t, err, tt.reason)
		})
	}
}

func TestReadFile(t *testing.T) {
	dir := t.TempDir()
	write := func(name string, data string) string {
		t.Helper()
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(data), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	big := filepath.Join(dir, "big.txt")
	f, err := os.Create(big)
	if err != nil {
		t.Fatal(err)
	}
	// Sparse: the size check must refuse it before reading.
	if err := f.Truncate(ingest.MaxTextBytes + 1); err != nil {
		t.Fatal(err)
	}
	f.Close()

	tests := []struct {
		name    string
		path    string
		ids     []string
		badRecs int
		reason  string
	}{
		{"text", write("a.txt", "Headline\nBody sentence."), []string{"a.txt"}, 0, ""},
		{"jsonl", write("r.jsonl", `{"id":"1","text":"One."}`+"\n"+"{bad\n"+`{"id":"2","text":"Two."}`), []string{"1", "2"}, 1, ""},
		{"missing", filepath.Join(dir, "missing.txt"), nil, 0, ingest.ReasonUnreadable},
		{"directory", t.TempDir() + "/x.txt", nil, 0, ingest.ReasonUnreadable},
		{"too large", big, nil, 0, ingest.ReasonTooLarge},
		{"empty", write("empty.md", ""), nil, 0, ingest.ReasonEmpty},
	}
	if err := os.Mkdir(tests[3].path, 0o755); err != nil {
		t.Fatal(err)
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var ids []string
			bad, err := ingest.ReadFile(context.Background(), tt.path, func(a retrieval.Article) error {
				ids = append(ids, a.ID)
				return nil
			})
			if tt.reason != "" {
				assertSkip(t, err, tt.reason)
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if strings.Join(ids, ",") != strings.Join(tt.ids, ",") || len(bad) != tt.badRecs {
				t.Errorf("ids %v, %d bad records; want %v, %d", ids, len(bad), tt.ids, tt.badRecs)
			}
		})
	}
	t.Run("emit error stops and is returned", func(t *testing.T) {
		boom := errors.New("boom")
		_, err := ingest.ReadFile(context.Background(), filepath.Join(dir, "a.txt"), func(retrieval.Article) error { return boom })
		if !errors.Is(err, boom) {
			t.Errorf("err = %v, want boom", err)
		}
	})
}

func TestCollect(t *testing.T) {
	root := t.TempDir()
	files := []string{
		"b.txt", "a.md", "page.html", "notes.pdf", ".hidden.txt",
		"sub/c.json", "sub/z/g.jsonl", "sub/A.TXT",
		".git/config.txt", "sub/.cache/x.txt",
	}
	for _, f := range files {
		p := filepath.Join(root, filepath.FromSlash(f))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte("x"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	explicitPDF := filepath.Join(root, "notes.pdf")
	missing := filepath.Join(root, "missing.txt")
	got := ingest.Collect([]string{root, explicitPDF, missing})

	type row struct {
		path   string
		id     string
		reason string
	}
	// Every file is accounted for: a PDF inside the folder is reported as
	// well as one named directly. Ids are paths relative to the folder
	// named; a file named directly keeps its base name.
	want := []row{
		{filepath.Join(root, "a.md"), "a.md", ""},
		{filepath.Join(root, "b.txt"), "b.txt", ""},
		{filepath.Join(root, "notes.pdf"), "notes.pdf", ingest.ReasonUnsupported},
		{filepath.Join(root, "page.html"), "page.html", ""},
		{filepath.Join(root, "sub", "A.TXT"), "sub/A.TXT", ""},
		{filepath.Join(root, "sub", "c.json"), "sub/c.json", ""},
		{filepath.Join(root, "sub", "z", "g.jsonl"), "sub/z/g.jsonl", ""},
		{explicitPDF, "notes.pdf", ingest.ReasonUnsupported},
		{missing, "", ingest.ReasonUnreadable},
	}
	var rows []row
	for _, in := range got {
		r := row{path: in.Path, id: in.ID}
		if in.Skip != nil {
			var se *ingest.SkipError
			if !errors.As(in.Skip, &se) {
				t.Fatalf("%s: skip %v is not a *SkipError", in.Path, in.Skip)
			}
			r.reason = se.Reason
		}
		rows = append(rows, r)
	}
	if len(rows) != len(want) {
		t.Fatalf("Collect = %v\nwant %v", rows, want)
	}
	for i := range want {
		if rows[i] != want[i] {
			t.Errorf("entry %d = %v, want %v", i, rows[i], want[i])
		}
	}
}

func TestParseDate(t *testing.T) {
	tests := []struct {
		in   string
		want string
		ok   bool
	}{
		{"2025-12-06", "2025-12-06", true},
		{"2022/06/12", "2022-06-12", true},
		{"2022/6/2", "2022-06-02", true},
		{"2025-12-06T23:30:00-05:00", "2025-12-07", true},
		{"December 6, 2025", "2025-12-06", true},
		{"6 Dec 2025", "2025-12-06", true},
		{"", "", false},
		{"yesterday-ish", "", false},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			d, ok := ingest.ParseDate(tt.in)
			got := ""
			if ok {
				got = d.Format(retrieval.DateLayout)
				if d.Location() != time.UTC {
					t.Errorf("location %v, want UTC", d.Location())
				}
			}
			if ok != tt.ok || got != tt.want {
				t.Errorf("ParseDate(%q) = %q, %v; want %q, %v", tt.in, got, ok, tt.want, tt.ok)
			}
		})
	}
}
