package ingest

// Feeds: RSS, Atom and JSON Feed files (and documents fetched by serve's
// feed follower) become one article per item. This file is the one place
// where ingest recognises a feed: isFeedName (by extension, for Supported)
// and isFeedFile (extension, or a .json that sniffs as JSON Feed, for
// ReadInput).

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"mime"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	xhtml "golang.org/x/net/html"
	"golang.org/x/net/html/atom"

	"github.com/briefbot/briefbot/retrieval"
	"github.com/briefbot/briefbot/retrieval/ingest/feed"
)

// isFeedName reports whether a file name has a feed's extension (.rss,
// .atom, .xml). A .json feed is recognised by its content (isFeedFile).
func isFeedName(name string) bool {
	switch strings.ToLower(filepath.Ext(name)) {
	case ".rss", ".atom", ".xml":
		return true
	}
	return false
}

// isFeedFile reports whether the opened file at path is read as a feed: a
// feed extension, or a .json whose first or last 4 KiB name a jsonfeed.org
// version.
// It reads with ReadAt, leaving f's offset alone.
func isFeedFile(path string, f *os.File) bool {
	if isFeedName(path) {
		return true
	}
	if strings.ToLower(filepath.Ext(path)) != ".json" {
		return false
	}
	head := make([]byte, 4096)
	n, _ := f.ReadAt(head, 0)
	if feed.Sniff(head[:n]) == feed.JSON {
		return true
	}
	if t := bytes.TrimLeft(head[:n], "\ufeff \t\r\n"); len(t) == 0 || t[0] != '{' {
		return false
	}
	// An object whose version comes last (keys sorted).
	if info, err := f.Stat(); err == nil && info.Size() > int64(n) {
		off := max(info.Size()-4096, 0)
		n, _ = f.ReadAt(head, off)
		return feed.SniffJSONTail(head[:n])
	}
	return false
}

// readFeed is ReadInput for a feed file: each item with text becomes an
// article (see FeedArticles); items without are returned as skipped
// records, numbered from 1 in feed order.
func readFeed(ctx context.Context, in Input, id string, r io.Reader, emit func(retrieval.Article) error) ([]RecordError, error) {
	data, err := io.ReadAll(io.LimitReader(r, feed.MaxBytes+1))
	if err != nil {
		return nil, readFailure(err)
	}
	if len(data) > feed.MaxBytes {
		return nil, skip(ReasonTooLarge, fmt.Sprintf("feed over %d bytes", feed.MaxBytes))
	}
	res, err := FeedArticles(ctx, data, FeedOptions{Prefix: id, Fetch: fetcherFrom(ctx)})
	if err != nil {
		return nil, err
	}
	if in.Warn != nil {
		for _, w := range res.Warnings {
			in.Warn(w)
		}
	}
	for _, a := range res.Articles {
		if err := emit(a); err != nil {
			return res.Bad, err
		}
	}
	return res.Bad, nil
}

type fetcherKey struct{}

// WithFetcher returns a context under which ReadInput fetches the page of
// each feed item that has only a summary and a link (briefbot ingest
// --fetch), through c (politeness delay, timeout and size limit are c's).
func WithFetcher(ctx context.Context, c *feed.Client) context.Context {
	return context.WithValue(ctx, fetcherKey{}, c)
}

func fetcherFrom(ctx context.Context) *feed.Client {
	c, _ := ctx.Value(fetcherKey{}).(*feed.Client)
	return c
}

// FeedOptions say how FeedArticles names and completes a feed's items.
type FeedOptions struct {
	// Prefix starts every item's article id: the feed file's id, or for a
	// followed feed its URL's host and path.
	Prefix string
	// BaseURL is where the feed came from (relative links resolve against it).
	BaseURL string
	// Fetch, when set, fetches the page of an item that has only a summary
	// and a link, and extracts its text as ingest does for .html files.
	Fetch *feed.Client
	// Known, when set, names the items already stored: an item whose page
	// would be fetched and that Known reports is left out (listed in
	// FeedResult.Known) instead of fetched again.
	Known func(id string) bool
}

// FeedResult is what FeedArticles made of a feed.
type FeedResult struct {
	Format   feed.Format
	Title    string
	Articles []retrieval.Article
	// Bad are the items that gave no article, with why.
	Bad []RecordError
	// Warnings say what was read other than as written, per feed, not per
	// item (no item text is quoted).
	Warnings []string
	// Known are the ids of the items left out because FeedOptions.Known
	// reported them and their pages would have been fetched.
	Known []string
}

