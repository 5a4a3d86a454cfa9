// Package ingest turns briefing files into articles: it reads .txt, .md,
// .html and .json/.jsonl, cleans boilerplate, finds headlines and dates, and
// cuts bodies into sentence-aligned chunks whose offsets map back to the
// exact text.
package ingest

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"html"
	"io"
	"net/url"
	"path/filepath"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	readability "codeberg.org/readeck/go-readability/v2"
	yaml "go.yaml.in/yaml/v3"
	xhtml "golang.org/x/net/html"

	"github.com/briefbot/briefbot/retrieval"
	"github.com/briefbot/briefbot/retrieval/dates"
)

// Limits on what ingest reads.
const (
	// MaxTextBytes caps a .txt, .md or .html file.
	MaxTextBytes = 16 << 20
	// MaxRecordsBytes caps a .json or .jsonl file.
	MaxRecordsBytes = 2 << 30
	// MaxRecordBytes caps one JSONL record; a longer line is a skipped
	// record and the rest of the file is still read.
	MaxRecordBytes = 64 << 20
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
	ReasonNotRegular  = "not a regular file"
	ReasonBadName     = "file name not UTF-8"
	ReasonInternal    = "internal error"
	// ReasonDuplicateID: another input of the same batch already claimed
	// the id; its Detail is that input's path.
	ReasonDuplicateID = "duplicate id"
)

// SkipError says why a file or record was not ingested.
type SkipError struct {
	Reason string
	Detail string
}

func (e *SkipError) Error() string {
	if e.Reason == ReasonDuplicateID {
		return e.Reason + " (also " + e.Detail + ")"
	}
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
	return isFeedName(name)
}

// IsRecords reports whether a file holds many articles: JSON records, or
// the items of a feed (feeds.go).
func IsRecords(name string) bool {
	switch strings.ToLower(filepath.Ext(name)) {
	case ".json", ".jsonl", ".ndjson":
		return true
	}
	return isFeedName(name)
}

// checkText refuses empty and binary content (text that is not UTF-8 is
// transcoded by toUTF8).
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
	return nil
}

// ParseDocument parses one .txt, .md or .html file into an article whose ID
// is the file's base name.
//
// Text that is not UTF-8 is transcoded: from the legacy charset an HTML page
// declares (windows-1252, ISO-8859-1, ISO-8859-15), else from windows-1252.
func ParseDocument(name string, data []byte) (retrieval.Article, error) {
	a, _, err := parseDocument(name, filepath.Base(name), data)
	return a, err
}

// Warnings about a file that was read all the same.
const (
	WarnFrontMatter = "front matter is not valid YAML; read as plain text"
)

// parseDocument parses one document file into an article with the given
// id, and says what in it was read other than as written (warnings).
func parseDocument(name, id string, data []byte) (retrieval.Article, []string, error) {
	if len(data) > MaxTextBytes {
		return retrieval.Article{}, nil, skip(ReasonTooLarge, fmt.Sprintf("%d bytes, limit %d", len(data), MaxTextBytes))
	}
	if err := checkText(data); err != nil {
		return retrieval.Article{}, nil, err
	}
	var warnings []string
	ext := strings.ToLower(filepath.Ext(name))
	data, note, err := toUTF8(data, ext == ".html" || ext == ".htm")
	if err != nil {
		return retrieval.Article{}, nil, err
	}
	if note != "" {
		warnings = append(warnings, note)
	}
	var a retrieval.Article
	switch ext {
	case ".txt", ".md", ".markdown":
		var badFM bool
		a, badFM = parsePlain(string(data))
		if badFM {
			warnings = append(warnings, WarnFrontMatter)
		}
	case ".html", ".htm":
		var err error
		if a, err = parseHTML(data); err != nil {
			return retrieval.Article{}, nil, err
		}
	default:
		return retrieval.Article{}, nil, skip(ReasonUnsupported, filepath.Ext(name))
	}
	a.ID = id
	if strings.TrimSpace(a.Body) == "" {
		return retrieval.Article{}, nil, skip(ReasonNoText, "nothing left after cleaning")
	}
	return a, warnings, nil
}

