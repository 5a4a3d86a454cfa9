package ingest

import (
	"regexp"
	"strings"
	"time"
	"unicode"

	"github.com/briefbot/briefbot/retrieval"
	"github.com/briefbot/briefbot/retrieval/dates"
	"github.com/briefbot/briefbot/retrieval/text"
)

// Cleaned is a briefing's text after boilerplate removal, with what the
// text itself says of its headline and date.
type Cleaned struct {
	Title     string
	Published time.Time
	Body      string
}

var (
	// A date marker at the very start: "date 2025-12-06", "Published: 2025-12-06".
	leadingDate = regexp.MustCompile(`(?i)^\s*(?:date|published|updated|posted)\s*:?\s*(\d{4}[-/]\d{1,2}[-/]\d{1,2})\b[\s:,.-]*`)
	// Newsletter and site furniture. Matched against short lines only.
	boilerplate = regexp.MustCompile(`(?i)^(?:sign up|subscribe|click here|read more|read also|follow us|advertisement|share this|download (?:the|our) app|get the latest|listen to this article|watch:|related:|©|copyright ©|all rights reserved)|newsletters? delivered|delivered to your inbox|sign up (?:now|for|to)|subscribe to our|all rights reserved`)
	// Image captions and photo credits that extraction leaves between
	// paragraphs: "Media caption…", "Image source, Getty Images", "©
	// Provided by…", "Photo: … / Getty Images", "(Photo by … /AFP)".
	caption = regexp.MustCompile(`(?i)^(?:media caption|image caption|image source|image copyright|caption:|photo(?:graph)?(?: credit)?\s*:|photo by\b|picture:|pictured:|\(?photo:|© provided by|© ?\d{4}\b|copyright \d{4}\b)|(?:/|\bvia )\s*(?:getty images|afp|reuters|ap|shutterstock|alamy|epa)\)?$|^(?:getty images|shutterstock|alamy stock photo)$`)
	// Cross-links to other stories.
	related = regexp.MustCompile(`(?i)^(?:(?:related|read more|read also|more on this story|see also|also read|recommended)\s*[:,–—-]|more:|(?:related(?: stories| articles| coverage| content| topics)?|more on this story|read more|top stories)$)`)
	// A label before a date in a header line: "Date: 4 December 2025",
	// "Published on December 4, 2025", "date 2025-12-04".
	dateLabel  = regexp.MustCompile(`(?i)^(?:date[d]?|published(?:\s+on)?|first published(?:\s+on)?|posted(?:\s+on)?|updated(?:\s+on)?|last updated(?:\s+on)?)\s*[:.-]?\s*`)
	byline     = regexp.MustCompile(`^(?:By|BY|Written by|Reporting by)\s+\p{Lu}[\p{L}.'’-]+(?:\s+(?:\p{Lu}[\p{L}.'’-]+|and|&|de|van|von|la|al))*(?:\s*[,|–—-]\s*.{0,60})?$`)
	creditLine = regexp.MustCompile(`^\(?(?:Reporting|Additional reporting|Writing|Editing|Compiled|Produced) by\b`)
	agencies   = `REUTERS|Reuters|AFP|AP|BLOOMBERG|Bloomberg|XINHUA|Xinhua|DPA|dpa|ANADOLU|ANI|PTI|IANS|KYODO|YONHAP|BERNAMA|TASS|UPI`
	// A wire sign-off after the last sentence: `... both sides.” REUTERS`.
	signOff = regexp.MustCompile(`([.!?"”’)\]])\s+[-–—]?\s*\(?(?:` + agencies + `)\)?(?:\s*[,/]\s*\(?(?:` + agencies + `)\)?)*\s*$`)
	// A line that is nothing but a sign-off: "REUTERS", "(AFP)", "— AP".
	signOffLine = regexp.MustCompile(`^[-–—]?\s*\(?(?:` + agencies + `)\)?(?:\s*[,/]\s*\(?(?:` + agencies + `)\)?)*$`)
)

