package discord

import (
	"fmt"
	"regexp"
	"strings"
	"unicode/utf16"
	"unicode/utf8"

	"github.com/bwmarrin/discordgo"

	"github.com/briefbot/briefbot/bot"
	"github.com/briefbot/briefbot/retrieval"
)

// Discord's message limits, in characters. Discord counts characters as
// JavaScript does (UTF-16 code units), so the trimming helpers do too: a
// string within these limits by that count is within them by any count.
const (
	MaxContent          = 2000
	MaxEmbeds           = 10
	MaxEmbedTitle       = 256
	MaxEmbedDescription = 4096
	MaxEmbedFooter      = 2048
	MaxEmbedAuthor      = 256
	MaxEmbedFields      = 25
	MaxEmbedFieldName   = 256
	MaxEmbedFieldValue  = 1024
	// MaxEmbedsTotal bounds the title, description, footer, author and field
	// text of all the embeds of one message together.
	MaxEmbedsTotal = 6000
)

// embedColor is the accent bar of answer embeds (a calm blue).
const embedColor = 0x3B82F6

// questionPrefix starts the content of an answer message. Votes read the
// question back from it when the answer is no longer in memory.
const questionPrefix = "**Q:** "

// ellipsis marks text that was cut to fit a limit.
const ellipsis = "…"

// Message is one message as the adapter sends it: as an interaction reply,
// an edit of a deferred reply, or a channel post. Send paths trim it to
// Discord's limits and forbid every mention.
type Message struct {
	Content    string
	Embeds     []*discordgo.MessageEmbed
	Components []discordgo.MessageComponent
	// Ephemeral shows an interaction reply to the invoking user only. It
	// has no effect on channel posts or on edits of a deferred reply.
	Ephemeral bool
}

// noMentions is the allowed_mentions of every message the adapter sends:
// an empty parse list, so nothing in it can ping anyone.
func noMentions() *discordgo.MessageAllowedMentions {
	return &discordgo.MessageAllowedMentions{Parse: []discordgo.AllowedMentionType{}}
}

// zwsp breaks mention syntax without changing what a reader sees.
const zwsp = "\u200b"

// mentionPattern finds @everyone, @here and user and role mentions (<@id>,
// <@!id>, <@&id>), capturing what follows the "@".
var mentionPattern = regexp.MustCompile(`@(everyone|here)|<@([!&]?[0-9])`)

// NeutralizeMentions breaks @everyone, @here and user and role mentions
// (<@id>, <@!id>, <@&id>) with a zero-width space after the "@", so text
// cannot ping anyone even if allowed_mentions were ignored. It is
// idempotent.
func NeutralizeMentions(s string) string {
	return mentionPattern.ReplaceAllStringFunc(s, func(m string) string {
		if m[0] == '<' {
			return "<@" + zwsp + m[2:]
		}
		return "@" + zwsp + m[1:]
	})
}

// markdownEscaper backslash-escapes every character that Discord's
// markdown gives a meaning: masked links ([text](url)), angle-bracket links
// and mentions (<https://…>, <@id>, <#id>, </cmd:id>, <t:…>), emphasis,
// spoilers (which could hide text), code, headings, subtext (-#) and block
// quotes. Discord hides the backslashes, so the text reads as it was written.
var markdownEscaper = strings.NewReplacer(
	`\`, `\\`, "[", `\[`, "]", `\]`, "(", `\(`, ")", `\)`, "<", `\<`, ">", `\>`,
	"*", `\*`, "_", `\_`, "~", `\~`, "`", "\\`", "|", `\|`, "#", `\#`,
)

// bareURL finds the http(s) URLs Discord turns into links by itself: they
// show their own address, so they are left as written (a backslash inside
// one would become part of the link), but for square brackets and
// backslashes (rare in URLs), which are escaped all the same in case a
// client ends the URL there and reads a masked link after it.
var bareURL = regexp.MustCompile(`(?i)https?://[^\s<]+`)

