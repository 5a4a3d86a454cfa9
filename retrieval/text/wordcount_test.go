package text

import (
	"math/rand/v2"
	"strings"
	"testing"
)

// TestWordCountIsFields checks WordCount against len(strings.Fields), the
// definition it must keep: ASCII and Unicode spaces (NEL, no-break, em
// space, ideographic), invalid UTF-8, and random mixes of them.
func TestWordCountIsFields(t *testing.T) {
	cases := []string{"", " ", "a", " a ", "a  b\tc\nd\re\vf\fg", "no\u00a0break", "em\u2003space", "nel\u0085x",
		"ideo\u3000graphic", "bad\xffutf8 \xe2\x80", "café naïve — “quoted” 1,200.", "\u2028line\u2029sep"}
	r := rand.New(rand.NewPCG(5, 6))
	pieces := []string{" ", "\t", "\n", "a", "é", "\u00a0", "\u2003", "\u0085", "\xff", "\xe2", "word", "\u3000", "\x1c", "\x85"}
	for range 2000 {
		var b strings.Builder
		for range r.IntN(12) {
			b.WriteString(pieces[r.IntN(len(pieces))])
		}
		cases = append(cases, b.String())
	}
	for _, s := range cases {
		if got, want := WordCount(s), len(strings.Fields(s)); got != want {
			t.Fatalf("WordCount(%q) = %d, want %d", s, got, want)
		}
	}
}
