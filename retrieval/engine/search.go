package engine

import (
	"context"
	"math"
	"sort"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/briefbot/briefbot/retrieval"
	"github.com/briefbot/briefbot/retrieval/lexical"
	"github.com/briefbot/briefbot/retrieval/text"
)

// Tuning of the search, measured on the RealTime QA dev split (see
// BENCHMARKS.md). Kept together so that a change is one diff.
var tuning = struct {
	lexicalK         int     // BM25 chunk candidates
	vectorK          int     // vector chunk candidates
	vectorWeight     float64 // weight of cosine similarity against normalised BM25
	secondChunk      float64 // weight of an article's second-best chunk
	recencyBoost     float64 // boost of an article published on the day asked
	recencyDays      float64 // decay of that boost, in days
	quoteDocs        int     // articles whose sentences compete for quotes
	corroborDocs     int     // articles searched for near-identical sentences
	docWeight        float64 // weight of the article score in a sentence's score
	contextWeight    float64 // weight of the neighbours' coverage
	typeBonus        float64 // bonus for a sentence with the answer type asked for
	minEvidence      float64 // coverage of the question a quote needs to count as an answer
	relativeEvidence float64 // coverage a later quote needs, relative to the first
	maxWords         int     // words in a quote
	dupJaccard       float64 // term-set similarity of near-identical sentences
}{
	lexicalK:         400,
	vectorK:          100,
	vectorWeight:     0.3,
	secondChunk:      0.1,
	recencyBoost:     0.3,
	recencyDays:      10,
	quoteDocs:        12,
	corroborDocs:     30,
	docWeight:        0.35,
	contextWeight:    0.15,
	typeBonus:        0.1,
	minEvidence:      0.5,
	relativeEvidence: 0.6,
	maxWords:         60,
	dupJaccard:       0.6,
}

// Search answers q: ranked articles and, when the corpus supports an
// answer, 1 to MaxQuotes verbatim quotes from distinct articles.
func (e *Engine) Search(ctx context.Context, q retrieval.Query) (retrieval.Result, error) {
	ix := e.state()
	if q.MaxQuotes <= 0 {
		q.MaxQuotes = 3
	}
	if q.MaxDocs <= 0 {
		q.MaxDocs = 20
	}
	ref := q.AsOf
	if ref.IsZero() {
		ref = e.now()
	}
	visible := func(art int32) bool { return true }
	if !q.AsOf.IsZero() {
		limit := q.AsOf.Add(24 * time.Hour)
		visible = func(art int32) bool {
			p := ix.arts[art].Published
			return p.IsZero() || !p.After(limit)
		}
	}
	res := retrieval.Result{Searched: ix.coverage(visible), Quotes: []retrieval.Quote{}}
	qterms := text.Terms(q.Text)
	if len(qterms) == 0 || len(ix.arts) == 0 {
		return res, nil
	}
	expanded := ix.lex.Expand(qterms)

	// Candidates: BM25 and vector similarity over chunks.
	keep := func(doc int32) bool { return visible(ix.chunkArt[doc]) }
	lex := ix.lex.Search(expanded, tuning.lexicalK, keep)
	fused := map[int32]float64{}
	if len(lex) > 0 {
		top := lex[0].Score
		for _, h := range lex {
			fused[h.Doc] += h.Score / top
		}
	}
	vec, err := e.emb.Embed(ctx, q.Text)
	if err != nil {
		return res, err
	}
	vhits, err := e.Store().QueryVector(ctx, vec, tuning.vectorK)
	if err != nil {
		return res, err
	}
	for _, h := range vhits {
		a, ok := ix.artIdx[h.ArticleID]
		if !ok || !visible(a) || h.Similarity <= 0 {
			continue
		}
		fused[ix.chunkBase[a]+int32(h.Ordinal)] += tuning.vectorWeight * float64(h.Similarity)
	}

	// Articles: best chunk plus a little of the second, and recency.
	type docAgg struct{ best, second float64 }
	aggs := map[int32]*docAgg{}
	for c, s := range fused {
		a := ix.chunkArt[c]
		ag := aggs[a]
		if ag == nil {
			ag = &docAgg{}
			aggs[a] = ag
		}
		if s > ag.best {
			ag.second, ag.best = ag.best, s
		} else if s > ag.second {
			ag.second = s
		}
	}
	ranked := make([]retrieval.RankedDoc, 0, len(aggs))
	scoreOf := map[int32]float64{}
	for a, ag := range aggs {
		s := ag.best + tuning.secondChunk*ag.second
		if p := ix.arts[a].Published; !p.IsZero() {
			age := ref.Sub(p).Hours() / 24
			s *= 1 + tuning.recencyBoost*math.Exp(-math.Max(age, 0)/tuning.recencyDays)
		}
		scoreOf[a] = s
		ranked = append(ranked, retrieval.RankedDoc{ID: ix.arts[a].ID, Score: s})
	}
	sort.Slice(ranked, func(i, j int) bool {
		if ranked[i].Score != ranked[j].Score {
			return ranked[i].Score > ranked[j].Score
		}
		return ranked[i].ID < ranked[j].ID
	})
	if len(ranked) > tuning.corroborDocs && len(ranked) > q.MaxDocs {
		ranked = ranked[:max(tuning.corroborDocs, q.MaxDocs)]
	}
	docs := ranked
	if len(docs) > q.MaxDocs {
		docs = docs[:q.MaxDocs]
	}
	res.Docs = append([]retrieval.RankedDoc(nil), docs...)
	if len(ranked) == 0 {
		return res, nil
	}

	qa := newQuestionAnalysis(q.Text, qterms, expanded, ix.lex)
	quotes := e.selectQuotes(ix, qa, ranked, scoreOf, q.MaxQuotes)
	if len(quotes) > 0 && quotes[0].Score >= 0 {
		res.Found = true
		res.Quotes = quotes
	}
	return res, nil
}

