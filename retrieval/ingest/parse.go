// Package ingest turns briefing files into articles: it reads .txt, .md,
// .html and .json/.jsonl, cleans boilerplate, finds headlines and dates, and
// cuts bodies into sentence-aligned chunks whose offsets map back to the
// exact text.
package ingest

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/url"
	"path/filepath"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	readability "codeberg.org/readeck/go-readability/v2"
	yaml "go.yaml.in/yaml/v3"

	"github.com/briefbot/briefbot/retrieval"
)

// Limits on what ingest reads.
const (
	// MaxTextBytes caps a .txt, .md or .html file.
	MaxTextBytes = 16 << 20
	// MaxRecordsBytes caps a .json or .jsonl file.
	MaxRecordsBytes = 2 << 30
	// maxLineBytes caps one JSONL record.
	maxLineBytes = 64 << 20
)

// Reasons a file or record is skipped.
const (
	ReasonEmpty       = "empty"
	ReasonBinary      = "binary"
	ReasonNotUTF8     = "not UTF-8"
	ReasonUnreadable  = "unreadable"
	ReasonTooLarge    = "too large"
	ReasonUnsupported = "unsupported file type"
	ReasonInvalid     = "invalid"
	ReasonNoText      = "no text"
)

// SkipError says why a file or record was not ingested.
type SkipError struct {
	Reason string
	Detail string
}

func (e *SkipError) Error() string {
	if e.Detail == "" {
		return e.Reason
	}
	return e.Reason + ": " + e.Detail
}

func skip(reason, detail string) error { return &SkipError{Reason: reason, Detail: detail} }

// Supported reports whether ingest reads files with this name's extension.
func Supported(name string) bool {
	switch strings.ToLower(filepath.Ext(name)) {
	case ".txt", ".md", ".markdown", ".html", ".htm", ".json", ".jsonl", ".ndjson":
		return true
	}
	return false
}

// IsRecords reports whether a file holds JSON records (many articles).
func IsRecords(name string) bool {
	switch strings.ToLower(filepath.Ext(name)) {
	case ".json", ".jsonl", ".ndjson":
		return true
	}
	return false
}

// checkText refuses empty, binary and non-UTF-8 content.
func checkText(data []byte) error {
	if len(bytes.TrimSpace(data)) == 0 {
		return skip(ReasonEmpty, "")
	}
	probe := data
	if len(probe) > 8192 {
		probe = probe[:8192]
	}
	if bytes.IndexByte(probe, 0) >= 0 {
		return skip(ReasonBinary, "")
	}
	if !utf8.Valid(data) {
		return skip(ReasonNotUTF8, "")
	}
	return nil
}

// ParseDocument parses one .txt, .md or .html file into an article whose ID
// is the file's base name.
func ParseDocument(name string, data []byte) (retrieval.Article, error) {
	if len(data) > MaxTextBytes {
		return retrieval.Article{}, skip(ReasonTooLarge, fmt.Sprintf("%d bytes, limit %d", len(data), MaxTextBytes))
	}
	if err := checkText(data); err != nil {
		return retrieval.Article{}, err
	}
	id := filepath.Base(name)
	var a retrieval.Article
	switch strings.ToLower(filepath.Ext(name)) {
	case ".txt", ".md", ".markdown":
		a = parsePlain(string(data))
	case ".html", ".htm":
		var err error
		if a, err = parseHTML(data); err != nil {
			return retrieval.Article{}, err
		}
	default:
		return retrieval.Article{}, skip(ReasonUnsupported, filepath.Ext(name))
	}
	a.ID = id
	if strings.TrimSpace(a.Body) == "" {
		return retrieval.Article{}, skip(ReasonNoText, "nothing left after cleaning")
	}
	return a, nil
}

// frontMatter is the optional YAML header of a .txt or .md briefing.
type frontMatter struct {
	Title     string `yaml:"title"`
	Date      any    `yaml:"date"`
	Published any    `yaml:"published"`
	Source    string `yaml:"source"`
	URL       string `yaml:"url"`
}

func parsePlain(s string) retrieval.Article {
	var a retrieval.Article
	s = strings.TrimPrefix(s, "\ufeff")
	if rest, fm, ok := splitFrontMatter(s); ok {
		s = rest
		a.Title = strings.TrimSpace(fm.Title)
		a.Source = strings.TrimSpace(fm.Source)
		a.URL = strings.TrimSpace(fm.URL)
		for _, d := range []any{fm.Published, fm.Date} {
			if t, ok := dateOf(d); ok {
				a.Published = t
				break
			}
		}
	}
	c := CleanText(s, a.Title == "")
	if a.Title == "" {
		a.Title = c.Title
	}
	if a.Published.IsZero() {
		a.Published = c.Published
	}
	a.Body = c.Body
	return a
}

