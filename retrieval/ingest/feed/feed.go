// Package feed reads syndication feeds: RSS 2.0 (and RSS 0.9x/1.0, with
// content:encoded and dc:date), Atom 1.0, and JSON Feed 1.0/1.1. It returns
// each item's id, link, title, dates and content (HTML or plain text, as the
// feed says); turning that content into article text is the caller's work
// (package ingest does it, as it does for pages).
//
// Why no library: github.com/mmcdole/gofeed, the usual Go feed parser, is
// not an approved release in this project's module list (it is marked as
// served from an earlier copy, not approved), and the only approved feed
// module, github.com/gorilla/feeds, writes feeds but does not read them. So
// this package is built on encoding/xml, read token by token into a small
// tree with bounds on size, depth and node count, and encoding/json.
//
// Parse never panics (a panic is recovered and returned as an error), refuses
// input over [MaxBytes], keeps at most [MaxItems] items, and says in its
// error what is wrong with a broken feed without quoting the feed.
package feed

import (
	"bytes"
	"encoding/json"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"net/url"
	"runtime"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/briefbot/briefbot/retrieval/dates"
)

// Limits on what Parse reads.
const (
	// MaxBytes caps a feed document.
	MaxBytes = 32 << 20
	// MaxItems caps the items kept from one feed; the rest are counted in
	// Feed.Dropped.
	MaxItems = 10000
	// maxDepth caps element nesting in an XML feed.
	maxDepth = 128
	// maxNodes caps the elements and text nodes of an XML feed (a node costs
	// about 130 bytes of heap: 1 M nodes bound the tree near 130 MB).
	maxNodes = 1 << 20
)

// Format is a feed's kind.
type Format string

// The formats Parse reads.
const (
	RSS  Format = "RSS"
	Atom Format = "Atom"
	JSON Format = "JSON Feed"
)

// Errors Parse returns (wrapped, with detail).
var (
	// ErrNotFeed: the document is not RSS, Atom or JSON Feed.
	ErrNotFeed = errors.New("feed: not an RSS, Atom or JSON feed")
	// ErrTooLarge: the document is over MaxBytes.
	ErrTooLarge = errors.New("feed: too large")
	// ErrBroken: the document is a feed but cannot be read (bad XML or JSON,
	// a charset that is not read, nesting too deep).
	ErrBroken = errors.New("feed: broken")
)

// Feed is a parsed feed.
type Feed struct {
	Format Format
	// Title is the feed's title, plain text.
	Title string
	// Link is the site's home page (absolute http or https), or "".
	Link  string
	Items []Item
	// Dropped counts the items past MaxItems that were left out.
	Dropped int
	// Bad lists items that could not be read (a JSON Feed item of the wrong
	// shape); the other items are still returned.
	Bad []ItemError
}

// ItemError is an item that was not read, with its 1-based position.
type ItemError struct {
	Index int
	Err   error
}

func (e ItemError) Error() string { return fmt.Sprintf("item %d: %v", e.Index, e.Err) }

// Item is one entry of a feed.
type Item struct {
	// ID is the item's guid (RSS), id (Atom, JSON Feed) or rdf:about (RSS
	// 1.0), trimmed; "" when the feed gives none.
	ID string
	// Link is the item's page: an absolute http or https URL (relative links
	// are resolved against the feed's link or Options.BaseURL), or "".
	Link string
	// Title is plain text.
	Title string
	// Published is when the item was published (RSS pubDate or dc:date,
	// Atom published, JSON date_published); zero when absent or unreadable.
	Published time.Time
	// Updated is Atom's updated or JSON date_modified.
	Updated time.Time
	// Content is the item's full content (RSS content:encoded, Atom
	// content, JSON content_html or content_text); empty when absent.
	Content Text
	// Summary is the item's summary (RSS description, Atom summary, JSON
	// summary).
	Summary Text
}

// Text is a content field: HTML (markup to extract text from) or plain text.
type Text struct {
	Value string
	HTML  bool
}

// Empty reports whether the text has nothing but white space.
func (t Text) Empty() bool { return strings.TrimSpace(t.Value) == "" }

