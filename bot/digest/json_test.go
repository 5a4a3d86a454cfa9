package digest_test

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/briefbot/briefbot/bot/digest"
	"github.com/briefbot/briefbot/bot/digest/digesttest"
	"github.com/briefbot/briefbot/internal/golden"
	"github.com/briefbot/briefbot/retrieval"
)

// docSearcher serves whole documents for Build; it answers no question.
type docSearcher []retrieval.Document

func (s docSearcher) Search(context.Context, retrieval.Query) (retrieval.Result, error) {
	return retrieval.Result{}, nil
}

func (s docSearcher) Articles(context.Context) ([]retrieval.ArticleMeta, error) {
	var out []retrieval.ArticleMeta
	for _, d := range s {
		out = append(out, d.ArticleMeta)
	}
	return out, nil
}

func (s docSearcher) Document(_ context.Context, id string) (retrieval.Document, error) {
	for _, d := range s {
		if d.ID == id {
			return d, nil
		}
	}
	return retrieval.Document{}, errors.New("no such document")
}

// doc is a document whose sentences are the given ones, joined by a space.
func doc(m retrieval.ArticleMeta, sentences ...string) retrieval.Document {
	d := retrieval.Document{ArticleMeta: m, Body: strings.Join(sentences, " ")}
	at := 0
	for _, s := range sentences {
		d.Sentences = append(d.Sentences, retrieval.Sentence{Span: retrieval.Span{Start: at, End: at + len(s)}, Text: s})
		at += len(s) + 1
	}
	return d
}

// TestDigestJSONGolden pins the bytes of `briefbot digest --json` (indented,
// HTML unescaped) and of json.Marshal, for a built digest (citations with
// and without a source, URL and date, a hostile URL and characters) and for
// the adapters' rendering sample.
func TestDigestJSONGolden(t *testing.T) {
	day := func(d int) time.Time { return time.Date(2025, 12, d, 9, 0, 0, 0, time.UTC) }
	s := docSearcher{
		doc(retrieval.ArticleMeta{ID: "a.txt", Title: "Drones & <missiles>", Source: "Kyiv Post", URL: "https://example.com/a?x=1&y=2", Published: day(6), Hash: "h", Chunks: 2, Collection: "news"},
			"Russia fired 653 drones and 51 missiles overnight, Ukraine's air force said.", "Air defences shot down most of the drones over the capital."),
		doc(retrieval.ArticleMeta{ID: "b.txt", Title: "Overnight attack", URL: "javascript:alert(1)", Published: day(6)},
			"Russia fired 653 drones and 51 missiles overnight at Ukraine, officials said.", `Officials called it "the largest" attack.`),
		doc(retrieval.ArticleMeta{ID: "c.txt", Ingested: day(6)},
			"Power cuts were scheduled in eight regions.", "The grid operator asked households to save electricity."),
	}
	built, err := digest.Build(context.Background(), s, digest.Options{All: true, Now: day(7)})
	if err != nil {
		t.Fatal(err)
	}
	if len(built.Stories) == 0 {
		t.Fatal("no stories")
	}
	// A digest cites as an answer does: a URL that is not http(s) is left out.
	for _, st := range built.Stories {
		for _, sn := range st.Sentences {
			if sn.Article.ID == "b.txt" && sn.Article.URL != "" {
				t.Errorf("b.txt cited with URL %q, want none", sn.Article.URL)
			}
		}
	}
	sample := digesttest.Sample(digesttest.Hostile{Headline: "<!here> & <b>bold</b>", Sentence: "Talks went on @everyone.", Title: "A & B <c>"})
	for name, d := range map[string]digest.Digest{"built": built, "sample": sample, "empty": {Date: "2025-12-06", Window: digest.Window{Day: "2025-12-06"}, Timezone: "UTC", Stories: []digest.Story{}}} {
		t.Run(name, func(t *testing.T) {
			golden.Contract(t, "digest_json_"+name, d)
		})
	}
}

// TestDigestJSONReadsBack: a digest's JSON reads back to one that writes
// the same bytes.
func TestDigestJSONReadsBack(t *testing.T) {
	d := digesttest.Sample(digesttest.Hostile{Headline: "H", Sentence: "S.", Title: "T"})
	b, err := json.Marshal(d)
	if err != nil {
		t.Fatal(err)
	}
	var back digest.Digest
	if err := json.Unmarshal(b, &back); err != nil {
		t.Fatal(err)
	}
	if again, _ := json.Marshal(back); string(again) != string(b) {
		t.Errorf("read back as\n%s\nwant\n%s", again, b)
	}
	if got := back.Stories[0].Sentences[0].Article; got.ID != "001.txt" || !got.Published.Equal(time.Date(2025, 12, 6, 0, 0, 0, 0, time.UTC)) {
		t.Errorf("citation read back as %+v", got)
	}
}
