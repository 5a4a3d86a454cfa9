package slack

import (
	"encoding/json"
	"fmt"
	"net/url"
	"regexp"
	"strings"
	"unicode/utf8"

	"github.com/slack-go/slack"

	"github.com/briefbot/briefbot/bot"
	"github.com/briefbot/briefbot/retrieval"
)

// Slack's Block Kit limits, in characters.
const (
	// MaxSectionText is the longest text of a section (or context element).
	MaxSectionText = 3000
	// MaxBlocks is the most blocks a message may carry.
	MaxBlocks = 50
	// MaxButtonValue is the longest value of a button.
	MaxButtonValue = 2000
	// maxFallbackQuote bounds one quote in the plain-text fallback, which
	// only has to carry the gist into notifications.
	maxFallbackQuote = 1000
	// maxTitle bounds a title in a citation line.
	maxTitle = 300
)

// Block and action ids of the vote buttons.
const (
	voteBlockID      = "briefbot_vote"
	actionVoteUp     = "briefbot_vote_up"
	actionVoteDown   = "briefbot_vote_down"
	actionReason     = "briefbot_reason"
	citationSep      = " · "
	ellipsis         = "…"
	wordJoiner       = "\u2060"
	notFoundHint     = "Try other words, or `/brief sources` to see what I have read."
	helpText         = "Ask me about the news briefings and I answer with verbatim quotes and their sources.\n• Mention me in a channel: `@briefbot How many drones did Russia launch?` (I answer in the thread)\n• Send me a direct message with your question\n• `/brief <question>` anywhere, `/brief sources` to see what I have read, `/brief help` for this message"
	searchFailedText = "Sorry, I couldn't search the briefings just now. Please try again in a moment."
)

// Message is a rendered Slack message: Block Kit blocks and the plain-text
// fallback Slack shows in notifications and to screen readers. Both are
// already escaped.
type Message struct {
	Text   string        `json:"text"`
	Blocks []slack.Block `json:"blocks"`
}

// RenderOptions adjusts RenderAnswer.
type RenderOptions struct {
	// ShowQuestion puts the question above the answer (for slash command
	// replies, which do not sit under the question as a thread reply does).
	ShowQuestion bool
	// Votes adds 👍/👎 buttons to a found answer.
	Votes bool
}

var (
	entityEscaper = strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;")
	// No word boundary after the word: "@here0" or "@hereford" is broken
	// too (invisibly), rather than trusting how Slack reads what follows.
	bareBroadcast = regexp.MustCompile(`(?i)([@＠])(channel|here|everyone)`)
)

// EscapeText makes s safe to show verbatim in Slack mrkdwn or plain text:
// it escapes &, < and > (so <!channel>, <!here>, <!everyone>, <@U…>, <#C…>
// and <!subteam^…> show as typed and notify no one) and breaks the bare
// broadcast words @channel, @here and @everyone with an invisible word
// joiner so that they do not ping either.
func EscapeText(s string) string {
	return bareBroadcast.ReplaceAllString(entityEscaper.Replace(s), "${1}"+wordJoiner+"${2}")
}

// fit escapes raw and trims it, at a word boundary when one is near, so
// that the escaped text with its ellipsis is at most limit characters. It
// never cuts an escape sequence in half.
func fit(raw string, limit int) string {
	esc := EscapeText(raw)
	if utf8.RuneCountInString(esc) <= limit {
		return esc
	}
	runes := []rune(raw)
	budget := limit - utf8.RuneCountInString(ellipsis)
	// The longest prefix of raw whose escaped form fits the budget.
	lo, hi := 0, len(runes)
	for lo < hi {
		mid := (lo + hi + 1) / 2
		if utf8.RuneCountInString(EscapeText(string(runes[:mid]))) <= budget {
			lo = mid
		} else {
			hi = mid - 1
		}
	}
	n := lo
	// Prefer ending on a whole word when that loses little.
	for i := n; i > n*4/5 && i > 0; i-- {
		if runes[i-1] == ' ' || (i < len(runes) && runes[i] == ' ') {
			n = i
			break
		}
	}
	return strings.TrimRight(EscapeText(string(runes[:n])), " ") + ellipsis
}

// oneLine collapses whitespace so a quote renders as one quoted paragraph.
func oneLine(s string) string { return strings.Join(strings.Fields(s), " ") }

func mrkdwn(text string) *slack.TextBlockObject {
	return slack.NewTextBlockObject(slack.MarkdownType, text, false, true)
}

