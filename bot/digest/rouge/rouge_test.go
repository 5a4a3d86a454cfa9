package rouge

import (
	"math"
	"reflect"
	"testing"
)

func near(a, b float64) bool { return math.Abs(a-b) < 1e-9 }

func TestTokens(t *testing.T) {
	got := Tokens("The U.S. fired 2,000 drones -- it's Kyiv's \"plan\" ; ok")
	want := []string{"the", "u", "s", "fired", "2", "000", "drones", "it", "s", "kyiv", "s", "plan", "ok"}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("Tokens = %q, want %q", got, want)
	}
	if Tokens("  ...  ") != nil {
		t.Fatal("no tokens expected")
	}
}

// The expected values are worked out by hand in the comments.
func TestCompare(t *testing.T) {
	tests := []struct {
		name       string
		sys, ref   string
		r1, r2, rl float64
	}{
		// sys: the cat sat on the mat (6), ref: the cat lay on the mat (6).
		// unigrams: the x2, cat, on, mat = 5 -> P=R=5/6.
		// bigrams: "the cat", "on the", "the mat" = 3 of 5 -> 3/5.
		// LCS: the cat on the mat = 5 -> 5/6.
		{"one word differs", "The cat sat on the mat.", "the cat lay on the mat", 5.0 / 6, 3.0 / 5, 5.0 / 6},
		// sys: a b c (3), ref: c b a d (4).
		// unigrams 3: P=1, R=3/4, F=2*.75/1.75=6/7. bigrams: none.
		// LCS length 1: P=1/3, R=1/4, F=2/7.
		{"reversed", "a b c", "c b a d", 6.0 / 7, 0, 2.0 / 7},
		// clipping: sys "the the the" vs ref "the cat": match 1, P=1/3 R=1/2 F=0.4.
		// LCS 1 -> same 0.4. bigrams: "the the" x2 vs "the cat": 0.
		{"clipped counts", "the the the", "the cat", 0.4, 0, 0.4},
		{"empty summary", "", "the cat", 0, 0, 0},
		{"identical", "Hello, world!", "hello world", 1, 1, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := Compare(tt.sys, tt.ref)
			if !near(s.R1.F, tt.r1) || !near(s.R2.F, tt.r2) || !near(s.RL.F, tt.rl) {
				t.Fatalf("F1 = %.6f/%.6f/%.6f, want %.6f/%.6f/%.6f", s.R1.F, s.R2.F, s.RL.F, tt.r1, tt.r2, tt.rl)
			}
		})
	}
}

func TestMeanAndCut(t *testing.T) {
	var m Mean
	m.Add(Compare("a b", "a b"))
	m.Add(Compare("x", "a"))
	r1, r2, rl := m.F1()
	if m.N() != 2 || !near(r1, 50) || !near(r2, 50) || !near(rl, 50) {
		t.Fatalf("mean = %v %v %v over %d", r1, r2, rl, m.N())
	}
	if got := CutWords(" one  two\nthree four ", 3); got != "one two three" {
		t.Fatalf("CutWords = %q", got)
	}
}
