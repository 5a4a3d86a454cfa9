package feed_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/briefbot/briefbot/retrieval/ingest"
	"github.com/briefbot/briefbot/retrieval/ingest/feed"
)

func parseFile(t *testing.T, name string) *feed.Feed {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	f, err := feed.Parse(data, feed.Options{})
	if err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	return f
}

func day(s string) time.Time {
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		panic(err)
	}
	return t.UTC()
}

func TestRSS(t *testing.T) {
	f := parseFile(t, "rss2.xml")
	if f.Format != feed.RSS || f.Title != "Harbour & City News" || f.Link != "https://news.example.com/" {
		t.Fatalf("feed %q %q %q", f.Format, f.Title, f.Link)
	}
	if len(f.Items) != 4 {
		t.Fatalf("%d items", len(f.Items))
	}
	it := f.Items[0]
	if it.ID != "news-1001" || it.Link != "https://news.example.com/2025/12/bridge" || it.Title != "Harbour bridge reopens" {
		t.Errorf("item 1: %+v", it)
	}
	if !it.Published.Equal(day("2025-12-04T10:30:00Z")) {
		t.Errorf("pubDate %v", it.Published)
	}
	if !it.Content.HTML || !strings.Contains(it.Content.Value, "<figcaption>") || !strings.Contains(it.Content.Value, "storm repairs") {
		t.Errorf("content:encoded %+v", it.Content)
	}
	if it.Summary.Value != "The bridge is open again." {
		t.Errorf("description %+v", it.Summary)
	}
	it = f.Items[1]
	// A relative link resolves against the channel's; dc:date is read; the
	// escaped markup in the title is dropped.
	if it.Link != "https://news.example.com/2025/12/tram" || it.Title != "Council approves tram extension" || it.ID != "" {
		t.Errorf("item 2: %+v", it)
	}
	if !it.Published.Equal(day("2025-12-05T07:00:00Z")) {
		t.Errorf("dc:date %v", it.Published)
	}
	if !it.Content.Empty() || it.Summary.Value != "<p>The council approved a tram extension with four new stations.</p>" || !it.Summary.HTML {
		t.Errorf("item 2 text: %+v %+v", it.Content, it.Summary)
	}
	it = f.Items[2]
	// A permalink guid is the link; RFC 822 with a two-digit year and a zone name.
	if it.Link != "https://news.example.com/2025/12/ferry" || !it.Published.Equal(day("2025-12-06T12:15:00Z")) {
		t.Errorf("item 3: %+v", it)
	}
	if got := f.Items[3].Published; !got.Equal(day("2025-12-06T08:00:00Z")) {
		t.Errorf("date without weekday: %v", got)
	}
}

func TestAtom(t *testing.T) {
	f := parseFile(t, "atom.xml")
	if f.Format != feed.Atom || f.Title != "Science Desk" || f.Link != "https://science.example.org/" {
		t.Fatalf("feed %q %q %q", f.Format, f.Title, f.Link)
	}
	if len(f.Items) != 3 {
		t.Fatalf("%d items", len(f.Items))
	}
	it := f.Items[0]
	if it.ID != "tag:science.example.org,2025:comet" || it.Title != "Comet C/2025 X1 brightens" {
		t.Errorf("entry 1: %q %q", it.ID, it.Title)
	}
	// rel=alternate wins over the enclosure, resolved against the feed's link.
	if it.Link != "https://science.example.org/2025/comet" {
		t.Errorf("link %q", it.Link)
	}
	if !it.Published.Equal(day("2025-12-04T02:15:00Z")) || !it.Updated.Equal(day("2025-12-04T09:00:00Z")) {
		t.Errorf("dates %v %v", it.Published, it.Updated)
	}
	if !it.Content.HTML || !strings.HasPrefix(it.Content.Value, "<p>The comet brightened") || it.Summary.Value != "A comet brightens." || it.Summary.HTML {
		t.Errorf("texts %+v %+v", it.Content, it.Summary)
	}
	it = f.Items[1]
	if it.Link != "https://science.example.org/2025/glacier" || !it.Published.IsZero() || !it.Updated.Equal(day("2025-12-05T10:00:00Z")) {
		t.Errorf("entry 2: %+v", it)
	}
	if want := `<div><p>The survey found the glacier retreated <em>forty</em> metres.</p><p>Measurements used drones &amp; GPS.</p></div>`; it.Content.Value != want || !it.Content.HTML {
		t.Errorf("xhtml content %q", it.Content.Value)
	}
	it = f.Items[2]
	if !it.Content.Empty() || it.Summary.Value != "Only a summary <not markup> here." || it.Summary.HTML {
		t.Errorf("entry 3: %+v", it)
	}
}

