package lexical

import (
	"fmt"
	"math/rand/v2"
	"reflect"
	"slices"
	"sort"
	"testing"
)

// TestSearchTopK checks that keeping the best k in a heap returns exactly
// the first k of a full sort (score descending, doc ascending on ties).
func TestSearchTopK(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	words := []string{"alpha", "beta", "gamma", "delta", "omega"}
	var docs []Doc
	for i := 0; i < 500; i++ {
		var s string
		for j := 0; j < 1+r.IntN(6); j++ {
			s += words[r.IntN(len(words))] + " "
		}
		docs = append(docs, Doc{Text: s})
	}
	ix := Build(docs)
	q := ix.Expand([]string{"alpha", "gamma"})
	all := ix.Search(q, len(docs), nil)
	if !sort.SliceIsSorted(all, func(i, j int) bool {
		return all[i].Score > all[j].Score || all[i].Score == all[j].Score && all[i].Doc < all[j].Doc
	}) {
		t.Fatal("full result not sorted")
	}
	for _, k := range []int{0, 1, 7, 50, 499} {
		t.Run(fmt.Sprint(k), func(t *testing.T) {
			got := ix.Search(q, k, nil)
			want := all[:min(k, len(all))]
			if !reflect.DeepEqual(got, want) && !(len(got) == 0 && len(want) == 0) {
				t.Errorf("k=%d: got %v, want %v", k, got, want)
			}
		})
	}
}

// searchRef is Search done plainly: every doc's BM25 score summed term by
// term in the question's order (the same float32 arithmetic), then all
// the docs keep passes sorted, the first k.
func searchRef(ix *Index, q []QueryTerm, k int, keep func(int32) bool) []Hit {
	acc := make([]float32, len(ix.docLen))
	for _, qt := range q {
		id, ok := ix.terms[qt.Term]
		if !ok {
			continue
		}
		pl := ix.postings[id]
		w := float32(ix.idf(len(pl)) * qt.Weight)
		for _, p := range pl {
			norm := K1 * (1 - B + B*ix.docLen[p.doc]/ix.avgLen)
			acc[p.doc] += w * p.tf * (K1 + 1) / (p.tf + norm)
		}
	}
	var all []Hit
	for d, s := range acc {
		if s != 0 && (keep == nil || keep(int32(d))) {
			all = append(all, Hit{Doc: int32(d), Score: float64(s)})
		}
	}
	sort.Slice(all, func(i, j int) bool { return better(all[i], all[j]) })
	return all[:max(0, min(k, len(all)))]
}

// Search's selection of the best k (a buffer of 2k, a bar once full) is
// the plain full sort's, for k from 1 to more than the docs, with and
// without a filter, over corpora with many equal scores (few words, short
// docs) and with few (longer docs), and a question repeated on recycled
// memory.
func TestSearchMatchesFullSort(t *testing.T) {
	r := rand.New(rand.NewPCG(11, 12))
	for _, c := range []struct{ docs, vocab, maxLen int }{{3000, 8, 4}, {5000, 60, 30}, {40, 5, 3}} {
		var docs []Doc
		for range c.docs {
			var s string
			for range 1 + r.IntN(c.maxLen) {
				// Zipf-like: low word numbers are common.
				s += fmt.Sprintf("w%c ", 'a'+r.IntN(1+r.IntN(c.vocab)))
			}
			docs = append(docs, Doc{Text: s})
		}
		ix := Build(docs)
		for trial := range 20 {
			var q []QueryTerm
			for range 1 + r.IntN(4) {
				term := fmt.Sprintf("w%c", 'a'+r.IntN(c.vocab))
				q = append(q, QueryTerm{Term: term, Weight: []float64{1, 0.8, 0.6}[r.IntN(3)], Of: term})
			}
			keep := func(d int32) bool { return d%3 != 1 }
			for _, k := range []int{1, 2, 7, 100, 1000, c.docs + 5} {
				for _, kp := range []func(int32) bool{nil, keep} {
					got, want := ix.Search(q, k, kp), searchRef(ix, q, k, kp)
					if len(got) != len(want) || len(want) > 0 && !reflect.DeepEqual(got, want) {
						t.Fatalf("%d docs, trial %d, k=%d, filter %v: %d hits %v, full sort %d %v", c.docs, trial, k, kp != nil, len(got), got[:min(5, len(got))], len(want), want[:min(5, len(want))])
					}
				}
			}
		}
	}
}

// selectBest puts the k best first, the k-th best at k-1, for every k and
// any order of the input, sorted or reversed.
func TestSelectBest(t *testing.T) {
	r := rand.New(rand.NewPCG(13, 14))
	for _, n := range []int{1, 2, 3, 10, 257} {
		h := make([]Hit, n)
		for i := range h {
			h[i] = Hit{Doc: int32(i), Score: float64(r.IntN(4))}
		}
		want := slices.Clone(h)
		sort.Slice(want, func(i, j int) bool { return better(want[i], want[j]) })
		for _, order := range []string{"random", "sorted", "reversed"} {
			for k := 1; k <= n; k++ {
				x := slices.Clone(h)
				switch order {
				case "random":
					r.Shuffle(n, func(i, j int) { x[i], x[j] = x[j], x[i] })
				case "sorted":
					copy(x, want)
				case "reversed":
					copy(x, want)
					slices.Reverse(x)
				}
				selectBest(x, k)
				top := slices.Clone(x[:k])
				sort.Slice(top, func(i, j int) bool { return better(top[i], top[j]) })
				if !slices.Equal(top, want[:k]) || x[k-1] != want[k-1] {
					t.Fatalf("n=%d %s k=%d: first k %v (k-th %v), want %v", n, order, k, top, x[k-1], want[:k])
				}
			}
		}
	}
}
