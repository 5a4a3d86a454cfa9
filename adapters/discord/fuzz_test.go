package discord

import (
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/briefbot/briefbot/bot"
	"github.com/briefbot/briefbot/retrieval"
)

// FuzzRenderAnswer renders article text and titles an attacker controls:
// the message stays within Discord's limits, carries no masked link but
// to the article's own http(s) URL, no unescaped "<", and no mention; and
// escaping reads back as the text.
func FuzzRenderAnswer(f *testing.F) {
	f.Add(phish, "Read "+phish, "<@&1> [src](https://evil.example)", hostileURL, "Before "+phish)
	f.Add(hostile, "Pier ](https://evil.example/x) [closed", "", "https://example.com/pier_(north)", "")
	f.Add("see https://x.example/\\[a\\](https://e.x) now", "t", "s", "https://example.com/a b)", "ctx")
	f.Add("@everyone <@123> ||x|| -# y `z`", "", "", "", "")
	f.Fuzz(func(t *testing.T, text, title, source, u, context string) {
		if !utf8.ValidString(text + title + source + u + context) {
			t.Skip()
		}
		allowed := linkTarget(u)
		ans := bot.Answer{Question: text, Found: true, Quotes: []retrieval.Quote{
			{Text: text, Context: context, Article: retrieval.ArticleMeta{ID: "a", Title: title, Source: source, URL: u},
				AlsoIn: []retrieval.ArticleMeta{{ID: "b", Title: title}}},
		}}
		m := RenderAnswer(ans)
		assertWithinLimits(t, m)
		assertNoMentions(t, m)
		assertOnlyLinks(t, m)
		if e := m.Embeds[0]; e.URL != "" && e.URL != bot.SafeURL(u) {
			t.Errorf("embed links to %q for %q", e.URL, u)
		}
		lib := RenderLibrary(bot.Library{Articles: 1, Latest: []retrieval.ArticleMeta{{ID: "a", Title: title, Source: source, URL: u}}})
		assertWithinLimits(t, lib)
		if allowed != "" {
			assertOnlyLinks(t, lib, allowed)
		} else {
			assertOnlyLinks(t, lib)
		}
		esc := EscapeMarkdown(text)
		if !strings.Contains(text, "\u200b") && !strings.Contains(strings.ToLower(text), "http") {
			if back := unescapeMarkdown(esc); back != text {
				t.Errorf("unescapeMarkdown(EscapeMarkdown(%q)) = %q", text, back)
			}
		}
	})
}
