package embed_test

import (
	"context"
	"math"
	"sync"
	"testing"

	"github.com/briefbot/briefbot/retrieval/embed"
)

func embedText(t *testing.T, h *embed.Hash, s string) []float32 {
	t.Helper()
	v, err := h.Embed(context.Background(), s)
	if err != nil {
		t.Fatalf("Embed(%q): %v", s, err)
	}
	if len(v) != h.Dim {
		t.Fatalf("Embed(%q) has %d dimensions, want %d", s, len(v), h.Dim)
	}
	return v
}

func norm(v []float32) float64 {
	var s float64
	for _, x := range v {
		s += float64(x) * float64(x)
	}
	return math.Sqrt(s)
}

func cosine(a, b []float32) float64 {
	var s float64
	for i := range a {
		s += float64(a[i]) * float64(b[i])
	}
	return s / (norm(a) * norm(b))
}

func TestHashUnitNorm(t *testing.T) {
	for _, dim := range []int{8, 64, embed.DefaultHashDim, 1024} {
		h := embed.NewHash(dim)
		for _, s := range []string{
			"Russia fired 653 drones and 51 missiles on Friday night.",
			"Zelenskyy",
			"the of and", // stop words only: a fixed unit vector
			"",
			"— … !!",
			"Naïve café ünïcödé 2.5 1,000",
		} {
			v := embedText(t, h, s)
			if n := norm(v); math.Abs(n-1) > 1e-5 {
				t.Errorf("dim %d: |Embed(%q)| = %v, want 1", dim, s, n)
			}
			for _, x := range v {
				if math.IsNaN(float64(x)) || math.IsInf(float64(x), 0) {
					t.Fatalf("dim %d: Embed(%q) holds %v", dim, s, x)
				}
			}
		}
	}
}

func TestHashDefaults(t *testing.T) {
	if h := embed.NewHash(0); h.Dim != embed.DefaultHashDim {
		t.Errorf("NewHash(0).Dim = %d, want %d", h.Dim, embed.DefaultHashDim)
	}
	if h := embed.NewHash(-5); h.Dim != embed.DefaultHashDim {
		t.Errorf("NewHash(-5).Dim = %d", h.Dim)
	}
	if got := embed.NewHash(32).Name(); got != "hash-v1" {
		t.Errorf("Name = %q: the store records it, changing it breaks every store", got)
	}
	if got := embed.Describe("hash-v1", 256); got != "hash-v1/256" {
		t.Errorf("Describe = %q", got)
	}
}

func TestHashDeterministic(t *testing.T) {
	const s = "Witkoff and Kushner met Zelensky's team in Miami on Dec 5."
	want := embedText(t, embed.NewHash(128), s)
	// Another instance, and concurrent calls, give the same bits.
	var wg sync.WaitGroup
	for g := 0; g < 8; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			v, err := embed.NewHash(128).Embed(context.Background(), s)
			if err != nil {
				t.Error(err)
				return
			}
			for i := range v {
				if v[i] != want[i] {
					t.Errorf("dimension %d differs: %v vs %v", i, v[i], want[i])
					return
				}
			}
		}()
	}
	wg.Wait()
}

func TestHashSimilarity(t *testing.T) {
	h := embed.NewHash(embed.DefaultHashDim)
	tests := []struct {
		name           string
		a, near, far   string
		minGapNearOver float64
	}{
		{"Zelenskyy vs Zelensky", "Zelenskyy", "Zelensky", "Starmer", 0.2},
		{"Zelenskiy vs Zelensky", "Zelenskiy", "Zelensky", "Macron", 0.2},
		{"Zelenskyy vs Zelenskiy", "Zelenskyy", "Zelenskiy", "Kushner", 0.2},
		{"inflection", "negotiations", "negotiators", "railway", 0.2},
		{"sentence paraphrase", "Russia fired drones and missiles at Ukraine",
			"Ukraine was hit by Russian drones and missiles", "The prosperity package for Ukraine was discussed", 0.1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a := embedText(t, h, tt.a)
			near := cosine(a, embedText(t, h, tt.near))
			far := cosine(a, embedText(t, h, tt.far))
			if near < far+tt.minGapNearOver {
				t.Errorf("cos(%q, %q) = %.3f, cos(%q, %q) = %.3f: the variant should be closer by %.2f", tt.a, tt.near, near, tt.a, tt.far, far, tt.minGapNearOver)
			}
		})
	}
}

func TestNormalize(t *testing.T) {
	tests := []struct {
		name string
		in   []float32
		want []float32
		ok   bool
	}{
		{"3-4-5", []float32{3, 4}, []float32{0.6, 0.8}, true},
		{"already unit", []float32{0, 1, 0}, []float32{0, 1, 0}, true},
		{"negative", []float32{-2, 0}, []float32{-1, 0}, true},
		{"zero", []float32{0, 0}, []float32{0, 0}, false},
		{"empty", nil, nil, false},
		{"NaN", []float32{float32(math.NaN()), 1}, nil, false},
		{"infinite", []float32{float32(math.Inf(1)), 1}, nil, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			v := append([]float32(nil), tt.in...)
			if ok := embed.Normalize(v); ok != tt.ok {
				t.Fatalf("Normalize(%v) = %v, want %v", tt.in, ok, tt.ok)
			}
			for i := range tt.want {
				if math.Abs(float64(v[i]-tt.want[i])) > 1e-6 {
					t.Errorf("Normalize(%v) = %v, want %v", tt.in, v, tt.want)
					break
				}
			}
		})
	}
}
