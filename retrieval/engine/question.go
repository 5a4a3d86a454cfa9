package engine

import (
	"iter"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/briefbot/briefbot/retrieval/lexical"
	"github.com/briefbot/briefbot/retrieval/text"
	"github.com/briefbot/briefbot/retrieval/text/lexicon"
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
	// names are the stems of the question's capitalised words and numbers
	// (the names, years and figures it is about).
	names     map[string]bool
	noRelated bool
	// phrases are the question's names of two or more words ("Port
	// Kessington", "Fenwick Cup"), each as the stems the index knows
	// (spelling corrected), with their text: a name whose words the
	// briefings hold only apart is a name they never mention.
	phrases []namePhrase
	// related are words the briefings may use for a question term
	// (synonyms, derivations, an abbreviation's expansion), as stems the
	// index knows, weighed down in search and in quote choice.
	related []lexical.QueryTerm
}

// namePhrase is a name of several words in a question.
type namePhrase struct {
	text  string
	stems []string
	// rarest is the index of the stem the fewest articles hold.
	rarest int
}

// Weights of related words: an abbreviation's expansion means the same, a
// synonym or a related word a little less.
const (
	expansionWeight = 0.8
	relatedWeight   = 0.6
	maxRelated      = 3
)

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
func analyseTerms(question string, lex *lexical.Index, spelling, related bool) questionTerms {
	qt := questionTerms{noRelated: !related}
	q := howWords.ReplaceAllString(question, "how")
	nameStart, lastNameEnd := 0, 0
	// The name of several words being read: its stems, where it starts,
	// and where its last word ends.
	var run []string
	runStart, runEnd := 0, -1
	endRun := func() {
		if len(run) >= 2 {
			ph := namePhrase{text: q[runStart:runEnd], stems: run}
			for k, st := range run {
				if lex.IDF(st) > lex.IDF(run[ph.rarest]) {
					ph.rarest = k
				}
			}
			qt.phrases = append(qt.phrases, ph)
		}
		run = nil
	}
	// inRun adds a word of a name, as the stem searched, to the name being read.
	inRun := func(t text.Token, stem string) {
		if len(run) == 0 || strings.TrimSpace(q[runEnd:t.Start]) != "" {
			endRun()
			runStart = t.Start
		}
		run = append(run, stem)
		runEnd = t.End
	}
	eachQuestionWord(q, func(t text.Token, name bool) {
		r, _ := utf8.DecodeRuneInString(q[t.Start:])
		if text.IsStopWord(t.Word) {
			return
		}
		stem := text.Stem(t.Word)
		raw := q[t.Start:t.End]
		// A word of a longer name: capitalised, not the first word, not a
		// figure, year or abbreviation.
		nameWord := name && unicode.IsUpper(r) && !isAbbreviation(raw)
		if name {
			if qt.names == nil {
				qt.names = map[string]bool{}
			}
			qt.names[stem] = true
		}
		// An abbreviation written as one (PM, EU, U.S.) stands for its expansion.
		if isAbbreviation(raw) && related {
			n := len(qt.related)
			for _, exp := range lexicon.Expand(t.Word) {
				for _, w := range exp {
					if st := text.Stem(w); !text.IsStopWord(w) && lex.Known(st) {
						qt.related = append(qt.related, lexical.QueryTerm{Term: st, Weight: expansionWeight, Of: stem})
					}
				}
			}
			if len(qt.related) > n || lex.Known(stem) {
				qt.terms = append(qt.terms, stem)
				return
			}
		}
		if lex.Known(stem) {
			qt.terms = append(qt.terms, stem)
			qt.addRelated(lex, t.Word, stem)
			if nameWord {
				inRun(t, stem)
			}
			return
		}
		if !name && len(t.Word) >= 4 && spelling {
			for _, sw := range longStopWords {
				if lexical.Near(t.Word, sw, 1) {
					return
				}
			}
		}
		if c, ok := lex.Correct(stem); ok && spelling {
			qt.terms = append(qt.terms, c)
			if nameWord {
				inRun(t, c)
			}
			return
		}
		qt.terms = append(qt.terms, stem)
		if qt.addRelated(lex, t.Word, stem) {
			return
		}
		if name && !isYear(t.Word) {
			// "FIFA World Cup" is one name, not three.
			if n := len(qt.unknownNames); n > 0 && lastNameEnd > 0 && strings.TrimSpace(q[lastNameEnd:t.Start]) == "" {
				qt.unknownNames[n-1] = q[nameStart:t.End]
			} else {
				qt.unknownNames = append(qt.unknownNames, raw)
				nameStart = t.Start
			}
			lastNameEnd = t.End
		}
	})
	endRun()
	for _, m := range yearRE.FindAllString(question, -1) {
		y, _ := strconv.Atoi(m)
		qt.years = append(qt.years, y)
	}
	return qt
}

// maxNameGap is how many more words than it has a question's name may
// span in an article that mentions it, in any order: "Secretary Rubio" is
// "Secretary of State Marco Rubio", "New York Federal Reserve" "Federal
// Reserve Bank of New York".
const maxNameGap = 4

