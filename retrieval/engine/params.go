package engine

import (
	_ "embed"
	"encoding/json"
	"fmt"
	"sort"
	"strconv"
	"strings"
)

// Params are the knobs of the search: candidate retrieval, the learned
// weights of the quote scorer and the refusal decision. The defaults are the
// fitted ones in model.json (see BENCHMARKS.md for the command that refits
// them); tests and `briefbot eval retrieval --set k=v` change a copy and
// pass it in Options.Params, never a global.
type Params struct {
	LexicalK     int     `json:"lexical_k"`     // BM25 chunk candidates
	VectorK      int     `json:"vector_k"`      // vector chunk candidates
	VectorWeight float64 `json:"vector_weight"` // weight of cosine similarity against normalised BM25
	SecondChunk  float64 `json:"second_chunk"`  // weight of an article's second-best chunk
	RecencyBoost float64 `json:"recency_boost"` // boost of an article published on the day asked
	RecencyDays  float64 `json:"recency_days"`  // decay of that boost, in days
	QuoteDocs    int     `json:"quote_docs"`    // articles whose sentences compete for quotes
	CorroborDocs int     `json:"corrobor_docs"` // articles searched for near-identical sentences
	IDFPower     float64 `json:"idf_power"`     // question term weight = idf^IDFPower
	FocusWeight  float64 `json:"focus_weight"`  // weight of the asking sentence's words in a multi-sentence question
	NoveltyNorm  float64 `json:"novelty_norm"`  // summed idf of novel words that counts as full novelty
	MaxWords     int     `json:"max_words"`     // words in a quote
	DupJaccard   float64 `json:"dup_jaccard"`   // term-set similarity of near-identical sentences

	// PairMargin is how much the scorer must prefer a two-sentence quote
	// (the best sentence and a neighbour) over the sentence alone.
	PairMargin float64 `json:"pair_margin"`
	// PairMaxWords caps a two-sentence quote's length (0: MaxWords).
	PairMaxWords int `json:"pair_max_words"`

	// ArticleQuotes is how many quotes one article may give: 0 or 1, every
	// quote from a distinct article; 2, its best sentence outside its first
	// quote may be quoted too when the scorer rates it within ArticleMargin
	// of the article's best; it is ranked with the other quotes by its score.
	ArticleQuotes int     `json:"article_quotes"`
	ArticleMargin float64 `json:"article_margin"`

	// Switches (1 on, 0 off), for ablations: spelling correction of
	// unknown question words, related words (synonyms, abbreviations), and
	// the refusal of "how many"/"when" questions no quote answers with a
	// number or a date.
	Spelling  int `json:"spelling"`
	Related   int `json:"related"`
	TypeCheck int `json:"type_check"`

	// Weights of the sentence features (see featureNames), fitted on
	// training questions by `briefbot eval fit`.
	Weights map[string]float64 `json:"weights"`

	// Refusal.
	MinEvidence      float64 `json:"min_evidence"`      // coverage of the question's words a quote needs
	RelativeEvidence float64 `json:"relative_evidence"` // coverage a later quote needs, relative to the first
	MaxUnknown       float64 `json:"max_unknown"`       // share of unknown question words beyond which it refuses
	MinScore         float64 `json:"min_score"`         // scorer value the best quote needs (-inf: no floor)
	// RefusalWeights (see refusalFeatureNames) give the confidence that the
	// quotes answer, a logistic model fitted on training questions by
	// `briefbot eval fit --refusal`; an answer needs MinConfidence.
	RefusalWeights map[string]float64 `json:"refusal_weights,omitempty"`
	MinConfidence  float64            `json:"min_confidence"`
	// PersonalEvidence is the evidence a request for personal help ("How
	// do I reset my password?") needs to be answered from the briefings.
	PersonalEvidence float64 `json:"personal_evidence"`
	// NamePhrases (1: on) refuses a question whose name of several words
	// ("Port Kessington") no article found for it holds, its words in order
	// and close together, although the briefings hold each word.
	NamePhrases int `json:"name_phrases"`
	// YearCheck (1: on) refuses a question that names a year when no quote
	// names it and no quoted article is dated in it.
	YearCheck int `json:"year_check"`
	// CountCheck (1: on) refuses a "how many" question when no quote puts a
	// number next to what it counts ("How many rail cars ...?": "two rail
	// cars").
	CountCheck int `json:"count_check"`

	w  []float64 // Weights in featureNames order
	rw []float64 // RefusalWeights in refusalFeatureNames order
}

