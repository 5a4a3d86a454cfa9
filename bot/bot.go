package bot

import (
	"context"
	"fmt"
	"log/slog"
	"sort"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/briefbot/briefbot/retrieval"
)

// DefaultQuotes is how many quotes an answer shows.
const DefaultQuotes = 3

// MaxQuestionLen is the longest question, in characters, the bot accepts.
const MaxQuestionLen = 500

// Searcher is what the bot needs from the retrieval engine.
type Searcher interface {
	// Search answers q with ranked articles and verbatim quotes.
	Search(ctx context.Context, q retrieval.Query) (retrieval.Result, error)
	// Articles lists every article in the store (without bodies).
	Articles(ctx context.Context) ([]retrieval.ArticleMeta, error)
	// Document returns one article with its body and sentences.
	Document(ctx context.Context, id string) (retrieval.Document, error)
}

// Options configures a Bot.
type Options struct {
	// Observer receives question metrics; nil means none.
	Observer Observer
	// Logger logs outcomes (never question text); nil discards.
	Logger *slog.Logger
	// Now is the clock; nil means time.Now.
	Now func() time.Time
}

// Bot answers questions from a Searcher. It is safe for concurrent use.
type Bot struct {
	searcher Searcher
	obs      Observer
	log      *slog.Logger
	now      func() time.Time
}

// New returns a Bot answering from s.
func New(s Searcher, opts Options) *Bot {
	b := &Bot{searcher: s, obs: opts.Observer, log: opts.Logger, now: opts.Now}
	if b.obs == nil {
		b.obs = NopObserver{}
	}
	if b.log == nil {
		b.log = slog.New(slog.DiscardHandler)
	}
	if b.now == nil {
		b.now = time.Now
	}
	return b
}

// CleanQuestion trims a question and checks its length.
func CleanQuestion(text string) (string, error) {
	text = strings.Join(strings.Fields(text), " ")
	if text == "" {
		return "", ErrEmptyQuestion
	}
	if utf8.RuneCountInString(text) > MaxQuestionLen {
		return "", ErrQuestionTooLong
	}
	return text, nil
}

// Ask answers q. Its errors are ErrEmptyQuestion, ErrQuestionTooLong or a
// failure of the searcher; "not found" is an Answer with Found == false.
func (b *Bot) Ask(ctx context.Context, q Question) (Answer, error) {
	start := b.now()
	text, err := CleanQuestion(q.Text)
	if err != nil {
		return Answer{Question: strings.TrimSpace(q.Text), Quotes: []retrieval.Quote{}}, err
	}
	searched, followUp := Resolve(q.History, text)
	topic := searched // what the conversation is about, for the next turn
	res, err := b.searcher.Search(ctx, retrieval.Query{Text: searched, AsOf: q.AsOf, Collections: q.Collections})
	if err == nil && followUp {
		res, searched, followUp = b.followUp(ctx, q, text, res, searched)
	}
	latency := b.now().Sub(start)
	if err != nil {
		b.obs.Question(q.Platform, OutcomeError, latency)
		b.log.ErrorContext(ctx, "answer failed", "platform", q.Platform, "err", err)
		return Answer{Question: text, Quotes: []retrieval.Quote{}}, fmt.Errorf("bot: answer: %w", err)
	}
	ans := AnswerFromResult(text, res)
	ans.topic = topic
	if followUp {
		last := q.History[len(q.History)-1]
		ans.FollowUpOf, ans.Resolved = last.Asked, searched
		if ans.FollowUpOf == "" {
			ans.FollowUpOf = last.Question
		}
	}
	outcome := OutcomeAnswered
	if !ans.Found {
		outcome = OutcomeNotFound
	}
	b.obs.Question(q.Platform, outcome, latency)
	b.log.InfoContext(ctx, "answered", "platform", q.Platform, "outcome", outcome,
		"quotes", len(ans.Quotes), "latency_ms", latency.Milliseconds())
	return ans, nil
}

