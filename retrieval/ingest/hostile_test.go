package ingest_test

import (
	"context"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/briefbot/briefbot/retrieval"
	"github.com/briefbot/briefbot/retrieval/ingest"
)

// The date that panicked github.com/itlightning/dateparse (slice bounds out
// of range) wherever a date was read.
const hostileDate = "0  0000 11111,0000111111"

func TestHostileDatesKeepTheArticleWithoutADate(t *testing.T) {
	t.Run("front matter", func(t *testing.T) {
		for _, key := range []string{"date", "published"} {
			a, err := ingest.ParseDocument("a.md", []byte("---\ntitle: T\n"+key+": "+hostileDate+"\n---\nThe body sentence.\n"))
			if err != nil {
				t.Fatal(err)
			}
			if !a.Published.IsZero() || a.Body != "The body sentence." {
				t.Errorf("%s: got %+v", key, a)
			}
		}
	})
	t.Run("JSON published", func(t *testing.T) {
		got, bad, err := parseRecords(t, "r.jsonl", `{"id":"1","text":"Body one.","published":"`+hostileDate+`"}`+"\n"+
			`{"id":"2","text":"Body two.","date":1e300}`+"\n")
		if err != nil || len(bad) != 0 || len(got) != 2 {
			t.Fatalf("got %d articles, bad %v, err %v", len(got), bad, err)
		}
		for _, a := range got {
			if !a.Published.IsZero() {
				t.Errorf("%s: published %v", a.ID, a.Published)
			}
		}
	})
	t.Run("HTML published-time meta", func(t *testing.T) {
		page := `<html><head><title>A title</title><meta property="article:published_time" content="` + hostileDate + `"></head>` +
			`<body><article><p>` + strings.Repeat("The council met on Monday and voted for the plan. ", 10) + `</p></article></body></html>`
		a, err := ingest.ParseDocument("p.html", []byte(page))
		if err != nil {
			t.Fatal(err)
		}
		if !a.Published.IsZero() || !strings.Contains(a.Body, "The council met") {
			t.Errorf("got %+v", a)
		}
	})
}

func TestOnlyHTTPURLsAreStored(t *testing.T) {
	bad := []string{"javascript:alert(1)", "JavaScript:alert(1)", "data:text/html,x", "ftp://example.com/a", "//evil.example/x", "/relative", "https://", "http://exa mple.com\n/x"}
	for _, u := range bad {
		if got := ingest.SafeURL(u); got != "" {
			t.Errorf("SafeURL(%q) = %q, want none", u, got)
		}
	}
	for in, want := range map[string]string{
		"https://example.com/a?b=1": "https://example.com/a?b=1",
		" HTTP://example.com/x ":    "http://example.com/x",
	} {
		if got := ingest.SafeURL(in); got != want {
			t.Errorf("SafeURL(%q) = %q, want %q", in, got, want)
		}
	}

	t.Run("front matter", func(t *testing.T) {
		a, err := ingest.ParseDocument("a.md", []byte("---\ntitle: T\nurl: javascript:alert(1)\n---\nThe body sentence.\n"))
		if err != nil || a.URL != "" || a.Body != "The body sentence." {
			t.Errorf("got %+v, %v", a, err)
		}
	})
	t.Run("JSON", func(t *testing.T) {
		got, _, err := parseRecords(t, "r.json", `[{"id":"1","text":"Body.","url":"javascript:alert(1)"},{"id":"2","text":"Body.","url":"https://ok.example/2"}]`)
		if err != nil || len(got) != 2 || got[0].URL != "" || got[1].URL != "https://ok.example/2" {
			t.Errorf("got %+v, %v", got, err)
		}
	})
	t.Run("HTML canonical and og:url", func(t *testing.T) {
		body := `<body><article><p>` + strings.Repeat("The council met on Monday and voted for the plan. ", 10) + `</p></article></body></html>`
		a, err := ingest.ParseDocument("p.html", []byte(`<html><head><title>A title</title><link rel="canonical" href="javascript:alert(1)"></head>`+body))
		if err != nil || a.URL != "" || a.Body == "" {
			t.Errorf("javascript canonical: got URL %q, %v", a.URL, err)
		}
		a, err = ingest.ParseDocument("p.html", []byte(`<html><head><title>A title</title><link rel="canonical" href="javascript:alert(1)">`+
			`<meta property="og:url" content="https://news.example/a?x=1&amp;y=2"></head>`+body))
		if err != nil || a.URL != "https://news.example/a?x=1&y=2" {
			t.Errorf("og:url after a bad canonical: got URL %q, %v", a.URL, err)
		}
	})
}