func TestJSONFeed(t *testing.T) {
	f := parseFile(t, "feed.json")
	if f.Format != feed.JSON || f.Title != "Markets Daily" || f.Link != "https://markets.example.net/" {
		t.Fatalf("feed %q %q %q", f.Format, f.Title, f.Link)
	}
	if len(f.Items) != 3 || len(f.Bad) != 1 || f.Bad[0].Index != 4 {
		t.Fatalf("%d items, bad %v", len(f.Items), f.Bad)
	}
	it := f.Items[0]
	if it.ID != "m-1" || it.Link != "https://markets.example.net/rates" || !it.Content.HTML || it.Summary.Value != "Rates on hold." ||
		!it.Published.Equal(day("2025-12-02T14:00:00Z")) {
		t.Errorf("item 1: %+v", it)
	}
	it = f.Items[1]
	if it.ID != "2" || it.Content.HTML || !strings.HasPrefix(it.Content.Value, "Oil prices fell") || !it.Updated.Equal(day("2025-12-03T09:00:00Z")) {
		t.Errorf("item 2: %+v", it)
	}
	if it := f.Items[2]; it.Link != "https://elsewhere.example.com/gold" || !it.Content.Empty() {
		t.Errorf("item 3: %+v", it)
	}
	// JSON Feed 1.0, detected by its version.
	f, err := feed.Parse([]byte(`{"version":"https://jsonfeed.org/version/1","title":"T","items":[{"id":"a","content_text":"x"},{"id":12345678901234567890,"content_text":"y"}]}`), feed.Options{})
	if err != nil || len(f.Items) != 2 || f.Items[1].ID != "12345678901234567890" {
		t.Fatalf("1.0: %v %+v", err, f)
	}
}

func TestBrokenFeeds(t *testing.T) {
	rss, _ := os.ReadFile(filepath.Join("testdata", "rss2.xml"))
	cases := []struct {
		name string
		data []byte
		want error
		msg  string
	}{
		{"truncated RSS", rss[:len(rss)/2], feed.ErrBroken, "unexpected EOF"},
		{"unclosed", []byte("<rss><channel><item><title>x</title>"), feed.ErrBroken, ""},
		{"not a feed", []byte("<html><body>hi</body></html>"), feed.ErrNotFeed, ""},
		{"plain JSON", []byte(`{"items":[]}`), feed.ErrNotFeed, ""},
		{"JSON without jsonfeed version", []byte(`{"version":"jsonfeed.org/version/1","items":3}`), feed.ErrBroken, "JSON"},
		{"unknown charset", []byte(`<?xml version="1.0" encoding="koi8-r"?><rss><channel></channel></rss>`), feed.ErrBroken, "koi8-r"},
		{"too deep", []byte("<rss>" + strings.Repeat("<a>", 200) + strings.Repeat("</a>", 200) + "</rss>"), feed.ErrBroken, "nested"},
		{"too large", append([]byte("<rss>"), make([]byte, feed.MaxBytes)...), feed.ErrTooLarge, ""},
		{"empty", nil, feed.ErrNotFeed, ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := feed.Parse(c.data, feed.Options{})
			if !errors.Is(err, c.want) || !strings.Contains(err.Error(), c.msg) {
				t.Fatalf("err %v, want %v containing %q", err, c.want, c.msg)
			}
			// Errors say what is wrong without quoting the feed.
			if len(err.Error()) > 200 {
				t.Errorf("error too long: %d bytes", len(err.Error()))
			}
		})
	}
}

