package slack

import (
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/slack-go/slack"

	"github.com/briefbot/briefbot/bot"
	"github.com/briefbot/briefbot/bot/digest"
	"github.com/briefbot/briefbot/internal/golden"
	"github.com/briefbot/briefbot/retrieval"
)

// A hostile article: text and titles that try to form Slack links and
// mentions, markdown links (which mrkdwn does not render, but must still
// not reach a link), and a javascript: URL.
const (
	phish      = "<https://evil.example/phish|click here> [click here](https://evil.example/phish)"
	hostileURL = "javascript:alert(1)"
)

// slackLink finds what Slack reads as <target|label> or <target> in mrkdwn.
var slackLink = regexp.MustCompile(`<([^<>|]*)(?:\|([^<>]*))?>`)

// mrkdwnTexts are every text of m Slack renders.
func mrkdwnTexts(m Message) []string {
	texts := []string{m.Text}
	for _, b := range m.Blocks {
		switch b := b.(type) {
		case *slack.SectionBlock:
			texts = append(texts, b.Text.Text)
		case *slack.ContextBlock:
			for _, e := range b.ContextElements.Elements {
				if o, ok := e.(*slack.TextBlockObject); ok {
					texts = append(texts, o.Text)
				}
			}
		}
	}
	return texts
}

// assertOnlyLinks fails unless every <…> in m is a link to one of allowed.
func assertOnlyLinks(t *testing.T, m Message, allowed ...string) {
	t.Helper()
	for _, s := range mrkdwnTexts(m) {
		for _, l := range slackLink.FindAllStringSubmatch(s, -1) {
			ok := false
			for _, a := range allowed {
				ok = ok || l[1] == a
			}
			if !ok {
				t.Errorf("rendered text links to %q: %q", l[1], s)
			}
		}
	}
}

func hostileAnswer() bot.Answer {
	return bot.Answer{
		Question: "What about " + phish + "?",
		Found:    true,
		Searched: searched,
		Quotes: []retrieval.Quote{
			{
				Text:    "Officials said " + phish + " & more.",
				Context: "Before that, " + phish + " was posted.",
				Article: retrieval.ArticleMeta{ID: "evil_1.txt", Title: "Read " + phish, Source: phish, URL: hostileURL, Published: time.Date(2025, 12, 6, 0, 0, 0, 0, time.UTC)},
				AlsoIn:  []retrieval.ArticleMeta{{ID: "evil_2.txt", Title: "Also " + phish}},
			},
			{
				Text:    "The pier is closed.",
				Article: retrieval.ArticleMeta{ID: "pier.txt", Title: "Pier |closed> <x", URL: "https://example.com/pier?a=1&b=2|x"},
			},
		},
	}
}

func TestRenderAnswerDisguisesNoLinks(t *testing.T) {
	m := RenderAnswer(hostileAnswer(), RenderOptions{ShowQuestion: true, Votes: true})
	checkLimits(t, m)
	assertOnlyLinks(t, m, "https://example.com/pier?a=1&amp;b=2%7Cx")
	for _, s := range mrkdwnTexts(m) {
		if strings.Contains(s, "javascript") {
			t.Errorf("a javascript: URL is shown: %q", s)
		}
	}
	golden.JSON(t, "answer_hostile", m)
}