// splitFrontMatter splits a leading "---" YAML block from the text.
func splitFrontMatter(s string) (string, frontMatter, bool) {
	var fm frontMatter
	t := strings.TrimLeft(s, " \t\r\n")
	if !strings.HasPrefix(t, "---") {
		return s, fm, false
	}
	nl := strings.IndexByte(t, '\n')
	if nl < 0 || strings.TrimSpace(t[:nl]) != "---" {
		return s, fm, false
	}
	body := t[nl+1:]
	end := -1
	for off := 0; off < len(body); {
		n := strings.IndexByte(body[off:], '\n')
		line := body[off:]
		if n >= 0 {
			line = body[off : off+n]
		}
		if l := strings.TrimSpace(line); l == "---" || l == "..." {
			end = off
			if n < 0 {
				off = len(body)
			} else {
				off += n + 1
			}
			if yaml.Unmarshal([]byte(body[:end]), &fm) != nil {
				return s, frontMatter{}, false
			}
			return body[off:], fm, true
		}
		if n < 0 {
			break
		}
		off += n + 1
	}
	return s, fm, false
}

func dateOf(v any) (time.Time, bool) {
	switch d := v.(type) {
	case time.Time:
		return d.UTC(), true
	case string:
		return ParseDate(d)
	case float64:
		return unixDate(d)
	case int:
		return unixDate(float64(d))
	case int64:
		return unixDate(float64(d))
	}
	return time.Time{}, false
}

func unixDate(v float64) (time.Time, bool) {
	if v <= 0 {
		return time.Time{}, false
	}
	if v > 1e11 { // milliseconds
		v /= 1000
	}
	return time.Unix(int64(v), 0).UTC(), true
}

func parseHTML(data []byte) (retrieval.Article, error) {
	p := readability.NewParser()
	art, err := p.Parse(bytes.NewReader(data), nil)
	if err != nil {
		return retrieval.Article{}, skip(ReasonInvalid, "HTML: "+err.Error())
	}
	var buf bytes.Buffer
	if err := art.RenderText(&buf); err != nil {
		return retrieval.Article{}, skip(ReasonInvalid, "HTML: "+err.Error())
	}
	c := CleanText(buf.String(), false)
	a := retrieval.Article{
		Title:     strings.TrimSpace(art.Title()),
		Source:    strings.TrimSpace(art.SiteName()),
		Body:      c.Body,
		Published: c.Published,
	}
	if t, err := art.PublishedTime(); err == nil {
		a.Published = t.UTC()
	}
	a.URL = canonicalURL(data)
	// The headline often opens the extracted text as well.
	if a.Title != "" && strings.HasPrefix(a.Body, a.Title+"\n") {
		a.Body = a.Body[len(a.Title)+1:]
	}
	return a, nil
}

// canonicalURL finds <link rel="canonical"> or og:url in the page head.
func canonicalURL(data []byte) string {
	head := data
	if i := bytes.Index(bytes.ToLower(head), []byte("</head>")); i > 0 {
		head = head[:i]
	}
	s := string(head)
	for _, marker := range []string{`rel="canonical"`, `property="og:url"`} {
		i := strings.Index(s, marker)
		if i < 0 {
			continue
		}
		start := strings.LastIndexByte(s[:i], '<')
		end := strings.IndexByte(s[i:], '>')
		if start < 0 || end < 0 {
			continue
		}
		tag := s[start : i+end]
		for _, attr := range []string{`href="`, `content="`} {
			if j := strings.Index(tag, attr); j >= 0 {
				v := tag[j+len(attr):]
				if k := strings.IndexByte(v, '"'); k >= 0 {
					if u, err := url.Parse(v[:k]); err == nil && u.Scheme != "" {
						return u.String()
					}
				}
			}
		}
	}
	return ""
}

// record is one JSON article; field aliases cover the common corpus shapes.
type record struct {
	ID          any    `json:"id"`
	DocID       any    `json:"doc_id"`
	Title       string `json:"title"`
	Text        string `json:"text"`
	Body        string `json:"body"`
	Content     string `json:"content"`
	URL         string `json:"url"`
	Published   any    `json:"published"`
	PublishDate any    `json:"publish_date"`
	Date        any    `json:"date"`
	Source      string `json:"source"`
}

func idString(v any) string {
	switch x := v.(type) {
	case string:
		return strings.TrimSpace(x)
	case float64:
		return strconv.FormatFloat(x, 'f', -1, 64)
	}
	return ""
}

func (r record) article(fallbackID string) (retrieval.Article, error) {
	id := idString(r.ID)
	if id == "" {
		id = idString(r.DocID)
	}
	if id == "" {
		id = fallbackID
	}
	body := r.Text
	if body == "" {
		body = r.Body
	}
	if body == "" {
		body = r.Content
	}
	if strings.TrimSpace(body) == "" {
		return retrieval.Article{}, skip(ReasonNoText, "record "+id+" has no text")
	}
	if !utf8.ValidString(body) {
		return retrieval.Article{}, skip(ReasonNotUTF8, "record "+id)
	}
	a := retrieval.Article{ID: id, Title: strings.TrimSpace(r.Title), URL: strings.TrimSpace(r.URL), Source: strings.TrimSpace(r.Source)}
	for _, d := range []any{r.Published, r.PublishDate, r.Date} {
		if t, ok := dateOf(d); ok {
			a.Published = t
			break
		}
	}
	c := CleanText(body, a.Title == "")
	if a.Title == "" {
		a.Title = c.Title
	}
	if a.Published.IsZero() {
		a.Published = c.Published
	}
	a.Body = c.Body
	if a.Title != "" && strings.HasPrefix(a.Body, a.Title+"\n") {
		a.Body = a.Body[len(a.Title)+1:]
	}
	if strings.TrimSpace(a.Body) == "" {
		return retrieval.Article{}, skip(ReasonNoText, "record "+id+" has nothing left after cleaning")
	}
	return a, nil
}