// questionAnalysis holds what quote selection needs to know of a question.
type questionAnalysis struct {
	// weight of each question term (its idf), and the variants that match it.
	weight  map[string]float64
	total   float64
	variant map[string]struct {
		of string
		w  float64
	}
	wantNumber, wantDate, wantName bool
	questionWords                  map[string]bool
}

func newQuestionAnalysis(question string, qterms []string, expanded []lexical.QueryTerm, lex *lexical.Index) *questionAnalysis {
	qa := &questionAnalysis{weight: map[string]float64{}, questionWords: map[string]bool{}}
	qa.variant = map[string]struct {
		of string
		w  float64
	}{}
	for _, t := range qterms {
		if _, ok := qa.weight[t]; ok {
			continue
		}
		w := lex.IDF(t)
		qa.weight[t] = w
		qa.total += w
	}
	for _, et := range expanded {
		qa.variant[et.Term] = struct {
			of string
			w  float64
		}{et.Of, et.Weight}
	}
	lower := strings.ToLower(question)
	for _, w := range text.Words(question) {
		qa.questionWords[w] = true
	}
	switch {
	case strings.Contains(lower, "how many"), strings.Contains(lower, "how much"), strings.Contains(lower, "what percentage"),
		strings.Contains(lower, "how old"), strings.Contains(lower, "what number"), strings.Contains(lower, "how long"):
		qa.wantNumber = true
	case strings.HasPrefix(lower, "when") || strings.Contains(lower, "what year") || strings.Contains(lower, "what date") || strings.Contains(lower, "which year"):
		qa.wantDate = true
	case strings.HasPrefix(lower, "who") || strings.Contains(lower, " who ") || strings.HasPrefix(lower, "which") || strings.HasPrefix(lower, "what") || strings.HasPrefix(lower, "where"):
		qa.wantName = true
	}
	return qa
}

// sentenceInfo is a sentence's match against the question.
type sentenceInfo struct {
	span    retrieval.Span
	words   int
	cov     float64
	matched map[string]float64
	terms   map[string]bool
	typeOK  bool
	// question marks a sentence that asks rather than tells (quizzes,
	// rhetorical questions): it never answers.
	question bool
}

