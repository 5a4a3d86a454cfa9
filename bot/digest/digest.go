// Package digest builds briefbot's daily digest: the articles of a time
// window grouped into stories, ranked, each told in 1 to 3 verbatim, cited
// sentences chosen by an extractive, model-free summariser. It also keeps the
// state that posting digests on a schedule needs: a ledger of what was posted
// where (once per channel and day), channel subscriptions, and a scheduler.
// It is platform-neutral: adapters render a Digest and post it through a
// Poster.
package digest

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/briefbot/briefbot/bot"
	"github.com/briefbot/briefbot/retrieval"
)

// DefaultWindow is how far back a digest looks when no window is given.
const DefaultWindow = 24 * time.Hour

// Defaults for the shape of a digest.
const (
	DefaultMaxStories   = 10
	DefaultMaxSentences = 3
)

// ErrBadOptions reports options that contradict each other.
var ErrBadOptions = errors.New("digest: bad options")

// Options says which articles a digest covers and how long it is.
type Options struct {
	// Now is when the digest is built; zero means time.Now() for Build,
	// and is refused by Deliver (it stamps the ledger with the caller's clock).
	Now time.Time
	// Location is the digest's time zone (dates, calendar days); nil means UTC.
	Location *time.Location
	// Window is how far back from Now the digest looks (default DefaultWindow).
	Window time.Duration
	// Since, when set, covers every article from Since up to Now.
	Since time.Time
	// Date, when set, covers that calendar day (its year, month and day read
	// in Location).
	Date time.Time
	// All covers every article in the store.
	All bool
	// Previous is the previous digest posted to the same channel: its stories
	// become follow-ups here.
	Previous []Signature
	// MaxStories caps the stories (default DefaultMaxStories; negative: no cap).
	MaxStories int
	// MaxSentences caps the key sentences of a story (default DefaultMaxSentences).
	MaxSentences int
	// Words, if positive, is a word budget for all key sentences together
	// (MaxSentences then does not apply): stories take it in rank order. The
	// evaluation harness uses it to ask for a summary of a given length.
	Words int
}

// Digest is what the briefings of a window said. Its JSON form is the
// contract of `briefbot digest --json`.
type Digest struct {
	// Date is the digest's day (YYYY-MM-DD in Timezone).
	Date string `json:"date"`
	// Window is the period covered; its JSON is the label "24h",
	// "2025-12-06", "since 2025-12-01" or "all".
	Window Window `json:"window"`
	// Timezone is the IANA zone the dates are read in.
	Timezone string `json:"timezone"`
	// Articles counts the articles in the window.
	Articles int `json:"articles"`
	// Stories are ranked, most important first.
	Stories []Story `json:"stories"`
}

// Story is one event, as reported by one or more articles.
type Story struct {
	// Headline is an article title, or the story's best sentence, verbatim.
	Headline string `json:"headline"`
	// New is false for a follow-up of a story in the previous digest.
	New bool `json:"new"`
	// Sources counts the independent sources (syndicated copies count once).
	Sources int `json:"sources"`
	// Sentences are 1 to MaxSentences verbatim key sentences.
	Sentences []Sentence `json:"sentences"`
	// Articles lists the ids of every article of the story.
	Articles []string `json:"-"`
	// Signature identifies the story for follow-ups in the next digest.
	Signature Signature `json:"-"`
}

// Sentence is a verbatim sentence of an article (whitespace normalised) and
// its citation (the article's metadata: unknown fields zero, never
// invented, and left out of JSON, as in an answer).
type Sentence struct {
	Text    string
	Article retrieval.ArticleMeta
}

// sentenceJSON is a Sentence's JSON view.
type sentenceJSON struct {
	Text    string           `json:"text"`
	Article bot.CitationJSON `json:"article"`
}

// MarshalJSON writes the sentence as `briefbot digest --json` prints it.
func (s Sentence) MarshalJSON() ([]byte, error) {
	return bot.MarshalView(sentenceJSON{Text: s.Text, Article: bot.NewCitationJSON(s.Article)})
}

// UnmarshalJSON reads what MarshalJSON wrote.
func (s *Sentence) UnmarshalJSON(b []byte) error {
	var v sentenceJSON
	if err := json.Unmarshal(b, &v); err != nil {
		return err
	}
	m, err := v.Article.Meta()
	if err != nil {
		return err
	}
	*s = Sentence{Text: v.Text, Article: m}
	return nil
}

