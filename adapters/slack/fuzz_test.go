package slack

import (
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/briefbot/briefbot/bot"
	"github.com/briefbot/briefbot/retrieval"
)

// FuzzRenderAnswer renders article text and titles an attacker controls:
// the message stays within Slack's limits, pings no one, and links only to
// the article's own http(s) URL.
func FuzzRenderAnswer(f *testing.F) {
	f.Add(phish, "Read "+phish, phish, hostileURL, "Before "+phish)
	f.Add("<!channel> <@U1> @here & more", "Pier |closed> <x", "", "https://example.com/pier?a=1&b=2|x", "")
	f.Add("a", "", "", "HTTPS://Example.com/<x>", "<https://evil.example|ctx>")
	f.Fuzz(func(t *testing.T, text, title, source, u, context string) {
		if !utf8.ValidString(text + title + source + u + context) {
			t.Skip()
		}
		ans := bot.Answer{Question: text, Found: true, Searched: searched, Quotes: []retrieval.Quote{
			{Text: text, Context: context, Article: retrieval.ArticleMeta{ID: "a", Title: title, Source: source, URL: u},
				AlsoIn: []retrieval.ArticleMeta{{ID: "b", Title: title}}},
		}}
		var allowed []string
		if link, ok := linkable(u); ok {
			allowed = append(allowed, link)
		}
		m := RenderAnswer(ans, RenderOptions{ShowQuestion: true, Votes: true})
		checkLimits(t, m)
		assertOnlyLinks(t, m, allowed...)
		lib := RenderLibrary(bot.Library{Articles: 1, Latest: []retrieval.ArticleMeta{{ID: "a", Title: title, Source: source, URL: u}}})
		checkLimits(t, lib)
		assertOnlyLinks(t, lib, allowed...)
		if link, ok := linkable(u); ok && !strings.HasPrefix(strings.ToLower(link), "http") {
			t.Errorf("linkable(%q) = %q", u, link)
		}
	})
}
