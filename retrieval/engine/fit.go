package engine

import (
	"context"
	"math"
	"sort"

	"github.com/briefbot/briefbot/retrieval"
	"github.com/briefbot/briefbot/retrieval/text"
)

// CandidateSentence is a sentence that competes to be quoted for a
// question, with the features the quote scorer weighs.
type CandidateSentence struct {
	ArticleID string
	Rank      int // the article's rank
	Index     int // the sentence's index in its article
	Text      string
	Features  [numFeatures]float64
}

// Candidates returns every sentence that competes to be quoted for q (the
// sentences of the top QuoteDocs articles that match the question), for
// fitting the scorer. It does not decide whether to answer.
func (e *Engine) Candidates(ctx context.Context, q retrieval.Query) ([]CandidateSentence, error) {
	ix, q, ref := e.begin(q)
	r, _, ok, err := e.retrieve(ctx, ix, q, ref)
	if err != nil || !ok || len(r.ranked) == 0 {
		return nil, err
	}
	var out []CandidateSentence
	for _, c := range e.scoreCandidates(ix, r) {
		art := ix.arts[c.art]
		for i, s := range c.sc {
			if math.IsInf(s, -1) || c.infos[i].cov == 0 {
				continue
			}
			sp := art.Sentences[i]
			out = append(out, CandidateSentence{ArticleID: art.ID, Rank: c.rank, Index: i,
				Text: normalizeSpace(art.Body[sp.Start:sp.End]), Features: c.feats[i]})
		}
	}
	return out, nil
}

// FeatureNames lists the scorer's features in order.
func FeatureNames() []string { return featureNames[:] }

// FitGroup is one training question: its candidate sentences and which of
// them hold the answer.
type FitGroup struct {
	X   [][numFeatures]float64
	Pos []bool
	Art []int // the article (its rank) each sentence belongs to
}

// FitOptions control Fit.
type FitOptions struct {
	L2         float64 // ridge penalty on the weights (default 1e-3)
	Iterations int     // full-batch steps (default 400)
	Rate       float64 // Adam step size (default 0.05)
	// Start is the initial weights (nil: zeros).
	Start map[string]float64
}

// Fit learns the quote scorer's weights: for each question, a softmax over
// its candidate sentences, maximising the probability of the sentences
// that hold the answer (questions without one are left out), with a ridge
// penalty, by full-batch Adam from Start. It is deterministic: the same
// groups give the same weights.
func Fit(groups []FitGroup, opts FitOptions) (map[string]float64, float64) {
	if opts.L2 == 0 {
		opts.L2 = 1e-3
	}
	if opts.Iterations == 0 {
		opts.Iterations = 400
	}
	if opts.Rate == 0 {
		opts.Rate = 0.05
	}
	w := make([]float64, numFeatures)
	for i, n := range featureNames {
		w[i] = opts.Start[n]
	}
	var use []FitGroup
	for _, g := range groups {
		for _, p := range g.Pos {
			if p {
				use = append(use, g)
				break
			}
		}
	}
	m := make([]float64, numFeatures)
	v := make([]float64, numFeatures)
	const b1, b2, eps = 0.9, 0.999, 1e-8
	var loss float64
	grad := make([]float64, numFeatures)
	for it := 1; it <= opts.Iterations; it++ {
		for i := range grad {
			grad[i] = 0
		}
		loss = 0
		for _, g := range use {
			loss += groupGrad(g, w, grad)
		}
		n := float64(len(use))
		loss /= n
		for i := range grad {
			grad[i] = grad[i]/n + 2*opts.L2*w[i]
			loss += opts.L2 * w[i] * w[i]
		}
		for i := range w {
			m[i] = b1*m[i] + (1-b1)*grad[i]
			v[i] = b2*v[i] + (1-b2)*grad[i]*grad[i]
			mh := m[i] / (1 - math.Pow(b1, float64(it)))
			vh := v[i] / (1 - math.Pow(b2, float64(it)))
			w[i] -= opts.Rate * mh / (math.Sqrt(vh) + eps)
		}
	}
	out := map[string]float64{}
	for i, n := range featureNames {
		out[n] = math.Round(w[i]*1e4) / 1e4
	}
	return out, loss
}

// groupGrad adds the gradient of one question's loss, -log of the softmax
// mass on its positive sentences, and returns the loss.
func groupGrad(g FitGroup, w, grad []float64) float64 {
	s := make([]float64, len(g.X))
	mx := math.Inf(-1)
	for i := range g.X {
		for j, x := range g.X[i] {
			s[i] += w[j] * x
		}
		mx = math.Max(mx, s[i])
	}
	var z, zp float64
	for i := range s {
		s[i] = math.Exp(s[i] - mx)
		z += s[i]
		if g.Pos[i] {
			zp += s[i]
		}
	}
	for i := range s {
		p := s[i] / z
		q := 0.0
		if g.Pos[i] {
			q = s[i] / zp
		}
		for j, x := range g.X[i] {
			grad[j] += (p - q) * x
		}
	}
	return -math.Log(zp / z)
}