// Warnings about a feed that was read all the same.
const (
	// WarnSummaryOnly (with a count): items with a summary and no content
	// were ingested as their summary, as --fetch was not given.
	WarnSummaryOnly = "only a summary (ingested as the summary; --fetch fetches their pages)"
)

// FeedArticles parses a feed document and makes one article per item:
//
//   - id: Prefix + "#" + the item's guid (RSS) or id (Atom, JSON Feed), else
//     its link, else "sha256:" and 16 hex digits of its title, date and
//     text; a key over 200 bytes or with control characters is replaced by
//     "sha256:" and 16 hex digits of it. The same item always gets the same
//     id, so re-reading a feed updates its articles, never duplicates them.
//   - title: the item's; url: its link; source: the feed's title;
//     published: its published date (else updated, else a date in the text).
//   - body: its full content (HTML extracted to text, captions, credits and
//     newsletter furniture dropped as for pages), else its summary: a
//     summary-only item with a link is fetched and extracted when Fetch is
//     set (falling back to the summary if that fails), else ingested as its
//     summary, with a warning that counts them.
//
// Items with no text at all (nor a page to fetch) are returned in Bad. A
// document that is not a feed, or a broken one, is an error (*SkipError).
func FeedArticles(ctx context.Context, data []byte, opts FeedOptions) (FeedResult, error) {
	var res FeedResult
	if err := checkText(data); err != nil {
		return res, err
	}
	data, popts, note, err := feedCharset(data)
	if err != nil {
		return res, err
	}
	if note != "" {
		res.Warnings = append(res.Warnings, note)
	}
	popts.BaseURL = opts.BaseURL
	f, err := feed.Parse(data, popts)
	switch {
	case errors.Is(err, feed.ErrNotFeed):
		return res, skip(ReasonInvalid, strings.TrimPrefix(err.Error(), "feed: "))
	case errors.Is(err, feed.ErrTooLarge):
		return res, skip(ReasonTooLarge, strings.TrimPrefix(err.Error(), "feed: too large: "))
	case err != nil:
		return res, skip(ReasonInvalid, "broken feed: "+strings.TrimPrefix(err.Error(), "feed: broken: "))
	}
	res.Format, res.Title = f.Format, f.Title
	for _, b := range f.Bad {
		res.Bad = append(res.Bad, RecordError{Line: b.Index, Err: skip(ReasonInvalid, b.Err.Error())})
	}
	if f.Dropped > 0 {
		res.Warnings = append(res.Warnings, fmt.Sprintf("%d items past the first %d not read", f.Dropped, feed.MaxItems))
	}
	summaries, fetchFailed := 0, 0
	for i, it := range f.Items {
		if err := ctx.Err(); err != nil {
			return res, err
		}
		a, how, err := itemArticle(ctx, opts, f, it)
		if errors.Is(err, errKnown) {
			res.Known = append(res.Known, a.ID)
			continue
		}
		if err != nil {
			if ctx.Err() != nil {
				return res, ctx.Err()
			}
			res.Bad = append(res.Bad, RecordError{Line: i + 1, Err: err})
			continue
		}
		switch how {
		case fromSummary:
			summaries++
		case fromSummaryFetchFailed:
			fetchFailed++
		}
		res.Articles = append(res.Articles, a)
	}
	if summaries > 0 {
		res.Warnings = append(res.Warnings, items(summaries)+" "+WarnSummaryOnly)
	}
	if fetchFailed > 0 {
		res.Warnings = append(res.Warnings, fmt.Sprintf("%d items' pages could not be fetched or read: ingested as their summary", fetchFailed))
	}
	if len(f.Items) == 0 && len(f.Bad) == 0 {
		return res, skip(ReasonEmpty, string(f.Format)+" feed without items")
	}
	if len(res.Articles) == 0 && len(res.Known) == 0 {
		return res, skip(ReasonNoText, fmt.Sprintf("no item of the %s feed has text", f.Format))
	}
	return res, nil
}

// items says "1 item has" or "N items have".
func items(n int) string {
	if n == 1 {
		return "1 item has"
	}
	return fmt.Sprintf("%d items have", n)
}

// errKnown: an item left out because it is stored (FeedOptions.Known).
var errKnown = errors.New("ingest: item already stored")

// How an item's body was found.
const (
	fromContent = iota
	fromSummary
	fromPage
	fromSummaryFetchFailed
)