// Options adjust Parse.
type Options struct {
	// CharsetReader decodes an XML feed that declares an encoding other than
	// UTF-8 (see xml.Decoder.CharsetReader). Without it such a feed is
	// refused with ErrBroken, unless it declares US-ASCII.
	CharsetReader func(charset string, input io.Reader) (io.Reader, error)
	// BaseURL is where the feed was fetched from; relative links are
	// resolved against the feed's own link first, then against it.
	BaseURL string
}

// Parse reads a feed document.
func Parse(data []byte, opts Options) (f *Feed, err error) {
	defer func() {
		if r := recover(); r != nil {
			f = nil
			if re, ok := r.(runtime.Error); ok {
				err = fmt.Errorf("%w: internal error: %v", ErrBroken, re)
			} else {
				err = fmt.Errorf("%w: internal error (%T)", ErrBroken, r)
			}
		}
	}()
	if len(data) > MaxBytes {
		return nil, fmt.Errorf("%w: %d bytes, limit %d", ErrTooLarge, len(data), MaxBytes)
	}
	head := bytes.TrimLeft(data, "\ufeff \t\r\n")
	switch {
	case len(head) > 0 && head[0] == '{':
		// Sniff looks for the version near the start; Parse reads the
		// whole object, wherever the version is (Go's map encoding sorts it
		// last).
		return parseJSON(head, opts)
	case Sniff(data) != "":
		return parseXML(data, opts)
	}
	return nil, ErrNotFeed
}

// Sniff tells from a document's first bytes whether it looks like a feed, and
// of which format, or "" when it does not. An XML document is told by its
// root element (rss, rdf:RDF, feed); a JSON document by a "version" naming
// jsonfeed.org in its first 4 KiB (where most generators write it; see
// SniffJSONTail for the others).
func Sniff(data []byte) Format {
	head := data
	if len(head) > 64<<10 {
		head = head[:64<<10]
	}
	head = bytes.TrimLeft(head, "\ufeff \t\r\n")
	if len(head) == 0 {
		return ""
	}
	if head[0] == '{' {
		probe := head
		if len(probe) > 4096 {
			probe = probe[:4096]
		}
		if bytes.Contains(probe, []byte("jsonfeed.org/version/")) {
			return JSON
		}
		return ""
	}
	if head[0] != '<' {
		return ""
	}
	d := xml.NewDecoder(bytes.NewReader(head))
	d.Strict = false
	// The root element's name is ASCII in every charset a feed declares.
	d.CharsetReader = func(_ string, r io.Reader) (io.Reader, error) { return r, nil }
	for range 64 {
		tok, err := d.RawToken()
		if err != nil {
			return ""
		}
		if se, ok := tok.(xml.StartElement); ok {
			switch strings.ToLower(se.Name.Local) {
			case "rss", "rdf":
				return RSS
			case "feed":
				return Atom
			}
			return ""
		}
	}
	return ""
}

// SniffJSONTail reports whether the last bytes of a JSON document name a
// jsonfeed.org version: a feed whose keys are sorted has its version last.
func SniffJSONTail(tail []byte) bool {
	return bytes.Contains(tail, []byte(jsonVersion)) && bytes.Contains(tail, []byte(`"version"`))
}

// Namespaces the XML parser reads.
const (
	nsAtom      = "http://www.w3.org/2005/Atom"
	nsAtom03    = "http://purl.org/atom/ns#"
	nsRSS1      = "http://purl.org/rss/1.0/"
	nsRSS09     = "http://my.netscape.com/rdf/simple/0.9/"
	nsContent   = "http://purl.org/rss/1.0/modules/content/"
	nsDC        = "http://purl.org/dc/elements/1.1/"
	nsRDF       = "http://www.w3.org/1999/02/22-rdf-syntax-ns#"
	nsXHTML     = "http://www.w3.org/1999/xhtml"
	jsonVersion = "jsonfeed.org/version/"
)

// node is an element (name set) or a text node (name empty) of an XML feed.
type node struct {
	name xml.Name
	attr []xml.Attr
	kids []*node
	text string
}

