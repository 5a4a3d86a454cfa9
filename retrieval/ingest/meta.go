package ingest

import (
	"encoding/json"
	"net/url"
	"regexp"
	"strings"
	"time"
	"unicode"

	xhtml "golang.org/x/net/html"
	"golang.org/x/net/html/atom"
)

// pageMeta is what a page's markup says of the article beyond its text.
type pageMeta struct {
	Published time.Time
	SiteName  string
}

// Where a published date comes from, most trusted first.
const (
	fromJSONLD      = iota // JSON-LD datePublished (first, as Readability.js does)
	fromArticleMeta        // <meta property="article:published_time">
	fromItemprop           // itemprop="datePublished" (meta content, time datetime)
	fromNamedMeta          // <meta name="date|pdate|publishdate|DC.date.issued|...">
	fromArticleTime        // the first <time datetime> inside <article>
	fromAnyTime            // the first <time datetime> of the page
	dateSources
)

// namedDateMeta are the <meta name> values that carry a publication date.
var namedDateMeta = map[string]bool{
	"date": true, "pdate": true, "publishdate": true, "publish-date": true, "publish_date": true,
	"dc.date.issued": true, "dc.date": true, "dcterms.issued": true, "dcterms.date": true, "dcterms.created": true,
	"article.published": true, "article_date_original": true, "sailthru.date": true, "parsely-pub-date": true,
	"og:published_time": true, "pubdate": true, "original-publish-date": true, "citation_publication_date": true,
}

// ldDatePublished finds datePublished in JSON-LD the decoder refuses.
var ldDatePublished = regexp.MustCompile(`"datePublished"\s*:\s*"([^"]{4,64})"`)

// readPageMeta reads the published date and site name from a page's
// markup. Every date string goes through ParseDate ([dates.Parse]); the
// first source (in the order above) with a date that parses wins.
func readPageMeta(doc *xhtml.Node) pageMeta {
	var m pageMeta
	var found [dateSources]time.Time
	offer := func(src int, s string) {
		if !found[src].IsZero() {
			return
		}
		if t, ok := ParseDate(strings.TrimSpace(s)); ok {
			found[src] = t
		}
	}
	var walk func(n *xhtml.Node, inArticle bool, depth int)
	walk = func(n *xhtml.Node, inArticle bool, depth int) {
		if depth > 512 {
			return
		}
		if n.Type == xhtml.ElementNode {
			switch n.DataAtom {
			case atom.Meta:
				content := attr(n, "content")
				prop := strings.ToLower(attr(n, "property"))
				name := strings.ToLower(attr(n, "name"))
				switch {
				case prop == "article:published_time" || name == "article:published_time":
					offer(fromArticleMeta, content)
				case strings.EqualFold(attr(n, "itemprop"), "datePublished"):
					offer(fromItemprop, content)
				case namedDateMeta[name] || namedDateMeta[prop]:
					offer(fromNamedMeta, content)
				case (prop == "og:site_name" || name == "og:site_name") && m.SiteName == "":
					m.SiteName = strings.TrimSpace(content)
				}
			case atom.Script:
				if strings.Contains(strings.ToLower(attr(n, "type")), "ld+json") && n.FirstChild != nil {
					offer(fromJSONLD, jsonLDDate(n.FirstChild.Data))
				}
			case atom.Article:
				inArticle = true
			case atom.Time:
				if dt := attr(n, "datetime"); dt != "" {
					if inArticle {
						offer(fromArticleTime, dt)
					}
					offer(fromAnyTime, dt)
				}
			}
			if n.DataAtom != atom.Meta && strings.EqualFold(attr(n, "itemprop"), "datePublished") {
				v := attr(n, "datetime")
				for _, k := range []string{"content", "title"} { // <abbr title=…>
					if v == "" {
						v = attr(n, k)
					}
				}
				if v == "" {
					v = textOf(n, 200)
				}
				offer(fromItemprop, v)
			}
		}
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			walk(c, inArticle, depth+1)
		}
	}
	walk(doc, false, 0)
	for _, t := range found {
		if !t.IsZero() {
			m.Published = t
			break
		}
	}
	return m
}

func attr(n *xhtml.Node, key string) string {
	for _, a := range n.Attr {
		if strings.EqualFold(a.Key, key) {
			return a.Val
		}
	}
	return ""
}

// textOf is the text inside n, up to max bytes.
func textOf(n *xhtml.Node, max int) string {
	var b strings.Builder
	var walk func(*xhtml.Node, int)
	walk = func(n *xhtml.Node, depth int) {
		if b.Len() >= max || depth > 64 {
			return
		}
		if n.Type == xhtml.TextNode {
			b.WriteString(n.Data)
		}
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			walk(c, depth+1)
		}
	}
	walk(n, 0)
	s := b.String()
	if len(s) > max {
		s = s[:max]
	}
	return s
}