// frontMatter is the optional YAML header of a .txt or .md briefing.
type frontMatter struct {
	Title     string `yaml:"title"`
	Date      any    `yaml:"date"`
	Published any    `yaml:"published"`
	Source    string `yaml:"source"`
	URL       string `yaml:"url"`
}

// parsePlain parses a .txt or .md briefing. Front matter that is not valid
// YAML is left in the text (badFrontMatter): the file is kept, as plain
// text, and the caller warns, rather than losing the article.
func parsePlain(s string) (a retrieval.Article, badFrontMatter bool) {
	s = strings.TrimPrefix(s, "\ufeff")
	rest, fm, ok, bad := splitFrontMatter(s)
	if ok {
		s = rest
		a.Title = strings.TrimSpace(fm.Title)
		a.Source = strings.TrimSpace(fm.Source)
		a.URL = SafeURL(fm.URL)
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
	return a, bad
}

// splitFrontMatter splits a leading "---" YAML block from the text. bad
// reports a closed block that is not valid YAML (then ok is false).
func splitFrontMatter(s string) (rest string, fm frontMatter, ok, bad bool) {
	t := strings.TrimLeft(s, " \t\r\n")
	if !strings.HasPrefix(t, "---") {
		return s, fm, false, false
	}
	nl := strings.IndexByte(t, '\n')
	if nl < 0 || strings.TrimSpace(t[:nl]) != "---" {
		return s, fm, false, false
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
				return s, frontMatter{}, false, true
			}
			return body[off:], fm, true, false
		}
		if n < 0 {
			break
		}
		off += n + 1
	}
	return s, fm, false, false
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
	case uint64:
		return unixDate(float64(d))
	}
	return time.Time{}, false
}

func unixDate(v float64) (time.Time, bool) {
	t, err := dates.FromUnix(v)
	return t, err == nil
}

// SafeURL returns s when it is an absolute http or https URL with a host,
// else "": an article never carries a javascript:, data: or other link.
func SafeURL(s string) string {
	s = strings.TrimSpace(s)
	if s == "" || strings.ContainsFunc(s, func(r rune) bool { return r < ' ' || r == 0x7f }) {
		return ""
	}
	u, err := url.Parse(s)
	if err != nil || u.Host == "" {
		return ""
	}
	switch strings.ToLower(u.Scheme) {
	case "http", "https":
		return u.String()
	}
	return ""
}

