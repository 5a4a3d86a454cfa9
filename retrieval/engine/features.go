package engine

import (
	"math"
	"strings"
	"unicode"
	"unicode/utf8"
)

// featureNames are the features of a candidate sentence, in the order of
// Params.w. The quote scorer is linear in them; `briefbot eval fit` learns
// the weights on training questions (a softmax over each question's
// candidate sentences, see fit.go).
var featureNames = [...]string{
	"cov",         // idf-weighted share of the question's (known) words the sentence holds
	"cov2",        // its square: a sentence with most of the question is much better than one with half
	"focus",       // coverage of the asking sentence's words of a multi-sentence question
	"matched",     // share of the question's distinct terms matched, unweighted
	"adjacent",    // share of the sentence's question terms that stand next to another one
	"doc",         // the article's retrieval score, relative to the best article's
	"rank",        // 1/(1+rank) of the article
	"title",       // coverage of the question by the article's title
	"prev",        // coverage of the sentence before
	"next",        // coverage of the sentence after
	"lead",        // one of the article's first two sentences
	"pos",         // position in the article, 0 (first) .. 1 (last)
	"novelty",     // rare words the sentence adds to the question's
	"type",        // holds the kind of answer asked for (a number, a date, a name)
	"type_cov",    // type times coverage
	"no_type",     // the question asks for a kind of answer the sentence lacks
	"cap_new",     // capitalised words not in the question (names the answer may be)
	"num_new",     // numbers not in the question
	"words",       // log of the sentence's length
	"short",       // fewer than 8 words
	"quote_mark",  // holds a quotation
	"refers_back", // opens with a word that refers to the sentence before (He, This, The move)
	"heading",     // no closing punctuation: a headline or subhead
	"recent",      // exp(-age/7) of the article, age in days before the question's date (0 undated)
	"stale",       // the article is more than 60 days older than the question
	"kind",        // names a member of the kind a "which X" question asks for (France for "which country")
	"kind_named",  // the member named is a proper name (an instance in WordNet: France, not dolphin)
}

const numFeatures = len(featureNames)

func featureIndex(name string) int {
	for i, n := range featureNames {
		if n == name {
			return i
		}
	}
	return -1
}

const (
	fCov = iota
	fCov2
	fFocus
	fMatched
	fAdjacent
	fDoc
	fRank
	fTitle
	fPrev
	fNext
	fLead
	fPos
	fNovelty
	fType
	fTypeCov
	fNoType
	fCapNew
	fNumNew
	fWords
	fShort
	fQuoteMark
	fRefersBack
	fHeading
	fRecent
	fStale
	fKind
	fKindNamed
)

// features fills x with sentence i's features; c holds the article's
// sentence analyses.
func (c *candidate) features(x *[numFeatures]float64, qa *questionAnalysis, ix *index, i int, docNorm float64, rank int, titleCov float64) {
	si := &c.infos[i]
	sents := ix.sents[c.art]
	s := &sents[i]
	art := ix.arts[c.art]
	sp := art.Sentences[i]
	body := art.Body[sp.Start:sp.End]
	*x = [numFeatures]float64{}
	x[fCov] = si.cov
	x[fCov2] = si.cov * si.cov
	x[fFocus] = si.focus
	x[fMatched] = si.matchedShare
	x[fAdjacent] = si.adjacent
	x[fDoc] = docNorm
	x[fRank] = 1 / float64(1+rank)
	x[fTitle] = titleCov
	if i > 0 {
		x[fPrev] = c.infos[i-1].cov
	}
	if i+1 < len(c.infos) {
		x[fNext] = c.infos[i+1].cov
	}
	if i < 2 {
		x[fLead] = 1
	}
	if len(sents) > 1 {
		x[fPos] = float64(i) / float64(len(sents)-1)
	}
	x[fNovelty] = si.novelty
	if qa.wantsType() {
		if si.typeOK {
			x[fType] = 1
			x[fTypeCov] = si.cov
		} else {
			x[fNoType] = 1
		}
	}
	x[fCapNew] = math.Min(float64(si.capNew), 4) / 4
	if si.numNew > 0 {
		x[fNumNew] = 1
	}
	x[fWords] = math.Log(1+float64(s.words)) / math.Log(61)
	if s.words < 8 {
		x[fShort] = 1
	}
	if strings.ContainsAny(body, "\"“”") {
		x[fQuoteMark] = 1
	}
	if refersBack(body) {
		x[fRefersBack] = 1
	}
	if s.heading {
		x[fHeading] = 1
	}
	if si.kindOK {
		x[fKind] = 1
	}
	if si.kindNamed {
		x[fKindNamed] = 1
	}
	if c.dated {
		x[fRecent] = math.Exp(-math.Max(c.age, 0) / 7)
		if c.age > 60 {
			x[fStale] = 1
		}
	}
}

func (p *Params) score(x *[numFeatures]float64) float64 {
	var s float64
	for i, v := range x {
		s += p.w[i] * v
	}
	return s
}

// backWords open a sentence that cannot be read alone: it refers to what
// the sentence before said ("He said…", "This demand…", "The move…").
var backWords = map[string]bool{
	"he": true, "she": true, "it": true, "they": true, "this": true, "that": true,
	"these": true, "those": true, "his": true, "her": true, "its": true, "their": true,
	"him": true, "them": true, "there": true, "such": true, "both": true,
	"but": true, "however": true, "also": true, "meanwhile": true, "instead": true,
}

// backNouns follow "The" in an opening that refers back ("The move", "The
// decision").
var backNouns = map[string]bool{
	"move": true, "decision": true, "statement": true, "announcement": true, "comments": true,
	"remarks": true, "call": true, "talks": true, "meeting": true, "plan": true, "proposal": true,
	"deal": true, "agreement": true, "attack": true, "strike": true, "report": true, "claim": true,
	"claims": true, "incident": true, "step": true, "news": true, "latter": true, "former": true,
	"same": true, "official": true, "officials": true, "president": true, "minister": true,
	"company": true, "group": true, "country": true, "government": true, "measure": true,
}

// refersBack reports whether sentence s opens with a reference to the one
// before it.
func refersBack(s string) bool {
	s = strings.TrimLeft(s, " \t\n\"“'‘(")
	var words []string
	for len(words) < 2 && s != "" {
		end := strings.IndexFunc(s, func(r rune) bool { return !unicode.IsLetter(r) && r != '\'' && r != '’' })
		if end < 0 {
			end = len(s)
		}
		if end == 0 {
			break
		}
		words = append(words, strings.ToLower(s[:end]))
		s = strings.TrimLeft(s[end:], " ,")
		if r, _ := utf8.DecodeRuneInString(s); r != 0 && !unicode.IsLetter(r) {
			break
		}
	}
	if len(words) == 0 {
		return false
	}
	if backWords[words[0]] {
		return true
	}
	return len(words) == 2 && (words[0] == "the" || words[0] == "this" || words[0] == "that") && backNouns[words[1]]
}