func (qa *questionAnalysis) analyse(s string) sentenceInfo {
	si := sentenceInfo{matched: map[string]float64{}, terms: map[string]bool{}}
	first := true
	text.EachToken(s, func(t text.Token) {
		si.words++
		isFirst := first
		first = false
		if !qa.questionWords[t.Word] {
			r, _ := utf8.DecodeRuneInString(s[t.Start:])
			switch {
			case qa.wantNumber && unicode.IsDigit(r):
				si.typeOK = true
			case qa.wantDate && (unicode.IsDigit(r) || isMonthOrDay(t.Word)):
				si.typeOK = true
			case qa.wantName && !isFirst && unicode.IsUpper(r):
				si.typeOK = true
			}
		}
		if text.IsStopWord(t.Word) {
			return
		}
		stem := text.Stem(t.Word)
		si.terms[stem] = true
		if v, ok := qa.variant[stem]; ok && v.w > si.matched[v.of] {
			si.matched[v.of] = v.w
		}
	})
	si.cov = qa.coverage(si.matched)
	if t := strings.TrimRight(s, ` "'”’)`); strings.HasSuffix(t, "?") {
		si.question = true
	}
	return si
}

func (qa *questionAnalysis) coverage(matched map[string]float64) float64 {
	if qa.total == 0 {
		return 0
	}
	var s float64
	for t, w := range matched {
		s += qa.weight[t] * w
	}
	return s / qa.total
}

var monthsAndDays = map[string]bool{}

func init() {
	for _, w := range strings.Fields("january february march april may june july august september october november december jan feb mar apr jun jul aug sep sept oct nov dec monday tuesday wednesday thursday friday saturday sunday yesterday today tomorrow") {
		monthsAndDays[w] = true
	}
}

func isMonthOrDay(w string) bool { return monthsAndDays[w] }

type candidate struct {
	art    int32
	sents  []sentenceInfo
	best   int
	score  float64
	quote  retrieval.Span
	qwords int
	cov    float64
}

// selectQuotes picks the best sentence (with one neighbour when it fits) of
// each top article, ranks them, keeps up to max from distinct articles, and
// folds near-identical sentences of other articles in as corroboration.
func (e *Engine) selectQuotes(ix *index, qa *questionAnalysis, ranked []retrieval.RankedDoc, scoreOf map[int32]float64, maxQuotes int) []retrieval.Quote {
	topScore := ranked[0].Score
	var cands []*candidate
	analysed := map[int32]*candidate{}
	for rank, d := range ranked {
		a := ix.artIdx[d.ID]
		art := ix.arts[a]
		c := &candidate{art: a, best: -1}
		c.sents = make([]sentenceInfo, len(art.Sentences))
		for i, sp := range art.Sentences {
			c.sents[i] = qa.analyse(art.Body[sp.Start:sp.End])
			c.sents[i].span = sp
		}
		analysed[a] = c
		if rank >= tuning.quoteDocs {
			continue
		}
		docNorm := scoreOf[a] / topScore
		for i, si := range c.sents {
			if si.words < 3 || si.cov == 0 || si.question {
				continue
			}
			ctx := 0.0
			if i > 0 {
				ctx = c.sents[i-1].cov
			}
			if i+1 < len(c.sents) {
				ctx = math.Max(ctx, c.sents[i+1].cov)
			}
			s := si.cov + tuning.docWeight*docNorm + tuning.contextWeight*ctx
			if si.typeOK {
				s += tuning.typeBonus
			}
			if c.best < 0 || s > c.score {
				c.best, c.score = i, s
			}
		}
		if c.best >= 0 {
			e.extend(art.Body, c)
			cands = append(cands, c)
		}
	}
	sort.SliceStable(cands, func(i, j int) bool { return cands[i].score > cands[j].score })
	if len(cands) == 0 || cands[0].cov < tuning.minEvidence {
		return nil
	}
	var quotes []quoteWithTerms
	used := map[int32]bool{}
	floor := math.Max(tuning.minEvidence, tuning.relativeEvidence*cands[0].cov)
	for _, c := range cands {
		if len(quotes) == maxQuotes {
			break
		}
		if used[c.art] || c.cov < floor {
			continue
		}
		// A near-identical sentence of an article already quoted is corroboration.
		folded := false
		for qi := range quotes {
			if nearDuplicate(c.sents[c.best].terms, quotes[qi].terms) {
				quotes[qi].AlsoIn = append(quotes[qi].AlsoIn, ix.arts[c.art].ArticleMeta)
				used[c.art] = true
				folded = true
				break
			}
		}
		if folded {
			continue
		}
		art := ix.arts[c.art]
		used[c.art] = true
		q := quoteWithTerms{Quote: retrieval.Quote{
			Text:    normalizeSpace(art.Body[c.quote.Start:c.quote.End]),
			Article: art.ArticleMeta,
			Span:    c.quote,
			Score:   c.score,
		}, terms: c.sents[c.best].terms}
		quotes = append(quotes, q)
	}
	// Corroboration from the other retrieved articles.
	for qi := range quotes {
		for _, d := range ranked {
			a := ix.artIdx[d.ID]
			if used[a] {
				continue
			}
			for _, si := range analysed[a].sents {
				if nearDuplicate(si.terms, quotes[qi].terms) {
					quotes[qi].AlsoIn = append(quotes[qi].AlsoIn, ix.arts[a].ArticleMeta)
					used[a] = true
					break
				}
			}
		}
	}
	out := make([]retrieval.Quote, len(quotes))
	for i, q := range quotes {
		out[i] = q.Quote
	}
	return out
}