// AscentOptions control FitAscent.
type AscentOptions struct {
	Rounds int       // passes over the features (default 4)
	Steps  []float64 // step sizes tried per feature (default ±.4, ±.2, ±.1, ±.05)
	// AtOne weighs answer-in-quote@1 against @3 in the objective (default .5).
	AtOne float64
	// Start is the initial weights.
	Start map[string]float64
	// Fixed names weights that are not changed.
	Fixed map[string]bool
	// Policy is how the quotes are drawn (default: one per article).
	Policy QuotePolicy
}

// FitAscent learns the weights by coordinate ascent on what is measured:
// the share of questions whose answer is in the first three quotes (the
// best sentence of each article, articles ranked by it), plus AtOne times
// the share in the first. A step is kept only when it improves the
// objective. Deterministic.
func FitAscent(groups []FitGroup, opts AscentOptions) (map[string]float64, float64) {
	if opts.Rounds == 0 {
		opts.Rounds = 4
	}
	if len(opts.Steps) == 0 {
		opts.Steps = []float64{0.4, -0.4, 0.2, -0.2, 0.1, -0.1, 0.05, -0.05}
	}
	if opts.AtOne == 0 {
		opts.AtOne = 0.5
	}
	w := make([]float64, numFeatures)
	for i, n := range featureNames {
		w[i] = opts.Start[n]
	}
	best := ascentObjective(groups, w, opts.AtOne, opts.Policy)
	for r := 0; r < opts.Rounds; r++ {
		improved := false
		for j, name := range featureNames {
			if opts.Fixed[name] {
				continue
			}
			for _, st := range opts.Steps {
				old := w[j]
				w[j] = old + st
				if v := ascentObjective(groups, w, opts.AtOne, opts.Policy); v > best+1e-9 {
					best, improved = v, true
					continue
				}
				w[j] = old
			}
		}
		if !improved {
			break
		}
	}
	out := map[string]float64{}
	for i, n := range featureNames {
		out[n] = math.Round(w[i]*1e4) / 1e4
	}
	return out, best
}

// QuotePolicy is how quotes are drawn from the scored sentences: each
// article's best sentence and, with PerArticle 2, its second best when that
// scores within Margin of the best; the MaxQuotes highest of these.
//
// Floor is RelativeEvidence: a quote after the first needs this share of
// the first's coverage.
type QuotePolicy struct {
	PerArticle int
	Margin     float64
	Floor      float64
}

// Policy is how the engine with parameters p draws its quotes.
func (p *Params) Policy() QuotePolicy {
	return QuotePolicy{PerArticle: max(p.ArticleQuotes, 1), Margin: p.ArticleMargin, Floor: p.RelativeEvidence}
}

// ascentObjective scores weights w on the groups: per question, the three
// quotes pol draws from its sentences.
func ascentObjective(groups []FitGroup, w []float64, atOne float64, pol QuotePolicy) float64 {
	sc := func(x *[numFeatures]float64) float64 {
		var s float64
		for j, v := range x {
			s += w[j] * v
		}
		return s
	}
	k1, k3 := policyHits(groups, sc, pol)
	n := float64(len(groups))
	return (k3 + atOne*k1) / n
}

// policyHits counts the questions whose answer is in the first quote and in
// the first three, the quotes drawn by pol from the sentences scored by sc.
func policyHits(groups []FitGroup, sc func(*[numFeatures]float64) float64, pol QuotePolicy) (k1, k3 float64) {
	type top struct {
		s    float64
		cov  float64
		pos  bool
		art  int
		rank int // 0: the article's best sentence, 1: its second
	}
	type two struct{ a, b top }
	best := map[int]*two{}
	var tops []top
	for _, g := range groups {
		clear(best)
		for i := range g.X {
			t := top{s: sc(&g.X[i]), cov: g.X[i][fCov], pos: g.Pos[i], art: g.Art[i]}
			b, ok := best[t.art]
			switch {
			case !ok:
				best[t.art] = &two{a: t, b: top{s: math.Inf(-1)}}
			case t.s > b.a.s:
				b.b, b.a = b.a, t
			case t.s > b.b.s:
				b.b = t
			}
		}
		tops = tops[:0]
		for _, b := range best {
			tops = append(tops, b.a)
			if pol.PerArticle > 1 && !math.IsInf(b.b.s, -1) && b.b.s >= b.a.s-pol.Margin {
				b.b.rank = 1
				tops = append(tops, b.b)
			}
		}
		sort.Slice(tops, func(i, j int) bool {
			if tops[i].s != tops[j].s {
				return tops[i].s > tops[j].s
			}
			if tops[i].art != tops[j].art {
				return tops[i].art < tops[j].art
			}
			return tops[i].rank < tops[j].rank
		})
		n := 0
		for _, t := range tops {
			if n == 3 {
				break
			}
			if n > 0 && t.cov < pol.Floor*tops[0].cov {
				continue
			}
			if t.pos {
				if n == 0 {
					k1++
				}
				k3++
				break
			}
			n++
		}
	}
	return k1, k3
}

