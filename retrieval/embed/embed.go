// Package embed defines how briefbot turns text into vectors, and its
// default embedder: a pure-Go, weight-free feature-hashing embedder that
// needs no network and no model files.
package embed

import (
	"context"
	"errors"
	"fmt"
	"math"
	"strings"

	"github.com/briefbot/briefbot/retrieval/text"
)

// Embedder turns text into a vector. Implementations must be safe for
// concurrent use and return unit vectors of a fixed dimension.
type Embedder interface {
	// Name identifies the embedder and its model, e.g. "hash-v1" or
	// "ollama:nomic-embed-text". The store records it.
	Name() string
	// Embed returns the unit vector of text.
	Embed(ctx context.Context, text string) ([]float32, error)
}

// ErrZeroVector reports an embedding with no magnitude (no features).
var ErrZeroVector = errors.New("embed: zero vector")

// DefaultHashDim is the hash embedder's default dimension.
const DefaultHashDim = 256

// Hash is the default embedder: stemmed word unigrams and bigrams and
// character 4-grams of each word, feature-hashed with a sign bit into Dim
// buckets and L2-normalised. Character n-grams make spelling variants
// (Zelensky, Zelenskyy, Zelenskiy) land near each other.
type Hash struct {
	Dim int
}

// NewHash returns a hash embedder of dim dimensions (DefaultHashDim if dim <= 0).
func NewHash(dim int) *Hash {
	if dim <= 0 {
		dim = DefaultHashDim
	}
	return &Hash{Dim: dim}
}

// Name implements Embedder.
func (h *Hash) Name() string { return "hash-v1" }

// Embed implements Embedder. Text with no words embeds to a fixed unit
// vector rather than failing, so that every chunk can be stored.
func (h *Hash) Embed(_ context.Context, s string) ([]float32, error) {
	v := make([]float32, h.Dim)
	h.add(v, s)
	if !Normalize(v) {
		v[0] = 1
	}
	return v, nil
}

func (h *Hash) add(v []float32, s string) {
	prev := ""
	text.EachToken(s, func(t text.Token) {
		if text.IsStopWord(t.Word) {
			prev = ""
			return
		}
		stem := text.Stem(t.Word)
		h.feature(v, fnvString(fnvString(fnvOffset, "w:"), stem), 1)
		if prev != "" {
			h.feature(v, fnvString(fnvString(fnvString(fnvString(fnvOffset, "b:"), prev), " "), stem), 0.5)
		}
		prev = stem
		if len(t.Word) >= 5 && !isNumber(t.Word) {
			// The character 4-grams of "<" + word + ">", hashed as "c:" + gram.
			c := fnvString(fnvOffset, "c:")
			n := len(t.Word) + 2
			for i := 0; i+4 <= n; i++ {
				x := c
				for j := i; j < i+4; j++ {
					switch {
					case j == 0:
						x = fnvByte(x, '<')
					case j == n-1:
						x = fnvByte(x, '>')
					default:
						x = fnvByte(x, t.Word[j-1])
					}
				}
				h.feature(v, x, 0.25)
			}
		}
	})
}

func isNumber(w string) bool {
	return strings.IndexFunc(w, func(r rune) bool { return (r < '0' || r > '9') && r != '.' }) < 0
}

// FNV-1a, 64 bits (hash/fnv's New64a), over strings without converting or
// joining them: a feature's hash is that of its parts one after another.
const (
	fnvOffset uint64 = 14695981039346656037
	fnvPrime  uint64 = 1099511628211
)

func fnvByte(x uint64, c byte) uint64 { return (x ^ uint64(c)) * fnvPrime }

func fnvString(x uint64, s string) uint64 {
	for i := 0; i < len(s); i++ {
		x = fnvByte(x, s[i])
	}
	return x
}

// feature adds weight to the component the feature's hash x picks, with
// the sign of its top bit.
func (h *Hash) feature(v []float32, x uint64, weight float32) {
	i := int(x % uint64(len(v)))
	if x&(1<<63) != 0 {
		weight = -weight
	}
	v[i] += weight
}

// Normalize scales v to unit length in place. It reports false for a zero
// vector, or one with a NaN or infinite component (chromem-go's remote
// embedding funcs turn a zero vector into NaNs), leaving v as it was.
func Normalize(v []float32) bool {
	var sum float64
	for _, x := range v {
		sum += float64(x) * float64(x)
	}
	if sum == 0 || math.IsNaN(sum) || math.IsInf(sum, 0) {
		return false
	}
	inv := float32(1 / math.Sqrt(sum))
	for i := range v {
		v[i] *= inv
	}
	return true
}

// Describe names an embedder and its dimension as the store records it,
// e.g. "hash-v1/256".
func Describe(name string, dim int) string { return fmt.Sprintf("%s/%d", name, dim) }