// Empty reports whether no article fell in the window.
func (d Digest) Empty() bool { return len(d.Stories) == 0 }

// EmptyText is the one line that says a window had no briefings.
func (d Digest) EmptyText() string {
	w := d.Window
	switch {
	case w.All:
		return "No briefings in the store yet."
	case w.Since != "":
		return fmt.Sprintf("No briefings %s.", w)
	case w.Day != "":
		return fmt.Sprintf("No briefings on %s.", w.Day)
	default:
		return fmt.Sprintf("No briefings in the last %s.", w)
	}
}

// Window is the period a digest covers: one of the last Last (a rolling
// window ending at the digest's time), the calendar Day, every article
// Since a day, or All. Its String and JSON are the label `briefbot digest
// --json` prints.
type Window struct {
	// Last is the length of a rolling window.
	Last time.Duration
	// Day is the calendar day covered (YYYY-MM-DD).
	Day string
	// Since is the first day covered (YYYY-MM-DD), up to the digest's time.
	Since string
	// All covers every article.
	All bool
}

// String is the window's label: "24h", "2025-12-06", "since 2025-12-01"
// or "all".
func (w Window) String() string {
	switch {
	case w.All:
		return "all"
	case w.Since != "":
		return "since " + w.Since
	case w.Day != "":
		return w.Day
	}
	return formatWindow(w.Last)
}

// Label says what the window covers, for a digest's header: "last 24h",
// "since 2025-12-01", "all briefings", or the day.
func (w Window) Label() string {
	switch {
	case w.All:
		return "all briefings"
	case w.Since != "", w.Day != "":
		return w.String()
	}
	return "last " + w.String()
}

// MarshalJSON writes the label.
func (w Window) MarshalJSON() ([]byte, error) { return json.Marshal(w.String()) }

// UnmarshalJSON reads a label MarshalJSON wrote.
func (w *Window) UnmarshalJSON(b []byte) error {
	var label string
	if err := json.Unmarshal(b, &label); err != nil {
		return err
	}
	switch since, isSince := strings.CutPrefix(label, "since "); {
	case label == "all":
		*w = Window{All: true}
	case isSince:
		*w = Window{Since: since}
	default:
		if d, err := time.ParseDuration(label); err == nil {
			*w = Window{Last: d}
		} else if _, err := time.Parse(retrieval.DateLayout, label); err == nil {
			*w = Window{Day: label}
		} else {
			return fmt.Errorf("digest: %q is not a window", label)
		}
	}
	return nil
}

// Signatures returns the signatures of the digest's stories, to persist and
// pass as Options.Previous next time.
func (d Digest) Signatures() []Signature {
	out := make([]Signature, 0, len(d.Stories))
	for _, s := range d.Stories {
		out = append(out, s.Signature)
	}
	return out
}

// Text renders the digest for a terminal or a plain-text message.
func (d Digest) Text() string {
	var b strings.Builder
	if d.Empty() {
		return d.EmptyText() + "\n"
	}
	fmt.Fprintf(&b, "Digest for %s (%s, %s): %d articles, %d stories\n", d.Date, d.Window, d.Timezone, d.Articles, len(d.Stories))
	for i, s := range d.Stories {
		mark := "new"
		if !s.New {
			mark = "follow-up"
		}
		sources := "1 source"
		if s.Sources != 1 {
			sources = fmt.Sprintf("%d sources", s.Sources)
		}
		fmt.Fprintf(&b, "\n%d. %s  [%s, %s]\n", i+1, s.Headline, mark, sources)
		for _, sn := range s.Sentences {
			fmt.Fprintf(&b, "   “%s”\n     — %s\n", sn.Text, bot.CitationText(sn.Article))
		}
	}
	return b.String()
}

// window is the period a digest covers, [from, to); zero bounds are open.
type window struct {
	from, to time.Time
	label    Window
	date     string
}