type quoteWithTerms struct {
	retrieval.Quote
	terms map[string]bool
}

// extend sets the candidate's quote: its best sentence, plus the neighbour
// that matches the question better (the next one on a tie) when both fit in
// the word limit. A lone sentence over the limit is cut to the window of
// maxWords words that covers most of the question.
func (e *Engine) extend(body string, c *candidate) {
	b := c.sents[c.best]
	c.quote, c.qwords, c.cov = b.span, b.words, b.cov
	if wc := text.WordCount(body[b.span.Start:b.span.End]); wc > tuning.maxWords {
		c.quote = window(body, b.span, tuning.maxWords)
		return
	}
	pick := -1
	if c.best+1 < len(c.sents) {
		pick = c.best + 1
	}
	if c.best > 0 && (pick < 0 || c.sents[c.best-1].cov > c.sents[pick].cov) {
		pick = c.best - 1
	}
	if pick < 0 {
		return
	}
	n := c.sents[pick]
	lo, hi := b.span, n.span
	if pick < c.best {
		lo, hi = n.span, b.span
	}
	if text.WordCount(body[lo.Start:lo.End])+text.WordCount(body[hi.Start:hi.End]) > tuning.maxWords {
		return
	}
	c.quote = retrieval.Span{Start: lo.Start, End: hi.End}
}

// window cuts a long sentence to its first maxWords words: a verbatim span.
func window(body string, sp retrieval.Span, maxWords int) retrieval.Span {
	s := body[sp.Start:sp.End]
	words := 0
	inWord := false
	for i, r := range s {
		if unicode.IsSpace(r) {
			if inWord {
				words++
				if words == maxWords {
					return retrieval.Span{Start: sp.Start, End: sp.Start + i}
				}
			}
			inWord = false
			continue
		}
		inWord = true
	}
	return sp
}

func nearDuplicate(a, b map[string]bool) bool {
	if len(a) < 5 || len(b) < 5 {
		return false
	}
	inter := 0
	for t := range a {
		if b[t] {
			inter++
		}
	}
	union := len(a) + len(b) - inter
	return float64(inter)/float64(union) >= tuning.dupJaccard
}

func normalizeSpace(s string) string { return strings.Join(strings.Fields(s), " ") }
