package lexicon_test

import (
	"bytes"
	"compress/gzip"
	"reflect"
	"runtime"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/briefbot/briefbot/retrieval/text"
	"github.com/briefbot/briefbot/retrieval/text/lexicon"
)

// budget is the most the embedded WordNet table may weigh (issue 11:
// a compact table in the binary).
const budget = 1_500_000

func TestLoad(t *testing.T) {
	if err := lexicon.Load(); err != nil {
		t.Fatal(err)
	}
	if n := lexicon.Entries(); n < 30_000 {
		t.Errorf("WordNet table holds %d words, want at least 30000", n)
	}
}

func TestRelatedIncludes(t *testing.T) {
	tests := []struct {
		word string
		want []string
	}{
		// WordNet: synonyms, hypernym of a noun's first sense, derivations.
		{"home", []string{"residence", "house", "dwelling"}},
		{"agree", []string{"concur", "agreement"}},
		{"concur", []string{"agree"}},
		{"die", []string{"death"}},
		{"kill", []string{"killing", "die"}},
		{"missile", []string{"rocket"}},
		{"talk", []string{"speak", "conversation"}},
		{"criticize", []string{"criticise"}},
		{"ceasefire", []string{"truce"}},
		// News associations WordNet lacks.
		{"call", []string{"spoke", "conversation"}},
		{"react", []string{"respond", "reaction", "angry"}},
		{"dial", []string{"call"}},
		// Inflected forms: irregular (from WordNet's exception lists) and
		// regular, with the base itself.
		{"killed", []string{"kill", "dead", "death"}},
		{"went", []string{"go"}},
		{"agreed", []string{"agree", "concur"}},
		{"dialing", []string{"dial", "call"}},
		{"missiles", []string{"missile", "rocket"}},
		{"countries", []string{"country", "nation"}},
		{"stopped", []string{"stop", "halt"}},
		{"carried", []string{"carry"}},
		// Case is folded.
		{"Home", []string{"residence"}},
	}
	for _, tt := range tests {
		t.Run(tt.word, func(t *testing.T) {
			got := lexicon.Related(tt.word)
			for _, w := range tt.want {
				if !slices.Contains(got, w) {
					t.Errorf("Related(%q) = %v, want it to include %q", tt.word, got, w)
				}
			}
		})
	}
}

func TestRelatedExcludes(t *testing.T) {
	tests := []struct {
		word string
		not  []string
	}{
		// A plural reading of a word that is a lemma itself.
		{"news", []string{"new", "fresh"}},
		// "evening" is no form of the verb "even".
		{"evening", []string{"level", "flush"}},
		// Hypernyms too generic to help are left out.
		{"leader", []string{"person", "someone"}},
		// Words that stem alike add nothing to stemmed matching.
		{"week", []string{"weekly"}},
		{"year", []string{"yearly"}},
		// Stop words are neither keys nor related words.
		{"home", []string{"home", "in", "at"}},
	}
	for _, tt := range tests {
		t.Run(tt.word, func(t *testing.T) {
			got := lexicon.Related(tt.word)
			for _, w := range tt.not {
				if slices.Contains(got, w) {
					t.Errorf("Related(%q) = %v, want no %q", tt.word, got, w)
				}
			}
		})
	}
}

func TestRelatedBestFirst(t *testing.T) {
	// Hand-written news associations come first, then WordNet's
	// strongest relation (a synonym of the first sense).
	got := lexicon.Related("call")
	if len(got) < 2 || got[0] != "spoke" {
		t.Errorf("Related(call) = %v, want spoke first", got)
	}
	got = lexicon.Related("concur")
	if len(got) == 0 || got[0] != "concurrence" && got[0] != "agree" {
		t.Errorf("Related(concur) = %v, want agree or concurrence first", got)
	}
}

func TestRelatedUnknownIsNil(t *testing.T) {
	for _, w := range []string{"", "talsk", "witkof", "zzzz", "home run", "résidence", "u.s.", "-", "123", "the", "and",
		// Stop words that look inflected: no "doe" for "does", no "bee" for "being".
		"does", "being", "was", "doing"} {
		if got := lexicon.Related(w); got != nil {
			t.Errorf("Related(%q) = %v, want nil", w, got)
		}
	}
}