// readTree reads an XML document into a tree, within the bounds above.
func readTree(data []byte, opts Options) (*node, error) {
	d := xml.NewDecoder(bytes.NewReader(data))
	// Feeds in the wild carry HTML entities (&nbsp;) and unquoted
	// attributes; read them as browsers' feed readers do.
	d.Strict = false
	d.Entity = xml.HTMLEntity
	d.CharsetReader = func(charset string, input io.Reader) (io.Reader, error) {
		switch strings.ToLower(charset) {
		case "utf-8", "utf8", "us-ascii", "ascii":
			return input, nil
		}
		if opts.CharsetReader != nil {
			return opts.CharsetReader(charset, input)
		}
		return nil, fmt.Errorf("declared charset %q is not read", charset)
	}
	root := &node{}
	stack := []*node{root}
	nodes := 0
	for {
		tok, err := d.Token()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("%w: %v", ErrBroken, err)
		}
		top := stack[len(stack)-1]
		switch t := tok.(type) {
		case xml.StartElement:
			nodes++
			if nodes > maxNodes {
				return nil, fmt.Errorf("%w: more than %d nodes", ErrBroken, maxNodes)
			}
			if len(stack) > maxDepth {
				return nil, fmt.Errorf("%w: elements nested more than %d deep", ErrBroken, maxDepth)
			}
			n := &node{name: t.Name, attr: t.Attr}
			top.kids = append(top.kids, n)
			stack = append(stack, n)
		case xml.EndElement:
			if len(stack) > 1 {
				stack = stack[:len(stack)-1]
			}
		case xml.CharData:
			if len(stack) == 1 {
				continue // white space around the root
			}
			if k := len(top.kids); k > 0 && top.kids[k-1].name.Local == "" {
				top.kids[k-1].text += string(t)
				continue
			}
			nodes++
			if nodes > maxNodes {
				return nil, fmt.Errorf("%w: more than %d nodes", ErrBroken, maxNodes)
			}
			top.kids = append(top.kids, &node{text: string(t)})
		}
	}
	if len(stack) > 1 {
		return nil, fmt.Errorf("%w: document ends inside <%s>", ErrBroken, stack[len(stack)-1].name.Local)
	}
	for _, k := range root.kids {
		if k.name.Local != "" {
			return k, nil
		}
	}
	return nil, fmt.Errorf("%w: no root element", ErrBroken)
}

// child returns n's first element child named local in one of spaces.
func (n *node) child(local string, spaces ...string) *node {
	for _, k := range n.kids {
		if k.name.Local != local {
			continue
		}
		for _, s := range spaces {
			if k.name.Space == s {
				return k
			}
		}
	}
	return nil
}

// children returns n's element children named local in one of spaces.
func (n *node) children(local string, spaces ...string) []*node {
	var out []*node
	for _, k := range n.kids {
		if k.name.Local != local {
			continue
		}
		for _, s := range spaces {
			if k.name.Space == s {
				out = append(out, k)
				break
			}
		}
	}
	return out
}

func (n *node) attrVal(local string) string {
	for _, a := range n.attr {
		if a.Name.Local == local {
			return a.Value
		}
	}
	return ""
}

// textOf is the text of n and its descendants.
func (n *node) textOf() string {
	if n == nil {
		return ""
	}
	var b strings.Builder
	var walk func(*node)
	walk = func(n *node) {
		if n.name.Local == "" {
			b.WriteString(n.text)
			return
		}
		for _, k := range n.kids {
			walk(k)
		}
	}
	walk(n)
	return b.String()
}

// hasElements reports whether n has element children (inline XHTML).
func (n *node) hasElements() bool {
	for _, k := range n.kids {
		if k.name.Local != "" {
			return true
		}
	}
	return false
}

// innerHTML serialises n's children as HTML (for Atom xhtml content and the
// unescaped markup some RSS feeds put in a description).
func (n *node) innerHTML() string {
	var b strings.Builder
	var walk func(*node)
	walk = func(n *node) {
		if n.name.Local == "" {
			xml.EscapeText(&b, []byte(n.text))
			return
		}
		b.WriteByte('<')
		b.WriteString(n.name.Local)
		for _, a := range n.attr {
			if (a.Name.Space != "" && a.Name.Space != nsXHTML) || a.Name.Local == "xmlns" {
				continue
			}
			b.WriteByte(' ')
			b.WriteString(a.Name.Local)
			b.WriteString(`="`)
			xml.EscapeText(&b, []byte(a.Value))
			b.WriteByte('"')
		}
		b.WriteByte('>')
		if voidElement[strings.ToLower(n.name.Local)] {
			return
		}
		for _, k := range n.kids {
			walk(k)
		}
		b.WriteString("</")
		b.WriteString(n.name.Local)
		b.WriteByte('>')
	}
	for _, k := range n.kids {
		walk(k)
	}
	return b.String()
}

