package text

import (
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"
)

// eachTokenReference is EachToken as it was before its ASCII fast path
// (a strings.Builder and WriteRune for every rune), kept to check the
// rewrite against: the tokens are the index terms and embedding features
// of every stored chunk.
func eachTokenReference(s string, fn func(Token)) {
	var b strings.Builder
	i := 0
	for i < len(s) {
		r, w := utf8.DecodeRuneInString(s[i:])
		if !isWordRune(r) {
			i += w
			continue
		}
		start := i
		b.Reset()
		if n := acronymLen(s[i:]); n > 0 {
			for _, r := range s[i : i+n] {
				if r != '.' {
					b.WriteRune(unicode.ToLower(r))
				}
			}
			i += n
			fn(Token{Word: b.String(), Start: start, End: i})
			i = skipClitic(s, i)
			continue
		}
		for i < len(s) {
			r, w = utf8.DecodeRuneInString(s[i:])
			if isWordRune(r) {
				b.WriteRune(unicode.ToLower(r))
				i += w
				continue
			}
			if (r == '.' || r == ',') && i+w < len(s) && b.Len() > 0 {
				prev := b.String()[b.Len()-1]
				next, _ := utf8.DecodeRuneInString(s[i+w:])
				if prev >= '0' && prev <= '9' && unicode.IsDigit(next) {
					if r == '.' {
						b.WriteByte('.')
					}
					i += w
					continue
				}
			}
			break
		}
		end := i
		i = skipClitic(s, i)
		fn(Token{Word: b.String(), Start: start, End: end})
	}
}

// isWordRuneReference is isWordRune without its ASCII branch.
func isWordRuneReference(r rune) bool {
	return (unicode.IsLetter(r) || unicode.IsDigit(r)) && r != 'ʼ'
}

func checkEachToken(t testing.TB, s string) {
	t.Helper()
	var got, want []Token
	EachToken(s, func(tk Token) { got = append(got, tk) })
	eachTokenReference(s, func(tk Token) { want = append(want, tk) })
	if !slices.Equal(got, want) {
		t.Fatalf("EachToken(%q)\n got %+v\nwant %+v", s, got, want)
	}
}

func TestIsWordRuneASCII(t *testing.T) {
	for r := rune(0); r < 0x800; r++ {
		if isWordRune(r) != isWordRuneReference(r) {
			t.Errorf("isWordRune(%U) = %v", r, isWordRune(r))
		}
	}
}

var tokenPieces = []string{
	"Kyiv", "SAID", "U.S.", "U.S.A", "e.g.", "Russia's", "Ukraine’s", "Ukraineʼs", "don't", "O'Brien", "1,000", "2.5",
	"12,500,000", "5.", "G7", "24/7", "Naïve", "CAFÉ", "Zelenskyy", "İstanbul", "ΣΟΦΙΑ", "ǅemal", "—", "…", "!!",
	"\xff", "\xc3", "a\xe2\x80", "٣", "x²", "Ⅻ", " ", "\n", ".", ",", "'", "’", "ʼ", "-",
}

func TestEachTokenMatchesReference(t *testing.T) {
	r := rand.New(rand.NewPCG(16, 16))
	n, stride := 20000, newsStride()
	if testing.Short() || raceEnabled {
		n = 2000
	}
	for i := 0; i < n; i++ {
		var b strings.Builder
		for n := 1 + r.IntN(12); n > 0; n-- {
			b.WriteString(tokenPieces[r.IntN(len(tokenPieces))])
			if r.IntN(3) == 0 {
				b.WriteByte(' ')
			}
		}
		checkEachToken(t, b.String())
	}
	eachNewsArticle(t, stride, 0, func(title, text string) {
		checkEachToken(t, title)
		checkEachToken(t, text)
	})
}

func FuzzEachTokenMatchesReference(f *testing.F) {
	for _, p := range tokenPieces {
		f.Add(p + " " + p)
	}
	f.Add("Russia’s 1,000 drones hit the U.S. base.")
	f.Fuzz(func(t *testing.T, s string) {
		checkEachToken(t, s)
	})
}
