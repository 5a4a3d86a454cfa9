package engine

import (
	"math"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/briefbot/briefbot/retrieval/text"
)

// moneyQuestion asks for an amount of money; money is one.
var (
	moneyQuestion = regexp.MustCompile(`(?i)\bhow much\b.*\b(cost|costs|costing|paid|pay|pays|paying|price|priced|worth|spent|spend|spends|earn|earns|earned|salary|fine|fined|sell|sold|bid|money)\b|\bhow much money\b|\bwhat (was|is) the price\b`)
	yearIn        = regexp.MustCompile(`\b(1[89]|20)\d\d\b`)
	money         = regexp.MustCompile(`(?i)[$£€¥]|\b(dollars?|million|billion|trillion|cents?|pounds?|euros?|yen|yuan|rupees?|usd)\b`)
)

// refusalFeatureNames are what the refusal decision weighs, about the
// question and the best quote found for it: a logistic model of the chance
// that the quotes answer, fitted on training questions (label: the answer
// is in quotes 1-3) by `briefbot eval fit --refusal`.
var refusalFeatureNames = [...]string{
	"bias",         // 1
	"evidence",     // share of the question the best-covering quote holds (unknown words counted against it)
	"known_share",  // share of the question's weight the briefings know
	"unknown_frac", // share of the question's terms no briefing uses
	"score",        // the quote scorer's value for the best quote
	"bm25",         // best chunk's BM25 score over the question's idf mass
	"vector",       // best chunk's cosine similarity to the question
	"typed",        // the question asks for a kind of answer a quote holds
	"untyped",      // the question asks for a kind of answer no quote holds
	"title",        // the best quote's article title covers the question
	"matched",      // share of question terms the best quote matches
	"focus",        // coverage of the asking sentence by the best quote
	"terms",        // how many terms the question has (log)
	"top_terms",    // share of the question's two rarest known terms in the best quote
	"names",        // share of the question's names and numbers (capitalised words, figures) the best quote holds (1: it has none)
	"best_untyped", // the question asks for a kind of answer the best quote lacks
	"pred",         // share of the question's other words (not names or figures: what it asks about them) the best quote's sentence holds (1: it has none)
	"pred_all",     // the best quote's sentence holds every one of those words
	"no_money",     // the question asks for an amount of money ("how much ... cost/paid") and the best quote names none
	"year_other",   // the question names a year; the best quote names other years and not it (the 2020 race, not the 2022 one)
	"key_word",     // the best quote's sentence holds the question's rarest word that is not a name or figure ("piloted", "attendance"; 1: it has none)
	"year_miss",    // the question names a year that neither the best quote nor its article's date gives
	"art_names",    // share of the question's names and numbers the best quote's article holds anywhere (1: it has none)
}

const numRefusalFeatures = len(refusalFeatureNames)

func refusalFeatureIndex(name string) int {
	for i, n := range refusalFeatureNames {
		if n == name {
			return i
		}
	}
	return -1
}