var voidElement = map[string]bool{"br": true, "hr": true, "img": true, "input": true, "meta": true, "link": true, "source": true, "wbr": true, "area": true, "col": true, "embed": true}

// htmlText reads an RSS element whose text is HTML: entity-encoded or
// CDATA markup, or (invalid but common) markup written inline.
func htmlText(n *node) Text {
	if n == nil {
		return Text{}
	}
	if n.hasElements() {
		return Text{Value: n.innerHTML(), HTML: true}
	}
	return Text{Value: n.textOf(), HTML: true}
}

func parseXML(data []byte, opts Options) (*Feed, error) {
	root, err := readTree(data, opts)
	if err != nil {
		return nil, err
	}
	switch strings.ToLower(root.name.Local) {
	case "rss", "rdf":
		return parseRSS(root, opts), nil
	case "feed":
		return parseAtom(root, opts), nil
	}
	return nil, fmt.Errorf("%w (root element <%s>)", ErrNotFeed, root.name.Local)
}

// rssSpaces are the namespaces RSS's own elements come in: none (RSS
// 0.9x/2.0), RSS 1.0's and RSS 0.90's.
var rssSpaces = []string{"", nsRSS1, nsRSS09}

func parseRSS(root *node, opts Options) *Feed {
	f := &Feed{Format: RSS}
	channel := root.child("channel", rssSpaces...)
	items := root.children("item", rssSpaces...) // RSS 1.0: items beside the channel
	if channel != nil {
		f.Title = plainText(channel.child("title", rssSpaces...).textOf())
		f.Link = resolve(channel.child("link", rssSpaces...).textOf(), opts.BaseURL, "")
		if f.Link == "" {
			f.Link = atomLink(channel, opts.BaseURL, "")
		}
		items = append(channel.children("item", rssSpaces...), items...)
	}
	for _, n := range items {
		if len(f.Items) == MaxItems {
			f.Dropped++
			continue
		}
		it := Item{
			ID:      strings.TrimSpace(n.child("guid", rssSpaces...).textOf()),
			Title:   plainText(n.child("title", rssSpaces...).textOf()),
			Content: htmlText(n.child("encoded", nsContent)),
			Summary: htmlText(n.child("description", rssSpaces...)),
		}
		if it.ID == "" {
			it.ID = strings.TrimSpace(attrIn(n, nsRDF, "about"))
		}
		if it.Title == "" {
			it.Title = plainText(n.child("title", nsDC).textOf())
		}
		it.Link = resolve(n.child("link", rssSpaces...).textOf(), f.Link, opts.BaseURL)
		if it.Link == "" {
			it.Link = atomLink(n, f.Link, opts.BaseURL)
		}
		if g := n.child("guid", rssSpaces...); it.Link == "" && g != nil && !strings.EqualFold(g.attrVal("isPermaLink"), "false") {
			it.Link = resolve(it.ID, "", "")
		}
		for _, d := range []*node{n.child("pubDate", rssSpaces...), n.child("date", nsDC), n.child("published", nsAtom), n.child("updated", nsAtom)} {
			if t, ok := date(d.textOf()); ok {
				it.Published = t
				break
			}
		}
		f.Items = append(f.Items, it)
	}
	return f
}

func attrIn(n *node, space, local string) string {
	for _, a := range n.attr {
		if a.Name.Local == local && a.Name.Space == space {
			return a.Value
		}
	}
	return ""
}

// atomSpaces are the namespaces Atom elements come in: Atom 1.0's, Atom
// 0.3's, and none (feeds that forget the declaration).
var atomSpaces = []string{nsAtom, nsAtom03, ""}

