// Package retrieval holds briefbot's corpus model (Article, Chunk) and the
// search engine that answers a Query with ranked articles and verbatim
// quotes: lexical BM25 and vector candidates, fused, then sentence-level
// quote selection. Subpackages hold ingestion, text processing, embedders and
// the chromem-go store.
package retrieval

import (
	"time"

	"github.com/briefbot/briefbot/retrieval/text"
)

// DateLayout is the layout of every date briefbot shows (YYYY-MM-DD).
const DateLayout = "2006-01-02"

// Article is one briefing.
type Article struct {
	// ID is the file's base name for files and the record's id for JSON records.
	ID     string
	Title  string
	Source string
	URL    string
	// Published is the publication date; zero when the text does not carry one.
	Published time.Time
	// Ingested is when the article entered the store.
	Ingested time.Time
	// Body is the cleaned text; quotes and chunk offsets refer to it.
	Body string
	// Collection labels the article (ingest --collection, a watched
	// folder's or a feed's label); "" is none. A channel can be restricted
	// to some collections.
	Collection string
}

// ArticleMeta is an article without its body. It is also the one
// citation type: a quote's, a digest sentence's and a library listing's
// (unknown fields zero, never invented; bot.CitationJSON is its JSON view).
type ArticleMeta struct {
	ID        string
	Title     string
	Source    string
	URL       string
	Published time.Time
	Ingested  time.Time
	// Hash identifies the article's content (title, metadata, body), so that
	// re-ingesting unchanged content is a no-op.
	Hash string
	// Chunks is how many chunks the article was cut into.
	Chunks int
	// Collection is the article's label ("" none), see Article.Collection.
	Collection string
}

// PublishedString returns the published date as YYYY-MM-DD, or "" if unknown.
func (m ArticleMeta) PublishedString() string {
	if m.Published.IsZero() {
		return ""
	}
	return m.Published.Format(DateLayout)
}

// Span is a half-open byte range [Start, End) of an article body: the
// sentence splitter's span (one type for both).
type Span = text.Span

// Query is a question to search for.
type Query struct {
	Text string
	// AsOf hides articles published more than a day after it; zero means no filter.
	AsOf time.Time
	// MaxQuotes caps the quotes returned (default 3).
	MaxQuotes int
	// MaxDocs caps the ranked articles returned (default 20).
	MaxDocs int
	// Within, when not empty, searches only these articles (by id): a
	// follow-up question is looked for in the articles of the answer it
	// follows.
	Within []string
	// Collections, when not empty, searches only the articles labelled
	// with one of them (a channel restricted to some collections).
	Collections []string
}

// Quote is a verbatim span of an article (at most two sentences and 60
// words; whitespace may be normalised) with its citation (Article) and the
// articles that carry a near-identical sentence (AlsoIn): the one quote
// type of the engine's results and the bot's answers (whose JSON view is
// bot.Answer's).
type Quote struct {
	Text    string
	Article ArticleMeta
	// Span locates Text in Article's body (Text is Body[Span.Start:Span.End]
	// with whitespace normalised).
	Span Span
	// Truncated marks a quote that ends inside a sentence (cut at the word
	// limit): Text is still verbatim, and renderers show that it goes on.
	Truncated bool
	// Context is the sentence before the quote, verbatim with whitespace
	// normalised, when the quote cannot be read alone (it refers back: "He
	// said…", "The move…"); empty otherwise. Text stays the answer.
	Context string
	// ContextSpan locates Context in Article's body; zero when Context is empty.
	ContextSpan Span
	AlsoIn      []ArticleMeta
	Score       float64
}

// Display is the quote as shown to a reader: its text, with an ellipsis
// when it stops inside a sentence.
func (q Quote) Display() string {
	if q.Truncated {
		return q.Text + "…"
	}
	return q.Text
}

// RankedDoc is an article and its retrieval score.
type RankedDoc struct {
	ID    string
	Score float64
}

// Coverage says what a search looked through.
type Coverage struct {
	// Articles is how many articles were searched, dated or not.
	Articles int
	// Undated is how many of them carry no publication date.
	Undated int
	// From and To bound the published dates of the articles seen (zero if none is dated).
	From time.Time
	To   time.Time
	// Collections are the collections searched (Query.Collections); nil
	// means every article.
	Collections []string
}

// Result answers a Query.
type Result struct {
	// Found is false when nothing in the corpus supports an answer; Quotes is then empty.
	Found bool
	// Reason is a short sentence for the reader that may say why nothing was
	// found (e.g. "the briefings end on 2025-12-06"); empty when the engine
	// has nothing more specific to say than what it searched.
	Reason string
	Quotes []Quote
	// Docs ranks distinct articles, best first (up to Query.MaxDocs), whether
	// or not an answer was found.
	Docs     []RankedDoc
	Searched Coverage
	// Evidence is how much of the question (0..1, idf-weighted, over the
	// question's words the corpus knows) the best quote covers; an answer
	// needs enough of it.
	Evidence float64
	// Confidence is the fitted chance (0..1) that the quotes answer the
	// question; an answer needs the engine's MinConfidence.
	Confidence float64
}

// Sentence is one sentence of a document, located in its body.
type Sentence struct {
	Span
	Text string
}

// Document is an article with its sentences, for digests.
type Document struct {
	ArticleMeta
	Body      string
	Sentences []Sentence
}

// Chunk is a sentence-aligned window of an article body. Chunks of one
// article are contiguous: together they are the whole body.
type Chunk struct {
	ArticleID string
	Ordinal   int
	// Span locates the chunk in the body.
	Span Span
	// Sentences locates each sentence of the chunk in the body.
	Sentences []Span
}

// ChunkID is the store id of an article's chunk.
func ChunkID(articleID string, ordinal int) string {
	return articleID + "#" + itoa(ordinal)
}

func itoa(n int) string {
	if n == 0 {
		return "0"
	}
	var b [20]byte
	i := len(b)
	for n > 0 {
		i--
		b[i] = byte('0' + n%10)
		n /= 10
	}
	return string(b[i:])
}
