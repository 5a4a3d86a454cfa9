package text_test

import (
	"strings"
	"testing"

	"github.com/briefbot/briefbot/retrieval/text"
)

func TestWords(t *testing.T) {
	tests := []struct {
		name, in string
		want     []string
	}{
		{"lower-cased", "Kyiv SAID Hello", []string{"kyiv", "said", "hello"}},
		{"possessive", "Russia's war", []string{"russia", "war"}},
		{"curly possessive", "Ukraine’s allies", []string{"ukraine", "allies"}},
		{"modifier apostrophe", "Ukraineʼs", []string{"ukraine"}},
		{"contractions", "don't we'll they're I've I'd I'm", []string{"don", "we", "they", "i", "i", "i"}},
		{"other apostrophe kept apart", "O'Brien", []string{"o", "brien"}},
		{"dotted acronym", "the U.S. and U.K. said", []string{"the", "us", "and", "uk", "said"}},
		{"acronym at end", "sanctions by the U.S.", []string{"sanctions", "by", "the", "us"}},
		{"acronym curly possessive", "U.S.’s plan", []string{"us", "plan"}},
		{"lower acronym", "e.g. this", []string{"eg", "this"}},
		{"thousands separator", "1,000 troops and 12,500,000 people", []string{"1000", "troops", "and", "12500000", "people"}},
		{"decimal kept", "2.5 per cent", []string{"2.5", "per", "cent"}},
		{"number then sentence end", "It cost 5. Then", []string{"it", "cost", "5", "then"}},
		{"list comma not joined", "1, 2 and 3", []string{"1", "2", "and", "3"}},
		{"hyphen splits", "long-range drones", []string{"long", "range", "drones"}},
		{"unicode letters", "Naïve café Zelenskyy", []string{"naïve", "café", "zelenskyy"}},
		{"punctuation only", "— … !!", nil},
		{"digits inside words", "G7 24/7", []string{"g7", "24", "7"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := text.Words(tt.in)
			if strings.Join(got, "|") != strings.Join(tt.want, "|") {
				t.Errorf("Words(%q) = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
}

func TestEachTokenOffsets(t *testing.T) {
	s := "Russia’s 1,000 drones hit the U.S. base."
	want := []text.Token{
		{"russia", 0, 6},
		{"1000", 11, 16},
		{"drones", 17, 23},
		{"hit", 24, 27},
		{"the", 28, 31},
		{"us", 32, 36},
		{"base", 37, 41},
	}
	var got []text.Token
	text.EachToken(s, func(tk text.Token) { got = append(got, tk) })
	if len(got) != len(want) {
		t.Fatalf("tokens %+v, want %+v", got, want)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("token %d = %+v (%q), want %+v", i, got[i], s[got[i].Start:got[i].End], want[i])
		}
	}
}

func TestStem(t *testing.T) {
	tests := []struct{ in, want string }{
		{"drones", "drone"},
		{"talks", "talk"},
		{"talking", "talk"},
		{"negotiations", "negoti"},
		{"negotiators", "negoti"},
		{"missiles", "missil"},
		{"zelenskyy", "zelenskyy"},
		{"2.5", "2.5"},
		{"1000", "1000"},
		{"us", "us"},
		{"ab", "ab"},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			if got := text.Stem(tt.in); got != tt.want {
				t.Errorf("Stem(%q) = %q, want %q", tt.in, got, tt.want)
			}
			// The cache must not change the answer.
			if got := text.Stem(tt.in); got != tt.want {
				t.Errorf("second Stem(%q) = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
}

func TestStopWords(t *testing.T) {
	for _, w := range []string{"the", "a", "what", "who", "how", "did", "is", "tell", "s"} {
		if !text.IsStopWord(w) {
			t.Errorf("%q should be a stop word", w)
		}
	}
	for _, w := range []string{"russia", "drones", "fire", "us", "missiles", "night", "friday"} {
		if text.IsStopWord(w) {
			t.Errorf("%q should not be a stop word", w)
		}
	}
}

func TestTerms(t *testing.T) {
	tests := []struct {
		name, in string
		want     []string
	}{
		{"question", "How many drones and missiles did Russia fire on Friday night?", []string{"mani", "drone", "missil", "russia", "fire", "friday", "night"}},
		{"possessive and acronym", "What is the U.S.’s plan?", []string{"us", "plan"}},
		{"only stop words", "What is it about?", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := text.Terms(tt.in)
			if strings.Join(got, "|") != strings.Join(tt.want, "|") {
				t.Errorf("Terms(%q) = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
}

func TestWordCount(t *testing.T) {
	tests := []struct {
		in   string
		want int
	}{
		{"", 0},
		{"  one ", 1},
		{"one two\nthree\tfour", 4},
		{"“quoted” — dash", 3},
	}
	for _, tt := range tests {
		if got := text.WordCount(tt.in); got != tt.want {
			t.Errorf("WordCount(%q) = %d, want %d", tt.in, got, tt.want)
		}
	}
}