// urlBracketEscaper escapes the square brackets and backslashes of a bare URL.
var urlBracketEscaper = strings.NewReplacer(`\`, `\\`, "[", `\[`, "]", `\]`)

// EscapeMarkdown makes article text (a quote, a title, a source) show
// verbatim in Discord markdown: nothing in it can form a masked link, a
// mention or formatting. Bare http(s) URLs are kept as written; Discord
// shows them as their own address. Mentions are also neutralised.
func EscapeMarkdown(s string) string {
	var b strings.Builder
	last := 0
	for _, loc := range bareURL.FindAllStringIndex(s, -1) {
		b.WriteString(markdownEscaper.Replace(s[last:loc[0]]))
		b.WriteString(urlBracketEscaper.Replace(s[loc[0]:loc[1]]))
		last = loc[1]
	}
	b.WriteString(markdownEscaper.Replace(s[last:]))
	return NeutralizeMentions(b.String())
}

// unescapeMarkdown undoes EscapeMarkdown on text read back from a message.
func unescapeMarkdown(s string) string {
	s = restoreMentions(s)
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] == '\\' && i+1 < len(s) && strings.IndexByte("\\[]()<>*_~`|#", s[i+1]) >= 0 {
			i++
		}
		b.WriteByte(s[i])
	}
	return b.String()
}

// linkTarget returns u for the (url) part of a markdown link when it is an
// absolute http(s) URL, with the characters that would end the link early
// percent-encoded, else "".
func linkTarget(u string) string {
	u = linkURL(u)
	if u == "" {
		return ""
	}
	return strings.NewReplacer("(", "%28", ")", "%29", " ", "%20", "<", "%3C", ">", "%3E").Replace(u)
}

// maskedLink renders a markdown link whose label is escaped article text.
func maskedLink(label, u string) string {
	return "[" + EscapeMarkdown(label) + "](" + linkTarget(u) + ")"
}

// questionContent is the content of an answer message: the question, which
// votes read back with questionFromContent.
func questionContent(question string) string {
	return questionPrefix + EscapeMarkdown(question)
}

// questionFromContent reads the question back from an answer's content.
func questionFromContent(content string) (string, bool) {
	q, ok := strings.CutPrefix(content, questionPrefix)
	if !ok {
		return "", false
	}
	q, _, _ = strings.Cut(q, "\n") // a follow-up's "Following up on" line comes after
	return unescapeMarkdown(q), true
}

// prepare readies m for sending: within Discord's limits and with mentions
// in its content neutralised (the content is the only text that pings).
func prepare(m Message) Message {
	m.Content = NeutralizeMentions(m.Content)
	return TrimMessage(m)
}

// restoreMentions undoes NeutralizeMentions on text read back from a message.
func restoreMentions(s string) string {
	return strings.ReplaceAll(s, zwsp, "")
}

// Len counts s as Discord does, in UTF-16 code units.
func Len(s string) int {
	n := 0
	for _, r := range s {
		if n16 := utf16.RuneLen(r); n16 > 0 {
			n += n16
		} else {
			n++
		}
	}
	return n
}

// Truncate cuts s to at most max characters (as Len counts them), ending
// it with "…" when anything was cut. It prefers to cut at a space in the
// last fifth of the allowance so that words stay whole.
func Truncate(s string, max int) string {
	if Len(s) <= max {
		return s
	}
	if max <= 0 {
		return ""
	}
	budget := max - Len(ellipsis)
	if budget <= 0 {
		return ellipsis
	}
	cut, n := 0, 0
	for i, r := range s {
		w := utf16.RuneLen(r)
		if w < 0 {
			w = 1
		}
		if n+w > budget {
			break
		}
		n += w
		cut = i + utf8.RuneLen(r)
	}
	head := s[:cut]
	if sp := strings.LastIndexAny(head, " \n"); sp > 0 && Len(head[:sp]) >= budget*4/5 {
		head = head[:sp]
	}
	return strings.TrimRight(head, " \n") + ellipsis
}

// TrimMessage returns m within Discord's limits: content, embed count,
// every embed field, and the total across embeds. It trims, never fails,
// and does not modify m or its embeds.
func TrimMessage(m Message) Message {
	m.Content = Truncate(m.Content, MaxContent)
	m.Embeds = TrimEmbeds(m.Embeds)
	return m
}

