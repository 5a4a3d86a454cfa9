package digest

import (
	"math"
	"sort"
	"strings"

	"github.com/briefbot/briefbot/retrieval/text"
)

// summaryParams weighs the sentence scorer. The defaults were tuned on the
// first 1,000 Multi-News validation clusters and checked on the next 1,000
// (see BENCHMARKS.md).
type summaryParams struct {
	support    float64 // weight of content shared with the story's other articles
	position   float64 // weight of the lead prior
	lambda     float64 // MMR: relevance against redundancy
	minWords   int     // shorter sentences are discounted
	maxWords   int     // longer sentences are discounted
	dupSim     float64 // a sentence this similar to a chosen one is a repeat
	docOrder   bool    // order the summary by article and position, not by rank
	unfinished float64 // factor for a sentence without final punctuation (cut off, or a heading)
	idfExp     float64 // sentence-level idf is raised to this power (0: plain frequency)
	degree     float64 // weight of the mean similarity to the other sentences
	centroid   float64 // weight of the similarity to the centroid
	coverage   float64 // weight of the gain in uncovered frequent terms
	lenExp     float64 // the coverage gain is divided by words^lenExp
}

func (p summaryParams) withDefaults() summaryParams {
	d := summaryParams{support: 0.5, position: 1, lambda: 0.4, minWords: 8, maxWords: 30, dupSim: 0.6,
		lenExp: 0.5, unfinished: 0.5, idfExp: 1, degree: 3}
	return d
}

// candidate is one sentence of a story's articles.
type candidate struct {
	art   int // index in story.arts
	pos   int // ordinal of the sentence in its article
	text  string
	words int
	terms map[string]float64
	vec   vector
	score float64
}

// pick is a chosen key sentence.
type pick struct {
	art  int
	pos  int
	text string
}

// summarize picks up to max key sentences of a story (or, with a word
// budget, sentences until the budget is spent, in article order): centroid similarity plus
// support from the story's other articles plus a lead prior, with maximal
// marginal relevance against repeats.
func summarize(st *story, max, budget int, p summaryParams) []pick {
	p = p.withDefaults()
	var cands []*candidate
	sf := map[string]int{}
	for ai, a := range st.arts {
		for pos, s := range a.doc.Sentences {
			t := strings.Join(strings.Fields(s.Text), " ")
			words := len(strings.Fields(t))
			if words < 3 {
				continue
			}
			c := &candidate{art: ai, pos: pos, text: t, words: words, terms: termCounts(text.Terms(t))}
			if len(c.terms) == 0 {
				continue
			}
			for term := range c.terms {
				sf[term]++
			}
			cands = append(cands, c)
		}
	}
	if len(cands) == 0 {
		return nil
	}
	n := float64(len(cands))
	idf := func(t string) float64 { return math.Pow(math.Log(1+n/float64(sf[t])), p.idfExp) }
	centroid := vector{}
	docsOf := map[string]map[int]bool{}
	for _, c := range cands {
		c.vec = make(vector, len(c.terms))
		for t, k := range c.terms {
			w := (1 + math.Log(k)) * idf(t)
			c.vec[t] = w
			centroid[t] += k * idf(t)
			if docsOf[t] == nil {
				docsOf[t] = map[int]bool{}
			}
			docsOf[t][c.art] = true
		}
		c.vec.normalize()
	}
	centroid.normalize()
	multi := len(st.arts) > 1
	degree := make([]float64, len(cands))
	if p.degree > 0 && len(cands) > 1 {
		for i := range cands {
			for j := i + 1; j < len(cands); j++ {
				s := dot(cands[i].vec, cands[j].vec)
				degree[i] += s
				degree[j] += s
			}
		}
		for i := range degree {
			degree[i] /= float64(len(cands) - 1)
		}
	}
	for ci, c := range cands {
		score := p.centroid*dot(c.vec, centroid) + p.degree*degree[ci]
		if multi {
			shared, all := 0.0, 0.0
			for t := range c.terms {
				w := idf(t)
				all += w
				if len(docsOf[t]) > 1 {
					shared += w
				}
			}
			score += p.support * shared / all
		}
		score += p.position / float64(1+c.pos)
		switch {
		case c.words < p.minWords:
			score *= float64(c.words) / float64(p.minWords)
		case c.words > p.maxWords:
			score *= float64(p.maxWords) / float64(c.words)
		}
		if !finished(c.text) {
			score *= p.unfinished
		}
		c.score = score
	}
	// Coverage weights: a term counts by the articles that use it and how
	// often, so sentences that cover what several articles say gain most.
	tw := map[string]float64{}
	for _, c := range cands {
		for t, k := range c.terms {
			tw[t] += k
		}
	}
	for t := range tw {
		tw[t] = float64(len(docsOf[t])) * math.Log(1+tw[t])
	}
	covered := map[string]bool{}
	gain := func(c *candidate) float64 {
		g := 0.0
		for t := range c.terms {
			if !covered[t] {
				g += tw[t]
			}
		}
		return g / math.Pow(float64(c.words), p.lenExp)
	}
	maxGain := 0.0
	for _, c := range cands {
		maxGain = math.Max(maxGain, gain(c))
	}
	maxScore := 0.0
	for _, c := range cands {
		maxScore = math.Max(maxScore, c.score)
	}
	var chosen []*candidate
	used := make([]bool, len(cands))
	words := 0
	for {
		if budget > 0 && words >= budget {
			break
		}
		if budget <= 0 && len(chosen) >= max {
			break
		}
		bi, best := -1, math.Inf(-1)
		for i, c := range cands {
			if used[i] {
				continue
			}
			red := 0.0
			for _, o := range chosen {
				red = math.Max(red, dot(c.vec, o.vec))
			}
			if red >= p.dupSim {
				continue
			}
			v := p.lambda*c.score/maxScore - (1-p.lambda)*red
			if p.coverage > 0 && maxGain > 0 {
				v += p.coverage * gain(c) / maxGain
			}
			if v > best {
				bi, best = i, v
			}
		}
		if bi < 0 {
			break
		}
		used[bi] = true
		for t := range cands[bi].terms {
			covered[t] = true
		}
		chosen = append(chosen, cands[bi])
		words += cands[bi].words
	}
	if p.docOrder || budget > 0 {
		// A summary of a given length reads in the articles' order.
		sort.SliceStable(chosen, func(i, j int) bool {
			if chosen[i].art != chosen[j].art {
				return chosen[i].art < chosen[j].art
			}
			return chosen[i].pos < chosen[j].pos
		})
	}
	out := make([]pick, len(chosen))
	for i, c := range chosen {
		out[i] = pick{art: c.art, pos: c.pos, text: c.text}
	}
	return out
}

// finished reports whether a sentence ends as sentences do, not cut off
// mid-way and not a heading.
func finished(s string) bool {
	s = strings.TrimRight(s, " \"'”’)]»")
	if s == "" {
		return false
	}
	switch s[len(s)-1] {
	case '.', '!', '?':
		return !strings.HasSuffix(s, "...")
	}
	return strings.HasSuffix(s, "…") == false && false
}
