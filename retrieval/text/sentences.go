package text

import (
	"regexp"
	"sort"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Span is a half-open byte range [Start, End) of a text.
type Span struct {
	Start int
	End   int
}

// Sentences splits s into sentences and returns their spans, trimmed of
// surrounding white space, in order. A line break ends a sentence (headlines
// and subheads are their own sentences); inside a paragraph the punkt
// tokenizer decides, so "U.S.", "Mr." and "Jan. 6" do not end one.
func Sentences(s string) []Span {
	var out []Span
	p := englishPunkt()
	toks := punktTokens.Get().(*[]punktToken)
	defer func() {
		clear((*toks)[:cap(*toks)]) // the words point into s
		punktTokens.Put(toks)
	}()
	var cuts []int
	start := 0
	for start < len(s) {
		end := strings.IndexByte(s[start:], '\n')
		if end < 0 {
			end = len(s)
		} else {
			end += start
		}
		out, cuts, *toks = appendParagraph(out, cuts, *toks, p, s, start, end)
		start = end + 1
	}
	return out
}

// appendParagraph appends the sentences of the paragraph s[start:end] to
// out; cuts and toks are scratch space, returned for the next paragraph.
func appendParagraph(out []Span, cuts []int, toks []punktToken, p *punkt, s string, start, end int) ([]Span, []int, []punktToken) {
	para := s[start:end]
	if strings.TrimSpace(para) == "" {
		return out, cuts, toks
	}
	cuts, toks = p.sentencePositions(para, toks, cuts[:0])
	cuts = addNumberEnds(cuts, para)
	prev := 0
	for _, c := range cuts {
		if c <= prev || c > len(para) {
			continue
		}
		out = appendTrimmed(out, s, start+prev, start+c)
		prev = c
	}
	return appendTrimmed(out, s, start+prev, start+len(para)), cuts, toks
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

// numberEnd is a number ending a sentence after some words: "... in 2024.
// The ...". Punkt never ends a sentence on a number followed by a period.
var numberEnd = regexp.MustCompile(`\S\s+[0-9][0-9,]*(\.["”’)]*)\s+["“‘(]*\p{Lu}`)

// mayEndOnNumber is a quick test numberEnd needs to pass: a period right
// after a digit or a comma ("[0-9][0-9,]*\."). Most paragraphs have none,
// and the regexp costs a few percent of an ingest.
func mayEndOnNumber(para string) bool {
	for i := 1; i < len(para); i++ {
		if para[i] == '.' && (para[i-1] == ',' || '0' <= para[i-1] && para[i-1] <= '9') {
			return true
		}
	}
	return false
}

// addNumberEnds merges the sentence ends numberEnd finds in para into cuts.
func addNumberEnds(cuts []int, para string) []int {
	if !mayEndOnNumber(para) {
		return cuts
	}
	ms := numberEnd.FindAllStringSubmatchIndex(para, -1)
	if len(ms) == 0 {
		return cuts
	}
	for _, m := range ms {
		// The cut goes after the period and any closing quotes.
		cuts = append(cuts, m[3])
	}
	sort.Ints(cuts)
	return cuts
}
