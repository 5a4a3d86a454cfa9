package discord

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/bwmarrin/discordgo"

	"github.com/briefbot/briefbot/bot"
	"github.com/briefbot/briefbot/bot/digest"
	"github.com/briefbot/briefbot/internal/golden"
	"github.com/briefbot/briefbot/retrieval"
)

// A hostile article: text and titles that try to form disguised links,
// links hidden in angle brackets, channel and command mentions, spoilers
// and headings, and a javascript: URL.
const (
	phish      = "[click here](https://evil.example/phish)"
	hostile    = "Officials said " + phish + " and <https://evil.example/a> or <#123456789> </vote:42> ||hidden|| -# small # Heading @everyone."
	hostileURL = "javascript:alert(1)"
)

// link is a markdown link found in rendered text.
type link struct{ label, target string }

// markdownLinks returns the masked links a Discord client would render in
// s: an unescaped "[", its matching unescaped "]" and "(" right after it,
// up to the unescaped ")". Backslash escapes are honoured as Discord does.
func markdownLinks(s string) []link {
	var out []link
	r := []rune(s)
	for i := 0; i < len(r); i++ {
		if r[i] == '\\' {
			i++
			continue
		}
		if r[i] != '[' {
			continue
		}
		depth, j := 1, i+1
		for ; j < len(r) && depth > 0; j++ {
			switch r[j] {
			case '\\':
				j++
			case '[':
				depth++
			case ']':
				depth--
			}
		}
		if depth != 0 || j >= len(r) || r[j] != '(' {
			continue
		}
		k := j + 1
		for k < len(r) && r[k] != ')' {
			if r[k] == '\\' {
				k++
			}
			k++
		}
		if k >= len(r) {
			continue
		}
		out = append(out, link{label: string(r[i+1 : j-1]), target: string(r[j+1 : k])})
	}
	return out
}

// unescapedAngle reports whether s has a "<" Discord would read as the
// start of a link or a mention.
func unescapedAngle(s string) bool {
	for i := 0; i < len(s); i++ {
		switch s[i] {
		case '\\':
			i++
		case '<':
			return true
		}
	}
	return false
}

// markdownTexts are the parts of a message Discord renders as markdown.
func markdownTexts(m Message) []string {
	texts := []string{m.Content}
	for _, e := range m.Embeds {
		texts = append(texts, e.Title, e.Description)
		for _, f := range e.Fields {
			texts = append(texts, f.Name, f.Value)
		}
	}
	return texts
}

// assertOnlyLinks fails unless every link in m goes to one of allowed, and
// nothing in m can open an angle-bracket link or mention.
func assertOnlyLinks(t *testing.T, m Message, allowed ...string) {
	t.Helper()
	for _, s := range markdownTexts(m) {
		for _, l := range markdownLinks(s) {
			ok := false
			for _, a := range allowed {
				ok = ok || l.target == a
			}
			if !ok {
				t.Errorf("rendered text carries a link to %q labelled %q: %q", l.target, l.label, s)
			}
		}
		if unescapedAngle(s) {
			t.Errorf("rendered text has an unescaped '<': %q", s)
		}
		for _, bad := range []string{"||hidden", "-# ", "\n# "} {
			if strings.Contains(s, bad) {
				t.Errorf("rendered text keeps markdown %q: %q", bad, s)
			}
		}
	}
	for _, e := range m.Embeds {
		if e.URL != "" && !strings.HasPrefix(e.URL, "https://") && !strings.HasPrefix(e.URL, "http://") {
			t.Errorf("embed links to %q", e.URL)
		}
	}
}

func TestMarkdownLinksFindsLinks(t *testing.T) {
	got := markdownLinks("a [x](https://a.example) \\[y\\](https://b.example) [z \\] w](https://c.example/\\)) [no link]")
	if len(got) != 2 || got[0].target != "https://a.example" || got[1].target != "https://c.example/\\)" {
		t.Fatalf("markdownLinks = %+v", got)
	}
}

