// Package bot is briefbot's platform-neutral core: it turns a Question into an
// Answer of verbatim, cited quotes, builds digests, and defines the small
// contracts chat adapters implement or depend on. It knows no Slack, no
// Discord and no vector store.
package bot

import (
	"fmt"
	"net/url"
	"slices"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/briefbot/briefbot/retrieval"
)

// Platforms name where a question came from; they label metrics and logs.
const (
	PlatformCLI     = "cli"
	PlatformHTTP    = "http"
	PlatformSlack   = "slack"
	PlatformDiscord = "discord"
)

// ChatPlatforms are the chat platforms briefbot has adapters for: the
// one list that digest targets, channel settings, configuration checks
// and metrics read.
var ChatPlatforms = []string{PlatformSlack, PlatformDiscord}

// IsChatPlatform reports whether p is one of ChatPlatforms.
func IsChatPlatform(p string) bool { return slices.Contains(ChatPlatforms, p) }

// Question is what a user asked.
type Question struct {
	// Text is the question as typed, with any bot mention removed.
	Text string
	// AsOf answers as if asked that day: articles published more than a day
	// after it are not seen. The zero value means no date filter.
	AsOf time.Time
	// Platform is where the question came from (PlatformSlack, ...).
	Platform string
	// Collections, when not empty, restricts the search to the articles
	// of these collections (a channel's setting).
	Collections []string
	// History holds the conversation's earlier turns, oldest first: a
	// follow-up ("And how did Kyiv respond?") is read with them (see
	// Resolve).
	History []Turn
}

// Answer is the reply to a Question: 1 to 3 quotes (at most two an article),
// best first, or Found == false and no quotes. Its JSON form (MarshalJSON,
// in answer_json.go) is the contract of `briefbot ask --json` and `GET
// /api/ask`.
type Answer struct {
	Question string
	Found    bool
	// Reason may say why nothing was found ("the briefings end on
	// 2025-12-06"); empty otherwise.
	Reason string
	// Quotes are verbatim spans of the articles, each with its citation
	// (Article: unknown fields empty, never invented; a URL that is not
	// http(s) removed) and the articles that carry a near-identical
	// sentence (AlsoIn). Context is whitespace-normalised.
	Quotes []retrieval.Quote
	// Searched says what the answer looked through, so that "not found"
	// can say plainly what was searched (see DescribeSearched).
	Searched retrieval.Coverage
	// FollowUpOf is the earlier question a follow-up was read with, as it
	// was asked; empty when the question was read alone.
	FollowUpOf string
	// Resolved is the question as searched when it differs from Question
	// (a follow-up completed from the conversation).
	Resolved string

	// topic is the question completed from the conversation, whichever
	// reading answered: the next follow-up is read with it.
	topic string
}

// Turn is the conversation turn this answer makes.
func (a Answer) Turn() Turn {
	q := a.Question
	if a.topic != "" {
		q = a.topic
	}
	t := Turn{Question: q, Asked: a.Question, Articles: a.ArticleIDs()}
	for _, qt := range a.Quotes {
		t.Shown = append(t.Shown, qt.Text)
	}
	return t
}

// ArticleIDs returns the ids of the quoted articles, best first, each once
// (an article may give two quotes).
func (a Answer) ArticleIDs() []string {
	ids := make([]string, 0, len(a.Quotes))
	for _, q := range a.Quotes {
		if !slices.Contains(ids, q.Article.ID) {
			ids = append(ids, q.Article.ID)
		}
	}
	return ids
}

// NotFoundText is the plain sentence every adapter shows when the briefings
// do not support an answer: that, the reason when the engine gave one, and
// what was searched.
func (a Answer) NotFoundText() string {
	text := "I couldn't find that in the briefings. "
	if r := ReasonSentence(a.Reason); r != "" {
		text += r + " "
	}
	return text + DescribeSearched(a.Searched)
}

// ReasonSentence makes a reason ("the briefings end on 2025-12-06") a
// sentence of its own: whitespace collapsed, first letter capitalised, a
// full stop added when it has no closing punctuation. Empty stays empty.
func ReasonSentence(reason string) string {
	r := strings.Join(strings.Fields(reason), " ")
	if r == "" {
		return ""
	}
	first, size := utf8.DecodeRuneInString(r)
	r = string(unicode.ToUpper(first)) + r[size:]
	switch last, _ := utf8.DecodeLastRuneInString(r); last {
	case '.', '!', '?', '…':
	default:
		r += "."
	}
	return r
}