// AscentObjective is FitAscent's objective (AtOne .5) for the weights w
// under the quote policy pol.
func AscentObjective(groups []FitGroup, w map[string]float64, pol QuotePolicy) float64 {
	v := make([]float64, numFeatures)
	for i, n := range featureNames {
		v[i] = w[n]
	}
	return ascentObjective(groups, v, 0.5, pol)
}

// RefusalExample returns what the refusal decision weighs for q and the
// quotes the engine would give if it answered (nil x when it finds no
// candidate), for fitting the refusal model.
func (e *Engine) RefusalExample(ctx context.Context, q retrieval.Query) (x []float64, quotes []string, err error) {
	return e.RefusalExampleHiding(ctx, q, nil)
}

// RefusalExampleHiding is RefusalExample asked of the archive without the
// articles hide reports (by id and body; nil hides none): hiding the
// articles that hold a training question's answer makes it a question the
// archive cannot answer, with the near-topic articles of its week as
// distractors.
func (e *Engine) RefusalExampleHiding(ctx context.Context, q retrieval.Query, hide func(id, body string) bool) (x []float64, quotes []string, err error) {
	ix, q, ref := e.begin(q)
	r, _, ok, err := e.retrieveHiding(ctx, ix, q, ref, hide)
	if err != nil || !ok || len(r.ranked) == 0 {
		return nil, nil, err
	}
	qs, best, evidence, typed := e.selectQuotes(ix, r, q.MaxQuotes)
	if best == nil {
		return nil, nil, nil
	}
	var f [numRefusalFeatures]float64
	refusalFeatures(&f, ix, r, best, evidence*r.qa.knownShare(), typed)
	for _, x := range qs {
		quotes = append(quotes, x.Text)
	}
	return f[:], quotes, nil
}

// RefusalFeatureNames lists the refusal model's features in order.
func RefusalFeatureNames() []string { return refusalFeatureNames[:] }

// FitLogistic fits the refusal model: logistic regression of y on x
// (ridge-penalised except the bias, full-batch Adam, deterministic).
// Features named in skip keep a zero weight.
func FitLogistic(x [][]float64, y []bool, l2 float64, iters int, skip map[string]bool) (map[string]float64, float64) {
	if l2 == 0 {
		l2 = 1e-3
	}
	if iters == 0 {
		iters = 2000
	}
	w := make([]float64, numRefusalFeatures)
	m := make([]float64, numRefusalFeatures)
	v := make([]float64, numRefusalFeatures)
	grad := make([]float64, numRefusalFeatures)
	const b1, b2, eps, rate = 0.9, 0.999, 1e-8, 0.02
	var loss float64
	for it := 1; it <= iters; it++ {
		clear(grad)
		loss = 0
		for i, xi := range x {
			var z float64
			for j, f := range xi {
				z += w[j] * f
			}
			p := 1 / (1 + math.Exp(-z))
			t := 0.0
			if y[i] {
				t = 1
			}
			loss -= t*math.Log(p+1e-12) + (1-t)*math.Log(1-p+1e-12)
			for j, f := range xi {
				grad[j] += (p - t) * f
			}
		}
		n := float64(len(x))
		loss /= n
		for j := range grad {
			grad[j] /= n
			if j > 0 {
				grad[j] += 2 * l2 * w[j]
			}
		}
		for j := range w {
			if skip[refusalFeatureNames[j]] {
				continue
			}
			m[j] = b1*m[j] + (1-b1)*grad[j]
			v[j] = b2*v[j] + (1-b2)*grad[j]*grad[j]
			mh := m[j] / (1 - math.Pow(b1, float64(it)))
			vh := v[j] / (1 - math.Pow(b2, float64(it)))
			w[j] -= rate * mh / (math.Sqrt(vh) + eps)
		}
	}
	out := map[string]float64{}
	for i, n := range refusalFeatureNames {
		out[n] = math.Round(w[i]*1e4) / 1e4
	}
	return out, loss
}

// Objective measures the weights w on labelled groups as the engine quotes
// under pol: the share of questions whose answer is in the first quote and
// in the first three.
func Objective(groups []FitGroup, w map[string]float64, pol QuotePolicy) (at1, at3 float64) {
	p := &Params{Weights: w}
	p.compile()
	k1, k3 := policyHits(groups, p.score, pol)
	n := float64(len(groups))
	return k1 / n, k3 / n
}

// KeyWord returns where in question its rarest word stands that the
// archive knows and that is not a name, figure or stop word (what it asks
// about its names: "won", "piloted", "attendance"), for building refusal
// negatives that ask for another fact about the same names; ok is false
// when it has none.
func (e *Engine) KeyWord(question string) (start, end int, ok bool) {
	lex := e.state().lex
	best := -1.0
	eachQuestionWord(question, func(t text.Token, name bool) {
		if name || text.IsStopWord(t.Word) {
			return
		}
		st := text.Stem(t.Word)
		if !lex.Known(st) {
			return
		}
		if idf := lex.IDF(st); idf > best {
			best, start, end, ok = idf, t.Start, t.End, true
		}
	})
	return start, end, ok
}