func section(text string) *slack.SectionBlock {
	return slack.NewSectionBlock(mrkdwn(text), nil, nil)
}

func contextLine(text string) *slack.ContextBlock {
	return slack.NewContextBlock("", mrkdwn(text))
}

// linkable returns u as a link target for mrkdwn when it is an absolute
// http(s) URL (bot.SafeURL), with the characters that would end the link
// escaped. Nothing else is ever rendered as a link.
func linkable(u string) (string, bool) {
	p, err := url.Parse(bot.SafeURL(u))
	if err != nil || p.Host == "" {
		return "", false
	}
	s := strings.NewReplacer("|", "%7C", "<", "%3C", ">", "%3E", " ", "%20").Replace(p.String())
	return strings.ReplaceAll(s, "&", "&amp;"), true
}

// citation renders a context line for an article: the title linked to its
// URL when known, else the title, source, date and id.
func citation(r retrieval.ArticleMeta) string {
	return capText(citationParts(r), citationSep, MaxSectionText)
}

// citationParts are the pieces of a citation line, each rendered whole.
func citationParts(r retrieval.ArticleMeta) []string {
	title := r.Title
	parts := make([]string, 0, 4)
	if link, ok := linkable(r.URL); ok {
		label := title
		if label == "" {
			label = r.ID
		}
		parts = append(parts, "<"+link+"|"+fit(label, maxTitle)+">")
	} else if title != "" {
		parts = append(parts, "*"+fit(title, maxTitle)+"*")
	}
	if r.Source != "" {
		parts = append(parts, fit(r.Source, maxTitle))
	}
	if p := r.PublishedString(); p != "" {
		parts = append(parts, EscapeText(p))
	}
	if _, ok := linkable(r.URL); !ok {
		parts = append(parts, "`"+fit(r.ID, maxTitle)+"`")
	}
	return parts
}

// alsoReported renders the corroborating articles of a quote.
func alsoReported(others []retrieval.ArticleMeta) string {
	const prefix = "Also reported by "
	return prefix + capText(alsoNames(others), ", ", MaxSectionText-len(prefix))
}

func alsoNames(others []retrieval.ArticleMeta) []string {
	names := make([]string, 0, len(others))
	for _, o := range others {
		if o.Title != "" {
			names = append(names, "*"+fit(o.Title, maxTitle)+"* (`"+fit(o.ID, maxTitle)+"`)")
		} else {
			names = append(names, "`"+fit(o.ID, maxTitle)+"`")
		}
	}
	return names
}

// capText trims already-rendered mrkdwn to limit characters, cutting only
// between the pieces joined by sep.
func capText(pieces []string, sep string, limit int) string {
	out := ""
	for i, p := range pieces {
		next := out
		if i > 0 {
			next += sep
		}
		next += p
		if utf8.RuneCountInString(next)+utf8.RuneCountInString(ellipsis) > limit {
			return out + ellipsis
		}
		out = next
	}
	return out
}

// RenderAnswer renders an answer: each quote as a quoted section, preceded
// by its context (the sentence it refers back to) as a muted context line
// when it has one, followed by its citation as a context line and its
// corroboration ("Also reported by …"), then the 👍/👎 buttons. A
// not-found answer is one short, friendly section saying why when the
// engine said, and what was searched. The result stays inside Slack's
// limits.
func RenderAnswer(ans bot.Answer, o RenderOptions) Message {
	var blocks []slack.Block
	var text []string
	if o.ShowQuestion && ans.Question != "" {
		blocks = append(blocks, contextLine("*Question:* "+fit(oneLine(ans.Question), MaxSectionText-len("*Question:* "))))
	}
	if ans.FollowUpOf != "" {
		blocks = append(blocks, contextLine("_Following up on:_ "+fit(oneLine(ans.FollowUpOf), MaxSectionText-len("_Following up on:_ "))))
	}
	if !ans.Found || len(ans.Quotes) == 0 {
		nf := EscapeText(ans.NotFoundText())
		blocks = append(blocks, section(nf), contextLine(notFoundHint))
		return Message{Text: nf, Blocks: capBlocks(blocks)}
	}
	for i, q := range ans.Quotes {
		if i > 0 {
			blocks = append(blocks, slack.NewDividerBlock())
		}
		quote := oneLine(q.Display())
		before := oneLine(q.Context)
		if before != "" {
			// The sentence the quote refers back to, muted (a context
			// block is small grey text) above the quote.
			blocks = append(blocks, contextLine(fit(before, MaxSectionText)))
		}
		blocks = append(blocks, section("> "+fit(quote, MaxSectionText-2)))
		blocks = append(blocks, contextLine(citation(q.Article)))
		if len(q.AlsoIn) > 0 {
			blocks = append(blocks, contextLine(alsoReported(q.AlsoIn)))
		}
		ref := q.Article
		if _, ok := linkable(ref.URL); !ok {
			ref.URL = "" // then Citation ends with the id
		}
		line := "> " + fit(quote, maxFallbackQuote) + "\n— " + fit(bot.CitationText(ref), maxTitle*3)
		if before != "" {
			line = "(" + fit(before, maxFallbackQuote/2) + ")\n" + line
		}
		if ref.URL != "" {
			line += " (" + fit(ref.ID, maxTitle) + ")"
		}
		text = append(text, line)
	}
	if o.Votes {
		blocks = capBlocks(blocks, 1)
		blocks = append(blocks, voteBlock(ans))
	} else {
		blocks = capBlocks(blocks)
	}
	return Message{Text: strings.Join(text, "\n"), Blocks: blocks}
}

