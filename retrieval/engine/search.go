package engine

import (
	"context"
	"iter"
	"math"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"
	"unicode"

	"github.com/briefbot/briefbot/retrieval"
	"github.com/briefbot/briefbot/retrieval/lexical"
	"github.com/briefbot/briefbot/retrieval/text"
)

// Search answers q: ranked articles and, when the corpus supports an
// answer, 1 to MaxQuotes verbatim quotes, from distinct articles unless
// Params.ArticleQuotes lets an article give two.
//
// Answers are cached per index (a new index after an ingest or a delete
// starts an empty cache), keyed by the question, its limits and its as-of
// time; a question without one is answered as of now, and its cached answer
// is reused within the same clock minute (see answerCache).
func (e *Engine) Search(ctx context.Context, q retrieval.Query) (retrieval.Result, error) {
	ix, q, ref := e.begin(q)
	key := answerKey{text: q.Text, within: strings.Join(q.Within, "\x00") + "\x01" + strings.Join(q.Collections, "\x00"), asOf: q.AsOf, minute: ref.Unix() / 60, quotes: q.MaxQuotes, docs: q.MaxDocs}
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

// retrieved is what the first stage finds for a question: the ranked
// articles (up to CorroborDocs) and each article's score.
type retrieved struct {
	ranked  []retrieval.RankedDoc
	scoreOf map[int32]float64
	qa      *questionAnalysis
	visible func(int32) bool
	terms   questionTerms
	// ref is the time the question is asked at (its as-of date, else now).
	ref time.Time
	// bm25 is the best chunk's BM25 score over the question's idf mass;
	// vector its best cosine similarity: how well anything matches at all.
	bm25, vector float64
}

// retrieve ranks articles for q (BM25 and vector candidates over chunks,
// fused, aggregated per article, with a recency prior) and analyses the
// question. ok is false when the question has no terms or the index is empty.
func (e *Engine) retrieve(ctx context.Context, ix *index, q retrieval.Query, ref time.Time) (*retrieved, retrieval.Coverage, bool, error) {
	return e.retrieveHiding(ctx, ix, q, ref, nil)
}

// retrieveHiding is retrieve over the archive without the articles hide
// reports, by id and body (nil hides none): for fitting, a question asked of an archive
// that lacks the articles that answer it.
func (e *Engine) retrieveHiding(ctx context.Context, ix *index, q retrieval.Query, ref time.Time, hide func(id, body string) bool) (*retrieved, retrieval.Coverage, bool, error) {
	p := e.params
	visible := func(art int32) bool { return true }
	if !q.AsOf.IsZero() {
		limit := q.AsOf.Add(24 * time.Hour)
		visible = func(art int32) bool {
			pub := ix.arts[art].Published
			return pub.IsZero() || !pub.After(limit)
		}
	}
	if len(q.Within) > 0 {
		within := make(map[string]bool, len(q.Within))
		for _, id := range q.Within {
			within[id] = true
		}
		dated := visible
		visible = func(art int32) bool { return within[ix.arts[art].ID] && dated(art) }
	}
	if len(q.Collections) > 0 {
		in := make(map[string]bool, len(q.Collections))
		for _, c := range q.Collections {
			in[c] = true
		}
		before := visible
		visible = func(art int32) bool { return in[ix.arts[art].Collection] && before(art) }
	}
	if hide != nil {
		hidden := map[int32]bool{}
		shown := visible
		visible = func(art int32) bool {
			h, ok := hidden[art]
			if !ok {
				h = hide(ix.arts[art].ID, ix.arts[art].Body)
				hidden[art] = h
			}
			return !h && shown(art)
		}
	}
	all := q.AsOf.IsZero() && len(q.Within) == 0 && len(q.Collections) == 0 && hide == nil
	var cov retrieval.Coverage
	if all {
		cov = ix.coverageAll()
	} else {
		cov = ix.coverage(visible)
	}
	if len(q.Collections) > 0 {
		cov.Collections = append([]string(nil), q.Collections...)
	}
	if len(ix.arts) == 0 {
		return nil, cov, false, nil
	}
	qt, expanded, search := ix.questionSearch(q.Text, p)
	qterms := qt.terms
	if len(qterms) == 0 {
		return nil, cov, false, nil
	}
	focus := focusTerms(q.Text)

	// Candidates: BM25 and vector similarity over chunks.
	keep := func(doc int32) bool { return visible(ix.chunkArt[doc]) }
	if all {
		keep = nil // every chunk: no call per BM25 hit
	}
	lex, also := ix.lexicalHits(search, p.LexicalK, keep)
	fused := map[int32]float64{}
	var bm25, vecTop float64
	if len(lex) > 0 {
		top := lex[0].Score
		var idfs float64
		for _, t := range qterms {
			idfs += ix.lex.IDF(t)
		}
		if idfs > 0 {
			bm25 = top / idfs
		}
		for _, h := range lex {
			fused[h.Doc] += h.Score / top
		}
	}
	vec, err := e.emb.Embed(ctx, q.Text)
	if err != nil {
		return nil, cov, false, err
	}
	// The scan chromem-go's QueryEmbedding would do, on the same vectors,
	// in chunk doc order (no id lookups); see nearest. On a large corpus
	// an approximate one, which re-scores the BM25 hits in any case (see
	// prescan.go).
	for _, h := range ix.nearestAlso(vec, p.VectorK, also) {
		a := ix.chunkArt[h.doc]
		if !visible(a) || h.sim <= 0 {
			continue
		}
		vecTop = math.Max(vecTop, float64(h.sim))
		fused[h.doc] += p.VectorWeight * float64(h.sim)
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
	r := &retrieved{scoreOf: map[int32]float64{}, visible: visible, terms: qt, ref: ref, bm25: bm25, vector: vecTop}
	r.ranked = make([]retrieval.RankedDoc, 0, len(aggs))
	for a, ag := range aggs {
		s := ag.best + p.SecondChunk*ag.second
		if pub := ix.arts[a].Published; !pub.IsZero() {
			age := ref.Sub(pub).Hours() / 24
			s *= 1 + p.RecencyBoost*math.Exp(-math.Max(age, 0)/p.RecencyDays)
		}
		r.scoreOf[a] = s
		r.ranked = append(r.ranked, retrieval.RankedDoc{ID: ix.arts[a].ID, Score: s})
	}
	sort.Slice(r.ranked, func(i, j int) bool {
		if r.ranked[i].Score != r.ranked[j].Score {
			return r.ranked[i].Score > r.ranked[j].Score
		}
		return r.ranked[i].ID < r.ranked[j].ID
	})
	if len(r.ranked) > p.CorroborDocs && len(r.ranked) > q.MaxDocs {
		r.ranked = r.ranked[:max(p.CorroborDocs, q.MaxDocs)]
	}
	r.qa = newQuestionAnalysis(p, q.Text, qterms, focus, expanded, ix.lex)
	r.qa.named = make([]bool, len(r.qa.terms))
	for i, t := range r.qa.terms {
		r.qa.named[i] = qt.names[t]
	}
	return r, cov, true, nil
}

// questionSearch analyses a question's words: its terms, those expanded
// (close spellings, related words) and the ones BM25 searches. A word the
// briefings use is searched as itself: its related words only help choose
// the sentence (searching them too ranks articles worse: dev nDCG@10 .812
// -> .794).
func (ix *index) questionSearch(question string, p *Params) (qt questionTerms, expanded, search []lexical.QueryTerm) {
	qt = analyseTerms(question, ix.lex, p.Spelling != 0, p.Related != 0)
	if len(qt.terms) == 0 {
		return qt, nil, nil
	}
	expanded = ix.lex.Expand(qt.terms)
	seen := map[string]bool{}
	for _, et := range expanded {
		seen[et.Term] = true
	}
	for _, rt := range qt.related {
		if !seen[rt.Term] {
			seen[rt.Term] = true
			expanded = append(expanded, rt)
		}
	}
	search = expanded[:0:0]
	for _, et := range expanded {
		if et.Related && ix.lex.Known(et.Of) {
			continue
		}
		search = append(search, et)
	}
	return qt, expanded, search
}

// begin fills q's defaults and returns the index to answer from and the
// time the question is asked at (its as-of date, else now).
func (e *Engine) begin(q retrieval.Query) (*index, retrieval.Query, time.Time) {
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
	return e.state(), q, ref
}

func (e *Engine) search(ctx context.Context, ix *index, q retrieval.Query, ref time.Time) (retrieval.Result, error) {
	r, cov, ok, err := e.retrieve(ctx, ix, q, ref)
	res := retrieval.Result{Searched: cov, Quotes: []retrieval.Quote{}}
	if err != nil || !ok {
		return res, err
	}
	docs := r.ranked
	if len(docs) > q.MaxDocs {
		docs = docs[:q.MaxDocs]
	}
	res.Docs = append([]retrieval.RankedDoc(nil), docs...)
	if len(r.ranked) == 0 {
		return res, nil
	}
	p := e.params
	quotes, best, evidence, typed := e.selectQuotes(ix, r, q.MaxQuotes)
	evidence *= r.qa.knownShare()
	res.Evidence = evidence
	var conf float64
	if best != nil {
		var x [numRefusalFeatures]float64
		refusalFeatures(&x, ix, r, best, evidence, typed)
		conf = p.confidence(&x)
	}
	res.Confidence = conf
	// A name of several words no ranked article holds ("Port Kessington");
	// not for a follow-up searched within the articles it follows: its
	// text joins the question to words of the conversation ("When? Kyiv
	// respond Lavrov Putin's residence"), which are no name.
	phrase := ""
	if len(quotes) > 0 && len(r.terms.unknownNames) == 0 && p.NamePhrases != 0 && len(q.Within) == 0 {
		phrase = unknownPhrase(ix, r)
	}
	// Refuse when the question names what no briefing mentions, asks about
	// a year after the newest briefing, is covered too little by the best
	// quote (its words the briefings lack counted against it), or asks for
	// a number or a date no quote gives.
	switch {
	case len(quotes) == 0:
	case len(r.terms.unknownNames) > 0:
		res.Reason = "The briefings never mention " + strings.Join(r.terms.unknownNames, ", ") + "."
	case phrase != "":
		res.Reason = "The briefings never mention " + phrase + "."
	case cov.To.Year() > 1 && slices.Max(append([]int{0}, r.terms.years...)) > cov.To.Year():
		res.Reason = "The briefings end on " + cov.To.Format("2006-01-02") + "."
	case p.YearCheck != 0 && len(r.terms.years) > 0 && !quotesGiveYear(ix, quotes, r.terms.years):
		res.Reason = "No briefing gives that for " + strconv.Itoa(slices.Max(r.terms.years)) + "."
	case personalRequest(q.Text) && evidence < p.PersonalEvidence:
		res.Reason = "That reads like a request for help rather than a question about the briefings."
	case evidence < p.MinEvidence || best.score < p.MinScore || r.qa.unknownFrac() > p.MaxUnknown || conf < p.MinConfidence:
	case (r.qa.wantNumber || r.qa.wantDate) && !typed && p.TypeCheck != 0:
		if r.qa.wantNumber {
			res.Reason = "No briefing gives that number."
		} else {
			res.Reason = "No briefing gives that date."
		}
	case p.TypeCheck != 0 && p.CountCheck != 0 && r.qa.wantNumber && !quotesGiveCount(quotes, r.terms.withRelated(countedStems(q.Text))):
		res.Reason = "No briefing gives that number."
	case p.TypeCheck != 0 && moneyQuestion.MatchString(q.Text) && !slices.ContainsFunc(quotes, func(x retrieval.Quote) bool { return money.MatchString(x.Text) }):
		res.Reason = "No briefing gives that amount."
	default:
		res.Found = true
		res.Quotes = quotes
	}
	return res, nil
}

// quotesGiveCount reports whether a quote gives a count of what counted
// names (true when counted is empty: not a "how many" question).
func quotesGiveCount(quotes []retrieval.Quote, counted []string) bool {
	return len(counted) == 0 || slices.ContainsFunc(quotes, func(x retrieval.Quote) bool { return countGiven(x.Text, counted) })
}

// quotesGiveYear reports whether a quote names one of years or comes from
// an article dated in one.
func quotesGiveYear(ix *index, quotes []retrieval.Quote, years []int) bool {
	for _, x := range quotes {
		if a, ok := ix.artIdx[x.Article.ID]; ok {
			if pub := ix.arts[a].Published; !pub.IsZero() && slices.Contains(years, pub.Year()) {
				return true
			}
		}
		for _, y := range yearIn.FindAllString(x.Text, -1) {
			if slices.Contains(years, atoi(y)) {
				return true
			}
		}
	}
	return false
}

// unknownPhrase is the first of the question's names of several words
// that no article ranked for it holds, in its title or its body ("" when
// each is held somewhere). It reads the terms the index holds, so a
// question costs no tokenising of article bodies.
func unknownPhrase(ix *index, r *retrieved) string {
	if len(r.terms.phrases) == 0 {
		return ""
	}
	return r.terms.unknownPhrase(func(yield func(iter.Seq[string]) bool) {
		for _, d := range r.ranked {
			a, ok := ix.artIdx[d.ID]
			if !ok {
				continue
			}
			title := slices.Values(text.Terms(ix.arts[a].Title))
			body := func(yield func(string) bool) {
				for _, s := range ix.sents[a] {
					for _, tk := range s.toks {
						if !yield(ix.lex.Term(tk.id)) {
							return
						}
					}
				}
			}
			if !yield(title) || !yield(body) {
				return
			}
		}
	})
}

// howWords are the words that make "how" a question of quantity: "long" in
// "how long" asks for a duration, it is not what the question is about.
var howWords = regexp.MustCompile(`(?i)\bhow\s+(long|many|much|old|far|often|big|large|soon)\b`)

// questionAnalysis holds what quote selection needs to know of a question.
type questionAnalysis struct {
	// weight of each question term (its idf), indexed like terms.
	terms  []string
	weight []float64
	// focus marks the terms of the asking sentence (all false when the
	// question is one sentence).
	focus []bool
	// known marks question terms the corpus has (directly or as a close
	// spelling); related those it has only as a related word (a synonym).
	known, related []bool
	total          float64
	// focusTotal is the weight of the known focus terms.
	focusTotal float64
	// variant maps a term id of the index to the question term it matches
	// and how well (1 for the term itself, less for a fuzzy spelling).
	variant map[int32]match
	// asked holds the ids of the question's terms (answers are other words).
	asked map[int32]bool
	// named marks the terms the question writes capitalised or as a
	// number: the names, years and figures it is about.
	named                          []bool
	wantNumber, wantDate, wantName bool
	// kind is the fine answer type's members (answertype.go), nil when
	// the question names no kind the lexicon knows.
	kind        *kindTerms
	noveltyNorm float64
	// question is the question's text.
	question string
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

func newQuestionAnalysis(p *Params, question string, qterms []string, focus map[string]bool, expanded []lexical.QueryTerm, lex *lexical.Index) *questionAnalysis {
	qa := &questionAnalysis{question: question, variant: map[int32]match{}, asked: map[int32]bool{}, noveltyNorm: p.NoveltyNorm}
	pos := map[string]int{}
	for _, t := range qterms {
		if _, ok := pos[t]; ok {
			continue
		}
		pos[t] = len(qa.terms)
		w := math.Pow(lex.IDF(t), p.IDFPower)
		if focus[t] {
			w *= p.FocusWeight
		}
		qa.terms = append(qa.terms, t)
		qa.weight = append(qa.weight, w)
		qa.focus = append(qa.focus, focus[t])
		qa.known = append(qa.known, false)
		qa.related = append(qa.related, false)
	}
	for _, et := range expanded {
		id, ok := lex.ID(et.Term)
		if !ok {
			continue
		}
		if m, ok := qa.variant[id]; ok && m.w >= et.Weight {
			continue
		}
		qa.variant[id] = match{of: pos[et.Of], w: et.Weight}
		qa.asked[id] = true
		if !et.Related {
			qa.known[pos[et.Of]] = true
		} else {
			qa.related[pos[et.Of]] = true
		}
	}
	// Coverage is measured over the words the corpus knows: a question word
	// no briefing uses cannot be quoted, and unknownFrac accounts for it.
	for i, w := range qa.weight {
		if qa.known[i] || qa.related[i] {
			qa.total += w
			if qa.focus[i] {
				qa.focusTotal += w
			}
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
	if !qa.wantNumber && !qa.wantDate {
		qa.kind = newKindTerms(askedKind(question), lex, qa.asked)
	}
	return qa
}

func (qa *questionAnalysis) wantsType() bool { return qa.wantNumber || qa.wantDate || qa.wantName }

// sentenceInfo is a sentence's match against the question.
type sentenceInfo struct {
	cov          float64
	focus        float64
	matchedShare float64
	adjacent     float64
	matched      []float64 // per question term, the best match weight
	typeOK       bool
	kindOK       bool    // names a member of the asked kind (answertype.go)
	kindNamed    bool    // the member is a proper name (France for "which country")
	novelty      float64 // 0..1: rare words beyond the question's
	capNew       int     // capitalised words not in the question
	numNew       int     // numbers not in the question
}

func (qa *questionAnalysis) analyse(lex *lexical.Index, s *sentence, matched []float64) sentenceInfo {
	si := sentenceInfo{matched: matched}
	for i := range si.matched {
		si.matched[i] = 0
	}
	var nov float64
	prevQ, adj, hits := false, 0, 0
	for _, t := range s.toks {
		if m, ok := qa.variant[t.id]; ok {
			if m.w > si.matched[m.of] {
				si.matched[m.of] = m.w
			}
			hits++
			if prevQ {
				adj++
			}
			prevQ = true
			continue
		}
		prevQ = false
		nov += lex.IDFOf(t.id)
		if t.flags&flagDigit != 0 {
			si.numNew++
		}
		if t.flags&flagCap != 0 {
			si.capNew++
		}
		if t.flags != 0 && !si.typeOK {
			switch {
			case qa.wantNumber && (t.flags&flagNumber != 0 || t.flags&flagDigit != 0 && !isYear(lex.Term(t.id))):
				// A year is a date, not the count or amount asked for.
				si.typeOK = true
			case qa.wantDate && t.flags&(flagDigit|flagMonth) != 0:
				si.typeOK = true
			case qa.wantName && t.flags&flagCap != 0:
				si.typeOK = true
			}
		}
	}
	if hits > 1 {
		si.adjacent = float64(2*adj) / float64(hits)
		if si.adjacent > 1 {
			si.adjacent = 1
		}
	}
	si.cov = qa.coverage(si.matched)
	if qa.kind != nil {
		si.kindOK, si.kindNamed = qa.kind.holds(s)
	}
	n := 0
	var f float64
	for i, w := range si.matched {
		if w > 0 {
			n++
			if qa.focus[i] && (qa.known[i] || qa.related[i]) {
				f += qa.weight[i] * w
			}
		}
	}
	if len(qa.terms) > 0 {
		si.matchedShare = float64(n) / float64(len(qa.terms))
	}
	si.focus = si.cov
	if qa.focusTotal > 0 {
		si.focus = f / qa.focusTotal
	}
	if qa.noveltyNorm > 0 {
		si.novelty = math.Min(1, nov/qa.noveltyNorm)
	}
	return si
}

// knownShare is the share of the question's weight the corpus knows, an
// unknown word counting half its weight: it may be a paraphrase the
// briefings put in other words.
func (qa *questionAnalysis) knownShare() float64 {
	var all, known float64
	for i, w := range qa.weight {
		switch {
		case qa.known[i]:
			all += w
			known += w
		case qa.related[i]:
			// A synonym may say the same or something else: half known.
			all += w
			known += (1 - unknownWeight) * w
		default:
			all += unknownWeight * w
		}
	}
	if all == 0 {
		return 0
	}
	return known / all
}

// unknownWeight is the part of its weight an unknown question word counts
// against the evidence.
const unknownWeight = 0.5

// unknownFrac is the share of the question's terms no article uses.
func (qa *questionAnalysis) unknownFrac() float64 {
	if len(qa.terms) == 0 {
		return 1
	}
	var n float64
	for i, k := range qa.known {
		switch {
		case k:
		case qa.related[i]:
			n += unknownWeight
		default:
			n++
		}
	}
	return n / float64(len(qa.terms))
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

// titleCoverage is the share of the question the article's title covers.
func (qa *questionAnalysis) titleCoverage(lex *lexical.Index, title string) float64 {
	if title == "" || qa.total == 0 {
		return 0
	}
	matched := make([]float64, len(qa.terms))
	for _, t := range text.Terms(title) {
		id, ok := lex.ID(t)
		if !ok {
			continue
		}
		if m, ok := qa.variant[id]; ok && m.w > matched[m.of] {
			matched[m.of] = m.w
		}
	}
	return qa.coverage(matched)
}

var monthsAndDays = map[string]bool{}

// numberWords count as numbers for "how many".
var numberWords = map[string]bool{}

func init() {
	for _, w := range strings.Fields("january february march april may june july august september october november december jan feb mar apr jun jul aug sep sept oct nov dec monday tuesday wednesday thursday friday saturday sunday yesterday today tomorrow") {
		monthsAndDays[w] = true
	}
	for _, w := range strings.Fields("one two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen sixteen seventeen eighteen nineteen twenty thirty forty fifty sixty seventy eighty ninety hundred hundreds thousand thousands million millions billion billions trillion dozen dozens half quarter third twice double triple percent hour hours minute minutes week weeks month months decade decades") {
		numberWords[w] = true
	}
}

type candidate struct {
	art   int32
	rank  int
	infos []sentenceInfo
	feats [][numFeatures]float64
	sc    []float64 // each sentence's score
	best  int
	score float64
	quote retrieval.Span
	cut   bool // the quote ends inside a sentence
	cov   float64
	// ctx is the sentence before the quote, when the quote refers back to it.
	ctx    retrieval.Span
	hasCtx bool
	// typed: the quote holds the kind of answer asked for.
	typed bool
	// docNorm and titleCov are the article's features; pending marks
	// sentences without the question's words, not scored yet.
	docNorm, titleCov float64
	pending           []bool
	// age is the article's age in days when the question is asked; dated
	// is false for an undated article.
	age   float64
	dated bool
}

// neighbourScore is sentence i's score, computed first if it was pending.
func (c *candidate) neighbourScore(p *Params, qa *questionAnalysis, ix *index, i int) float64 {
	if c.pending[i] {
		c.pending[i] = false
		c.features(&c.feats[i], qa, ix, i, c.docNorm, c.rank, c.titleCov)
		c.sc[i] = p.score(&c.feats[i])
	}
	return c.sc[i]
}

// scoreCandidates analyses and scores every sentence of the top articles.
func (e *Engine) scoreCandidates(ix *index, r *retrieved) []*candidate {
	p := e.params
	qa := r.qa
	topScore := r.ranked[0].Score
	nq := len(qa.terms)
	var all []*candidate
	for rank, d := range r.ranked {
		if rank >= p.QuoteDocs {
			break
		}
		a := ix.artIdx[d.ID]
		sents := ix.sents[a]
		c := &candidate{art: a, rank: rank, best: -1, infos: make([]sentenceInfo, len(sents))}
		if pub := ix.arts[a].Published; !pub.IsZero() {
			c.age, c.dated = r.ref.Sub(pub).Hours()/24, true
		}
		backing := make([]float64, nq*len(sents))
		for i := range sents {
			c.infos[i] = qa.analyse(ix.lex, &sents[i], backing[i*nq:(i+1)*nq])
		}
		docNorm := 0.0
		if topScore > 0 {
			docNorm = r.scoreOf[a] / topScore
		}
		c.docNorm, c.titleCov = docNorm, qa.titleCoverage(ix.lex, ix.arts[a].Title)
		c.feats = make([][numFeatures]float64, len(sents))
		c.sc = make([]float64, len(sents))
		c.pending = make([]bool, len(sents))
		for i, si := range c.infos {
			c.sc[i] = math.Inf(-1)
			if sents[i].words < 3 || sents[i].question {
				continue
			}
			// A sentence without the question's words can still complete a
			// quote (as the best one's neighbour), never be one: it is
			// scored only if it is asked for (neighbourScore).
			if si.cov == 0 {
				c.pending[i] = true
				continue
			}
			c.features(&c.feats[i], qa, ix, i, c.docNorm, rank, c.titleCov)
			s := p.score(&c.feats[i])
			c.sc[i] = s
			if c.best < 0 || s > c.score {
				c.best, c.score = i, s
			}
		}
		all = append(all, c)
	}
	return all
}

// selectQuotes picks the best sentence (with a neighbour when the scorer
// rates it nearly as high) of each top article, ranks them, keeps up to max
// from distinct articles, and folds near-identical sentences of other
// articles in as corroboration. It returns the quotes, the best candidate
// (nil when no sentence matches) and the evidence: the largest share of the
// question a quote covers.
func (e *Engine) selectQuotes(ix *index, r *retrieved, maxQuotes int) ([]retrieval.Quote, *candidate, float64, bool) {
	p := e.params
	var cands []*candidate
	for _, c := range e.scoreCandidates(ix, r) {
		if c.best >= 0 {
			e.extend(ix, r.qa, c)
			cands = append(cands, c)
		}
	}
	sort.SliceStable(cands, func(i, j int) bool { return cands[i].score > cands[j].score })
	if len(cands) == 0 {
		return nil, nil, 0, false
	}
	typed := false
	evidence := 0.0
	type chosen struct {
		quote retrieval.Quote
		terms *termSet
	}
	var quotes []chosen
	used := map[int32]bool{}
	quoted := map[int32]bool{}
	floor := p.RelativeEvidence * cands[0].cov
	for _, en := range e.quoteOrder(ix, cands) {
		if len(quotes) == maxQuotes {
			break
		}
		c := en.c
		if en.second >= 0 {
			// The article's second sentence: only after its first, and
			// never a sentence another quote already says.
			si := &c.infos[en.second]
			if !quoted[c.art] || si.cov < floor {
				continue
			}
			s := &ix.sents[c.art][en.second]
			if slices.ContainsFunc(quotes, func(q chosen) bool { return nearDuplicate(s, q.terms, p.DupJaccard) }) {
				continue
			}
			quotes = append(quotes, chosen{quote: secondQuote(ix, c, en.second, p.MaxWords), terms: newTermSet(s)})
			evidence = math.Max(evidence, si.cov)
			typed = typed || si.typeOK && si.cov >= p.MinEvidence
			continue
		}
		if used[c.art] || c.cov < floor {
			continue
		}
		// A near-identical sentence of an article already quoted is corroboration.
		folded := false
		best := &ix.sents[c.art][c.best]
		for qi := range quotes {
			if nearDuplicate(best, quotes[qi].terms, p.DupJaccard) {
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
		quoted[c.art] = true
		q := retrieval.Quote{
			Text:      normalizeSpace(art.Body[c.quote.Start:c.quote.End]),
			Article:   art.ArticleMeta,
			Span:      c.quote,
			Truncated: c.cut,
			Score:     c.score,
		}
		if c.hasCtx {
			q.Context = normalizeSpace(art.Body[c.ctx.Start:c.ctx.End])
			q.ContextSpan = c.ctx
		}
		quotes = append(quotes, chosen{quote: q, terms: newTermSet(best)})
		evidence = math.Max(evidence, c.cov)
		// A number or date counts for "how many"/"when" only in a quote
		// that covers the question: not in a loosely related later one.
		typed = typed || c.typed && c.cov >= p.MinEvidence
	}
	// Corroboration from the other retrieved articles.
	for qi := range quotes {
		for _, d := range r.ranked {
			a := ix.artIdx[d.ID]
			if used[a] {
				continue
			}
			for si := range ix.sents[a] {
				if nearDuplicate(&ix.sents[a][si], quotes[qi].terms, p.DupJaccard) {
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
	return out, cands[0], evidence, typed
}

// extend sets the candidate's quote: its best sentence, plus the neighbour
// the scorer rates within PairMargin of it when both fit in the word limit.
// A lone sentence over the limit is cut to its first MaxWords words. When
// the quote opens with a reference to the sentence before ("He said…"),
// that sentence becomes its context.
func (e *Engine) extend(ix *index, qa *questionAnalysis, c *candidate) {
	p := e.params
	art := ix.arts[c.art]
	sents := ix.sents[c.art]
	b := art.Sentences[c.best]
	c.quote, c.cov = b, c.infos[c.best].cov
	c.typed = c.infos[c.best].typeOK
	first := c.best
	defer func() {
		if first > 0 && c.feats[first][fRefersBack] == 1 && !sents[first-1].heading {
			c.ctx, c.hasCtx = art.Sentences[first-1], true
		}
	}()
	if int(sents[c.best].words) > p.MaxWords {
		c.quote = window(art.Body, b, p.MaxWords)
		c.cut = c.quote.End < b.End
		return
	}
	pick := -1
	if c.best+1 < len(sents) {
		pick = c.best + 1
		c.neighbourScore(p, qa, ix, pick)
	}
	if c.best > 0 && (pick < 0 || c.neighbourScore(p, qa, ix, c.best-1) > c.sc[pick]) {
		pick = c.best - 1
	}
	if pick < 0 || sents[pick].heading || math.IsInf(c.sc[pick], -1) || c.sc[pick] < c.score-p.PairMargin {
		return
	}
	if int(sents[c.best].words+sents[pick].words) > p.pairMaxWords() {
		return
	}
	lo, hi := b, art.Sentences[pick]
	if pick < c.best {
		lo, hi = hi, lo
		first = pick
	}
	c.quote = retrieval.Span{Start: lo.Start, End: hi.End}
	c.cov = math.Max(c.cov, c.infos[pick].cov)
	c.typed = c.typed || c.infos[pick].typeOK
}

// quoteEntry is a quote the engine may give: an article's quote (second
// -1) or its second sentence.
type quoteEntry struct {
	c      *candidate
	second int
	score  float64
}

// quoteOrder lists the quotes to choose from, best first: each article's
// quote and, when ArticleQuotes allows two, its best other sentence outside
// that quote if it scores within ArticleMargin of the article's best.
func (e *Engine) quoteOrder(ix *index, cands []*candidate) []quoteEntry {
	p := e.params
	out := make([]quoteEntry, 0, 2*len(cands))
	for _, c := range cands {
		out = append(out, quoteEntry{c: c, second: -1, score: c.score})
		if p.ArticleQuotes < 2 {
			continue
		}
		spans := ix.arts[c.art].Sentences
		sec := -1
		for i, s := range c.sc {
			inQuote := spans[i].Start >= c.quote.Start && spans[i].Start < c.quote.End
			if inQuote || math.IsInf(s, -1) || c.infos[i].cov == 0 || s < c.score-p.ArticleMargin {
				continue
			}
			if sec < 0 || s > c.sc[sec] {
				sec = i
			}
		}
		if sec >= 0 {
			out = append(out, quoteEntry{c: c, second: sec, score: c.sc[sec]})
		}
	}
	// Stable: an article's quote stays before its second sentence on a tie.
	sort.SliceStable(out, func(i, j int) bool { return out[i].score > out[j].score })
	return out
}

// secondQuote is sentence i of candidate c's article as a quote of its own
// (cut to maxWords words), with the sentence before as its context when it
// refers back and is not part of the article's first quote.
func secondQuote(ix *index, c *candidate, i, maxWords int) retrieval.Quote {
	art := ix.arts[c.art]
	sp := art.Sentences[i]
	cut := false
	if int(ix.sents[c.art][i].words) > maxWords {
		w := window(art.Body, sp, maxWords)
		cut = w.End < sp.End
		sp = w
	}
	q := retrieval.Quote{Text: normalizeSpace(art.Body[sp.Start:sp.End]), Article: art.ArticleMeta, Span: sp, Truncated: cut, Score: c.sc[i]}
	if i > 0 && c.feats[i][fRefersBack] == 1 && !ix.sents[c.art][i-1].heading {
		prev := art.Sentences[i-1]
		if prev.End <= c.quote.Start || prev.Start >= c.quote.End {
			q.Context = normalizeSpace(art.Body[prev.Start:prev.End])
			q.ContextSpan = prev
		}
	}
	return q
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
func nearDuplicate(s *sentence, b *termSet, dupJaccard float64) bool {
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
	if float64(shared) < dupJaccard*float64(len(b.ids)) {
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
	return float64(inter)/float64(union) >= dupJaccard
}

func normalizeSpace(s string) string { return strings.Join(strings.Fields(s), " ") }

func (p *Params) pairMaxWords() int {
	if p.PairMaxWords > 0 {
		return min(p.PairMaxWords, p.MaxWords)
	}
	return p.MaxWords
}