func TestEscapeMarkdown(t *testing.T) {
	cases := map[string]string{
		"plain text, 653 drones.":            "plain text, 653 drones.",
		phish:                                `\[click here\]\(https://evil.example/phish)`,
		"a_b *c* ~~d~~ `e` ||f|| # g > h":    "a\\_b \\*c\\* \\~\\~d\\~\\~ \\`e\\` \\|\\|f\\|\\| \\# g \\> h",
		`back\slash`:                         `back\\slash`,
		"see https://x.example/a_b(c) now":   "see https://x.example/a_b(c) now",
		"https://x.example/[a](https://e.x)": `https://x.example/\[a\](https://e.x)`,
		"<@123> @everyone":                   "\\<@\u200b123\\> @\u200beveryone",
	}
	for in, want := range cases {
		got := EscapeMarkdown(in)
		if got != want {
			t.Errorf("EscapeMarkdown(%q) = %q, want %q", in, got, want)
		}
		if len(markdownLinks(got)) != 0 {
			t.Errorf("EscapeMarkdown(%q) still forms a link: %q", in, got)
		}
		if back := unescapeMarkdown(got); !strings.Contains(in, "http") && back != in {
			t.Errorf("unescapeMarkdown(%q) = %q, want %q", got, back, in)
		}
	}
}

func hostileAnswer() bot.Answer {
	return bot.Answer{
		Question: "What about " + phish + "?",
		Found:    true,
		Quotes: []retrieval.Quote{
			{
				Text:    hostile,
				Context: "Before that, " + phish + " was posted.",
				Article: retrieval.ArticleMeta{ID: "evil_1.txt", Title: "Read " + phish, Source: "[src](https://evil.example/s)", URL: hostileURL, Published: time.Date(2025, 12, 6, 0, 0, 0, 0, time.UTC)},
				AlsoIn:  []retrieval.ArticleMeta{{ID: "evil_2.txt", Title: "Also " + phish}},
			},
			{
				Text:    "The pier is closed.",
				Article: retrieval.ArticleMeta{ID: "pier.txt", Title: "Pier ](https://evil.example/x) [closed", URL: "https://example.com/pier_(north)"},
			},
		},
	}
}

func TestRenderAnswerDisguisesNoLinks(t *testing.T) {
	m := RenderAnswer(hostileAnswer())
	assertOnlyLinks(t, m)
	assertNoMentions(t, m)
	if m.Embeds[0].URL != "" {
		t.Errorf("a javascript: URL became the embed link: %q", m.Embeds[0].URL)
	}
	if m.Embeds[1].URL != "https://example.com/pier_(north)" {
		t.Errorf("an https URL was lost: %q", m.Embeds[1].URL)
	}
	// Escapes are invisible in Discord: the quote still reads as written.
	if got := unescapeMarkdown(strings.TrimPrefix(strings.Split(m.Embeds[0].Description, "\n")[1], "> ")); got != strings.ReplaceAll(hostile, "\u200b", "") {
		t.Errorf("the quote does not read as written: %q", got)
	}
	golden.JSON(t, "answer_hostile", m)
}

func TestRenderAnswerShowsContextMuted(t *testing.T) {
	ans := bot.Answer{Question: "What did he say about the talks?", Found: true, Quotes: []retrieval.Quote{{
		Text:    "He said the talks were very productive.",
		Context: "Zelensky spoke to Witkoff and Kushner on Friday.",
		Article: droneQuote.Article,
	}}}
	m := RenderAnswer(ans)
	want := "*Zelensky spoke to Witkoff and Kushner on Friday.*\n> He said the talks were very productive."
	if d := m.Embeds[0].Description; d != want {
		t.Errorf("description %q, want %q", d, want)
	}
	assertWithinLimits(t, m)
	golden.JSON(t, "answer_context", m)

	// A context as long as a quote can be never pushes the quote out.
	ans.Quotes[0].Context = strings.Repeat("Officials met again. ", 1000)
	m = RenderAnswer(ans)
	assertWithinLimits(t, m)
	if !strings.Contains(m.Embeds[0].Description, "> He said the talks were very productive.") {
		t.Errorf("a long context pushed the quote out: %q", m.Embeds[0].Description)
	}
}

