package engine

import (
	"context"
	"math"
	"regexp"
	"sort"
	"strings"
	"time"
	"unicode"

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
	contextWeight    float64 // weight of the neighbours' coverage (negative: a sentence among others that restate the question rarely adds the answer)
	typeBonus        float64 // bonus for a sentence with the answer type asked for
	minEvidence      float64 // coverage of the question a quote needs to count as an answer
	relativeEvidence float64 // coverage a later quote needs, relative to the first
	maxUnknown       float64 // share of question words unknown to the corpus beyond which it abstains
	idfPower         float64 // question term weight = idf^idfPower
	leadBonus        float64 // bonus for an article's first two sentences
	noveltyWeight    float64 // weight of the rare words a sentence adds to the question's
	noveltyNorm      float64 // summed idf of novel words that counts as full novelty
	focusWeight      float64 // weight of the asking sentence's words in a multi-sentence question
	maxWords         int     // words in a quote
	dupJaccard       float64 // term-set similarity of near-identical sentences
	minFill          int     // words left under maxWords worth filling from the next sentence
}{
	lexicalK:         400,
	vectorK:          100,
	vectorWeight:     0.3,
	secondChunk:      0.1,
	recencyBoost:     1,
	recencyDays:      10,
	quoteDocs:        12,
	corroborDocs:     30,
	docWeight:        0.3,
	contextWeight:    -0.2,
	typeBonus:        0.15,
	minEvidence:      0.2,
	relativeEvidence: 0.6,
	maxUnknown:       0.25,
	idfPower:         1,
	leadBonus:        0.1,
	noveltyWeight:    0.35,
	noveltyNorm:      30,
	focusWeight:      3,
	maxWords:         60,
	dupJaccard:       0.6,
	minFill:          8,
}

// Search answers q: ranked articles and, when the corpus supports an
// answer, 1 to MaxQuotes verbatim quotes from distinct articles.
//
// Answers are cached per index (a new index after an ingest or a delete
// starts an empty cache), keyed by the question, its limits and its as-of
// time; a question without one is answered as of now, and its cached answer
// is reused within the same clock minute (see answerCache).
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
	key := answerKey{text: q.Text, asOf: q.AsOf, minute: ref.Unix() / 60, quotes: q.MaxQuotes, docs: q.MaxDocs}
	if !q.AsOf.IsZero() {
		key.minute = 0
	}
	if res, ok := ix.answers.get(key); ok {
		return res, nil
	}
	res, err := e.search(ctx, ix, q, ref)
	if err == nil {
		ix.answers.put(key, res)
	}
	return res, err
}