func TestRecordsNotUTF8AreSkipped(t *testing.T) {
	data := `{"id":"good","text":"Fine text."}` + "\n" +
		"{\"id\":\"latin1\",\"text\":\"caf\xe9 au lait.\"}\n" +
		`{"id":"surrogate","text":"half a pair \ud800 here."}` + "\n" +
		`{"id":"replacement","text":"a real \ufffd and \uFFFD are characters."}` + "\n"
	got, bad, err := parseRecords(t, "r.jsonl", data)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 || got[0].ID != "good" || got[1].ID != "replacement" {
		t.Errorf("kept %v", ids(got))
	}
	if len(bad) != 2 || bad[0].Line != 2 || bad[1].Line != 3 {
		t.Fatalf("bad = %v", bad)
	}
	for _, b := range bad {
		assertSkip(t, b.Err, ingest.ReasonNotUTF8)
	}
	// The same in an array.
	got, bad, err = parseRecords(t, "r.json", "[{\"id\":\"a\",\"text\":\"caf\xe9.\"},{\"id\":\"b\",\"text\":\"ok.\"}]")
	if err != nil || len(got) != 1 || got[0].ID != "b" || len(bad) != 1 {
		t.Fatalf("array: kept %v, bad %v, err %v", ids(got), bad, err)
	}
	assertSkip(t, bad[0].Err, ingest.ReasonNotUTF8)
}

func ids(arts []retrieval.Article) []string {
	var out []string
	for _, a := range arts {
		out = append(out, a.ID)
	}
	return out
}

// repeatReader yields n bytes of b, without holding them.
type repeatReader struct {
	b byte
	n int64
}

func (r *repeatReader) Read(p []byte) (int, error) {
	if r.n <= 0 {
		return 0, io.EOF
	}
	if int64(len(p)) > r.n {
		p = p[:r.n]
	}
	for i := range p {
		p[i] = r.b
	}
	r.n -= int64(len(p))
	return len(p), nil
}