func TestRelatedWellFormed(t *testing.T) {
	for _, w := range []string{"home", "call", "killed", "went", "agreed", "us", "strike", "president", "attack"} {
		got := lexicon.Related(w)
		seen := map[string]bool{}
		for _, r := range got {
			if r == w || seen[r] || r != strings.ToLower(r) || strings.ContainsAny(r, " =_-") || text.IsStopWord(r) {
				t.Errorf("Related(%q) = %v: bad or repeated word %q", w, got, r)
			}
			seen[r] = true
		}
	}
}

func TestRelatedCallerOwnsSlice(t *testing.T) {
	a := lexicon.Related("home")
	want := slices.Clone(a)
	for i := range a {
		a[i] = "x"
	}
	_ = append(a[:1], "y")
	if got := lexicon.Related("home"); !slices.Equal(got, want) {
		t.Errorf("after the caller changed its slice, Related(home) = %v, want %v", got, want)
	}
}

func TestConcurrentLookups(t *testing.T) {
	want := lexicon.Related("attack")
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			for range 100 {
				if got := lexicon.Related("attack"); !slices.Equal(got, want) {
					t.Errorf("Related(attack) = %v, want %v", got, want)
					return
				}
				lexicon.Expand("pm")
				lexicon.Contract([]string{"prime", "minister"})
			}
		})
	}
	wg.Wait()
}

func TestDecodeIsDeterministic(t *testing.T) {
	a, err := lexicon.Decode(lexicon.WordNetGz, lexicon.NewsText, lexicon.AbbrText)
	if err != nil {
		t.Fatal(err)
	}
	b, err := lexicon.Decode(lexicon.WordNetGz, lexicon.NewsText, lexicon.AbbrText)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(a, b) {
		t.Error("two decodings of the embedded tables differ")
	}
	// And lookups return the same order every time (no map iteration).
	first := lexicon.Related("strike")
	for range 20 {
		if got := lexicon.Related("strike"); !slices.Equal(got, first) {
			t.Fatalf("Related(strike) = %v, then %v", first, got)
		}
	}
}

func TestEmbeddedTableWithinBudget(t *testing.T) {
	if n := len(lexicon.WordNetGz); n > budget {
		t.Errorf("wordnet.txt.gz weighs %d bytes, budget %d", n, budget)
	}
}

// gz compresses a WordNet table for the decoding tests.
func gz(t *testing.T, table string) []byte {
	t.Helper()
	var b bytes.Buffer
	zw := gzip.NewWriter(&b)
	if _, err := zw.Write([]byte(table)); err != nil {
		t.Fatal(err)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func TestDecodeSmallTables(t *testing.T) {
	tab, err := lexicon.Decode(gz(t, "# header\nhome residence house\nwent =go\n"), "call spoke\n", "pm: prime minister | premier\n")
	if err != nil {
		t.Fatal(err)
	}
	if tab == nil {
		t.Fatal("no tables")
	}
}

func TestDecodeRejectsBrokenTables(t *testing.T) {
	good := gz(t, "home residence\n")
	tests := []struct {
		name       string
		gz         []byte
		news, abbr string
	}{
		{"not gzip", []byte("home residence\n"), "", ""},
		{"truncated gzip", lexicon.WordNetGz[:len(lexicon.WordNetGz)/2], "", ""},
		{"upper-case word", gz(t, "Home residence\n"), "", ""},
		{"word twice", gz(t, "home residence\nhome house\n"), "", ""},
		{"news word alone", good, "home\n", ""},
		{"news upper case", good, "home Residence\n", ""},
		{"news twice", good, "home house\nhome residence\n", ""},
		{"abbreviation without colon", good, "", "pm prime minister\n"},
		{"empty expansion", good, "", "pm: prime minister | \n"},
		{"dotted expansion", good, "", "us: u.s.\n"},
		{"abbreviation twice", good, "", "pm: premier\npm: prime minister\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := lexicon.Decode(tt.gz, tt.news, tt.abbr); err == nil {
				t.Error("decoded without error")
			}
		})
	}
}