// capBlocks keeps the first blocks so that, with reserve more to come,
// the message has at most MaxBlocks; the last kept block then says that
// the rest was left out.
func capBlocks(blocks []slack.Block, reserve ...int) []slack.Block {
	limit := MaxBlocks
	for _, r := range reserve {
		limit -= r
	}
	if len(blocks) <= limit {
		return blocks
	}
	out := append([]slack.Block(nil), blocks[:limit-1]...)
	return append(out, contextLine(fmt.Sprintf("_%d more blocks left out to stay within Slack's limits._", len(blocks)-(limit-1))))
}

// voteValue is what a vote button carries back to us: the question and the
// quoted articles, so that a click can be recorded without server state.
type voteValue struct {
	Question   string   `json:"q"`
	ArticleIDs []string `json:"a"`
}

// encodeVoteValue fits the value in MaxButtonValue characters, shortening
// the question if it must.
func encodeVoteValue(question string, ids []string) string {
	v := voteValue{Question: question, ArticleIDs: ids}
	for {
		b, _ := json.Marshal(v)
		if utf8.RuneCount(b) <= MaxButtonValue || (v.Question == "" && len(v.ArticleIDs) == 0) {
			return string(b)
		}
		switch r := []rune(v.Question); {
		case len(r) > 0:
			v.Question = string(r[:len(r)*3/4])
		default:
			v.ArticleIDs = v.ArticleIDs[:len(v.ArticleIDs)-1]
		}
	}
}

func decodeVoteValue(s string) (voteValue, error) {
	var v voteValue
	if err := json.Unmarshal([]byte(s), &v); err != nil {
		return voteValue{}, fmt.Errorf("slack: decode vote button value: %w", err)
	}
	return v, nil
}

func voteBlock(ans bot.Answer) *slack.ActionBlock {
	value := encodeVoteValue(ans.Question, ans.ArticleIDs())
	up := slack.NewButtonBlockElement(actionVoteUp, value, slack.NewTextBlockObject(slack.PlainTextType, "👍 Helpful", true, false))
	down := slack.NewButtonBlockElement(actionVoteDown, value, slack.NewTextBlockObject(slack.PlainTextType, "👎 Not helpful", true, false))
	return slack.NewActionBlock(voteBlockID, up, down)
}

// RenderText renders trusted mrkdwn (a fixed help or error text written
// here, never user or article text) as a one-section message.
func RenderText(mrkdwnText string) Message {
	return Message{Text: mrkdwnText, Blocks: []slack.Block{section(mrkdwnText)}}
}

// RenderLibrary renders what the bot answers from, for /brief sources.
func RenderLibrary(lib bot.Library) Message {
	n := fmt.Sprintf("%d articles", lib.Articles)
	if lib.Articles == 1 {
		n = "1 article"
	}
	head := fmt.Sprintf("I answer from *%s* (%d passages)", n, lib.Chunks)
	if d := lib.Dates(); d != "" {
		head += ", " + d
	}
	head += "."
	blocks := []slack.Block{section(head)}
	text := head
	if len(lib.Latest) > 0 {
		lines := make([]string, 0, len(lib.Latest))
		for _, r := range lib.Latest {
			lines = append(lines, "• "+citation(r))
		}
		list := capText(lines, "\n", MaxSectionText-len("*Latest:*\n"))
		blocks = append(blocks, section("*Latest:*\n"+list))
		text += "\nLatest:\n" + list
	}
	return Message{Text: text, Blocks: capBlocks(blocks)}
}
