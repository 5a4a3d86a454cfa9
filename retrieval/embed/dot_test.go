package embed

import (
	"math"
	"math/rand/v2"
	"testing"
)

func TestDot(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	for _, n := range []int{0, 1, 7, 8, 9, 64, 255, 256} {
		a, b := make([]float32, n), make([]float32, n)
		var want float64
		for i := range a {
			a[i], b[i] = r.Float32()-0.5, r.Float32()-0.5
			want += float64(a[i]) * float64(b[i])
		}
		if got := Dot(a, b); math.Abs(float64(got)-want) > 1e-5 {
			t.Errorf("n=%d: Dot = %v, want %v", n, got, want)
		}
	}
}

func BenchmarkDot256(b *testing.B) {
	x, y := make([]float32, 256), make([]float32, 256)
	for i := range x {
		x[i], y[i] = float32(i), float32(256-i)
	}
	var s float32
	for b.Loop() {
		s += Dot(x, y)
	}
	_ = s
}

// Dot2 is two Dots, bit for bit, for every length (the unrolled loop and
// its tail), including values whose sums round differently by order.
func TestDot2IsTwoDots(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 6))
	for n := range 70 {
		for range 20 {
			a, b, c := make([]float32, n), make([]float32, n+r.IntN(3)), make([]float32, n+r.IntN(3))
			for i := range a {
				a[i] = float32(r.NormFloat64() * math.Pow(10, float64(r.IntN(7)-3)))
			}
			for i := range b {
				b[i] = float32(r.NormFloat64() * math.Pow(10, float64(r.IntN(7)-3)))
			}
			for i := range c {
				c[i] = float32(r.NormFloat64())
			}
			x, y := Dot2(a, b, c)
			if math.Float32bits(x) != math.Float32bits(Dot(a, b)) || math.Float32bits(y) != math.Float32bits(Dot(a, c)) {
				t.Fatalf("n=%d: Dot2 = %v, %v; Dot = %v, %v", n, x, y, Dot(a, b), Dot(a, c))
			}
		}
	}
}