func TestJSONLRecordOverTheCapIsSkippedAndTheRestRead(t *testing.T) {
	huge := io.MultiReader(
		strings.NewReader(`{"id":"before","text":"Before."}`+"\n"+`{"id":"huge","text":"`),
		&repeatReader{b: 'x', n: ingest.MaxRecordBytes + 1},
		strings.NewReader(`"}`+"\n"+`{"id":"after","text":"After."}`+"\n"),
	)
	var got []retrieval.Article
	bad, err := ingest.ParseRecords(context.Background(), "big.jsonl", huge, func(a retrieval.Article) error {
		got = append(got, a)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if strings.Join(ids(got), ",") != "before,after" {
		t.Errorf("kept %v, want before,after", ids(got))
	}
	if len(bad) != 1 || bad[0].Line != 2 {
		t.Fatalf("bad = %v, want line 2", bad)
	}
	assertSkip(t, bad[0].Err, ingest.ReasonTooLarge)
}

func TestTruncatedArrayKeepsTheRecordsBeforeTheBreak(t *testing.T) {
	got, bad, err := parseRecords(t, "a.json", `[{"id":"1","text":"One."},{"id":"2","text":"Two."},{"id":"3","te`)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Join(ids(got), ",") != "1,2" || len(bad) != 1 || bad[0].Line != 3 {
		t.Fatalf("kept %v, bad %v", ids(got), bad)
	}
	assertSkip(t, bad[0].Err, ingest.ReasonInvalid)
}

func TestConcatenatedObjectsInAJSONFile(t *testing.T) {
	got, bad, err := parseRecords(t, "c.json", `{"id":"1","text":"One."}`+"\n"+`{"id":"2","text":"Two."}`)
	if err != nil || len(bad) != 0 || strings.Join(ids(got), ",") != "1,2" {
		t.Fatalf("kept %v, bad %v, err %v", ids(got), bad, err)
	}
}

func TestParseRecordsStopsWhenCancelled(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	for _, tt := range []struct{ name, data string }{
		{"r.jsonl", `{"id":"1","text":"One."}` + "\n" + `{"id":"2","text":"Two."}` + "\n"},
		{"r.json", `[{"id":"1","text":"One."},{"id":"2","text":"Two."}]`},
	} {
		ctx, cancel := context.WithCancel(ctx)
		var got []string
		_, err := ingest.ParseRecords(ctx, tt.name, strings.NewReader(tt.data), func(a retrieval.Article) error {
			got = append(got, a.ID)
			cancel()
			return nil
		})
		if !errors.Is(err, context.Canceled) || len(got) != 1 {
			t.Errorf("%s: err %v after %v, want context.Canceled after one record", tt.name, err, got)
		}
	}
}

func TestReadFileHonoursCancellation(t *testing.T) {
	p := filepath.Join(t.TempDir(), "a.txt")
	if err := os.WriteFile(p, []byte("Body sentence."), 0o644); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err := ingest.ReadFile(ctx, p, func(retrieval.Article) error { t.Error("emitted after cancel"); return nil })
	if !errors.Is(err, context.Canceled) {
		t.Errorf("err = %v, want context.Canceled", err)
	}
}

func TestReadFileRecoversAPanic(t *testing.T) {
	p := filepath.Join(t.TempDir(), "a.jsonl")
	if err := os.WriteFile(p, []byte(`{"id":"1","text":"One."}`), 0o644); err != nil {
		t.Fatal(err)
	}
	_, err := ingest.ReadFile(context.Background(), p, func(retrieval.Article) error {
		var arts []retrieval.Article
		_ = arts[len(p)] // index out of range: a runtime panic
		return nil
	})
	assertSkip(t, err, ingest.ReasonInternal)
	if !strings.Contains(err.Error(), "index out of range") {
		t.Errorf("err %q does not say what panicked", err)
	}
}

func TestFileNames(t *testing.T) {
	for in, want := range map[string]string{
		"dir/a.txt":          "dir/a.txt",
		"dir/with space.txt": "dir/with space.txt",
		"dir/ünï.txt":        "dir/ünï.txt",
		"dir/a\nb.txt":       `"dir/a\nb.txt"`,
		"dir/a\rb.txt":       `"dir/a\rb.txt"`,
		"dir/a\x1b[2Jb.txt":  `"dir/a\x1b[2Jb.txt"`,
		"dir/caf\xe9.txt":    `"dir/caf\xe9.txt"`,
	} {
		if got := ingest.DisplayPath(in); got != want {
			t.Errorf("DisplayPath(%q) = %s, want %s", in, got, want)
		}
	}

	dir := t.TempDir()
	names := []string{"good.txt", "new\nline.txt", "caf\xe9.txt"}
	for _, n := range names {
		if err := os.WriteFile(filepath.Join(dir, n), []byte("Body sentence."), 0o644); err != nil {
			t.Skipf("this file system refuses the name %q: %v", n, err)
		}
	}
	reasons := map[string]string{}
	for _, in := range ingest.Collect([]string{dir}) {
		r := ""
		var se *ingest.SkipError
		if errors.As(in.Skip, &se) {
			r = se.Reason
		}
		reasons[filepath.Base(in.Path)] = r
	}
	want := map[string]string{"good.txt": "", "new\nline.txt": "", "caf\xe9.txt": ingest.ReasonBadName}
	for n, r := range want {
		if got, ok := reasons[n]; !ok || got != r {
			t.Errorf("Collect: %q reason %q (listed %v), want %q", n, got, ok, r)
		}
	}
	_, err := ingest.ReadFile(context.Background(), filepath.Join(dir, "caf\xe9.txt"), func(retrieval.Article) error { return nil })
	assertSkip(t, err, ingest.ReasonBadName)
}

func TestRecordIDsInReasonsAreQuoted(t *testing.T) {
	_, bad, _ := parseRecords(t, "r.jsonl", `{"id":"a\nskipped   forged","text":" "}`+"\n"+`{"id":"ok","text":"Body."}`)
	if len(bad) != 1 || strings.Contains(bad[0].Error(), "\n") || !strings.Contains(bad[0].Error(), `"a\nskipped   forged"`) {
		t.Errorf("bad = %q, want one reason with the id quoted", bad)
	}
}

func TestSymlinkLoopsDoNotHangTheWalk(t *testing.T) {
	dir := t.TempDir()
	mustLink := func(target, name string) {
		t.Helper()
		if err := os.Symlink(target, filepath.Join(dir, name)); err != nil {
			t.Skipf("no symlinks here: %v", err)
		}
	}
	if err := os.WriteFile(filepath.Join(dir, "real.txt"), []byte("Body sentence."), 0o644); err != nil {
		t.Fatal(err)
	}
	mustLink("b.txt", "a.txt")   // a.txt -> b.txt -> a.txt
	mustLink("a.txt", "b.txt")   //
	mustLink(".", "self")        // a directory loop
	mustLink("real.txt", "l.md") // a link to a regular file is read
	got := map[string]string{}
	for _, in := range ingest.Collect([]string{dir}) {
		r := ""
		var se *ingest.SkipError
		if errors.As(in.Skip, &se) {
			r = se.Reason
		}
		got[filepath.Base(in.Path)] = r
	}
	want := map[string]string{"a.txt": ingest.ReasonUnreadable, "b.txt": ingest.ReasonUnreadable, "l.md": "", "real.txt": ""}
	if len(got) != len(want) {
		t.Errorf("Collect = %v, want %v", got, want)
	}
	for n, r := range want {
		if got[n] != r {
			t.Errorf("%s: reason %q, want %q", n, got[n], r)
		}
	}
	_, err := ingest.ReadFile(context.Background(), filepath.Join(dir, "a.txt"), func(retrieval.Article) error { return nil })
	assertSkip(t, err, ingest.ReasonUnreadable)

	// A root given as a link to a directory is walked.
	link := filepath.Join(t.TempDir(), "linked")
	if err := os.Symlink(dir, link); err != nil {
		t.Fatal(err)
	}
	var paths []string
	for _, in := range ingest.Collect([]string{link}) {
		if in.Skip == nil {
			paths = append(paths, filepath.Base(in.Path))
		}
	}
	if strings.Join(paths, ",") != "l.md,real.txt" {
		t.Errorf("Collect(link to dir) = %v", paths)
	}
}