// jsonLDDate finds the first datePublished in a JSON-LD block (an object,
// an array, or a @graph), or "".
func jsonLDDate(src string) string {
	var v any
	if json.Unmarshal([]byte(src), &v) != nil {
		if m := ldDatePublished.FindStringSubmatch(src); m != nil {
			return m[1]
		}
		return ""
	}
	var find func(v any, depth int) string
	find = func(v any, depth int) string {
		if depth > 32 {
			return ""
		}
		switch x := v.(type) {
		case map[string]any:
			if s, ok := x["datePublished"].(string); ok && s != "" {
				return s
			}
			for _, k := range []string{"@graph", "mainEntity", "mainEntityOfPage"} {
				if s := find(x[k], depth+1); s != "" {
					return s
				}
			}
		case []any:
			for _, e := range x {
				if s := find(e, depth+1); s != "" {
					return s
				}
			}
		}
		return ""
	}
	return find(v, 0)
}

// Title separators a site name follows.
var titleSeparators = []string{" | ", " - ", " – ", " — ", " · ", " :: ", " // ", " » "}

// bracketSuffix is a trailing "[LWN.net]".
var bracketSuffix = regexp.MustCompile(`\s*\[([^\[\]]{2,40})\]$`)

// cutSiteSuffix removes a site name from the end of a headline: " – Breitbart",
// " | CNN", " - BBC News", " [LWN.net]". A suffix is cut when it names the
// site (og:site_name, or the page's host), or when it looks like a site
// name: at most three words, each capitalised (or a domain), after a
// headline of at least three words, or a name ending in a word news sites
// are named with ("BBC News", "Wikipedia", "example.com").
func cutSiteSuffix(title, siteName, pageURL string) string {
	if m := bracketSuffix.FindStringSubmatchIndex(title); m != nil && m[0] > 0 {
		return strings.TrimSpace(title[:m[0]])
	}
	cut := -1
	var sep string
	for _, s := range titleSeparators {
		if i := strings.LastIndex(title, s); i > cut {
			cut, sep = i, s
		}
	}
	if cut <= 0 {
		return title
	}
	head, suffix := strings.TrimSpace(title[:cut]), strings.TrimSpace(title[cut+len(sep):])
	if head == "" || suffix == "" {
		return title
	}
	if namesSite(suffix, siteName, pageURL) || siteWord(suffix) || (len(strings.Fields(head)) >= 3 && looksLikeSiteName(suffix)) {
		return head
	}
	return title
}

// squash lower-cases s and keeps only its letters and digits.
func squash(s string) string {
	return strings.Map(func(r rune) rune {
		if unicode.IsLetter(r) || unicode.IsDigit(r) {
			return unicode.ToLower(r)
		}
		return -1
	}, s)
}

func namesSite(suffix, siteName, pageURL string) bool {
	sq := squash(suffix)
	if sq == "" {
		return false
	}
	if sn := squash(siteName); sn != "" && (sq == sn || strings.Contains(sn, sq) || strings.Contains(sq, sn)) {
		return true
	}
	if u, err := url.Parse(pageURL); err == nil && u.Host != "" {
		host := strings.TrimPrefix(strings.ToLower(u.Hostname()), "www.")
		if label, _, ok := strings.Cut(host, "."); ok && len(label) >= 3 && (sq == squash(host) || sq == label || strings.HasPrefix(sq, label)) {
			return true
		}
	}
	return false
}

// siteWords end the names of news sites.
var siteWords = map[string]bool{
	"news": true, "times": true, "post": true, "online": true, "daily": true, "herald": true, "journal": true,
	"tribune": true, "guardian": true, "telegraph": true, "gazette": true, "wikipedia": true, "reuters": true,
}

// siteWord reports whether a short capitalised suffix ends in a site word
// or is a domain name.
func siteWord(s string) bool {
	if !looksLikeSiteName(s) {
		return false
	}
	words := strings.Fields(s)
	last := words[len(words)-1]
	if strings.Count(last, ".") == 1 && len(last) > 4 && !strings.HasSuffix(last, ".") {
		return true
	}
	return siteWords[strings.ToLower(last)]
}

func looksLikeSiteName(s string) bool {
	words := strings.Fields(s)
	if len(words) == 0 || len(words) > 3 {
		return false
	}
	for _, w := range words {
		r := []rune(w)
		if !unicode.IsUpper(r[0]) && !unicode.IsDigit(r[0]) && !strings.Contains(w, ".") {
			return false
		}
	}
	return true
}