// followUp chooses the answer to a follow-up among four readings, in this
// order of preference: merged (the follow-up completed with the
// conversation's topic, searched everywhere: already done), merged within
// the articles the last answer quoted, the follow-up's own words within
// those articles, and its own words everywhere (a new topic after all).
// The reading whose first quote holds the most of the follow-up's own words
// wins, then the one holding the most words of the topic, then the first in
// that order. A follow-up without words of its own (a bare "When?") takes
// the merged reading, whose answer type the engine matches. The reading
// alone everywhere is tried only when the follow-up names someone or
// something the conversation has not ("Where is Fastiv?"), or nothing else
// answered, and must hold strictly more of the follow-up's own words than
// every other, since it drops the context.
func (b *Bot) followUp(ctx context.Context, q Question, text string, merged retrieval.Result, mergedText string) (retrieval.Result, string, bool) {
	last := q.History[len(q.History)-1]
	type reading struct {
		res       retrieval.Result
		text      string
		own, topc int
	}
	var rs []reading
	add := func(res retrieval.Result, searched string) {
		if res.Found && len(res.Quotes) > 0 {
			rs = append(rs, reading{res: res, text: searched, own: ownCoverage(text, res), topc: ownCoverage(last.Question, res)})
		}
	}
	add(merged, mergedText)
	if len(last.Articles) > 0 {
		for _, t := range []string{mergedText, text} {
			within, err := b.searcher.Search(ctx, retrieval.Query{Text: t, AsOf: q.AsOf, Within: last.Articles, Collections: q.Collections})
			if err == nil {
				within.Searched = merged.Searched // the archive was searched (merged)
				add(within, t)
			}
		}
	}
	var best *reading
	for i := range rs {
		r := &rs[i]
		if best == nil || r.own > best.own || (r.own == best.own && best.own > 0 && r.topc > best.topc) {
			best = r
		}
	}
	if best != nil && best.own == 0 && merged.Found {
		best = &rs[0] // no word of its own: the merged reading
	}
	if best == nil || newName(text, last.Question) {
		alone, err := b.searcher.Search(ctx, retrieval.Query{Text: text, AsOf: q.AsOf, Collections: q.Collections})
		if err == nil && alone.Found && len(alone.Quotes) > 0 && (best == nil || ownCoverage(text, alone) > best.own) {
			return alone, text, false
		}
	}
	if best == nil {
		return merged, mergedText, true
	}
	return best.res, best.text, true
}

// AnswerFromResult converts a retrieval result into the Answer contract:
// contexts whitespace-normalised, URLs that are not http(s) removed from
// the citations.
func AnswerFromResult(question string, res retrieval.Result) Answer {
	ans := Answer{Question: question, Found: res.Found && len(res.Quotes) > 0, Quotes: []retrieval.Quote{}, Searched: res.Searched}
	if !ans.Found {
		ans.Reason = strings.Join(strings.Fields(res.Reason), " ")
		return ans
	}
	for _, q := range res.Quotes {
		q.Context = strings.Join(strings.Fields(q.Context), " ")
		q.Article = citable(q.Article)
		if len(q.AlsoIn) > 0 {
			also := make([]retrieval.ArticleMeta, len(q.AlsoIn)) // a copy: res may be cached
			for i, o := range q.AlsoIn {
				also[i] = citable(o)
			}
			q.AlsoIn = also
		}
		ans.Quotes = append(ans.Quotes, q)
	}
	return ans
}

// citable is m as a citation shows it: a URL that is not http(s) removed.
func citable(m retrieval.ArticleMeta) retrieval.ArticleMeta {
	m.URL = SafeURL(m.URL)
	return m
}

// Library summarises the store: counts, date range and the latest titles.
func (b *Bot) Library(ctx context.Context, latest int) (Library, error) {
	metas, err := b.searcher.Articles(ctx)
	if err != nil {
		return Library{}, fmt.Errorf("bot: list articles: %w", err)
	}
	lib := Library{Articles: len(metas), Latest: []retrieval.ArticleMeta{}}
	var from, to time.Time
	for _, m := range metas {
		lib.Chunks += m.Chunks
		if m.Published.IsZero() {
			lib.Undated++
			continue
		}
		if from.IsZero() || m.Published.Before(from) {
			from = m.Published
		}
		if to.IsZero() || m.Published.After(to) {
			to = m.Published
		}
	}
	lib.From, lib.To = from, to
	sorted := append([]retrieval.ArticleMeta(nil), metas...)
	sort.SliceStable(sorted, func(i, j int) bool {
		ti, tj := sortTime(sorted[i]), sortTime(sorted[j])
		if !ti.Equal(tj) {
			return ti.After(tj)
		}
		return sorted[i].ID < sorted[j].ID
	})
	for i := 0; i < len(sorted) && i < latest; i++ {
		lib.Latest = append(lib.Latest, citable(sorted[i]))
	}
	return lib, nil
}

func sortTime(m retrieval.ArticleMeta) time.Time {
	if !m.Published.IsZero() {
		return m.Published
	}
	return m.Ingested
}
