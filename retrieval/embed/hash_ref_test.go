package embed

import (
	"context"
	"hash/fnv"
	"slices"
	"testing"

	"github.com/briefbot/briefbot/retrieval/text"
)

// refEmbed is the hash embedder as first written (features joined into
// strings and hashed with hash/fnv): Embed must give exactly its vectors,
// since stores hold them.
func refEmbed(dim int, s string) []float32 {
	v := make([]float32, dim)
	feature := func(f string, weight float32) {
		hs := fnv.New64a()
		hs.Write([]byte(f))
		x := hs.Sum64()
		i := int(x % uint64(len(v)))
		if x&(1<<63) != 0 {
			weight = -weight
		}
		v[i] += weight
	}
	prev := ""
	text.EachToken(s, func(t text.Token) {
		if text.IsStopWord(t.Word) {
			prev = ""
			return
		}
		stem := text.Stem(t.Word)
		feature("w:"+stem, 1)
		if prev != "" {
			feature("b:"+prev+" "+stem, 0.5)
		}
		prev = stem
		if len(t.Word) >= 5 && !isNumber(t.Word) {
			w := "<" + t.Word + ">"
			for i := 0; i+4 <= len(w); i++ {
				feature("c:"+w[i:i+4], 0.25)
			}
		}
	})
	if !Normalize(v) {
		v[0] = 1
	}
	return v
}

func TestHashMatchesReference(t *testing.T) {
	texts := []string{
		"",
		"the of and",
		"Russia launched 42 drones at Ukraine on Tuesday, officials said.",
		"Inflation eased to 3.2% in March; the central bank held rates at 5.25 per cent.",
		"Zürich's café owners protested über-high rents — naïve régulations, they said.",
		"COVID-19 vaccines: Pfizer/BioNTech and Moderna's mRNA shots (2021) work.",
		"abcd abcde abcdef 12345 1.2.3.4 hello-world e-mail",
	}
	for _, dim := range []int{256, 7} {
		h := NewHash(dim)
		for _, s := range texts {
			got, err := h.Embed(context.Background(), s)
			if err != nil {
				t.Fatal(err)
			}
			if want := refEmbed(dim, s); !slices.Equal(got, want) {
				t.Errorf("dim %d, %q: vector differs from the reference", dim, s)
			}
		}
	}
}