func parseHTML(data []byte) (retrieval.Article, error) {
	// data is UTF-8 by now (toUTF8): parsed as such, not through
	// readability's charset sniffing, which would decode it again by the
	// page's declaration.
	doc, err := xhtml.Parse(bytes.NewReader(data))
	if err != nil {
		return retrieval.Article{}, skip(ReasonInvalid, "HTML: "+err.Error())
	}
	// Read before readability, which mutates the tree.
	meta := readPageMeta(doc)
	p := readability.NewParser()
	art, err := p.ParseAndMutate(doc, nil)
	if err != nil {
		return retrieval.Article{}, skip(ReasonInvalid, "HTML: "+err.Error())
	}
	var buf bytes.Buffer
	if err := art.RenderText(&buf); err != nil {
		return retrieval.Article{}, skip(ReasonInvalid, "HTML: "+err.Error())
	}
	c := CleanText(buf.String(), false)
	fullTitle := strings.TrimSpace(art.Title())
	a := retrieval.Article{
		Source:    strings.TrimSpace(art.SiteName()),
		Body:      c.Body,
		Published: meta.Published,
		URL:       canonicalURL(data),
	}
	if a.Source == "" {
		a.Source = meta.SiteName
	}
	if a.Published.IsZero() {
		a.Published = c.Published
	}
	a.Title = cutSiteSuffix(fullTitle, a.Source, a.URL)
	// The headline often opens the extracted text as well.
	for _, t := range []string{fullTitle, a.Title} {
		if t != "" && strings.HasPrefix(a.Body, t+"\n") {
			a.Body = a.Body[len(t)+1:]
			break
		}
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
					if u := SafeURL(html.UnescapeString(v[:k])); u != "" {
						return u
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
		return retrieval.Article{}, skip(ReasonNoText, "record "+DisplayPath(id)+" has no text")
	}
	if !utf8.ValidString(body) {
		return retrieval.Article{}, skip(ReasonNotUTF8, "record "+DisplayPath(id))
	}
	a := retrieval.Article{ID: id, Title: strings.TrimSpace(r.Title), URL: SafeURL(r.URL), Source: strings.TrimSpace(r.Source)}
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
	a = withCleaned(a, c)
	if strings.TrimSpace(a.Body) == "" {
		return retrieval.Article{}, skip(ReasonNoText, "record "+DisplayPath(id)+" has nothing left after cleaning")
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

// ParseRecords reads JSON records from r: a JSON array of articles, one
// article object (or several, one after another), or JSON Lines. It calls
// emit for each good article, and returns the records it skipped. A file
// that is not JSON at all is an error (a *SkipError); so is ctx's error when
// it is cancelled.
//
// It streams: JSON Lines are read one line at a time into a buffer of at
// most MaxRecordBytes (a longer line is a skipped record), arrays one
// element at a time, so memory is bounded by the largest record. A record
// with bytes that are not UTF-8 is skipped (ReasonNotUTF8), and a panic
// while parsing one record skips that record (ReasonInternal).
func ParseRecords(ctx context.Context, name string, r io.Reader, emit func(retrieval.Article) error) ([]RecordError, error) {
	return parseRecords(ctx, name, filepath.Base(name), r, emit)
}

// parseRecords is ParseRecords with base as the id (and id prefix) of
// records that carry none.
func parseRecords(ctx context.Context, name, base string, r io.Reader, emit func(retrieval.Article) error) ([]RecordError, error) {
	br := bufio.NewReaderSize(r, 64<<10)
	// Peek at the first non-space byte to tell an array or object from lines.
	var first byte
	for {
		b, err := br.ReadByte()
		if errors.Is(err, io.EOF) {
			return nil, skip(ReasonEmpty, "")
		}
		if err != nil {
			return nil, readFailure(err)
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
	ext := strings.ToLower(filepath.Ext(name))
	if first == '[' || (first == '{' && ext == ".json") {
		return parseJSONDocument(ctx, base, br, first, emit)
	}
	if first != '{' {
		return nil, skip(ReasonInvalid, "not JSON")
	}
	var bad []RecordError
	var buf []byte
	line, good, records := 0, 0, 0
	for {
		if err := ctx.Err(); err != nil {
			return bad, err
		}
		raw, tooLong, err := readLine(br, buf[:0], MaxRecordBytes)
		buf = raw
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return bad, readFailure(err)
		}
		line++
		if tooLong {
			records++
			bad = append(bad, RecordError{Line: line, Err: skip(ReasonTooLarge, fmt.Sprintf("line over %d MiB", MaxRecordBytes>>20))})
			continue
		}
		raw = bytes.TrimSpace(raw)
		if len(raw) == 0 {
			continue
		}
		records++
		a, err := parseRecord(raw, fmt.Sprintf("%s#%d", base, line))
		if err != nil {
			bad = append(bad, RecordError{Line: line, Err: err})
			continue
		}
		if err := emit(a); err != nil {
			return bad, err
		}
		good++
	}
	if good == 0 && len(bad) > 0 && records == len(bad) {
		return bad, skip(ReasonInvalid, "no valid record")
	}
	return bad, nil
}

// readLine reads one line (without limit on the line but storing at most
// max bytes of it) into buf. A longer line is consumed and reported as
// tooLong. At the end of the input it returns io.EOF.
func readLine(br *bufio.Reader, buf []byte, max int) (line []byte, tooLong bool, err error) {
	read := false
	for {
		frag, err := br.ReadSlice('\n')
		if len(frag) > 0 {
			read = true
			if !tooLong && len(buf)+len(frag) > max+1 { // +1: the newline
				tooLong = true
				buf = buf[:0]
			}
			if !tooLong {
				buf = append(buf, frag...)
			}
		}
		switch {
		case errors.Is(err, bufio.ErrBufferFull):
			continue
		case errors.Is(err, io.EOF) && read:
			return buf, tooLong, nil
		}
		return buf, tooLong, err
	}
}

// parseRecord decodes one JSON record. A panic in doing so is the record's
// error, not the file's.
func parseRecord(raw []byte, fallbackID string) (a retrieval.Article, err error) {
	defer func() {
		if r := recover(); r != nil {
			a, err = retrieval.Article{}, skip(ReasonInternal, panicDetail(r))
		}
	}()
	// json.Unmarshal would silently replace invalid bytes with U+FFFD.
	if !utf8.Valid(raw) {
		return retrieval.Article{}, skip(ReasonNotUTF8, "")
	}
	var rec record
	if err := json.Unmarshal(raw, &rec); err != nil {
		return retrieval.Article{}, skip(ReasonInvalid, "JSON: "+err.Error())
	}
	if invalidEscape(raw, rec) {
		return retrieval.Article{}, skip(ReasonNotUTF8, "escaped lone surrogate")
	}
	return rec.article(fallbackID)
}

// invalidEscape reports whether decoding made a U+FFFD that the raw record
// does not spell: a \uD800-\uDFFF escape without its pair, which is no
// character at all.
func invalidEscape(raw []byte, rec record) bool {
	decoded := false
	for _, s := range []string{rec.Title, rec.Text, rec.Body, rec.Content, rec.Source, rec.URL} {
		if strings.ContainsRune(s, utf8.RuneError) {
			decoded = true
			break
		}
	}
	if !decoded {
		return false
	}
	return !bytes.Contains(raw, []byte("\uFFFD")) && !bytes.Contains(bytes.ToLower(raw), []byte(`\ufffd`))
}

func parseJSONDocument(ctx context.Context, base string, r io.Reader, first byte, emit func(retrieval.Article) error) ([]RecordError, error) {
	dec := json.NewDecoder(r)
	inArray := first == '['
	if inArray {
		if _, err := dec.Token(); err != nil { // [
			return nil, decodeFailure(err)
		}
	}
	var bad []RecordError
	good := 0
	for i := 1; dec.More(); i++ {
		if err := ctx.Err(); err != nil {
			return bad, err
		}
		var raw json.RawMessage
		if err := dec.Decode(&raw); err != nil {
			err = decodeFailure(err)
			var se *SkipError
			if good == 0 || !errors.As(err, &se) {
				return bad, err
			}
			// Keep what was read before the break.
			se.Detail += "; rest of file not read"
			bad = append(bad, RecordError{Line: i, Err: se})
			return bad, nil
		}
		id := base
		if inArray || i > 1 {
			id = fmt.Sprintf("%s#%d", base, i)
		}
		a, err := parseRecord(raw, id)
		if err != nil {
			if !inArray && i == 1 && !dec.More() {
				return nil, err // the file is this one record
			}
			bad = append(bad, RecordError{Line: i, Err: err})
			continue
		}
		if err := emit(a); err != nil {
			return bad, err
		}
		good++
	}
	if err := ctx.Err(); err != nil {
		return bad, err
	}
	return bad, nil
}

// decodeFailure classifies an error of the JSON decoder: a read error as
// readFailure does, anything else as invalid JSON.
func decodeFailure(err error) error {
	var se *json.SyntaxError
	var te *json.UnmarshalTypeError
	if errors.As(err, &se) || errors.As(err, &te) || errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, io.EOF) {
		return skip(ReasonInvalid, "JSON: "+err.Error())
	}
	return readFailure(err)
}
