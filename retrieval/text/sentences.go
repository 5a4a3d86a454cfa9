package text

import (
	"strings"
	"sync"
	"unicode"
	"unicode/utf8"

	"github.com/neurosnap/sentences"
	"github.com/neurosnap/sentences/english"
)

// Span is a half-open byte range [Start, End) of a text.
type Span struct {
	Start int
	End   int
}

var (
	tokenizerOnce sync.Once
	tokenizer     *sentences.DefaultSentenceTokenizer
	tokenizerErr  error
	// tokenizerPool hands each goroutine its own tokenizer: the punkt
	// tokenizer keeps state while it annotates.
	tokenizerPool = sync.Pool{New: func() any {
		t, err := english.NewSentenceTokenizer(nil)
		if err != nil {
			return nil
		}
		return t
	}}
)

func getTokenizer() *sentences.DefaultSentenceTokenizer {
	if t, ok := tokenizerPool.Get().(*sentences.DefaultSentenceTokenizer); ok && t != nil {
		return t
	}
	tokenizerOnce.Do(func() { tokenizer, tokenizerErr = english.NewSentenceTokenizer(nil) })
	return tokenizer
}

// Sentences splits s into sentences and returns their spans, trimmed of
// surrounding white space, in order. A line break ends a sentence (headlines
// and subheads are their own sentences); inside a paragraph the punkt
// tokenizer decides, so "U.S.", "Mr." and "Jan. 6" do not end one.
func Sentences(s string) []Span {
	var out []Span
	tok := getTokenizer()
	defer func() {
		if tok != tokenizer {
			tokenizerPool.Put(tok)
		}
	}()
	start := 0
	for start < len(s) {
		end := strings.IndexByte(s[start:], '\n')
		if end < 0 {
			end = len(s)
		} else {
			end += start
		}
		out = appendParagraph(out, tok, s, start, end)
		start = end + 1
	}
	return out
}

func appendParagraph(out []Span, tok *sentences.DefaultSentenceTokenizer, s string, start, end int) []Span {
	para := s[start:end]
	if strings.TrimSpace(para) == "" {
		return out
	}
	var cuts []int
	if tok != nil {
		cuts = tok.SentencePositions(para)
	}
	prev := 0
	for _, c := range cuts {
		if c <= prev || c > len(para) {
			continue
		}
		out = appendTrimmed(out, s, start+prev, start+c)
		prev = c
	}
	return appendTrimmed(out, s, start+prev, start+len(para))
}

func appendTrimmed(out []Span, s string, a, b int) []Span {
	for a < b {
		r, w := utf8.DecodeRuneInString(s[a:b])
		if !unicode.IsSpace(r) {
			break
		}
		a += w
	}
	for b > a {
		r, w := utf8.DecodeLastRuneInString(s[a:b])
		if !unicode.IsSpace(r) {
			break
		}
		b -= w
	}
	if b > a {
		out = append(out, Span{Start: a, End: b})
	}
	return out
}