func TestExpand(t *testing.T) {
	tests := []struct {
		abbr string
		want [][]string
	}{
		{"pm", [][]string{{"prime", "minister"}, {"premier"}}},
		{"PM", [][]string{{"prime", "minister"}, {"premier"}}},
		{"eu", [][]string{{"european", "union"}}},
		{"us", [][]string{{"united", "states"}, {"america"}, {"american"}, {"usa"}}},
		{"uk", [][]string{{"united", "kingdom"}, {"britain"}, {"british"}}},
		{"home", nil},
		{"", nil},
	}
	for _, tt := range tests {
		t.Run(tt.abbr, func(t *testing.T) {
			if got := lexicon.Expand(tt.abbr); !reflect.DeepEqual(got, tt.want) {
				t.Errorf("Expand(%q) = %v, want %v", tt.abbr, got, tt.want)
			}
		})
	}
	// The caller owns what it gets.
	e := lexicon.Expand("pm")
	e[0][0] = "x"
	if lexicon.Expand("pm")[0][0] != "prime" {
		t.Error("changing Expand's result changed the table")
	}
}

func TestContract(t *testing.T) {
	tests := []struct {
		words []string
		want  []string
		n     int
	}{
		{[]string{"prime", "minister", "said"}, []string{"pm"}, 2},
		{[]string{"united", "states", "and"}, []string{"us", "usa"}, 2},
		{[]string{"united", "kingdom"}, []string{"uk"}, 2},
		{[]string{"britain"}, []string{"uk"}, 1},
		// The longest expansion wins.
		{[]string{"chief", "executive", "officer"}, []string{"ceo"}, 3},
		{[]string{"world", "health", "organisation"}, []string{"who"}, 3},
		{[]string{"prime"}, nil, 0},
		{[]string{"said", "prime", "minister"}, nil, 0},
		{nil, nil, 0},
	}
	for _, tt := range tests {
		t.Run(strings.Join(tt.words, " "), func(t *testing.T) {
			got, n := lexicon.Contract(tt.words)
			if !slices.Equal(got, tt.want) || n != tt.n {
				t.Errorf("Contract(%q) = %v, %d, want %v, %d", tt.words, got, n, tt.want, tt.n)
			}
		})
	}
}

// The hand tables must hold words as the tokenizer gives them, or they
// would never match a question or a briefing.
func TestHandTablesHoldTokens(t *testing.T) {
	check := func(what, w string) {
		t.Helper()
		if got := text.Words(w); len(got) != 1 || got[0] != w {
			t.Errorf("%s: %q tokenizes as %q", what, w, got)
		}
	}
	for _, w := range lexicon.NewsWords() {
		check("news.txt", w)
	}
	abbrs := lexicon.Abbreviations()
	if len(abbrs) < 60 {
		t.Errorf("%d abbreviations, want at least 60", len(abbrs))
	}
	for a, es := range abbrs {
		check("abbreviations.txt", a)
		for _, e := range es {
			for _, w := range e {
				check("abbreviations.txt "+a, w)
			}
		}
	}
}

// TestDecodeCost reports what the first lookup costs: go test -v -run
// DecodeCost ./retrieval/text/lexicon
func TestDecodeCost(t *testing.T) {
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	start := time.Now()
	tab, err := lexicon.Decode(lexicon.WordNetGz, lexicon.NewsText, lexicon.AbbrText)
	took := time.Since(start)
	if err != nil {
		t.Fatal(err)
	}
	runtime.GC()
	runtime.ReadMemStats(&after)
	runtime.KeepAlive(tab)
	t.Logf("%d words; %d bytes gzipped; decode %v; heap after decode +%.1f MB",
		lexicon.Entries(), len(lexicon.WordNetGz), took, float64(after.HeapAlloc-before.HeapAlloc)/1e6)
}

// Measured 2026-12-02 on the shared 2-core machine (load ~12) with
//
//	go test -run '^$' -bench . -benchtime 2s -count 3 ./retrieval/text/lexicon
//
// Related: 850-1250 ns/op, 517 B/op, 1 allocs/op (a map lookup and the
// caller's slice). Decode: 48-90 ms/op, 8.1 MB/op, 1275 allocs/op; the
// heap holds 7.9 MB more after it (TestDecodeCost), for 66,126 words.
func BenchmarkRelated(b *testing.B) {
	if err := lexicon.Load(); err != nil {
		b.Fatal(err)
	}
	words := []string{"home", "agree", "killed", "call", "talsk", "missiles", "president"}
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		lexicon.Related(words[i%len(words)])
	}
}

func BenchmarkDecode(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		if _, err := lexicon.Decode(lexicon.WordNetGz, lexicon.NewsText, lexicon.AbbrText); err != nil {
			b.Fatal(err)
		}
	}
}