func (e *Engine) search(ctx context.Context, ix *index, q retrieval.Query, ref time.Time) (retrieval.Result, error) {
	visible := func(art int32) bool { return true }
	if !q.AsOf.IsZero() {
		limit := q.AsOf.Add(24 * time.Hour)
		visible = func(art int32) bool {
			p := ix.arts[art].Published
			return p.IsZero() || !p.After(limit)
		}
	}
	res := retrieval.Result{Searched: ix.coverage(visible), Quotes: []retrieval.Quote{}}
	qterms := text.Terms(howWords.ReplaceAllString(q.Text, "how"))
	if len(qterms) == 0 || len(ix.arts) == 0 {
		return res, nil
	}
	expanded := ix.lex.Expand(qterms)
	focus := focusTerms(q.Text)

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
	// The scan chromem-go's QueryEmbedding would do, on the same vectors,
	// in chunk doc order (no id lookups); see nearest.
	for _, h := range ix.nearest(vec, tuning.vectorK) {
		a := ix.chunkArt[h.doc]
		if !visible(a) || h.sim <= 0 {
			continue
		}
		fused[h.doc] += tuning.vectorWeight * float64(h.sim)
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

	qa := newQuestionAnalysis(q.Text, qterms, focus, expanded, ix.lex)
	quotes, evidence := e.selectQuotes(ix, qa, ranked, scoreOf, q.MaxQuotes)
	res.Evidence = evidence
	// Abstain when too much of the question is about things the corpus
	// never mentions, or when the best quote covers too little of the rest.
	if len(quotes) > 0 && evidence >= tuning.minEvidence && qa.unknownFrac() <= tuning.maxUnknown {
		res.Found = true
		res.Quotes = quotes
	}
	return res, nil
}

// howWords are the words that make "how" a question of quantity: "long" in
// "how long" asks for a duration, it is not what the question is about.
var howWords = regexp.MustCompile(`(?i)\bhow\s+(long|many|much|old|far|often|big|large|soon)\b`)

// questionAnalysis holds what quote selection needs to know of a question.
type questionAnalysis struct {
	// weight of each question term (its idf), indexed like terms.
	terms  []string
	weight []float64
	// known marks question terms the corpus has (directly or as a close spelling).
	known []bool
	total float64
	// variant maps a term id of the index to the question term it matches
	// and how well (1 for the term itself, less for a fuzzy spelling).
	variant map[int32]match
	// asked holds the ids of the question's terms (answers are other words).
	asked                          map[int32]bool
	wantNumber, wantDate, wantName bool
}

type match struct {
	of int
	w  float64
}

// focusTerms returns the terms of the asking sentence of a question with
// several sentences, or nil. A quiz-style question often sets the scene
// first ("Microsoft retired Internet Explorer this week.") and asks last
// ("What year did it debut?"): the asking sentence's words say which
// sentence answers.
func focusTerms(question string) map[string]bool {
	sp := text.Sentences(question)
	if len(sp) < 2 {
		return nil
	}
	last := sp[len(sp)-1]
	focus := map[string]bool{}
	for _, t := range text.Terms(howWords.ReplaceAllString(question[last.Start:last.End], "how")) {
		focus[t] = true
	}
	return focus
}

func newQuestionAnalysis(question string, qterms []string, focus map[string]bool, expanded []lexical.QueryTerm, lex *lexical.Index) *questionAnalysis {
	qa := &questionAnalysis{variant: map[int32]match{}, asked: map[int32]bool{}}
	pos := map[string]int{}
	for _, t := range qterms {
		if _, ok := pos[t]; ok {
			continue
		}
		pos[t] = len(qa.terms)
		w := math.Pow(lex.IDF(t), tuning.idfPower)
		if focus[t] {
			w *= tuning.focusWeight
		}
		qa.terms = append(qa.terms, t)
		qa.weight = append(qa.weight, w)
		qa.known = append(qa.known, false)
	}
	for _, et := range expanded {
		id, ok := lex.ID(et.Term)
		if !ok {
			continue
		}
		qa.variant[id] = match{of: pos[et.Of], w: et.Weight}
		qa.asked[id] = true
		qa.known[pos[et.Of]] = true
	}
	// Coverage is measured over the words the corpus knows: a question word
	// no briefing uses cannot be quoted, and unknownFrac accounts for it.
	for i, w := range qa.weight {
		if qa.known[i] {
			qa.total += w
		}
	}
	lower := strings.ToLower(question)
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
	cov     float64
	matched []float64 // per question term, the best match weight
	typeOK  bool
	novelty float64 // 0..1: rare words beyond the question's
}

func (qa *questionAnalysis) analyse(lex *lexical.Index, s *sentence, matched []float64) sentenceInfo {
	si := sentenceInfo{matched: matched}
	for i := range si.matched {
		si.matched[i] = 0
	}
	var nov float64
	for _, t := range s.toks {
		if m, ok := qa.variant[t.id]; ok {
			if m.w > si.matched[m.of] {
				si.matched[m.of] = m.w
			}
			continue
		}
		if tuning.noveltyWeight > 0 {
			nov += lex.IDFOf(t.id)
		}
		if t.flags != 0 && !si.typeOK {
			switch {
			case qa.wantNumber && t.flags&flagDigit != 0:
				si.typeOK = true
			case qa.wantDate && t.flags&(flagDigit|flagMonth) != 0:
				si.typeOK = true
			case qa.wantName && t.flags&flagCap != 0:
				si.typeOK = true
			}
		}
	}
	si.cov = qa.coverage(si.matched)
	if tuning.noveltyWeight > 0 {
		si.novelty = math.Min(1, nov/tuning.noveltyNorm)
	}
	return si
}

// unknownFrac is the share of the question's terms no article uses.
func (qa *questionAnalysis) unknownFrac() float64 {
	if len(qa.terms) == 0 {
		return 1
	}
	n := 0
	for _, k := range qa.known {
		if !k {
			n++
		}
	}
	return float64(n) / float64(len(qa.terms))
}

func (qa *questionAnalysis) coverage(matched []float64) float64 {
	if qa.total == 0 {
		return 0
	}
	var s float64
	for i, w := range matched {
		s += qa.weight[i] * w
	}
	return s / qa.total
}

var monthsAndDays = map[string]bool{}

func init() {
	for _, w := range strings.Fields("january february march april may june july august september october november december jan feb mar apr jun jul aug sep sept oct nov dec monday tuesday wednesday thursday friday saturday sunday yesterday today tomorrow") {
		monthsAndDays[w] = true
	}
}

type candidate struct {
	art   int32
	infos []sentenceInfo
	best  int
	score float64
	quote retrieval.Span
	cut   bool // the quote ends inside a sentence
	cov   float64
}

// selectQuotes picks the best sentence (with one neighbour when it fits) of
// each top article, ranks them, keeps up to max from distinct articles, and
// folds near-identical sentences of other articles in as corroboration.
func (e *Engine) selectQuotes(ix *index, qa *questionAnalysis, ranked []retrieval.RankedDoc, scoreOf map[int32]float64, maxQuotes int) ([]retrieval.Quote, float64) {
	topScore := ranked[0].Score
	var cands []*candidate
	nq := len(qa.terms)
	var all []*candidate
	for rank, d := range ranked {
		if rank >= tuning.quoteDocs {
			break
		}
		a := ix.artIdx[d.ID]
		sents := ix.sents[a]
		c := &candidate{art: a, best: -1, infos: make([]sentenceInfo, len(sents))}
		backing := make([]float64, nq*len(sents))
		for i := range sents {
			c.infos[i] = qa.analyse(ix.lex, &sents[i], backing[i*nq:(i+1)*nq])
		}
		all = append(all, c)
	}
	for _, c := range all {
		a := c.art
		sents := ix.sents[a]
		docNorm := scoreOf[a] / topScore
		for i, si := range c.infos {
			if sents[i].words < 3 || si.cov == 0 || sents[i].question {
				continue
			}
			ctx := 0.0
			if i > 0 {
				ctx = c.infos[i-1].cov
			}
			if i+1 < len(c.infos) {
				ctx = math.Max(ctx, c.infos[i+1].cov)
			}
			s := si.cov + tuning.docWeight*docNorm + tuning.contextWeight*ctx
			if i < 2 {
				s += tuning.leadBonus
			}
			s += tuning.noveltyWeight * si.novelty
			if si.typeOK {
				s += tuning.typeBonus
			}
			if c.best < 0 || s > c.score {
				c.best, c.score = i, s
			}
		}
		if c.best >= 0 {
			e.extend(ix, c)
			cands = append(cands, c)
		}
	}
	sort.SliceStable(cands, func(i, j int) bool { return cands[i].score > cands[j].score })
	if len(cands) == 0 {
		return nil, 0
	}
	type chosen struct {
		quote retrieval.Quote
		terms *termSet
	}
	var quotes []chosen
	used := map[int32]bool{}
	floor := tuning.relativeEvidence * cands[0].cov
	for _, c := range cands {
		if len(quotes) == maxQuotes {
			break
		}
		if used[c.art] || c.cov < floor {
			continue
		}
		// A near-identical sentence of an article already quoted is corroboration.
		folded := false
		best := &ix.sents[c.art][c.best]
		for qi := range quotes {
			if nearDuplicate(best, quotes[qi].terms) {
				quotes[qi].quote.AlsoIn = append(quotes[qi].quote.AlsoIn, ix.arts[c.art].ArticleMeta)
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
		quotes = append(quotes, chosen{quote: retrieval.Quote{
			Text:      normalizeSpace(art.Body[c.quote.Start:c.quote.End]),
			Article:   art.ArticleMeta,
			Span:      c.quote,
			Truncated: c.cut,
			Score:     c.score,
		}, terms: newTermSet(best)})
	}
	// Corroboration from the other retrieved articles.
	for qi := range quotes {
		for _, d := range ranked {
			a := ix.artIdx[d.ID]
			if used[a] {
				continue
			}
			for si := range ix.sents[a] {
				if nearDuplicate(&ix.sents[a][si], quotes[qi].terms) {
					quotes[qi].quote.AlsoIn = append(quotes[qi].quote.AlsoIn, ix.arts[a].ArticleMeta)
					used[a] = true
					break
				}
			}
		}
	}
	out := make([]retrieval.Quote, len(quotes))
	for i, q := range quotes {
		out[i] = q.quote
	}
	return out, cands[0].cov
}

// extend sets the candidate's quote: its best sentence, plus the neighbour
// that matches the question better (the next one on a tie) when both fit in
// the word limit, else as much of the next sentence as fits. A lone
// sentence over the limit is cut to its first maxWords words.
func (e *Engine) extend(ix *index, c *candidate) {
	art := ix.arts[c.art]
	sents := ix.sents[c.art]
	b := art.Sentences[c.best]
	c.quote, c.cov = b, c.infos[c.best].cov
	if int(sents[c.best].words) > tuning.maxWords {
		c.quote = window(art.Body, b, tuning.maxWords)
		c.cut = c.quote.End < b.End
		return
	}
	pick := -1
	if c.best+1 < len(sents) {
		pick = c.best + 1
	}
	if c.best > 0 && (pick < 0 || c.infos[c.best-1].cov > c.infos[pick].cov) {
		pick = c.best - 1
	}
	// A subhead is not the rest of a quote.
	if pick < 0 || sents[pick].heading || int(sents[c.best].words+sents[pick].words) > tuning.maxWords {
		// When no whole neighbour fits, the words left go to the start of
		// the next sentence: what follows a sentence that matches the
		// question is where its answer most often is.
		next := c.best + 1
		if rest := tuning.maxWords - int(sents[c.best].words); rest >= tuning.minFill && next < len(sents) && !sents[next].heading && !sents[next].question {
			w := window(art.Body, art.Sentences[next], rest)
			c.quote = retrieval.Span{Start: b.Start, End: w.End}
			c.cut = w.End < art.Sentences[next].End
		}
		return
	}
	lo, hi := b, art.Sentences[pick]
	if pick < c.best {
		lo, hi = hi, lo
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

// termSet is the set of a sentence's term ids, with a 256-bit filter in
// front of the map: most terms of most sentences compared against it are
// not in it, and the filter says so without hashing.
type termSet struct {
	ids    map[int32]bool
	filter [4]uint64
}

func newTermSet(s *sentence) *termSet {
	b := &termSet{ids: make(map[int32]bool, len(s.toks))}
	for _, t := range s.toks {
		b.ids[t.id] = true
		h := uint32(t.id) & 255
		b.filter[h>>6] |= 1 << (h & 63)
	}
	return b
}

func (b *termSet) has(id int32) bool {
	h := uint32(id) & 255
	return b.filter[h>>6]&(1<<(h&63)) != 0 && b.ids[id]
}

// nearDuplicate reports whether sentence s says nearly the same as the
// sentence whose term set is b (Jaccard similarity of term sets).
func nearDuplicate(s *sentence, b *termSet) bool {
	if len(s.toks) < 5 || len(b.ids) < 5 {
		return false
	}
	// The union holds at least b, so the similarity is at most the shared
	// tokens (counted with repeats) over |b|: most sentences stop here.
	shared := 0
	for _, t := range s.toks {
		if b.has(t.id) {
			shared++
		}
	}
	if float64(shared) < tuning.dupJaccard*float64(len(b.ids)) {
		return false
	}
	a := make(map[int32]bool, len(s.toks))
	inter := 0
	for _, t := range s.toks {
		if a[t.id] {
			continue
		}
		a[t.id] = true
		if b.ids[t.id] {
			inter++
		}
	}
	union := len(a) + len(b.ids) - inter
	return float64(inter)/float64(union) >= tuning.dupJaccard
}

func normalizeSpace(s string) string { return strings.Join(strings.Fields(s), " ") }
