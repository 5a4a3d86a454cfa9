package lexicon_test

import (
	"slices"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/briefbot/briefbot/retrieval/text/lexicon"
)

// FuzzLookups feeds arbitrary words to every lookup: none panics, and
// what they return is well formed.
func FuzzLookups(f *testing.F) {
	for _, s := range []string{"home", "killed", "PM", "prime minister", "u.s.", "talsk", "", "ss", "ing", "ed", "\xff", "stopped"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		for _, r := range lexicon.Related(s) {
			if r == "" || r == strings.ToLower(s) || strings.ContainsAny(r, " =") {
				t.Errorf("Related(%q) holds %q", s, r)
			}
		}
		for _, e := range lexicon.Expand(s) {
			if len(e) == 0 {
				t.Errorf("Expand(%q) holds an empty expansion", s)
			}
		}
		words := strings.Fields(s)
		abbrs, n := lexicon.Contract(words)
		if n < 0 || n > len(words) || (n == 0) != (abbrs == nil) {
			t.Errorf("Contract(%q) = %v, %d", words, abbrs, n)
		}
		if n > 0 && !slices.ContainsFunc(abbrs, func(a string) bool {
			return slices.ContainsFunc(lexicon.Expand(a), func(e []string) bool { return slices.Equal(e, words[:n]) })
		}) {
			t.Errorf("Contract(%q) = %v, %d: none expands to %q", words, abbrs, n, words[:n])
		}
	})
}

// FuzzDecode feeds arbitrary hand tables (and WordNet tables) to the
// decoder: it errs or succeeds, and never panics.
func FuzzDecode(f *testing.F) {
	f.Add([]byte(nil), "call spoke talk\n", "pm: prime minister | premier\n")
	f.Add(lexicon.WordNetGz[:64], "# c\nhome\n", "us:\n")
	f.Add([]byte{0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 0xff}, "a b\na c\n", ":x\nx: | y\n")
	f.Fuzz(func(t *testing.T, gz []byte, news, abbr string) {
		if !utf8.ValidString(news + abbr) {
			return
		}
		tab, err := lexicon.Decode(gz, news, abbr)
		if err == nil && tab == nil {
			t.Error("Decode returned neither tables nor an error")
		}
	})
}