func (o Options) resolve() (Options, window, error) {
	if o.Now.IsZero() {
		o.Now = time.Now()
	}
	if o.Location == nil {
		o.Location = time.UTC
	}
	if o.Window <= 0 {
		o.Window = DefaultWindow
	}
	if o.MaxStories == 0 {
		o.MaxStories = DefaultMaxStories
	}
	if o.MaxSentences <= 0 {
		o.MaxSentences = DefaultMaxSentences
	}
	set := 0
	for _, b := range []bool{o.All, !o.Since.IsZero(), !o.Date.IsZero()} {
		if b {
			set++
		}
	}
	if set > 1 {
		return o, window{}, fmt.Errorf("%w: choose one of a date, a since date or all", ErrBadOptions)
	}
	w := window{to: o.Now, date: Day(o.Now, o.Location)}
	switch {
	case o.All:
		w.to, w.label = time.Time{}, Window{All: true}
	case !o.Since.IsZero():
		w.from, w.label = o.Since, Window{Since: Day(o.Since, o.Location)}
	case !o.Date.IsZero():
		y, m, dd := o.Date.In(o.Location).Date()
		if o.Date.Location() == time.UTC {
			y, m, dd = o.Date.Date()
		}
		w.from = time.Date(y, m, dd, 0, 0, 0, 0, o.Location)
		w.to = time.Date(y, m, dd+1, 0, 0, 0, 0, o.Location)
		w.date = Day(w.from, o.Location)
		w.label = Window{Day: w.date}
	default:
		w.from, w.label = o.Now.Add(-o.Window), Window{Last: o.Window}
	}
	return o, w, nil
}

// formatWindow writes a duration the way people type it: 24h, 90m, 2h30m.
func formatWindow(d time.Duration) string {
	s := d.String()
	s = strings.TrimSuffix(s, "0s")
	if strings.HasSuffix(s, "h0m") {
		s = strings.TrimSuffix(s, "0m")
	}
	if s == "" {
		return "0s"
	}
	return s
}

// in reports whether an article falls in the window. An undated article
// counts by its ingest time; a date without a time of day (midnight UTC, as
// datelines are parsed) covers that whole calendar day in loc.
func (w window) in(m retrieval.ArticleMeta, loc *time.Location) bool {
	if w.from.IsZero() && w.to.IsZero() {
		return true
	}
	start, end := m.Published, m.Published
	switch {
	case m.Published.IsZero():
		start, end = m.Ingested, m.Ingested
	case isDateOnly(m.Published):
		y, mo, d := m.Published.UTC().Date()
		start = time.Date(y, mo, d, 0, 0, 0, 0, loc)
		end = time.Date(y, mo, d+1, 0, 0, 0, 0, loc).Add(-time.Nanosecond)
	}
	if start.IsZero() {
		return false
	}
	if !w.from.IsZero() && end.Before(w.from) {
		return false
	}
	if !w.to.IsZero() && !start.Before(w.to) {
		return false
	}
	return true
}

func isDateOnly(t time.Time) bool {
	u := t.UTC()
	return u.Hour() == 0 && u.Minute() == 0 && u.Second() == 0 && u.Nanosecond() == 0
}

// Build selects the articles of the window, groups them into stories, ranks
// the stories and picks each story's headline and key sentences.
func Build(ctx context.Context, s bot.Searcher, opts Options) (Digest, error) {
	opts, w, err := opts.resolve()
	if err != nil {
		return Digest{}, err
	}
	d := Digest{Date: w.date, Window: w.label, Timezone: opts.Location.String(), Stories: []Story{}}
	metas, err := s.Articles(ctx)
	if err != nil {
		return d, fmt.Errorf("digest: list articles: %w", err)
	}
	var docs []retrieval.Document
	for _, m := range metas {
		if !w.in(m, opts.Location) {
			continue
		}
		doc, err := s.Document(ctx, m.ID)
		if err != nil {
			return d, fmt.Errorf("digest: read %s: %w", m.ID, err)
		}
		docs = append(docs, doc)
	}
	// A stable order whatever the store's: oldest first, then by id.
	sort.SliceStable(docs, func(i, j int) bool {
		ti, tj := when(docs[i].ArticleMeta), when(docs[j].ArticleMeta)
		if !ti.Equal(tj) {
			return ti.Before(tj)
		}
		return docs[i].ID < docs[j].ID
	})
	d.Articles = len(docs)
	d.Stories = buildStories(docs, opts)
	return d, nil
}

func when(m retrieval.ArticleMeta) time.Time {
	if !m.Published.IsZero() {
		return m.Published
	}
	return m.Ingested
}
