package lexical

import (
	"math"
	"testing"

	"github.com/briefbot/briefbot/retrieval/text"
)

func query(ix *Index, q string) []QueryTerm {
	return ix.Expand(text.Terms(q))
}

func docsOf(hits []Hit) []int32 {
	out := make([]int32, len(hits))
	for i, h := range hits {
		out[i] = h.Doc
	}
	return out
}

func TestSearchRanking(t *testing.T) {
	tests := []struct {
		name  string
		docs  []Doc
		query string
		want  []int32 // expected order of the top hits
	}{
		{
			name: "rare term ranks first",
			docs: []Doc{
				{Text: "Russia and Ukraine talks continue in Miami."},
				{Text: "Russia fired drones at Ukraine overnight."},
				{Text: "Russia fired drones and missiles; the railway hub at Fastiv was hit."},
				{Text: "Ukraine and Russia met again."},
			},
			query: "Russia Fastiv",
			want:  []int32{2},
		},
		{
			name: "stemming matches inflections",
			docs: []Doc{
				{Text: "The weather was cold."},
				{Text: "Negotiators negotiated the negotiation."},
			},
			query: "negotiations",
			want:  []int32{1},
		},
		{
			name: "title extra counts",
			docs: []Doc{
				{Text: "Officials met on Monday."},
				{Text: "Officials met on Tuesday.", Extra: "Ceasefire agreed"},
			},
			query: "ceasefire",
			want:  []int32{1},
		},
		{
			name: "length normalisation favours the short doc",
			docs: []Doc{
				{Text: "drones " + repeat("filler words about other matters ", 20)},
				{Text: "drones hit Kyiv"},
				{Text: "nothing relevant here"},
			},
			query: "drones",
			want:  []int32{1, 0},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ix := Build(tt.docs)
			hits := ix.Search(query(ix, tt.query), 10, nil)
			got := docsOf(hits)
			if len(got) < len(tt.want) {
				t.Fatalf("hits %v, want at least %v first", got, tt.want)
			}
			for i, d := range tt.want {
				if got[i] != d {
					t.Fatalf("hits %v, want %v first", got, tt.want)
				}
			}
			for i := 1; i < len(hits); i++ {
				if hits[i].Score > hits[i-1].Score {
					t.Errorf("hits not sorted by score: %+v", hits)
				}
			}
		})
	}
}

func repeat(s string, n int) string {
	out := ""
	for i := 0; i < n; i++ {
		out += s
	}
	return out
}

// TestSearchScoreValue checks one BM25 score by hand.
func TestSearchScoreValue(t *testing.T) {
	ix := Build([]Doc{
		{Text: "drone drone strike"}, // len 3, tf(drone)=2
		{Text: "strike"},             // len 1
	})
	// N=2, df(drone)=1: idf = ln(1 + (2-1+0.5)/(1+0.5)) = ln 2; avgLen 2.
	idf := math.Log(2)
	k1, b := float64(K1), float64(B)
	norm := k1 * (1 - b + b*3.0/2.0)
	want := idf * 2 * (k1 + 1) / (2 + norm)
	hits := ix.Search([]QueryTerm{{Term: "drone", Weight: 1}}, 5, nil)
	if len(hits) != 1 || hits[0].Doc != 0 {
		t.Fatalf("hits %+v", hits)
	}
	if math.Abs(hits[0].Score-want) > 1e-5 {
		t.Errorf("score %v, want %v", hits[0].Score, want)
	}
	if got := ix.IDF("drone"); math.Abs(got-idf) > 1e-12 {
		t.Errorf("IDF(drone) = %v, want %v", got, idf)
	}
	if ix.IDF("unknown") != ix.IDF("drone") {
		t.Errorf("an unknown term should weigh as a term seen once")
	}
}