func itemArticle(ctx context.Context, opts FeedOptions, f *feed.Feed, it feed.Item) (retrieval.Article, int, error) {
	id := FeedItemID(opts.Prefix, it)
	a := retrieval.Article{ID: id, Title: it.Title, URL: SafeURL(it.Link), Source: f.Title, Published: it.Published}
	if a.Published.IsZero() {
		a.Published = it.Updated
	}
	how := fromContent
	body := feedText(it.Content)
	if body == "" {
		how = fromSummary
		if opts.Fetch != nil && a.URL != "" {
			if opts.Known != nil && opts.Known(id) {
				return retrieval.Article{ID: id}, 0, errKnown
			}
			page, err := fetchPage(ctx, opts.Fetch, id, a.URL)
			if err == nil {
				if a.Title == "" {
					a.Title = page.Title
				}
				if a.Source == "" {
					a.Source = page.Source
				}
				if a.Published.IsZero() {
					a.Published = page.Published
				}
				a.Body = page.Body
				return a, fromPage, nil
			}
			if ctx.Err() != nil {
				return retrieval.Article{}, 0, ctx.Err()
			}
			how = fromSummaryFetchFailed
			if it.Summary.Empty() {
				return retrieval.Article{}, 0, err
			}
		}
		body = feedText(it.Summary)
	}
	if body == "" {
		if a.URL != "" && opts.Fetch == nil {
			return retrieval.Article{}, 0, skip(ReasonNoText, "item "+DisplayPath(id)+" has only a link (--fetch fetches its page)")
		}
		return retrieval.Article{}, 0, skip(ReasonNoText, "item "+DisplayPath(id)+" has no text")
	}
	a = withCleaned(a, CleanText(body, false))
	if strings.TrimSpace(a.Body) == "" {
		return retrieval.Article{}, 0, skip(ReasonNoText, "item "+DisplayPath(id)+" has nothing left after cleaning")
	}
	return a, how, nil
}

// fetchPage fetches an item's page and reads it as ingest reads an .html file.
func fetchPage(ctx context.Context, c *feed.Client, id, link string) (retrieval.Article, error) {
	resp, err := c.Get(ctx, feed.Request{URL: link, Accept: "text/html, application/xhtml+xml;q=0.9, */*;q=0.5"})
	if err != nil {
		return retrieval.Article{}, skip(ReasonUnreadable, "item "+DisplayPath(id)+": "+strings.TrimPrefix(err.Error(), "feed: "))
	}
	if mt, _, _ := mime.ParseMediaType(resp.ContentType); mt != "" && !strings.Contains(mt, "html") {
		return retrieval.Article{}, skip(ReasonUnsupported, "item "+DisplayPath(id)+": page is "+mt+", not HTML")
	}
	a, _, err := parseDocument("page.html", id, resp.Body)
	if err != nil {
		return retrieval.Article{}, err
	}
	return a, nil
}

// FeedItemID is the article id of a feed item (see FeedArticles).
func FeedItemID(prefix string, it feed.Item) string {
	key := it.ID
	if key == "" {
		key = it.Link
	}
	if key == "" {
		h := sha256.New()
		for _, s := range []string{it.Title, it.Published.UTC().Format(time.RFC3339), it.Content.Value, it.Summary.Value} {
			h.Write([]byte(s))
			h.Write([]byte{0})
		}
		return prefix + "#sha256:" + hex.EncodeToString(h.Sum(nil))[:16]
	}
	if len(key) > 200 || !utf8.ValidString(key) || strings.ContainsFunc(key, func(r rune) bool { return unicode.IsControl(r) }) {
		sum := sha256.Sum256([]byte(key))
		return prefix + "#sha256:" + hex.EncodeToString(sum[:])[:16]
	}
	return prefix + "#" + key
}

// xmlEncoding finds the encoding an XML declaration names.
var xmlEncoding = regexp.MustCompile(`^\s*<\?xml[^>]*?encoding\s*=\s*["']([A-Za-z0-9._:-]+)["']`)

// feedCharset prepares a feed's bytes and the parser's charset reader, with
// the rules toUTF8 applies to pages: valid UTF-8 is read as is (whatever it
// declares); otherwise a declared legacy charset (windows-1252, latin-1,
// ISO-8859-15) is transcoded, and a document without a declaration (or
// declaring UTF-8) is read as windows-1252, which note says.
func feedCharset(data []byte) ([]byte, feed.Options, string, error) {
	var opts feed.Options
	valid := utf8.Valid(data)
	opts.CharsetReader = func(label string, in io.Reader) (io.Reader, error) {
		if valid {
			return in, nil
		}
		cm, ok := legacyCharsets[strings.ToLower(label)]
		if !ok {
			return nil, fmt.Errorf("declared charset %s is not read", label)
		}
		return cm.NewDecoder().Reader(in), nil
	}
	if valid {
		return data, opts, "", nil
	}
	head := data
	if len(head) > 512 {
		head = head[:512]
	}
	declared := ""
	if m := xmlEncoding.FindSubmatch(head); m != nil {
		declared = strings.ToLower(string(m[1]))
	}
	if declared != "" && declared != "utf-8" && declared != "utf8" {
		if _, ok := legacyCharsets[declared]; !ok {
			return nil, opts, "", skip(ReasonNotUTF8, "declared charset "+declared+" is not read")
		}
		return data, opts, "", nil // the parser transcodes through CharsetReader
	}
	out, note, err := toUTF8(data, false)
	if err != nil {
		return nil, opts, "", err
	}
	valid = true
	return out, opts, note, nil
}