// CleanText cleans a plain-text briefing. It finds a leading date marker,
// drops newsletter furniture, bylines and wire sign-offs, and takes the first
// line as the headline when it reads like one (short, no closing
// punctuation, with body text after it). When detectTitle is false the
// first line is always body text.
func CleanText(raw string, detectTitle bool) Cleaned {
	var c Cleaned
	raw = strings.TrimPrefix(raw, "\ufeff")
	raw = strings.ReplaceAll(raw, "\r\n", "\n")
	raw = strings.ReplaceAll(raw, "\r", "\n")
	lines := strings.Split(raw, "\n")
	kept := make([]string, 0, len(lines))
	seen := 0 // non-empty lines so far
	for _, line := range lines {
		line = strings.TrimFunc(line, unicode.IsSpace)
		if line == "" {
			continue
		}
		seen++
		if seen == 1 {
			if m := leadingDate.FindStringSubmatchIndex(line); m != nil {
				if t, ok := ParseDate(line[m[2]:m[3]]); ok {
					c.Published = t
				}
				line = strings.TrimSpace(line[m[1]:])
				if line == "" {
					continue
				}
			}
		}
		// A line of the header block (the first few) that is only a date,
		// labelled or not, is the publication date, neither the title nor
		// body text.
		if seen <= headerLines {
			if t, ok := dateLine(line); ok {
				if c.Published.IsZero() {
					c.Published = t
				}
				continue
			}
		}
		if isFurniture(line) {
			continue
		}
		kept = append(kept, line)
	}
	// Trailing credits and sign-offs.
	for len(kept) > 0 {
		last := kept[len(kept)-1]
		if signOffLine.MatchString(last) || creditLine.MatchString(last) {
			kept = kept[:len(kept)-1]
			continue
		}
		if m := signOff.FindStringSubmatchIndex(last); m != nil {
			kept[len(kept)-1] = last[:m[3]]
		}
		break
	}
	if detectTitle && len(kept) > 1 && looksLikeHeadline(kept[0]) {
		c.Title = kept[0]
		kept = kept[1:]
	}
	c.Body = strings.Join(kept, "\n")
	return c
}

// headerLines is how many leading lines of a text may carry its date.
const headerLines = 5

// dateLine reads a line that is nothing but a date, with an optional label:
// "date 2025-12-04", "Date: 4 December 2025", "December 4, 2025",
// "Published Thursday 4 December 2025 10:30 GMT".
func dateLine(line string) (time.Time, bool) {
	if len(line) > 80 {
		return time.Time{}, false
	}
	rest := line
	if m := dateLabel.FindStringIndex(rest); m != nil {
		rest = rest[m[1]:]
	}
	rest = strings.TrimRight(strings.TrimSpace(rest), ".")
	if rest == "" || rest[0] < '0' && !unicode.IsLetter(rune(rest[0])) {
		return time.Time{}, false
	}
	return ParseDate(rest)
}

func isFurniture(line string) bool {
	words := text.WordCount(line)
	if words <= 30 && (caption.MatchString(line) || related.MatchString(line)) {
		return true
	}
	if words <= 25 && boilerplate.MatchString(line) {
		return true
	}
	if words <= 12 && (byline.MatchString(line) || creditLine.MatchString(line)) {
		return true
	}
	return false
}

// looksLikeHeadline reports whether a first line is a headline rather than
// the first sentence of the body.
func looksLikeHeadline(line string) bool {
	words := text.WordCount(line)
	if words == 0 || words > 25 {
		return false
	}
	trimmed := strings.TrimRight(line, `"'”’)`)
	// A rule ("---", "***") or other line with no word is no headline.
	if trimmed == "" || !strings.ContainsFunc(trimmed, func(r rune) bool { return unicode.IsLetter(r) || unicode.IsDigit(r) }) {
		return false
	}
	switch trimmed[len(trimmed)-1] {
	case '.', '!', '?', ',', ';', ':':
		return false
	}
	return true
}

// ParseDate reads a date in the layouts news carries (see [dates.Parse]):
// 2025-12-06, 2022/06/12, RFC 3339, "December 6, 2025", "6 Dec 2025", the
// RFC 1123 dates of feeds. The result is UTC; ok is false for anything
// else, never a panic.
func ParseDate(s string) (time.Time, bool) {
	t, err := dates.Parse(s)
	return t, err == nil
}

// withCleaned gives a record's article (from JSON or a feed) its cleaned
// body: the cleaned date when the record has none, and the body without a
// first line that repeats the title.
func withCleaned(a retrieval.Article, c Cleaned) retrieval.Article {
	if a.Published.IsZero() {
		a.Published = c.Published
	}
	a.Body = c.Body
	if a.Title != "" && strings.HasPrefix(a.Body, a.Title+"\n") {
		a.Body = a.Body[len(a.Title)+1:]
	}
	return a
}