// TestSearchSaturation checks that term frequency saturates: ten mentions
// score more than one, but far less than ten times as much.
func TestSearchSaturation(t *testing.T) {
	docs := []Doc{{Text: "missile"}, {Text: repeat("missile ", 10)}, {Text: "other words"}, {Text: "more words"}}
	// Give every doc the same length so only tf differs.
	docs[0].Text += repeat(" pad", 9)
	ix := Build(docs)
	hits := ix.Search([]QueryTerm{{Term: "missil", Weight: 1}}, 5, nil)
	if len(hits) != 2 {
		t.Fatalf("hits %+v", hits)
	}
	one, ten := hits[1].Score, hits[0].Score
	if hits[0].Doc != 1 || ten <= one {
		t.Fatalf("ten mentions should rank first: %+v", hits)
	}
	// Equal lengths: score(tf) = idf*tf*(k1+1)/(tf+norm), so ten mentions
	// score 10*(1+norm)/(10+norm) times one, not ten times.
	norm := K1 * (1 - B + B*10/ix.avgLen)
	want := 10 * (1 + norm) / (10 + norm)
	if ratio := ten / one; math.Abs(ratio-float64(want)) > 1e-3 || ratio > 3 {
		t.Errorf("tf=10 scores %v times tf=1, want %v (saturating)", ratio, want)
	}
}

func TestSearchKeepAndK(t *testing.T) {
	var docs []Doc
	for i := 0; i < 20; i++ {
		docs = append(docs, Doc{Text: "ceasefire talks " + repeat("word ", i)})
	}
	ix := Build(docs)
	q := query(ix, "ceasefire")
	even := func(d int32) bool { return d%2 == 0 }
	tests := []struct {
		name string
		k    int
		keep func(int32) bool
		want int
	}{
		{"all", 100, nil, 20},
		{"top k", 5, nil, 5},
		{"keep filter", 100, even, 10},
		{"keep and k", 3, even, 3},
		{"keep none", 10, func(int32) bool { return false }, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			hits := ix.Search(q, tt.k, tt.keep)
			if len(hits) != tt.want {
				t.Fatalf("%d hits, want %d", len(hits), tt.want)
			}
			for _, h := range hits {
				if tt.keep != nil && !tt.keep(h.Doc) {
					t.Errorf("doc %d passed a filter that rejects it", h.Doc)
				}
			}
			// Shorter docs rank first among equal tf.
			for i := 1; i < len(hits); i++ {
				if hits[i].Doc < hits[i-1].Doc {
					t.Errorf("order %v: shorter docs should rank first", docsOf(hits))
				}
			}
		})
	}
	// The accumulator is pooled: a filtered search must not leak scores into the next.
	a := ix.Search(q, 100, nil)
	ix.Search(q, 1, even)
	b := ix.Search(q, 100, nil)
	for i := range a {
		if a[i] != b[i] {
			t.Fatalf("search results changed between identical calls: %+v vs %+v", a[i], b[i])
		}
	}
}

func TestSearchEmpty(t *testing.T) {
	ix := Build(nil)
	if ix.Len() != 0 {
		t.Fatalf("Len = %d", ix.Len())
	}
	if hits := ix.Search([]QueryTerm{{Term: "x", Weight: 1}}, 5, nil); len(hits) != 0 {
		t.Errorf("hits on an empty index: %+v", hits)
	}
	ix = Build([]Doc{{Text: "drones"}})
	if hits := ix.Search(nil, 5, nil); len(hits) != 0 {
		t.Errorf("hits for an empty query: %+v", hits)
	}
	if hits := ix.Search([]QueryTerm{{Term: "missil", Weight: 1}}, 5, nil); len(hits) != 0 {
		t.Errorf("hits for an absent term: %+v", hits)
	}
}