// unknownPhrase returns the first of the question's names of several words
// (qt.phrases) that no text in texts holds, its words within maxNameGap
// more words than it has ("" when every one is held). A text is its
// stemmed terms in order, stop words left out (as the index holds an
// article's sentences, and its title apart). A name of three words or more
// may lack one word there, not its rarest ("Tanaru Indigenous Territory"
// is the "Tanaru indigenous land"). The question's other words found the
// articles, so an article that mentions the name is among them when any
// does.
func (qt *questionTerms) unknownPhrase(texts iter.Seq[iter.Seq[string]]) string {
	if len(qt.phrases) == 0 {
		return ""
	}
	found := make([]bool, len(qt.phrases))
	left := len(qt.phrases)
	// last[i][k]: the position in the text of the latest word that is
	// phrase i's word k.
	last := make([][]int, len(qt.phrases))
	for terms := range texts {
		for i := range last {
			last[i] = last[i][:0]
			for range qt.phrases[i].stems {
				last[i] = append(last[i], -1<<30)
			}
		}
		pos := 0
		for stem := range terms {
			pos++
			for i, ph := range qt.phrases {
				if found[i] {
					continue
				}
				hit := false
				for k, st := range ph.stems {
					if st == stem {
						last[i][k] = pos
						hit = true
					}
				}
				if hit && ph.heldAt(last[i], pos) {
					found[i] = true
					left--
				}
			}
			if left == 0 {
				return ""
			}
		}
	}
	for i, ph := range qt.phrases {
		if !found[i] {
			return ph.text
		}
	}
	return ""
}

// heldAt reports whether the words of ph last seen at positions last stand
// close enough together, as of position pos, to mention it.
func (ph *namePhrase) heldAt(last []int, pos int) bool {
	span := len(ph.stems) + maxNameGap
	missing := 0
	for k, p := range last {
		if pos-p < span {
			continue
		}
		if len(ph.stems) < 3 || k == ph.rarest {
			return false
		}
		missing++
	}
	return missing <= 1
}

// eachQuestionWord calls fn for each word of q with whether it reads as a
// name or figure: a number, or a capitalised word that does not begin a
// sentence.
func eachQuestionWord(q string, fn func(t text.Token, name bool)) {
	atStart := true
	prevEnd := 0
	text.EachToken(q, func(t text.Token) {
		first := atStart || strings.ContainsAny(q[prevEnd:t.Start], ".?!:;\n")
		atStart = false
		prevEnd = t.End
		r, _ := utf8.DecodeRuneInString(q[t.Start:])
		fn(t, unicode.IsDigit(r) || (unicode.IsUpper(r) && !first))
	})
}

func isYear(w string) bool { return yearRE.MatchString(w) && len(w) == 4 }

// addRelated adds up to maxRelated words related to word that the index
// knows, as variants of stem; it reports whether it added any.
func (qt *questionTerms) addRelated(lex *lexical.Index, word, stem string) bool {
	if qt.noRelated {
		return false
	}
	n := 0
	for _, w := range lexicon.Related(word) {
		if n == maxRelated {
			break
		}
		st := text.Stem(w)
		if st == stem || !lex.Known(st) {
			continue
		}
		qt.related = append(qt.related, lexical.QueryTerm{Term: st, Weight: relatedWeight, Of: stem, Related: true})
		n++
	}
	return n > 0
}

// withRelated returns stems with the related words the question's
// reading found for them ("nations" for "countries").
func (qt *questionTerms) withRelated(stems []string) []string {
	out := stems
	for _, r := range qt.related {
		if slices.Contains(stems, r.Of) && !slices.Contains(out, r.Term) {
			out = append(out, r.Term)
		}
	}
	return out
}

// isAbbreviation reports a word written as an abbreviation: two or more
// capitals (PM, EU), or letters with dots (U.S.).
func isAbbreviation(w string) bool {
	caps := 0
	for _, r := range w {
		switch {
		case unicode.IsUpper(r):
			caps++
		case r == '.':
		default:
			return false
		}
	}
	return caps >= 2 || (caps == 1 && strings.Contains(w, "."))
}

// Requests for personal help ("How do I reset my password?", "Solve 2x + 3
// = 7", "Find me a cheap flight", "a recipe for lasagna") are not questions
// about the news: the bot answers them only when a briefing covers them
// very well.
var (
	firstPerson = regexp.MustCompile(`\b(?:am|do|can|could|should|would|will|did|have|shall|may|must)\s+I\b|\bI\s+(?:am|was|do|did|have|had|can|could|should|would|will|need|want|get|make|find|fix|request|change|ask|apply|reset|connect|book|buy|use|cook|bake|write)\b|\b(?i:my|mine|myself)\b|\bI'(?:m|ve|d|ll)\b|\bI’(?:m|ve|d|ll)\b`)
	imperative  = regexp.MustCompile(`(?i)^\s*(?:please\s+)?(?:solve|write|book|find me|help me|can you help|could you help|recommend|explain|translate|calculate|compute|draft|compose|fix|debug|convert)\b`)
	helpTopic   = regexp.MustCompile(`(?i)\brecipes?\b|\bstep[- ]by[- ]step\b|\bbest way to\b`)
)

// personalRequest reports a question that asks for personal help rather
// than about the news.
func personalRequest(q string) bool {
	return firstPerson.MatchString(q) || imperative.MatchString(q) || helpTopic.MatchString(q)
}