func TestRenderNotFoundGivesReason(t *testing.T) {
	ans := bot.Answer{Question: "q", Reason: "the briefings end on 2025-12-06; nothing names [Xyz](https://evil.example)",
		Searched: retrieval.Coverage{Articles: 5, Undated: 4, From: time.Date(2025, 12, 6, 0, 0, 0, 0, time.UTC), To: time.Date(2025, 12, 6, 0, 0, 0, 0, time.UTC)}}
	m := RenderAnswer(ans)
	assertOnlyLinks(t, m)
	for _, want := range []string{"The briefings end on 2025-12-06", "I searched 5 articles: 1 dated 2025-12-06, 4 undated."} {
		if !strings.Contains(m.Content, want) {
			t.Errorf("not-found content %q lacks %q", m.Content, want)
		}
	}
	golden.JSON(t, "answer_not_found_reason", m)
}

func TestVoteReadsBackAnEscapedQuestion(t *testing.T) {
	ans := hostileAnswer()
	m := RenderAnswer(ans)
	q, ok := questionFromContent(m.Content)
	if !ok || q != ans.Question {
		t.Errorf("question read back as %q, want %q", q, ans.Question)
	}
	a := &Adapter{recent: newRecentAnswers(1)}
	// A legacy button (posted before answers were kept by key) reads the
	// article ids that did not fit back from the embed footers.
	rec := a.recoverAnswer(context.Background(), voteButton{vote: bot.VoteUp, key: "gone", legacy: true},
		&discordgo.Message{Content: m.Content, Embeds: m.Embeds})
	if rec.Question != ans.Question || len(rec.ArticleIDs) != 2 || rec.ArticleIDs[0] != "evil_1.txt" || rec.ArticleIDs[1] != "pier.txt" {
		t.Errorf("vote recovered %+v", rec)
	}
	// Today's buttons never read the footers (display text).
	rec = a.recoverAnswer(context.Background(), voteButton{vote: bot.VoteUp, key: "gone", ids: []string{"evil_1.txt"}},
		&discordgo.Message{Content: m.Content, Embeds: m.Embeds})
	if len(rec.ArticleIDs) != 1 || rec.ArticleIDs[0] != "evil_1.txt" {
		t.Errorf("a current button's vote read the footers: %+v", rec)
	}
}

func TestRenderLibraryAndDigestDisguiseNoLinks(t *testing.T) {
	lib := RenderLibrary(bot.Library{Articles: 2, Latest: []retrieval.ArticleMeta{
		{ID: "a", Title: "Read " + phish, Source: "<@&1> " + phish, URL: hostileURL, Published: time.Date(2025, 12, 6, 0, 0, 0, 0, time.UTC)},
		{ID: "b", Title: "Fine ](https://evil.example/x) title", URL: "https://example.com/b_(1)"},
	}})
	assertOnlyLinks(t, lib, "https://example.com/b_%281%29")
	assertNoMentions(t, lib)
	golden.JSON(t, "sources_hostile", lib)

	d := digest.Digest{Date: "2025-12-06", Window: digest.Window{Last: 24 * time.Hour}, Timezone: "UTC", Articles: 2, Stories: []digest.Story{{
		Headline: "Story " + phish, New: true, Sources: 2,
		Sentences: []digest.Sentence{
			{Text: hostile, Article: retrieval.ArticleMeta{ID: "a", Title: "Read " + phish, Source: phish, URL: hostileURL}},
			{Text: "Plain sentence.", Article: retrieval.ArticleMeta{ID: "b", Title: "Fine [title]", URL: "https://example.com/b"}},
		},
	}}}
	m := RenderDigest(d)
	assertOnlyLinks(t, m, "https://example.com/b")
	assertNoMentions(t, m)
	if links := markdownLinks(m.Embeds[0].Description); len(links) != 1 || links[0].label != `Fine \[title\]` {
		t.Errorf("digest links %+v, want the one citation", links)
	}
	golden.JSON(t, "digest_hostile", m)
}

func TestRenderLibrarySaysUndated(t *testing.T) {
	m := RenderLibrary(bot.Library{Articles: 5, Undated: 4, From: time.Date(2025, 12, 6, 0, 0, 0, 0, time.UTC), To: time.Date(2025, 12, 6, 0, 0, 0, 0, time.UTC)})
	if want := "I answer from **5** briefings, 1 published 2025-12-06, 4 undated."; m.Content != want {
		t.Errorf("content %q, want %q", m.Content, want)
	}
}