// atomLink picks an element's alternate link: rel="alternate" (or no rel)
// and HTML first, else the first alternate.
func atomLink(n *node, base1, base2 string) string {
	first := ""
	for _, l := range n.children("link", nsAtom, nsAtom03) {
		rel := strings.ToLower(strings.TrimSpace(l.attrVal("rel")))
		if rel != "" && rel != "alternate" {
			continue
		}
		u := resolve(l.attrVal("href"), base1, base2)
		if u == "" {
			continue
		}
		t := strings.ToLower(l.attrVal("type"))
		if t == "" || strings.Contains(t, "html") {
			return u
		}
		if first == "" {
			first = u
		}
	}
	return first
}

func parseAtom(root *node, opts Options) *Feed {
	f := &Feed{Format: Atom}
	f.Title = atomText(root.child("title", atomSpaces...)).plain()
	f.Link = atomLink(root, opts.BaseURL, "")
	if f.Link == "" {
		// A feed without the namespace: plain <link href>.
		for _, l := range root.children("link", "") {
			if rel := strings.ToLower(l.attrVal("rel")); rel == "" || rel == "alternate" {
				if f.Link = resolve(l.attrVal("href"), opts.BaseURL, ""); f.Link != "" {
					break
				}
			}
		}
	}
	for _, n := range root.children("entry", atomSpaces...) {
		if len(f.Items) == MaxItems {
			f.Dropped++
			continue
		}
		it := Item{
			ID:      strings.TrimSpace(n.child("id", atomSpaces...).textOf()),
			Title:   atomText(n.child("title", atomSpaces...)).plain(),
			Content: atomText(n.child("content", atomSpaces...)),
			Summary: atomText(n.child("summary", atomSpaces...)),
		}
		it.Link = atomLink(n, f.Link, opts.BaseURL)
		if it.Link == "" {
			for _, l := range n.children("link", "") {
				if rel := strings.ToLower(l.attrVal("rel")); rel == "" || rel == "alternate" {
					if it.Link = resolve(l.attrVal("href"), f.Link, opts.BaseURL); it.Link != "" {
						break
					}
				}
			}
		}
		if it.Summary.Empty() {
			it.Summary = atomText(n.child("description", nsRSS1, "")) // some hybrids
		}
		for _, d := range []*node{n.child("published", atomSpaces...), n.child("issued", atomSpaces...), n.child("date", nsDC)} {
			if t, ok := date(d.textOf()); ok {
				it.Published = t
				break
			}
		}
		for _, d := range []*node{n.child("updated", atomSpaces...), n.child("modified", atomSpaces...)} {
			if t, ok := date(d.textOf()); ok {
				it.Updated = t
				break
			}
		}
		f.Items = append(f.Items, it)
	}
	return f
}

// atomText reads an Atom text construct or content element by its type:
// text, html, xhtml, or a media type (out-of-line content with src, or a
// non-text type, is not read).
func atomText(n *node) Text {
	if n == nil {
		return Text{}
	}
	typ := strings.ToLower(strings.TrimSpace(n.attrVal("type")))
	if n.attrVal("src") != "" {
		return Text{}
	}
	switch {
	case typ == "" || typ == "text" || typ == "text/plain":
		if n.hasElements() { // markup where text was declared: read it as HTML
			return Text{Value: n.innerHTML(), HTML: true}
		}
		return Text{Value: n.textOf()}
	case typ == "html" || typ == "text/html":
		return htmlText(n)
	case typ == "xhtml" || strings.Contains(typ, "xhtml") || strings.Contains(typ, "html"):
		if n.hasElements() {
			return Text{Value: n.innerHTML(), HTML: true}
		}
		return Text{Value: n.textOf(), HTML: true}
	case strings.HasPrefix(typ, "text/"):
		return Text{Value: n.textOf()}
	}
	return Text{}
}

// plain returns a text construct as one line of plain text.
func (t Text) plain() string {
	if t.HTML {
		return plainText(t.Value)
	}
	return collapse(t.Value)
}

// plainText makes a title plain: tags removed, entities decoded (feeds
// escape titles once or twice), white space collapsed.
func plainText(s string) string {
	if strings.ContainsAny(s, "<&") {
		s = StripTags(s)
	}
	return collapse(s)
}

func collapse(s string) string { return strings.Join(strings.Fields(s), " ") }

