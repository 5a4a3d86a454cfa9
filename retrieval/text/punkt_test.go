package text

import (
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"github.com/neurosnap/sentences"
	"github.com/neurosnap/sentences/english"
)

// The sentence ends define every stored quote: the rewritten punkt must
// give the library's positions for every input, byte for byte.

func libraryTokenizer(t testing.TB) *sentences.DefaultSentenceTokenizer {
	t.Helper()
	lib, err := english.NewSentenceTokenizer(nil)
	if err != nil {
		t.Fatal(err)
	}
	return lib
}

// checkPunkt compares the rewrite with the library on s.
func checkPunkt(t testing.TB, lib *sentences.DefaultSentenceTokenizer, s string) {
	t.Helper()
	want := lib.SentencePositions(s)
	got, _ := englishPunkt().sentencePositions(s, nil, nil)
	if !slices.Equal(got, want) {
		t.Fatalf("sentencePositions(%q)\n got %v\nwant %v (the library)", s, got, want)
	}
}

// punktPieces are words and separators that reach every branch of the
// annotations: abbreviations, initials, list numbers, coordinates,
// ellipses, quotes and brackets after an end, CJK punctuation, collocations
// and frequent sentence starters of the English model, invalid UTF-8.
var punktPieces = []string{
	"Mr.", "U.S.", "F.B.I.", "e.g.", "No.", "no.", "Gov.", "sgt.", "Jan.", "Dec.", "St.", "co-op.", "ex-Gov.",
	"J.", "a.", "N°.", "1026.253.553.", "1.", "2)", "3.)", "12a", "1,000.", "-2.5", ".5", "2024.", "3,",
	"...", "..", ".", ". . .", "....", "!", "?", "?!", "etc.", "p.m.", "a.m.", "Inc.", "vs.",
	"said.", "said.”", "said.\"", "said.'", "said.)", "done!”", "why?’", "(He", "[...]", ".[1]", "it.(", "wow!(",
	"“We", "“It", "”", "’", "‘", "\"The", "'This",
	"The", "He", "She", "But", "In", "It", "However", "Kyiv", "Zelensky", "the", "he", "but", "and", "after",
	"。", "？", "！", "；", "日本。", "本当？", "é.", "É.", "Ünal.", "ça.", "\xff.", "\xc3.", "a\xe2\x80.",
	" ", " ", "  ", "\t", "\u00a0", "\u2003", "\r", "\n", "\n\n", "\u0085",
}

func randomPunktText(r *rand.Rand) string {
	var b strings.Builder
	n := 1 + r.IntN(30)
	for i := 0; i < n; i++ {
		b.WriteString(punktPieces[r.IntN(len(punktPieces))])
		switch r.IntN(4) {
		case 0: // glued to the next piece
		case 1:
			b.WriteByte('\n')
		default:
			b.WriteByte(' ')
		}
	}
	return b.String()
}

func TestPunktMatchesLibraryOnRandomText(t *testing.T) {
	lib := libraryTokenizer(t)
	r := rand.New(rand.NewPCG(16, 2026))
	n := 30000
	if testing.Short() || raceEnabled {
		n = 3000
	}
	for i := 0; i < n; i++ {
		checkPunkt(t, lib, randomPunktText(r))
	}
	for _, s := range []string{"", " ", "\n", "a", ".", "。", "x。", " 。 ", "Mr. Smith went home. He slept."} {
		checkPunkt(t, lib, s)
	}
}

// TestPunktMatchesLibraryOnNews compares every paragraph, and every whole
// text, of the news corpora's articles (see newsStride: every tenth by
// default; BRIEFBOT_NEWS_ALL=1 checks all, a minute of CPU).
func TestPunktMatchesLibraryOnNews(t *testing.T) {
	lib := libraryTokenizer(t)
	n := eachNewsArticle(t, newsStride(), 0, func(title, text string) {
		for _, s := range []string{title, text} {
			checkPunkt(t, lib, s)
			for _, para := range strings.Split(s, "\n") {
				checkPunkt(t, lib, para)
			}
		}
	})
	if n < 100 {
		t.Fatalf("checked only %d articles", n)
	}
}

func FuzzPunktMatchesLibrary(f *testing.F) {
	r := rand.New(rand.NewPCG(7, 7))
	for i := 0; i < 20; i++ {
		f.Add(randomPunktText(r))
	}
	f.Add("The U.S. envoy met Zelensky in Miami. Talks resume today.")
	f.Add("1.) The first item. 2.) The second item.")
	f.Add("You can find it at N°. 1026.253.553. That is where the treasure is.")
	f.Add("One further habit . . . was that of combining words. . . . The practice was not abandoned. . . .")
	lib := libraryTokenizer(f)
	f.Fuzz(func(t *testing.T, s string) {
		checkPunkt(t, lib, s)
	})
}

// BenchmarkSentencePositions times the library and the rewrite on the
// paragraphs of the first 500 articles of the news corpora:
//
//	go test ./retrieval/text -run '^$' -bench SentencePositions
func BenchmarkSentencePositions(b *testing.B) {
	var paras []string
	eachNewsArticle(b, 1, 500, func(_, text string) {
		for _, p := range strings.Split(text, "\n") {
			if strings.TrimSpace(p) != "" {
				paras = append(paras, p)
			}
		}
	})
	b.Run("library", func(b *testing.B) {
		lib := libraryTokenizer(b)
		b.ReportAllocs()
		for b.Loop() {
			for _, p := range paras {
				lib.SentencePositions(p)
			}
		}
	})
	b.Run("rewrite", func(b *testing.B) {
		p := englishPunkt()
		var toks []punktToken
		var out []int
		b.ReportAllocs()
		for b.Loop() {
			for _, para := range paras {
				out, toks = p.sentencePositions(para, toks, out[:0])
			}
		}
	})
}
