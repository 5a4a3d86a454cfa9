package ingest_test

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/briefbot/briefbot/retrieval/ingest"
)

// BenchmarkFeedArticles1000 turns a 1,000-item RSS feed (about 2 KB of HTML
// content per item) into articles: parsing, HTML extraction and cleaning.
func BenchmarkFeedArticles1000(b *testing.B) {
	para := `<p>The harbour bridge reopened to traffic on Monday after storm repairs that took <b>six weeks</b> and cost the council more than two million pounds, officials said.</p>`
	var sb strings.Builder
	sb.WriteString(`<rss version="2.0" xmlns:content="http://purl.org/rss/1.0/modules/content/"><channel><title>Bench</title>`)
	for i := range 1000 {
		fmt.Fprintf(&sb, "<item><title>Story %d</title><link>https://bench.example/%d</link><guid>g%d</guid><pubDate>Thu, 04 Dec 2025 10:30:00 GMT</pubDate><content:encoded><![CDATA[%s]]></content:encoded></item>\n", i, i, i, strings.Repeat(para, 10))
	}
	sb.WriteString(`</channel></rss>`)
	data := []byte(sb.String())
	b.SetBytes(int64(len(data)))
	for b.Loop() {
		res, err := ingest.FeedArticles(context.Background(), data, ingest.FeedOptions{Prefix: "bench.rss"})
		if err != nil || len(res.Articles) != 1000 {
			b.Fatal(err)
		}
	}
}
