package digest

import "sort"

// signatureTerms is how many of a story's heaviest terms identify it.
const signatureTerms = 20

// followOverlap is the share of the smaller term set two signatures must
// share to be the same story.
const followOverlap = 0.4

// Signature identifies a story across digests: its articles and its
// heaviest stemmed terms. The ledger keeps the signatures of the last digest
// posted to each channel.
type Signature struct {
	Articles []string `json:"articles"`
	Terms    []string `json:"terms"`
}

func signatureOf(st *story) Signature {
	sig := Signature{}
	for _, a := range st.arts {
		sig.Articles = append(sig.Articles, a.doc.ID)
	}
	terms := make([]string, 0, len(st.centroid))
	for t := range st.centroid {
		terms = append(terms, t)
	}
	sort.Slice(terms, func(i, j int) bool {
		wi, wj := st.centroid[terms[i]], st.centroid[terms[j]]
		if wi != wj {
			return wi > wj
		}
		return terms[i] < terms[j]
	})
	if len(terms) > signatureTerms {
		terms = terms[:signatureTerms]
	}
	sort.Strings(terms)
	sig.Terms = terms
	return sig
}

// matchPrevious finds the previous story sig continues: one that shares an
// article, or enough of its heaviest terms.
func matchPrevious(sig Signature, prev []Signature) (Signature, bool) {
	ids := map[string]bool{}
	for _, id := range sig.Articles {
		ids[id] = true
	}
	terms := map[string]bool{}
	for _, t := range sig.Terms {
		terms[t] = true
	}
	for _, p := range prev {
		for _, id := range p.Articles {
			if ids[id] {
				return p, true
			}
		}
		shared := 0
		for _, t := range p.Terms {
			if terms[t] {
				shared++
			}
		}
		smaller := min(len(p.Terms), len(sig.Terms))
		if smaller > 0 && float64(shared)/float64(smaller) >= followOverlap {
			return p, true
		}
	}
	return Signature{}, false
}