func TestRenderAnswerShowsContextMuted(t *testing.T) {
	ans := bot.Answer{Question: "What did he say about the talks?", Found: true, Searched: searched, Quotes: []retrieval.Quote{{
		Text:    "He said the talks were very productive.",
		Context: "Zelensky spoke to Witkoff & Kushner on Friday.",
		Article: retrieval.ArticleMeta{ID: "002.txt", Title: "Call with Witkoff"},
	}}}
	m := RenderAnswer(ans, RenderOptions{})
	checkLimits(t, m)
	if len(m.Blocks) < 2 {
		t.Fatalf("blocks %+v", m.Blocks)
	}
	ctx, ok := m.Blocks[0].(*slack.ContextBlock)
	if !ok {
		t.Fatalf("first block is %T, want the muted context", m.Blocks[0])
	}
	if got := ctx.ContextElements.Elements[0].(*slack.TextBlockObject).Text; got != "Zelensky spoke to Witkoff &amp; Kushner on Friday." {
		t.Errorf("context line %q", got)
	}
	if q, ok := m.Blocks[1].(*slack.SectionBlock); !ok || q.Text.Text != "> He said the talks were very productive." {
		t.Errorf("the quote does not follow its context: %+v", m.Blocks[1])
	}
	if !strings.HasPrefix(m.Text, "(Zelensky spoke to Witkoff &amp; Kushner on Friday.)\n> He said") {
		t.Errorf("fallback %q", m.Text)
	}
	golden.JSON(t, "answer_context", m)

	// Three quotes with context, corroboration and votes stay within 50 blocks.
	q := ans.Quotes[0]
	q.AlsoIn = []retrieval.ArticleMeta{{ID: "b"}}
	q.Context = strings.Repeat("Long context. ", 500)
	ans.Quotes = []retrieval.Quote{q, q, q}
	checkLimits(t, RenderAnswer(ans, RenderOptions{ShowQuestion: true, Votes: true}))
}

func TestRenderNotFoundGivesReason(t *testing.T) {
	ans := bot.Answer{Question: "q", Reason: "the briefings end on 2025-12-06 <!channel>",
		Searched: retrieval.Coverage{Articles: 5, Undated: 4, From: time.Date(2025, 12, 6, 0, 0, 0, 0, time.UTC), To: time.Date(2025, 12, 6, 0, 0, 0, 0, time.UTC)}}
	m := RenderAnswer(ans, RenderOptions{})
	checkLimits(t, m)
	want := "I couldn't find that in the briefings. The briefings end on 2025-12-06 &lt;!channel&gt;. I searched 5 articles: 1 dated 2025-12-06, 4 undated."
	if m.Text != want {
		t.Errorf("not-found text %q, want %q", m.Text, want)
	}
	golden.JSON(t, "answer_not_found_reason", m)
}

func TestRenderLibraryAndDigestDisguiseNoLinks(t *testing.T) {
	lib := RenderLibrary(bot.Library{Articles: 2, Latest: []retrieval.ArticleMeta{
		{ID: "a", Title: "Read " + phish, Source: phish, URL: hostileURL, Published: time.Date(2025, 12, 6, 0, 0, 0, 0, time.UTC)},
		{ID: "b", Title: "Fine |title>", URL: "https://example.com/b"},
	}})
	checkLimits(t, lib)
	assertOnlyLinks(t, lib, "https://example.com/b")

	d := digest.Digest{Date: "2025-12-06", Window: digest.Window{Last: 24 * time.Hour}, Timezone: "UTC", Articles: 2, Stories: []digest.Story{{
		Headline: "Story " + phish, New: true, Sources: 2,
		Sentences: []digest.Sentence{
			{Text: "Officials said " + phish, Article: retrieval.ArticleMeta{ID: "a", Title: "Read " + phish, Source: phish, URL: hostileURL}},
			{Text: "Plain sentence.", Article: retrieval.ArticleMeta{ID: "b", Title: "Fine", URL: "https://example.com/b"}},
		},
	}}}
	m := RenderDigest(d)
	checkLimits(t, m)
	assertOnlyLinks(t, m, "https://example.com/b")
	golden.JSON(t, "digest_hostile", m)
}

func TestRenderLibrarySaysUndated(t *testing.T) {
	m := RenderLibrary(bot.Library{Articles: 3, Chunks: 9, Undated: 3})
	if want := "I answer from *3 articles* (9 passages), all undated."; m.Text != want {
		t.Errorf("text %q, want %q", m.Text, want)
	}
}