//go:embed model.json
var modelJSON []byte

// DefaultParams returns a fresh copy of the fitted defaults.
func DefaultParams() *Params {
	var p Params
	if err := json.Unmarshal(modelJSON, &p); err != nil {
		panic("engine: model.json: " + err.Error()) // a build-time file; tested
	}
	p.compile()
	return &p
}

// Clone returns a deep copy of p.
func (p *Params) Clone() *Params {
	c := *p
	c.Weights = make(map[string]float64, len(p.Weights))
	for k, v := range p.Weights {
		c.Weights[k] = v
	}
	c.RefusalWeights = make(map[string]float64, len(p.RefusalWeights))
	for k, v := range p.RefusalWeights {
		c.RefusalWeights[k] = v
	}
	c.compile()
	return &c
}

// compile orders the weights like featureNames.
func (p *Params) compile() {
	p.w = make([]float64, numFeatures)
	for i, n := range featureNames {
		p.w[i] = p.Weights[n]
	}
	p.rw = make([]float64, numRefusalFeatures)
	for i, n := range refusalFeatureNames {
		p.rw[i] = p.RefusalWeights[n]
	}
}

// Set changes one knob by its JSON name ("quote_docs", "min_evidence") or
// one feature weight ("w.cov"). An unknown name is an error.
func (p *Params) Set(key, value string) error {
	f, err := strconv.ParseFloat(strings.TrimSpace(value), 64)
	if err != nil {
		return fmt.Errorf("engine: param %s: %q is not a number", key, value)
	}
	if name, ok := strings.CutPrefix(key, "r."); ok {
		if refusalFeatureIndex(name) < 0 {
			return fmt.Errorf("engine: unknown refusal feature %q (known: %s)", name, strings.Join(refusalFeatureNames[:], ", "))
		}
		if p.RefusalWeights == nil {
			p.RefusalWeights = map[string]float64{}
		}
		p.RefusalWeights[name] = f
		p.compile()
		return nil
	}
	if name, ok := strings.CutPrefix(key, "w."); ok {
		if featureIndex(name) < 0 {
			return fmt.Errorf("engine: unknown feature %q (known: %s)", name, strings.Join(featureNames[:], ", "))
		}
		if p.Weights == nil {
			p.Weights = map[string]float64{}
		}
		p.Weights[name] = f
		p.compile()
		return nil
	}
	raw, _ := json.Marshal(p)
	var m map[string]any
	_ = json.Unmarshal(raw, &m)
	if _, ok := m[key]; !ok || key == "weights" || key == "refusal_weights" {
		var names []string
		for k := range m {
			if k != "weights" && k != "refusal_weights" {
				names = append(names, k)
			}
		}
		sort.Strings(names)
		return fmt.Errorf("engine: unknown param %q (known: %s, w.FEATURE, r.FEATURE)", key, strings.Join(names, ", "))
	}
	m[key] = f
	if _, ok := m["refusal_weights"]; !ok {
		m["refusal_weights"] = map[string]float64{}
	}
	raw, _ = json.Marshal(m)
	var np Params
	if err := json.Unmarshal(raw, &np); err != nil {
		return fmt.Errorf("engine: param %s=%s: %w", key, value, err)
	}
	np.compile()
	*p = np
	return nil
}

// MarshalIndent renders p as model.json is written.
func (p *Params) MarshalIndent() ([]byte, error) {
	b, err := json.MarshalIndent(p, "", "  ")
	if err != nil {
		return nil, err
	}
	return append(b, '\n'), nil
}