// RecordError is a record of a JSON file that was skipped; the rest of the
// file is still ingested.
type RecordError struct {
	Line int // 1-based line (JSONL) or index (JSON array)
	Err  error
}

func (e RecordError) Error() string { return fmt.Sprintf("record %d: %v", e.Line, e.Err) }

// ParseRecords reads JSON records from r: a JSON array of articles, a single
// article object, or JSON Lines. It calls emit for each good article, and
// returns the records it skipped. A file that is not JSON at all is an error.
func ParseRecords(name string, r io.Reader, emit func(retrieval.Article) error) ([]RecordError, error) {
	br := bufio.NewReaderSize(r, 1<<20)
	// Peek at the first non-space byte to tell an array or object from lines.
	var first byte
	for {
		b, err := br.ReadByte()
		if errors.Is(err, io.EOF) {
			return nil, skip(ReasonEmpty, "")
		}
		if err != nil {
			return nil, skip(ReasonUnreadable, err.Error())
		}
		if b == ' ' || b == '\n' || b == '\r' || b == '\t' || b == 0xEF || b == 0xBB || b == 0xBF {
			continue
		}
		if b == 0 {
			return nil, skip(ReasonBinary, "")
		}
		first = b
		if err := br.UnreadByte(); err != nil {
			return nil, skip(ReasonUnreadable, err.Error())
		}
		break
	}
	base := filepath.Base(name)
	ext := strings.ToLower(filepath.Ext(name))
	if first == '[' || (first == '{' && ext == ".json") {
		return parseJSONDocument(base, br, first, emit)
	}
	if first != '{' {
		return nil, skip(ReasonInvalid, "not JSON")
	}
	var bad []RecordError
	sc := bufio.NewScanner(br)
	sc.Buffer(make([]byte, 0, 1<<20), maxLineBytes)
	line := 0
	good := 0
	for sc.Scan() {
		line++
		raw := bytes.TrimSpace(sc.Bytes())
		if len(raw) == 0 {
			continue
		}
		var rec record
		if err := json.Unmarshal(raw, &rec); err != nil {
			bad = append(bad, RecordError{Line: line, Err: skip(ReasonInvalid, "JSON: "+err.Error())})
			continue
		}
		a, err := rec.article(fmt.Sprintf("%s#%d", base, line))
		if err != nil {
			bad = append(bad, RecordError{Line: line, Err: err})
			continue
		}
		if err := emit(a); err != nil {
			return bad, err
		}
		good++
	}
	if err := sc.Err(); err != nil {
		if errors.Is(err, bufio.ErrTooLong) {
			bad = append(bad, RecordError{Line: line + 1, Err: skip(ReasonTooLarge, "line over 64 MiB; rest of file not read")})
			return bad, nil
		}
		return bad, skip(ReasonUnreadable, err.Error())
	}
	if good == 0 && len(bad) > 0 && line == len(bad) {
		return bad, skip(ReasonInvalid, "no valid record")
	}
	return bad, nil
}

func parseJSONDocument(base string, r io.Reader, first byte, emit func(retrieval.Article) error) ([]RecordError, error) {
	dec := json.NewDecoder(r)
	if first == '{' {
		var rec record
		if err := dec.Decode(&rec); err != nil {
			return nil, skip(ReasonInvalid, "JSON: "+err.Error())
		}
		a, err := rec.article(base)
		if err != nil {
			return nil, err
		}
		return nil, emit(a)
	}
	if _, err := dec.Token(); err != nil { // [
		return nil, skip(ReasonInvalid, "JSON: "+err.Error())
	}
	var bad []RecordError
	for i := 1; dec.More(); i++ {
		var raw json.RawMessage
		if err := dec.Decode(&raw); err != nil {
			return bad, skip(ReasonInvalid, fmt.Sprintf("JSON at record %d: %v", i, err))
		}
		var rec record
		if err := json.Unmarshal(raw, &rec); err != nil {
			bad = append(bad, RecordError{Line: i, Err: skip(ReasonInvalid, "JSON: "+err.Error())})
			continue
		}
		a, err := rec.article(fmt.Sprintf("%s#%d", base, i))
		if err != nil {
			bad = append(bad, RecordError{Line: i, Err: err})
			continue
		}
		if err := emit(a); err != nil {
			return bad, err
		}
	}
	return bad, nil
}
