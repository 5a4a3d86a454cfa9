package evaluate_test

import (
	"math"
	"strings"
	"testing"

	"github.com/briefbot/briefbot/retrieval/evaluate"
)

func TestNormalize(t *testing.T) {
	tests := []struct{ in, want string }{
		{"The Eiffel Tower", "eiffel tower"},
		{"  A  cat, an owl & THE dog!  ", "cat owl dog"},
		{"Theatre", "theatre"}, // articles only as whole words
		{"“653 drones”", "653 drones"},
		{"U.S.", "us"},
		{"1,000", "1000"},
		{"$5.5 billion", "55 billion"},
		{"Zelenskyy's", "zelenskyys"},
		{"rock-n-roll", "rocknroll"},
		{"line\nbreak\ttab", "line break tab"},
		{"", ""},
		{"the a an", ""},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			if got := evaluate.Normalize(tt.in); got != tt.want {
				t.Errorf("Normalize(%q) = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
}

func TestFirstWords(t *testing.T) {
	tests := []struct {
		in   string
		n    int
		want string
	}{
		{"a b c", 2, "a b"},
		{" a\n b ", 5, "a b"},
		{"", 3, ""},
		{"a b", 0, ""},
	}
	for _, tt := range tests {
		if got := evaluate.FirstWords(tt.in, tt.n); got != tt.want {
			t.Errorf("FirstWords(%q, %d) = %q, want %q", tt.in, tt.n, got, tt.want)
		}
	}
}

func TestAnswerInQuotes(t *testing.T) {
	words := func(n int) string { return strings.TrimSpace(strings.Repeat("filler ", n)) }
	tests := []struct {
		name   string
		answer string
		quotes []string
		k      int
		want   bool
	}{
		{"in first quote", "653 drones", []string{"Russia fired 653 drones and 51 missiles."}, 1, true},
		{"normalised match", "The U.S.", []string{"talks with the US envoy"}, 1, true},
		{"case and punctuation", "Sir Keir Starmer", []string{"UK Prime Minister, SIR KEIR STARMER; said"}, 1, true},
		{"whole words only", "art", []string{"the party started"}, 1, false},
		{"number not inside a number", "65", []string{"Russia fired 653 drones"}, 1, false},
		{"outside k", "Fastiv", []string{"no", "no", "the town of Fastiv"}, 2, false},
		{"within k", "Fastiv", []string{"no", "no", "the town of Fastiv"}, 3, true},
		{"k beyond quotes", "Fastiv", []string{"Fastiv"}, 5, true},
		{"no quotes", "Fastiv", nil, 3, false},
		{"empty answer never matches", "", []string{"anything"}, 1, false},
		{"answer of articles only", "the", []string{"the"}, 1, false},
		{"answer at word 60", "target", []string{words(59) + " target"}, 1, true},
		{"answer at word 61 is cut", "target", []string{words(60) + " target"}, 1, false},
		{"answer across the cut", "last word", []string{words(59) + " last word"}, 1, false},
		{"cut per quote", "target", []string{words(70) + " target", "target"}, 2, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := evaluate.AnswerInQuotes(tt.answer, tt.quotes, tt.k); got != tt.want {
				t.Errorf("AnswerInQuotes(%q, k=%d) = %v, want %v", tt.answer, tt.k, got, tt.want)
			}
		})
	}
}

func TestAnswerContainedInQuotes(t *testing.T) {
	tests := []struct {
		name   string
		answer string
		quotes []string
		k      int
		want   bool
	}{
		{"whole words", "653 drones", []string{"Russia fired 653 drones."}, 1, true},
		{"inside a word", "Europe", []string{"European regulators said"}, 1, true},
		{"inside a number", "65", []string{"Russia fired 653 drones"}, 1, true},
		{"absent", "Asia", []string{"European regulators said"}, 1, false},
		{"outside k", "Fastiv", []string{"no", "Fastiv"}, 1, false},
		{"empty answer never matches", "", []string{"anything"}, 1, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := evaluate.AnswerContainedInQuotes(tt.answer, tt.quotes, tt.k); got != tt.want {
				t.Errorf("AnswerContainedInQuotes(%q, k=%d) = %v, want %v", tt.answer, tt.k, got, tt.want)
			}
		})
	}
}

func TestScoreRanking(t *testing.T) {
	ln2 := math.Log2
	tests := []struct {
		name string
		docs []string
		rel  map[string]float64
		want evaluate.Ranking
	}{
		{
			name: "first is relevant",
			docs: []string{"a", "x", "y"},
			rel:  map[string]float64{"a": 1},
			want: evaluate.Ranking{Recall1: 1, Recall5: 1, Recall10: 1, MRR10: 1, NDCG10: 1},
		},
		{
			name: "third is relevant",
			docs: []string{"x", "y", "a"},
			rel:  map[string]float64{"a": 1},
			// DCG = 1/log2(4) = 0.5, IDCG = 1.
			want: evaluate.Ranking{Recall1: 0, Recall5: 1, Recall10: 1, MRR10: 1.0 / 3, NDCG10: 0.5},
		},
		{
			name: "graded, one of three missing",
			docs: []string{"a", "x", "b", "y"},
			rel:  map[string]float64{"a": 1, "b": 2, "c": 1},
			// DCG = (2^1-1)/log2(2) + (2^2-1)/log2(4) = 1 + 1.5;
			// IDCG = 3/log2(2) + 1/log2(3) + 1/log2(4).
			want: evaluate.Ranking{Recall1: 1.0 / 3, Recall5: 2.0 / 3, Recall10: 2.0 / 3, MRR10: 1,
				NDCG10: 2.5 / (3 + 1/ln2(3) + 0.5)},
		},
		{
			name: "relevant at rank 6",
			docs: []string{"1", "2", "3", "4", "5", "a"},
			rel:  map[string]float64{"a": 1},
			want: evaluate.Ranking{Recall10: 1, MRR10: 1.0 / 6, NDCG10: 1 / ln2(7)},
		},
		{
			name: "relevant at rank 11 is past every cut",
			docs: []string{"1", "2", "3", "4", "5", "6", "7", "8", "9", "10", "a"},
			rel:  map[string]float64{"a": 1},
			want: evaluate.Ranking{},
		},
		{
			name: "nothing retrieved",
			docs: nil,
			rel:  map[string]float64{"a": 1},
			want: evaluate.Ranking{},
		},
		{
			name: "no judgements",
			docs: []string{"a"},
			rel:  nil,
			want: evaluate.Ranking{},
		},
		{
			name: "grade 0 is judged non-relevant",
			docs: []string{"z", "a"},
			rel:  map[string]float64{"a": 1, "z": 0},
			want: evaluate.Ranking{Recall1: 0, Recall5: 1, Recall10: 1, MRR10: 0.5, NDCG10: 1 / ln2(3)},
		},
		{
			name: "only non-relevant judgements",
			docs: []string{"z"},
			rel:  map[string]float64{"z": 0},
			want: evaluate.Ranking{},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := evaluate.ScoreRanking(tt.docs, tt.rel)
			check := func(metric string, got, want float64) {
				t.Helper()
				if math.Abs(got-want) > 1e-9 {
					t.Errorf("%s = %.6f, want %.6f", metric, got, want)
				}
			}
			check("Recall@1", got.Recall1, tt.want.Recall1)
			check("Recall@5", got.Recall5, tt.want.Recall5)
			check("Recall@10", got.Recall10, tt.want.Recall10)
			check("MRR@10", got.MRR10, tt.want.MRR10)
			check("nDCG@10", got.NDCG10, tt.want.NDCG10)
		})
	}
}
