package engine

import (
	"regexp"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/briefbot/briefbot/retrieval/lexical"
	"github.com/briefbot/briefbot/retrieval/text"
)

// questionTerms are a question's terms as the index can match them.
type questionTerms struct {
	// terms are the stems to search: the question's own, or the index's
	// spelling of a misspelt one.
	terms []string
	// unknownNames are capitalised words or numbers of the question that no
	// briefing holds, even spelt a little differently: names the briefings
	// never mention.
	unknownNames []string
	// years are the years the question names.
	years []int
}

var yearRE = regexp.MustCompile(`\b(1[89]\d\d|2[01]\d\d)\b`)

// longStopWords are the stop words a typo can be told from (four letters or more).
var longStopWords = func() []string {
	var out []string
	for _, w := range text.StopWords() {
		if len(w) >= 4 {
			out = append(out, w)
		}
	}
	return out
}()

// analyseTerms reads a question's words against the index: a word the
// briefings lack is a misspelt stop word ("wher"), a misspelling of one they
// have ("missles"), or unknown; unknown names are kept apart, as they mean
// the briefings are about something else.
func analyseTerms(question string, lex *lexical.Index) questionTerms {
	var qt questionTerms
	q := howWords.ReplaceAllString(question, "how")
	atStart := true
	prevEnd := 0
	text.EachToken(q, func(t text.Token) {
		between := q[prevEnd:t.Start]
		prevEnd = t.End
		first := atStart || strings.ContainsAny(between, ".?!:;\n")
		atStart = false
		r, _ := utf8.DecodeRuneInString(q[t.Start:])
		if text.IsStopWord(t.Word) {
			return
		}
		stem := text.Stem(t.Word)
		if lex.Known(stem) {
			qt.terms = append(qt.terms, stem)
			return
		}
		name := unicode.IsDigit(r) || (unicode.IsUpper(r) && !first)
		if !name && len(t.Word) >= 4 {
			for _, sw := range longStopWords {
				if lexical.Near(t.Word, sw, 1) {
					return
				}
			}
		}
		if c, ok := lex.Correct(stem); ok {
			qt.terms = append(qt.terms, c)
			return
		}
		if name && !isYear(t.Word) {
			qt.unknownNames = append(qt.unknownNames, q[t.Start:t.End])
		}
		qt.terms = append(qt.terms, stem)
	})
	for _, m := range yearRE.FindAllString(question, -1) {
		y, _ := strconv.Atoi(m)
		qt.years = append(qt.years, y)
	}
	return qt
}

func isYear(w string) bool { return yearRE.MatchString(w) && len(w) == 4 }