// resolve makes ref absolute against base1, else base2, and returns it when
// it is an http or https URL with a host, else "".
func resolve(ref, base1, base2 string) string {
	ref = strings.TrimSpace(ref)
	if ref == "" || len(ref) > 8192 || strings.ContainsFunc(ref, func(r rune) bool { return r < ' ' || r == 0x7f }) {
		return ""
	}
	u, err := url.Parse(ref)
	if err != nil {
		return ""
	}
	if !u.IsAbs() {
		for _, b := range []string{base1, base2} {
			if b == "" {
				continue
			}
			if bu, err := url.Parse(b); err == nil && bu.IsAbs() {
				u = bu.ResolveReference(u)
				break
			}
		}
	}
	switch strings.ToLower(u.Scheme) {
	case "http", "https":
		if u.Host != "" {
			return u.String()
		}
	}
	return ""
}

// date reads a feed date with the project's date parser (RFC 822/1123 with
// or without weekday and with zone names, RFC 3339, and the rest it knows).
func date(s string) (time.Time, bool) {
	s = strings.TrimSpace(s)
	if s == "" {
		return time.Time{}, false
	}
	t, err := dates.Parse(s)
	return t, err == nil
}

// jsonFeed is a JSON Feed 1.0/1.1 document; items are read one by one so
// that one of the wrong shape does not lose the others.
type jsonFeed struct {
	Version     string            `json:"version"`
	Title       string            `json:"title"`
	HomePageURL string            `json:"home_page_url"`
	Items       []json.RawMessage `json:"items"`
}

type jsonItem struct {
	ID            json.RawMessage `json:"id"`
	URL           string          `json:"url"`
	ExternalURL   string          `json:"external_url"`
	Title         string          `json:"title"`
	ContentHTML   string          `json:"content_html"`
	ContentText   string          `json:"content_text"`
	Summary       string          `json:"summary"`
	DatePublished string          `json:"date_published"`
	DateModified  string          `json:"date_modified"`
}

func parseJSON(data []byte, opts Options) (*Feed, error) {
	if !utf8.Valid(data) {
		return nil, fmt.Errorf("%w: JSON Feed is not UTF-8", ErrBroken)
	}
	var jf jsonFeed
	if err := json.Unmarshal(data, &jf); err != nil {
		return nil, fmt.Errorf("%w: JSON: %v", ErrBroken, err)
	}
	if !strings.Contains(jf.Version, jsonVersion) {
		return nil, fmt.Errorf("%w (JSON without a jsonfeed.org version)", ErrNotFeed)
	}
	f := &Feed{Format: JSON, Title: plainText(jf.Title), Link: resolve(jf.HomePageURL, opts.BaseURL, "")}
	for i, raw := range jf.Items {
		if len(f.Items) == MaxItems {
			f.Dropped++
			continue
		}
		var ji jsonItem
		if err := json.Unmarshal(raw, &ji); err != nil {
			f.Bad = append(f.Bad, ItemError{Index: i + 1, Err: fmt.Errorf("JSON: %v", err)})
			continue
		}
		it := Item{
			Title:   plainText(ji.Title),
			Link:    resolve(ji.URL, f.Link, opts.BaseURL),
			Summary: Text{Value: ji.Summary},
		}
		it.ID = jsonID(ji.ID)
		if it.Link == "" {
			it.Link = resolve(ji.ExternalURL, f.Link, opts.BaseURL)
		}
		if strings.TrimSpace(ji.ContentHTML) != "" {
			it.Content = Text{Value: ji.ContentHTML, HTML: true}
		} else {
			it.Content = Text{Value: ji.ContentText}
		}
		if t, ok := date(ji.DatePublished); ok {
			it.Published = t
		}
		if t, ok := date(ji.DateModified); ok {
			it.Updated = t
		}
		f.Items = append(f.Items, it)
	}
	return f, nil
}

// jsonID reads a JSON Feed item's id: a string, or (JSON Feed 1.0 feeds
// often use them) a number kept as written; anything else is no id.
func jsonID(raw json.RawMessage) string {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 {
		return ""
	}
	switch c := raw[0]; {
	case c == '"':
		var s string
		if json.Unmarshal(raw, &s) == nil {
			return strings.TrimSpace(s)
		}
	case c == '-' || (c >= '0' && c <= '9'):
		return string(raw)
	}
	return ""
}