// feedText is the article text of a content field: HTML is extracted
// (feedHTMLText), plain text kept; both are then cleaned by the caller.
func feedText(t feed.Text) string {
	var s string
	if t.HTML {
		s = feedHTMLText(t.Value)
	} else {
		s = t.Value
	}
	return strings.TrimSpace(dropFeedFurniture(s))
}

// feedFurniture are the lines feed generators append to every item:
// WordPress's "The post X appeared first on Y.", "Continue reading…".
var feedFurniture = regexp.MustCompile(`(?i)^(?:the post .{1,300} appeared first on .{1,200}|continue reading.{0,120}|read the full (?:story|article).{0,120}|\[?(?:…|\.\.\.)\]?)$`)

func dropFeedFurniture(s string) string {
	if !strings.ContainsAny(s, "TtCcRr[….") {
		return s
	}
	lines := strings.Split(s, "\n")
	kept := lines[:0]
	for _, l := range lines {
		if feedFurniture.MatchString(strings.TrimSpace(l)) {
			continue
		}
		kept = append(kept, l)
	}
	return strings.Join(kept, "\n")
}

// Elements of feed content whose text is not the article's: captions and
// credits (figcaption, and whole figures: an image with its caption),
// scripts and embeds, forms.
var feedSkip = map[atom.Atom]bool{
	atom.Script: true, atom.Style: true, atom.Noscript: true, atom.Template: true, atom.Iframe: true,
	atom.Object: true, atom.Embed: true, atom.Svg: true, atom.Math: true, atom.Figure: true,
	atom.Figcaption: true, atom.Picture: true, atom.Video: true, atom.Audio: true, atom.Form: true,
	atom.Button: true, atom.Nav: true, atom.Aside: true, atom.Select: true, atom.Textarea: true,
}

// feedBlock are elements that start a new line of text.
var feedBlock = map[atom.Atom]bool{
	atom.P: true, atom.Div: true, atom.Br: true, atom.Li: true, atom.H1: true, atom.H2: true, atom.H3: true,
	atom.H4: true, atom.H5: true, atom.H6: true, atom.Blockquote: true, atom.Pre: true, atom.Tr: true,
	atom.Section: true, atom.Article: true, atom.Header: true, atom.Footer: true, atom.Ul: true, atom.Ol: true,
	atom.Table: true, atom.Hr: true, atom.Dd: true, atom.Dt: true, atom.Dl: true, atom.Td: true, atom.Th: true,
}

// feedHTMLText extracts the text of an item's HTML content: one line per
// block element, inline markup joined, captions, figures, scripts and
// embeds left out. The result goes through CleanText like a page's text
// does (bylines, photo credits, "Related:" lines, newsletter furniture).
//
// Pages go through readability (parseHTML), which finds the article among a
// page's navigation and furniture; an item's content is already the
// article, and readability, scoring it as a page, can drop short items and
// lists, so the content is walked directly instead.
func feedHTMLText(s string) string {
	doc, err := xhtml.Parse(strings.NewReader(s))
	if err != nil {
		return feed.StripTags(s)
	}
	var b strings.Builder
	var walk func(n *xhtml.Node, depth int)
	walk = func(n *xhtml.Node, depth int) {
		if depth > 256 {
			return
		}
		switch n.Type {
		case xhtml.TextNode:
			b.WriteString(n.Data)
			return
		case xhtml.ElementNode:
			if feedSkip[n.DataAtom] {
				return
			}
			if feedBlock[n.DataAtom] {
				b.WriteByte('\n')
			}
		}
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			walk(c, depth+1)
		}
		if n.Type == xhtml.ElementNode && feedBlock[n.DataAtom] {
			b.WriteByte('\n')
		}
	}
	walk(doc, 0)
	lines := strings.Split(b.String(), "\n")
	out := lines[:0]
	for _, l := range lines {
		if l = strings.Join(strings.Fields(l), " "); l != "" {
			out = append(out, l)
		}
	}
	return strings.Join(out, "\n")
}