// TrimEmbeds returns copies of embeds within Discord's limits: at most
// MaxEmbeds, every field within its own limit, and at most MaxEmbedsTotal
// characters across them, taken first from the longest descriptions of the
// last embeds, then by dropping trailing embeds. The input is not modified.
func TrimEmbeds(embeds []*discordgo.MessageEmbed) []*discordgo.MessageEmbed {
	out := make([]*discordgo.MessageEmbed, 0, min(len(embeds), MaxEmbeds))
	for _, e := range embeds {
		if e == nil {
			continue
		}
		if len(out) == MaxEmbeds {
			break
		}
		out = append(out, trimEmbed(e))
	}
	excess := embedsLen(out) - MaxEmbedsTotal
	// Shorten descriptions from the last embed backwards, keeping a useful
	// minimum of each, so the best quote stays whole the longest.
	const keep = 200
	for i := len(out) - 1; i >= 0 && excess > 0; i-- {
		d := Len(out[i].Description)
		if d <= keep {
			continue
		}
		target := max(keep, d-excess)
		out[i].Description = Truncate(out[i].Description, target)
		excess -= d - Len(out[i].Description)
	}
	for len(out) > 1 && excess > 0 {
		excess -= embedLen(out[len(out)-1])
		out = out[:len(out)-1]
	}
	if excess > 0 && len(out) == 1 {
		// One embed whose fields alone pass the total: shrink them all.
		e := out[0]
		e.Fields = nil
		e.Description = Truncate(e.Description, MaxEmbedsTotal-Len(e.Title)-footerLen(e)-authorLen(e))
	}
	return out
}

func trimEmbed(in *discordgo.MessageEmbed) *discordgo.MessageEmbed {
	e := *in
	e.Title = Truncate(e.Title, MaxEmbedTitle)
	e.Description = Truncate(e.Description, MaxEmbedDescription)
	if e.Footer != nil {
		f := *e.Footer
		f.Text = Truncate(f.Text, MaxEmbedFooter)
		e.Footer = &f
	}
	if e.Author != nil {
		a := *e.Author
		a.Name = Truncate(a.Name, MaxEmbedAuthor)
		e.Author = &a
	}
	if len(e.Fields) > 0 {
		fields := make([]*discordgo.MessageEmbedField, 0, min(len(e.Fields), MaxEmbedFields))
		for _, f := range e.Fields {
			if f == nil || len(fields) == MaxEmbedFields {
				continue
			}
			c := *f
			c.Name = Truncate(c.Name, MaxEmbedFieldName)
			c.Value = Truncate(c.Value, MaxEmbedFieldValue)
			fields = append(fields, &c)
		}
		e.Fields = fields
	}
	return &e
}

func footerLen(e *discordgo.MessageEmbed) int {
	if e.Footer == nil {
		return 0
	}
	return Len(e.Footer.Text)
}

func authorLen(e *discordgo.MessageEmbed) int {
	if e.Author == nil {
		return 0
	}
	return Len(e.Author.Name)
}

func embedLen(e *discordgo.MessageEmbed) int {
	n := Len(e.Title) + Len(e.Description) + footerLen(e) + authorLen(e)
	for _, f := range e.Fields {
		n += Len(f.Name) + Len(f.Value)
	}
	return n
}

func embedsLen(embeds []*discordgo.MessageEmbed) int {
	n := 0
	for _, e := range embeds {
		n += embedLen(e)
	}
	return n
}

// blockQuote renders text as a Markdown block quote, line by line.
func blockQuote(text string) string {
	lines := strings.Split(strings.TrimSpace(text), "\n")
	for i, l := range lines {
		lines[i] = "> " + strings.TrimSpace(l)
	}
	return strings.Join(lines, "\n")
}