// refusalFeatures fills x for the question of r and its best candidate.
func refusalFeatures(x *[numRefusalFeatures]float64, ix *index, r *retrieved, best *candidate, evidence float64, typed bool) {
	qa := r.qa
	f := &best.feats[best.best]
	*x = [numRefusalFeatures]float64{}
	x[0] = 1
	x[1] = evidence
	x[2] = qa.knownShare()
	x[3] = qa.unknownFrac()
	x[4] = best.score
	x[5] = math.Min(r.bm25, 3)
	x[6] = r.vector
	if qa.wantsType() {
		if typed {
			x[7] = 1
		} else {
			x[8] = 1
		}
	}
	x[9] = f[fTitle]
	x[10] = f[fMatched]
	x[11] = f[fFocus]
	x[12] = math.Log(1+float64(len(qa.terms))) / math.Log(20)
	// The two rarest known terms.
	a, b := -1, -1
	for i, w := range qa.weight {
		if !qa.known[i] {
			continue
		}
		switch {
		case a < 0 || w > qa.weight[a]:
			a, b = i, a
		case b < 0 || w > qa.weight[b]:
			b = i
		}
	}
	m := best.infos[best.best].matched
	n, got := 0, 0.0
	for _, i := range []int{a, b} {
		if i >= 0 {
			n++
			got += m[i]
		}
	}
	if n > 0 {
		x[13] = got / float64(n)
	}
	var nw, nm float64
	for i, named := range qa.named {
		if named && qa.known[i] {
			nw += qa.weight[i]
			nm += qa.weight[i] * m[i]
		}
	}
	x[14] = 1
	if nw > 0 {
		x[14] = nm / nw
	}
	if qa.wantsType() && !best.typed {
		x[15] = 1
	}
	// The names of the question the best quote's article holds anywhere:
	// an article that lacks one ("Ireland" in "How many Twitter employees
	// in Ireland lost their jobs?") is about something else.
	x[22] = 1
	if nw > 0 {
		var na float64
		for i, named := range qa.named {
			if !named || !qa.known[i] {
				continue
			}
			held := 0.0
			for _, si := range best.infos {
				if i < len(si.matched) {
					held = math.Max(held, si.matched[i])
				}
			}
			na += qa.weight[i] * held
		}
		x[22] = na / nw
	}
	// What the question asks about its names: a sentence about the same
	// people and events that lacks these words ("won", "paid", "attendance")
	// is near the topic, not the answer.
	var pw, pm float64
	all := true
	for i, named := range qa.named {
		if named || !(qa.known[i] || qa.related[i]) {
			continue
		}
		pw += qa.weight[i]
		pm += qa.weight[i] * m[i]
		if m[i] == 0 {
			all = false
		}
	}
	x[16] = 1
	if pw > 0 {
		x[16] = pm / pw
	}
	if all {
		x[17] = 1
	}
	sp := best.quote
	body := ix.arts[best.art].Body
	if sp.End > len(body) || sp.Start > sp.End {
		return
	}
	quote := body[sp.Start:sp.End]
	if moneyQuestion.MatchString(qa.question) && !money.MatchString(quote) {
		x[18] = 1
	}
	// The question's rarest word that is not a name: what distinguishes it
	// from the other questions about the same people ("Who piloted the
	// flights DeSantis sent?").
	x[20] = 1
	if k := qa.keyWord(); k >= 0 {
		x[20] = m[k]
	}
	if len(r.terms.years) > 0 {
		x[21] = 1
		pub := ix.arts[best.art].Published
		for _, y := range r.terms.years {
			if (!pub.IsZero() && pub.Year() == y) || slices.Contains(yearIn.FindAllString(quote, -1), strconv.Itoa(y)) {
				x[21] = 0
			}
		}
		other := false
		for _, y := range yearIn.FindAllString(quote, -1) {
			if !slices.Contains(r.terms.years, atoi(y)) {
				other = true
			} else {
				other = false
				break
			}
		}
		if other {
			x[19] = 1
		}
	}
}

// countedStems are the stems of what a "how many" question counts (at most
// two words after "how many", up to the next stop word: "rail cars" in "How
// many rail cars were damaged?"), or nil.
func countedStems(question string) []string {
	var out []string
	state := 0 // 0: before "how", 1: after "how", 2: after "how many", 3: done
	text.EachToken(question, func(t text.Token) {
		switch state {
		case 0:
			if t.Word == "how" {
				state = 1
			}
		case 1:
			if t.Word == "many" {
				state = 2
			} else {
				state = 0
			}
		case 2:
			if text.IsStopWord(t.Word) {
				if len(out) > 0 {
					state = 3
				}
				return
			}
			out = append(out, text.Stem(t.Word))
			if len(out) == 2 {
				state = 3
			}
		}
	})
	return out
}

// countGiven reports whether s gives a count of what counted names: a
// number (figures or a number word) at most three words before one of its
// words ("653 drones", "at least five people", "17 locations").
func countGiven(s string, counted []string) bool {
	lastNum := -1 << 30
	pos := 0
	given := false
	text.EachToken(s, func(t text.Token) {
		pos++
		if given {
			return
		}
		if pos-lastNum <= 3 {
			st := text.Stem(t.Word)
			// "fires" counts "wildfires", "minutes" counts minutes.
			if slices.ContainsFunc(counted, func(c string) bool { return c == st || (len(st) >= 4 && strings.HasSuffix(c, st[:len(st)-1])) }) {
				given = true
				return
			}
		}
		if r, _ := utf8.DecodeRuneInString(t.Word); unicode.IsDigit(r) || numberWords[t.Word] {
			lastNum = pos
		}
	})
	return given
}

// keyWord is the index of the question's rarest known term that is not a
// name or figure, or -1.
func (qa *questionAnalysis) keyWord() int {
	k := -1
	for i, w := range qa.weight {
		if qa.named[i] || !qa.known[i] {
			continue
		}
		if k < 0 || w > qa.weight[k] {
			k = i
		}
	}
	return k
}

// atoi is the value of a string of digits.
func atoi(s string) int {
	n := 0
	for _, c := range s {
		n = 10*n + int(c-'0')
	}
	return n
}

// confidence is the fitted chance that the quotes answer (.5 when no
// refusal weights are set).
func (p *Params) confidence(x *[numRefusalFeatures]float64) float64 {
	var z float64
	for i, v := range x {
		z += p.rw[i] * v
	}
	return 1 / (1 + math.Exp(-z))
}
