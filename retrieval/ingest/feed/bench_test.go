package feed_test

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"github.com/briefbot/briefbot/retrieval/ingest/feed"
)

// benchParagraph is one paragraph of item content (about 200 bytes).
const benchParagraph = `<p>The harbour bridge reopened to traffic on Monday after storm repairs that took <b>six weeks</b> and cost the council more than two million pounds, officials said.</p>`

// BenchFeed returns a feed of n items with about 2 KB of HTML content each,
// in the given format.
func BenchFeed(format feed.Format, n int) []byte {
	content := strings.Repeat(benchParagraph, 10)
	var b strings.Builder
	switch format {
	case feed.RSS:
		b.WriteString(`<?xml version="1.0" encoding="UTF-8"?><rss version="2.0" xmlns:content="http://purl.org/rss/1.0/modules/content/"><channel><title>Bench</title><link>https://bench.example/</link>`)
		for i := range n {
			fmt.Fprintf(&b, "<item><title>Story %d</title><link>https://bench.example/%d</link><guid>g%d</guid><pubDate>Thu, 04 Dec 2025 10:30:00 GMT</pubDate><description>Summary %d.</description><content:encoded><![CDATA[%s]]></content:encoded></item>\n", i, i, i, i, content)
		}
		b.WriteString(`</channel></rss>`)
	case feed.Atom:
		b.WriteString(`<?xml version="1.0"?><feed xmlns="http://www.w3.org/2005/Atom"><title>Bench</title><link href="https://bench.example/"/>`)
		for i := range n {
			fmt.Fprintf(&b, "<entry><title>Story %d</title><link rel=\"alternate\" href=\"/%d\"/><id>g%d</id><published>2025-12-04T10:30:00Z</published><summary>Summary %d.</summary><content type=\"html\">%s</content></entry>\n",
				i, i, i, i, strings.NewReplacer("<", "&lt;", ">", "&gt;").Replace(content))
		}
		b.WriteString(`</feed>`)
	case feed.JSON:
		items := make([]map[string]string, n)
		for i := range items {
			items[i] = map[string]string{"id": fmt.Sprint("g", i), "url": fmt.Sprint("https://bench.example/", i), "title": fmt.Sprint("Story ", i),
				"content_html": content, "summary": "Summary.", "date_published": "2025-12-04T10:30:00Z"}
		}
		data, _ := json.Marshal(map[string]any{"version": "https://jsonfeed.org/version/1.1", "title": "Bench", "items": items})
		return data
	}
	return []byte(b.String())
}

// BenchmarkParse1000 parses a 1,000-item feed (about 2.2 MB) of each format.
func BenchmarkParse1000(b *testing.B) {
	for _, format := range []feed.Format{feed.RSS, feed.Atom, feed.JSON} {
		data := BenchFeed(format, 1000)
		b.Run(strings.ReplaceAll(string(format), " ", ""), func(b *testing.B) {
			b.SetBytes(int64(len(data)))
			for b.Loop() {
				f, err := feed.Parse(data, feed.Options{})
				if err != nil || len(f.Items) != 1000 {
					b.Fatal(err)
				}
			}
		})
	}
}