// QuoteEmbed renders one quote: the quote as a block quote, the article
// title linked to its URL when known, "Also reported by ..." for
// corroborating articles, and a footer with source, date and article id.
func QuoteEmbed(q retrieval.Quote) *discordgo.MessageEmbed {
	ref := q.Article
	title := ref.Title
	if title == "" {
		title = ref.Source
	}
	if title == "" {
		title = ref.ID
	}
	desc := blockQuote(EscapeMarkdown(oneLine(q.Display())))
	if c := oneLine(q.Context); c != "" {
		// The sentence the quote refers back to, muted (italic) above it.
		desc = "*" + EscapeMarkdown(Truncate(c, MaxEmbedDescription/4)) + "*\n" + desc
	}
	if len(q.AlsoIn) > 0 {
		names := make([]string, 0, len(q.AlsoIn))
		for _, o := range q.AlsoIn {
			name := o.Title
			if name == "" {
				name = o.ID
			}
			names = append(names, EscapeMarkdown(name))
		}
		desc += "\n\n*Also reported by " + strings.Join(names, "; ") + "*"
	}
	footer := make([]string, 0, 3)
	// The id ends the footer (votes read it back), so a long source is cut first.
	for _, p := range []string{Truncate(ref.Source, 200), ref.PublishedString(), ref.ID} {
		if p != "" {
			footer = append(footer, p)
		}
	}
	return &discordgo.MessageEmbed{
		Type:        discordgo.EmbedTypeRich,
		Title:       EscapeMarkdown(title),
		URL:         linkURL(ref.URL),
		Description: desc,
		Color:       embedColor,
		Footer:      &discordgo.MessageEmbedFooter{Text: NeutralizeMentions(strings.Join(footer, " · "))},
	}
}

// linkURL returns u if Discord will accept it as an embed link (absolute
// http or https), else "".
func linkURL(u string) string {
	u = bot.SafeURL(u)
	if len(u) > 2048 {
		return ""
	}
	return u
}

// oneLine collapses whitespace, so that article text stays one paragraph
// and cannot start a heading or a list on a line of its own.
func oneLine(s string) string { return strings.Join(strings.Fields(s), " ") }

// RenderAnswer turns an answer into a message: the question, then one embed
// per quote; or, when nothing was found, the plain not-found sentence that
// says what was searched. It does not add vote buttons.
func RenderAnswer(ans bot.Answer) Message {
	if !ans.Found || len(ans.Quotes) == 0 {
		// The reason may repeat words of the question: escaped like article text.
		return TrimMessage(Message{Content: EscapeMarkdown(ans.NotFoundText())})
	}
	m := Message{Content: questionContent(ans.Question)}
	for _, q := range ans.Quotes {
		m.Embeds = append(m.Embeds, QuoteEmbed(q))
	}
	return TrimMessage(m)
}

// RenderLibrary describes what the bot answers from, for /brief sources.
func RenderLibrary(lib bot.Library) Message {
	var b strings.Builder
	fmt.Fprintf(&b, "I answer from **%d** briefing", lib.Articles)
	if lib.Articles != 1 {
		b.WriteString("s")
	}
	if d := lib.Dates(); d != "" {
		b.WriteString(", " + d)
	}
	b.WriteString(".")
	if len(lib.Latest) == 0 {
		return TrimMessage(Message{Content: b.String()})
	}
	var list strings.Builder
	for _, r := range lib.Latest {
		name := r.Title
		if name == "" {
			name = r.ID
		}
		if linkURL(r.URL) != "" {
			name = maskedLink(oneLine(name), r.URL)
		} else {
			name = EscapeMarkdown(oneLine(name))
		}
		line := "• " + name
		if meta := strings.Trim(oneLine(r.Source)+" · "+r.PublishedString(), " ·"); meta != "" {
			line += " — " + EscapeMarkdown(meta)
		}
		list.WriteString(line + "\n")
	}
	return TrimMessage(Message{
		Content: b.String(),
		Embeds: []*discordgo.MessageEmbed{{
			Type:        discordgo.EmbedTypeRich,
			Title:       "Latest briefings",
			Description: strings.TrimSpace(list.String()),
			Color:       embedColor,
		}},
	})
}

// helpText explains the commands; extra commands add their own lines.
func helpText(extra []Command) string {
	var b strings.Builder
	b.WriteString("I answer questions about the news briefings with verbatim quotes and their sources.\n")
	b.WriteString("• `/brief ask question:<text>`: ask a question, e.g. `/brief ask question: What did Zelensky say about the talks?`\n")
	b.WriteString("• `/brief sources`: how many briefings I know, their dates and the latest titles\n")
	for _, c := range extra {
		if c.Definition != nil && c.Definition.Description != "" {
			fmt.Fprintf(&b, "• `/%s %s`: %s\n", CommandGroup, c.Definition.Name, c.Definition.Description)
		}
	}
	b.WriteString("• `/brief help`: this message\n")
	b.WriteString("Rate an answer with 👍 or 👎 to help improve me.")
	return b.String()
}