func TestItemCap(t *testing.T) {
	var b bytes.Buffer
	b.WriteString(`<rss><channel><title>Big</title>`)
	for i := range feed.MaxItems + 5 {
		fmt.Fprintf(&b, "<item><guid>%d</guid><description>d</description></item>", i)
	}
	b.WriteString(`</channel></rss>`)
	f, err := feed.Parse(b.Bytes(), feed.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if len(f.Items) != feed.MaxItems || f.Dropped != 5 {
		t.Fatalf("%d items, %d dropped", len(f.Items), f.Dropped)
	}
}

func TestRSS1AndBareAtom(t *testing.T) {
	rdf := `<?xml version="1.0"?>
<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#" xmlns="http://purl.org/rss/1.0/" xmlns:dc="http://purl.org/dc/elements/1.1/">
 <channel rdf:about="https://x.example/"><title>RDF site</title><link>https://x.example/</link></channel>
 <item rdf:about="https://x.example/1"><title>One</title><link>https://x.example/1</link><description>First &amp; only.</description><dc:date>2025-12-01</dc:date></item>
</rdf:RDF>`
	f, err := feed.Parse([]byte(rdf), feed.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if f.Format != feed.RSS || f.Title != "RDF site" || len(f.Items) != 1 || f.Items[0].ID != "https://x.example/1" ||
		f.Items[0].Summary.Value != "First & only." || !f.Items[0].Published.Equal(day("2025-12-01T00:00:00Z")) {
		t.Fatalf("%+v", f)
	}
	// Atom without its namespace declaration, relative links against BaseURL.
	bare := `<feed><title>Bare</title><entry><id>e1</id><link href="/e1"/><content type="html">&lt;p&gt;x&lt;/p&gt;</content></entry></feed>`
	f, err = feed.Parse([]byte(bare), feed.Options{BaseURL: "http://127.0.0.1:9/feed"})
	if err != nil {
		t.Fatal(err)
	}
	if len(f.Items) != 1 || f.Items[0].Link != "http://127.0.0.1:9/e1" || f.Items[0].Content.Value != "<p>x</p>" {
		t.Fatalf("%+v", f.Items)
	}
}

func TestUnsafeLinksDropped(t *testing.T) {
	doc := `<rss><channel><item><link>javascript:alert(1)</link><guid>g</guid><description>d</description></item></channel></rss>`
	f, err := feed.Parse([]byte(doc), feed.Options{})
	if err != nil || f.Items[0].Link != "" {
		t.Fatalf("%v %+v", err, f)
	}
}

func TestSniff(t *testing.T) {
	for doc, want := range map[string]feed.Format{
		"\ufeff<?xml version='1.0'?>\n<!-- c --><rss version='2.0'>":    feed.RSS,
		`<feed xmlns="http://www.w3.org/2005/Atom">`:                    feed.Atom,
		`<rdf:RDF xmlns:rdf="x">`:                                       feed.RSS,
		` {"version": "https://jsonfeed.org/version/1.1", "items": []}`: feed.JSON,
		`{"id": "x", "text": "a record"}`:                               "",
		`<html>`:                                                        "",
		`plain`:                                                         "",
	} {
		if got := feed.Sniff([]byte(doc)); got != want {
			t.Errorf("Sniff(%q) = %q, want %q", doc, got, want)
		}
	}
}

// FuzzParse: no input panics, and what is returned keeps the promises:
// UTF-8 text, absolute http(s) links or none, plausible dates, bounded items.
func FuzzParse(f *testing.F) {
	for _, name := range []string{"rss2.xml", "atom.xml", "feed.json"} {
		data, err := os.ReadFile(filepath.Join("testdata", name))
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	f.Add([]byte(`<rss><channel><item><title>&lt;b&gt;x</title><description><p>inline</p></description></item></channel></rss>`))
	f.Add([]byte(`<?xml version="1.0" encoding="iso-8859-1"?><feed><entry><content type="xhtml"><div/></content></entry></feed>`))
	f.Add([]byte(`{"version":"https://jsonfeed.org/version/1","items":[{"id":1e400}]}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		// The conversion to articles (charsets, HTML extraction) never
		// panics either, and fails only with a skip.
		res, err := ingest.FeedArticles(context.Background(), data, ingest.FeedOptions{Prefix: "f"})
		var se *ingest.SkipError
		if err != nil && !errors.As(err, &se) {
			t.Fatalf("FeedArticles error %v is not a skip", err)
		}
		for _, a := range res.Articles {
			if !strings.HasPrefix(a.ID, "f#") || strings.TrimSpace(a.Body) == "" || !utf8.ValidString(a.Body) || !utf8.ValidString(a.Title) {
				t.Fatalf("article %+v", a)
			}
		}
		fd, err := feed.Parse(data, feed.Options{BaseURL: "https://base.example/"})
		if err != nil {
			if !errors.Is(err, feed.ErrBroken) && !errors.Is(err, feed.ErrNotFeed) && !errors.Is(err, feed.ErrTooLarge) {
				t.Fatalf("unclassified error %v", err)
			}
			return
		}
		if len(fd.Items) > feed.MaxItems {
			t.Fatalf("%d items", len(fd.Items))
		}
		for _, it := range fd.Items {
			if it.Link != "" && !strings.HasPrefix(it.Link, "http://") && !strings.HasPrefix(it.Link, "https://") {
				t.Fatalf("link %q", it.Link)
			}
			if fd.Format != feed.JSON {
				for _, s := range []string{it.ID, it.Title, it.Content.Value, it.Summary.Value} {
					if !utf8.ValidString(s) {
						t.Fatalf("not UTF-8: %q", s)
					}
				}
			}
			for _, d := range []time.Time{it.Published, it.Updated} {
				if !d.IsZero() && (d.Year() < 1900 || d.Year() > 2200) {
					t.Fatalf("date %v", d)
				}
			}
		}
	})
}