func TestExpand(t *testing.T) {
	ix := Build([]Doc{
		{Text: "Zelensky said"},
		{Text: "Zelenskyy spoke"},
		{Text: "Zelenskiy's request"},
		{Text: "Zelenska visited"},
		{Text: "Zealand and Zeeland and zebra"},
		{Text: "Ukraine Ukrainian 2022 2023"},
	})
	variants := func(q string) map[string]float64 {
		got := map[string]float64{}
		for _, qt := range ix.Expand(text.Terms(q)) {
			got[qt.Term] = qt.Weight
		}
		return got
	}
	tests := []struct {
		query   string
		want    []string
		notWant []string
	}{
		{"Zelensky", []string{"zelenski", "zelenskyy", "zelenskiy"}, []string{"zealand", "zeeland", "zebra"}},
		{"Zelenskyy", []string{"zelenskyy", "zelenski", "zelenskiy"}, []string{"zealand"}},
		{"Zelenskiy", []string{"zelenskiy", "zelenski", "zelenskyy"}, []string{"zealand"}},
		{"2022", []string{"2022"}, []string{"2023"}},
		{"war", []string{"war"}, nil}, // short words are not expanded
	}
	for _, tt := range tests {
		t.Run(tt.query, func(t *testing.T) {
			got := variants(tt.query)
			for _, w := range tt.want {
				if _, ok := got[w]; !ok {
					t.Errorf("Expand(%q) = %v, missing %q", tt.query, got, w)
				}
			}
			for _, w := range tt.notWant {
				if _, ok := got[w]; ok {
					t.Errorf("Expand(%q) = %v, should not hold %q", tt.query, got, w)
				}
			}
			orig := text.Terms(tt.query)[0]
			if got[orig] != 1 {
				t.Errorf("the question's own term %q has weight %v, want 1", orig, got[orig])
			}
			for term, w := range got {
				if term != orig && (w <= 0 || w >= 1) {
					t.Errorf("variant %q has weight %v, want in (0,1)", term, w)
				}
			}
		})
	}
	// Every spelling finds all three articles about him.
	for _, q := range []string{"Zelensky", "Zelenskyy", "Zelenskiy"} {
		hits := ix.Search(query(ix, q), 10, nil)
		found := map[int32]bool{}
		for _, h := range hits {
			found[h.Doc] = true
		}
		if !found[0] || !found[1] || !found[2] {
			t.Errorf("%s finds docs %v, want 0, 1 and 2", q, docsOf(hits))
		}
		if len(hits) > 0 && hits[0].Doc != map[string]int32{"Zelensky": 0, "Zelenskyy": 1, "Zelenskiy": 2}[q] {
			t.Errorf("%s: the exact spelling should rank first, got %v", q, docsOf(hits))
		}
	}
}

func TestEditDistance(t *testing.T) {
	tests := []struct {
		a, b    string
		maxDist int
		want    int
	}{
		{"", "", 2, 0},
		{"abc", "abc", 2, 0},
		{"abc", "", 5, 3},
		{"", "abc", 5, 3},
		{"zelenski", "zelenskyy", 2, 2},
		{"zelenskiy", "zelenskyy", 2, 1},
		{"zelenski", "zelenskiy", 2, 1},
		{"kitten", "sitting", 5, 3},
		{"kitten", "sitting", 1, 2}, // capped at maxDist+1
		{"abcd", "abdc", 2, 1},      // transposition
		{"ca", "abc", 5, 3},         // optimal string alignment, not full Damerau
		{"zealand", "zelenski", 2, 3},
	}
	for _, tt := range tests {
		t.Run(tt.a+"/"+tt.b, func(t *testing.T) {
			if got := editDistance(tt.a, tt.b, tt.maxDist); got != tt.want {
				t.Errorf("editDistance(%q, %q, %d) = %d, want %d", tt.a, tt.b, tt.maxDist, got, tt.want)
			}
			if got := editDistance(tt.b, tt.a, tt.maxDist); got != tt.want {
				t.Errorf("editDistance(%q, %q, %d) = %d, want %d (symmetry)", tt.b, tt.a, tt.maxDist, got, tt.want)
			}
		})
	}
}
