package lexical

import (
	"fmt"
	"math/rand/v2"
	"reflect"
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
