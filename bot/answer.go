// Package bot is briefbot's platform-neutral core: it turns a Question into an
// Answer of verbatim, cited quotes, builds digests, and defines the small
// contracts chat adapters implement or depend on. It knows no Slack, no
// Discord and no vector store.
package bot

import (
	"fmt"
	"strings"
	"time"
)

// Platforms name where a question came from; they label metrics and logs.
const (
	PlatformCLI     = "cli"
	PlatformHTTP    = "http"
	PlatformSlack   = "slack"
	PlatformDiscord = "discord"
)

// Question is what a user asked.
type Question struct {
	// Text is the question as typed, with any bot mention removed.
	Text string
	// AsOf answers as if asked that day: articles published more than a day
	// after it are not seen. The zero value means no date filter.
	AsOf time.Time
	// Platform is where the question came from (PlatformSlack, ...).
	Platform string
}

// ArticleRef cites an article. Unknown fields are empty, never invented.
type ArticleRef struct {
	ID        string `json:"id"`
	Title     string `json:"title,omitempty"`
	Source    string `json:"source,omitempty"`
	URL       string `json:"url,omitempty"`
	Published string `json:"published,omitempty"` // YYYY-MM-DD
}

// AlsoIn names another article that carries a near-identical sentence.
type AlsoIn struct {
	ID    string `json:"id"`
	Title string `json:"title,omitempty"`
}

// Quote is a verbatim span of one article (at most two sentences and 60
// words; whitespace may be normalised) with its citation.
type Quote struct {
	Text    string     `json:"text"`
	Article ArticleRef `json:"article"`
	AlsoIn  []AlsoIn   `json:"also_in,omitempty"`
	// Truncated marks a quote cut at the word limit inside a sentence.
	Truncated bool `json:"truncated,omitempty"`
}

// Display is the quote as shown to a reader: its text, with an ellipsis
// when it stops inside a sentence.
func (q Quote) Display() string {
	if q.Truncated {
		return q.Text + "…"
	}
	return q.Text
}

// Searched says what an answer looked through, so that "not found" can say
// plainly what was searched.
type Searched struct {
	Articles int    `json:"articles"`
	From     string `json:"from,omitempty"` // earliest published date seen, YYYY-MM-DD
	To       string `json:"to,omitempty"`   // latest published date seen, YYYY-MM-DD
}

// Answer is the reply to a Question: 1 to 3 quotes from distinct articles,
// best first, or Found == false and no quotes. Its JSON form is the contract
// of `briefbot ask --json` and `GET /api/ask`.
type Answer struct {
	Question string   `json:"question"`
	Found    bool     `json:"found"`
	Quotes   []Quote  `json:"quotes"`
	Searched Searched `json:"searched"`
}

// ArticleIDs returns the ids of the quoted articles, best first.
func (a Answer) ArticleIDs() []string {
	ids := make([]string, 0, len(a.Quotes))
	for _, q := range a.Quotes {
		ids = append(ids, q.Article.ID)
	}
	return ids
}

// NotFoundText is the plain sentence every adapter shows when the briefings
// do not support an answer, saying what was searched.
func (a Answer) NotFoundText() string {
	return "I couldn't find that in the briefings. " + a.Searched.Describe()
}

// Describe says what was searched, e.g. "I searched 5 articles published
// 2025-12-06 to 2025-12-07."
func (s Searched) Describe() string {
	n := fmt.Sprintf("%d article", s.Articles)
	if s.Articles != 1 {
		n += "s"
	}
	switch {
	case s.From == "" && s.To == "":
		return "I searched " + n + "."
	case s.From == s.To || s.To == "":
		return fmt.Sprintf("I searched %s (dated %s).", n, s.From)
	default:
		return fmt.Sprintf("I searched %s (dated %s to %s).", n, s.From, s.To)
	}
}

// Citation renders a one-line citation for plain text: title, source, date
// and URL or id, skipping what is unknown.
func (r ArticleRef) Citation() string {
	parts := make([]string, 0, 4)
	if r.Title != "" {
		parts = append(parts, r.Title)
	}
	if r.Source != "" {
		parts = append(parts, r.Source)
	}
	if r.Published != "" {
		parts = append(parts, r.Published)
	}
	if r.URL != "" {
		parts = append(parts, r.URL)
	} else {
		parts = append(parts, r.ID)
	}
	return strings.Join(parts, " · ")
}

// Library summarises the articles a bot answers from (for /sources).
type Library struct {
	Articles int `json:"articles"`
	Chunks   int `json:"chunks"`
	// From and To are the earliest and latest published dates (YYYY-MM-DD).
	From string `json:"from,omitempty"`
	To   string `json:"to,omitempty"`
	// Latest lists the most recently published (or ingested) articles, newest first.
	Latest []ArticleRef `json:"latest"`
}
