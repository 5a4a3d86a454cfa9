// Package rouge scores summaries against references with ROUGE-1, ROUGE-2
// and ROUGE-L F1, the way briefbot's evaluation data is scored: tokens are
// the lower-cased runs of [a-z0-9], there is no stemming and no stop list,
// and ROUGE-L is the longest common subsequence over the whole summary.
package rouge

import "strings"

// Score is precision, recall and F1 of one metric, each in [0, 1].
type Score struct {
	P, R, F float64
}

// Scores holds the three metrics of one summary.
type Scores struct {
	R1, R2, RL Score
}

// Tokens splits s into lower-cased runs of ASCII letters and digits.
func Tokens(s string) []string {
	s = strings.ToLower(s)
	var out []string
	start := -1
	for i := 0; i < len(s); i++ {
		c := s[i]
		alnum := (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9')
		switch {
		case alnum && start < 0:
			start = i
		case !alnum && start >= 0:
			out = append(out, s[start:i])
			start = -1
		}
	}
	if start >= 0 {
		out = append(out, s[start:])
	}
	return out
}

// Compare scores a summary against a reference.
func Compare(summary, reference string) Scores {
	sys, ref := Tokens(summary), Tokens(reference)
	return Scores{R1: ngram(sys, ref, 1), R2: ngram(sys, ref, 2), RL: lcsScore(sys, ref)}
}

func f1(match float64, sysLen, refLen int) Score {
	if sysLen == 0 || refLen == 0 || match == 0 {
		return Score{}
	}
	p, r := match/float64(sysLen), match/float64(refLen)
	return Score{P: p, R: r, F: 2 * p * r / (p + r)}
}

func grams(toks []string, n int) (map[string]int, int) {
	m := map[string]int{}
	total := 0
	for i := 0; i+n <= len(toks); i++ {
		m[strings.Join(toks[i:i+n], " ")]++
		total++
	}
	return m, total
}

// ngram is ROUGE-N: n-gram overlap, each n-gram counted at most as often as
// it occurs in the reference.
func ngram(sys, ref []string, n int) Score {
	sg, sn := grams(sys, n)
	rg, rn := grams(ref, n)
	match := 0
	for g, c := range sg {
		match += min(c, rg[g])
	}
	return f1(float64(match), sn, rn)
}

// lcsScore is ROUGE-L over the whole token sequences.
func lcsScore(sys, ref []string) Score {
	if len(sys) == 0 || len(ref) == 0 {
		return Score{}
	}
	prev := make([]int, len(ref)+1)
	cur := make([]int, len(ref)+1)
	for i := 1; i <= len(sys); i++ {
		for j := 1; j <= len(ref); j++ {
			switch {
			case sys[i-1] == ref[j-1]:
				cur[j] = prev[j-1] + 1
			case prev[j] >= cur[j-1]:
				cur[j] = prev[j]
			default:
				cur[j] = cur[j-1]
			}
		}
		prev, cur = cur, prev
	}
	return f1(float64(prev[len(ref)]), len(sys), len(ref))
}

// Mean accumulates per-summary scores and averages their F1.
type Mean struct {
	n          int
	r1, r2, rl float64
}

// Add counts one summary's scores.
func (m *Mean) Add(s Scores) {
	m.n++
	m.r1 += s.R1.F
	m.r2 += s.R2.F
	m.rl += s.RL.F
}

// N is how many summaries were added.
func (m *Mean) N() int { return m.n }

// F1 returns the mean ROUGE-1, ROUGE-2 and ROUGE-L F1, in percent.
func (m *Mean) F1() (r1, r2, rl float64) {
	if m.n == 0 {
		return 0, 0, 0
	}
	n := float64(m.n)
	return 100 * m.r1 / n, 100 * m.r2 / n, 100 * m.rl / n
}

// CutWords keeps the first n whitespace-separated words of s.
func CutWords(s string, n int) string {
	f := strings.Fields(s)
	if n > 0 && len(f) > n {
		f = f[:n]
	}
	return strings.Join(f, " ")
}