// DescribeSearched says what was searched, telling dated and undated
// articles apart: "I searched 5 articles from 2022-06-01 to 2022-09-30.",
// "I searched 5 articles: 1 dated 2025-12-06, 4 undated.", "I searched 3
// articles, all undated."
func DescribeSearched(s retrieval.Coverage) string {
	d := describeSearched(s)
	if len(s.Collections) > 0 {
		noun := "collection"
		if len(s.Collections) > 1 {
			noun = "collections"
		}
		d = strings.TrimSuffix(d, ".") + " (in the " + noun + " " + strings.Join(s.Collections, ", ") + ")."
	}
	return d
}

func describeSearched(s retrieval.Coverage) string {
	dated, undated := splitUndated(s.Articles, s.Undated)
	span := dateSpan(s.From, s.To, "dated ", "from ")
	switch {
	case s.Articles <= 0:
		return "I searched no articles."
	case undated == 0 && span == "":
		return "I searched " + countOf(s.Articles, "article") + "."
	case undated == 0:
		return "I searched " + countOf(s.Articles, "article") + " " + span + "."
	case dated == 0 && s.Articles == 1:
		return "I searched 1 article, undated."
	case dated == 0:
		return "I searched " + countOf(s.Articles, "article") + ", all undated."
	case span == "":
		return fmt.Sprintf("I searched %s: %d dated, %d undated.", countOf(s.Articles, "article"), dated, undated)
	default:
		return fmt.Sprintf("I searched %s: %d %s, %d undated.", countOf(s.Articles, "article"), dated, span, undated)
	}
}

// splitUndated counts the dated and undated of n articles, undated clamped
// to 0..n.
func splitUndated(n, undated int) (int, int) {
	undated = min(max(undated, 0), max(n, 0))
	return n - undated, undated
}

// dateString is t as YYYY-MM-DD, or "" when t is zero (unknown).
func dateString(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.Format(retrieval.DateLayout)
}

// dateSpan words a date range: one day as one+day, a range as
// rangePrefix+from+" to "+to; "" when no date is known.
func dateSpan(fromT, toT time.Time, one, rangePrefix string) string {
	from, to := dateString(fromT), dateString(toT)
	switch {
	case from == "" && to == "":
		return ""
	case from == to || to == "":
		return one + from
	case from == "":
		return one + to
	default:
		return rangePrefix + from + " to " + to
	}
}

// countOf writes n and the noun, with an s unless n is 1.
func countOf(n int, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	return fmt.Sprintf("%d %ss", n, noun)
}

// SafeURL returns u when it is an absolute http or https URL with a host,
// the only links briefbot shows or returns, else "": a javascript: or
// data: URL from an article is never rendered as a link.
func SafeURL(u string) string {
	u = strings.TrimSpace(u)
	p, err := url.Parse(u)
	if err != nil || p.Host == "" {
		return ""
	}
	if s := strings.ToLower(p.Scheme); s != "http" && s != "https" {
		return ""
	}
	return u
}

// CitationText renders a one-line citation of an article for plain text:
// title, source, date and URL or id, skipping what is unknown.
func CitationText(m retrieval.ArticleMeta) string {
	parts := make([]string, 0, 4)
	if m.Title != "" {
		parts = append(parts, m.Title)
	}
	if m.Source != "" {
		parts = append(parts, m.Source)
	}
	if p := m.PublishedString(); p != "" {
		parts = append(parts, p)
	}
	if u := SafeURL(m.URL); u != "" {
		parts = append(parts, u)
	} else {
		parts = append(parts, m.ID)
	}
	return strings.Join(parts, " · ")
}

// Library summarises the articles a bot answers from (for /sources).
type Library struct {
	Articles int
	Chunks   int
	// Undated is how many articles carry no publication date.
	Undated int
	// From and To are the earliest and latest published dates (zero when
	// no article is dated).
	From, To time.Time
	// Latest lists the most recently published (or ingested) articles,
	// newest first, cited as answers cite them (a URL that is not http(s)
	// removed).
	Latest []retrieval.ArticleMeta
}

// Dates says when the articles were published, telling dated and undated
// ones apart: "published 2025-12-04 to 2025-12-06", "1 published
// 2025-12-06, 4 undated", "all undated"; "" when there is nothing to say.
func (l Library) Dates() string {
	dated, undated := splitUndated(l.Articles, l.Undated)
	span := dateSpan(l.From, l.To, "published ", "published ")
	switch {
	case l.Articles <= 0:
		return ""
	case undated == 0:
		return span
	case dated == 0 && l.Articles == 1:
		return "undated"
	case dated == 0:
		return "all undated"
	case span == "":
		return fmt.Sprintf("%d dated, %d undated", dated, undated)
	default:
		return fmt.Sprintf("%d %s, %d undated", dated, span, undated)
	}
}
