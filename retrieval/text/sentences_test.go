package text_test

import (
	"runtime"
	"strings"
	"sync"
	"testing"
	"unicode"

	"github.com/briefbot/briefbot/retrieval/text"
)

func sentenceTexts(s string) []string {
	var out []string
	for _, sp := range text.Sentences(s) {
		out = append(out, s[sp.Start:sp.End])
	}
	return out
}

func TestSentences(t *testing.T) {
	tests := []struct {
		name, in string
		want     []string
	}{
		{
			"U.S. inside",
			"The U.S. envoy met Zelensky in Miami. Talks resume today.",
			[]string{"The U.S. envoy met Zelensky in Miami.", "Talks resume today."},
		},
		{
			"Mr. inside",
			"Mr. Witkoff said the talks were productive. He left on Friday.",
			[]string{"Mr. Witkoff said the talks were productive.", "He left on Friday."},
		},
		{
			"Jan. 6 inside",
			"Leaders will meet in France on Jan. 6 to discuss guarantees. The date was confirmed.",
			[]string{"Leaders will meet in France on Jan. 6 to discuss guarantees.", "The date was confirmed."},
		},
		{
			"line breaks end sentences",
			"A headline without a stop\nFirst sentence here.\nSecond line",
			[]string{"A headline without a stop", "First sentence here.", "Second line"},
		},
		{
			"blank lines and indentation trimmed",
			"\n\n   First one.   \n\t\n  Second one.  Third one.\n\n",
			[]string{"First one.", "Second one.", "Third one."},
		},
		{
			"closing quotes stay with the sentence",
			"“We agree,” he said. “It is done.” Then they left.",
			[]string{"“We agree,” he said.", "“It is done.”", "Then they left."},
		},
		{
			"questions and exclamations",
			"Is it over? Not yet! Talks go on.",
			[]string{"Is it over?", "Not yet!", "Talks go on."},
		},
		{
			"decimals are not ends",
			"Growth was 2.5 per cent. It slowed.",
			[]string{"Growth was 2.5 per cent.", "It slowed."},
		},
		{
			"a number ends a sentence",
			"Growth was 2.5 per cent in 2024. It slowed. They meet on January 3. “It is set,” he said.",
			[]string{"Growth was 2.5 per cent in 2024.", "It slowed.", "They meet on January 3.", "“It is set,” he said."},
		},
		{
			"Jan. 6. ends after the day",
			"They met on Jan. 6. Talks went on.",
			[]string{"They met on Jan. 6.", "Talks went on."},
		},
		{
			"a numbered line is not split",
			"1. The first point",
			[]string{"1. The first point"},
		},
		{"empty", "", nil},
		{"only space", " \n\t\n ", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := sentenceTexts(tt.in)
			if strings.Join(got, "\x00") != strings.Join(tt.want, "\x00") {
				t.Errorf("Sentences(%q)\n got %q\nwant %q", tt.in, got, tt.want)
			}
		})
	}
}

// TestSentenceSpans checks the span invariants on a text with CRLF, tabs and
// non-ASCII space: ordered, non-overlapping, trimmed, never crossing a line.
func TestSentenceSpans(t *testing.T) {
	s := "  Kyiv said the U.S. plan\u00a0was fair.\tMoscow did not.\r\n\u2003Mr. Ushakov spoke on Dec. 5. \n\nEnd"
	spans := text.Sentences(s)
	if len(spans) < 4 {
		t.Fatalf("got %d sentences: %q", len(spans), sentenceTexts(s))
	}
	prev := 0
	for i, sp := range spans {
		if sp.Start < prev || sp.End <= sp.Start || sp.End > len(s) {
			t.Fatalf("span %d %v is out of order or empty (previous end %d)", i, sp, prev)
		}
		prev = sp.End
		got := s[sp.Start:sp.End]
		if strings.TrimFunc(got, unicode.IsSpace) != got {
			t.Errorf("span %d %q is not trimmed", i, got)
		}
		if strings.ContainsAny(got, "\n") {
			t.Errorf("span %d %q crosses a line break", i, got)
		}
	}
}

// TestSentencesConcurrent runs the splitter from many goroutines (they share
// the English model and recycle token buffers; -race must stay quiet and
// results must agree).
func TestSentencesConcurrent(t *testing.T) {
	in := "Mr. Witkoff met the U.S. team on Jan. 6. They agreed. “Done,” he said.\nNext line."
	want := strings.Join(sentenceTexts(in), "\x00")
	var wg sync.WaitGroup
	errs := make(chan string, 16)
	for g := 0; g < 8; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < 50; i++ {
				if got := strings.Join(sentenceTexts(in), "\x00"); got != want {
					errs <- got
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for e := range errs {
		t.Errorf("concurrent split differs: %q", e)
	}
}

// TestSentencesKeepTokenizerAcrossGC guards against loading the English
// punkt model again (~10 ms, tens of thousands of allocations) after a
// garbage collection, as a sync.Pool of tokenizers would.
func TestSentencesKeepTokenizerAcrossGC(t *testing.T) {
	const in = "Mr. Witkoff met the U.S. team on Jan. 6. They agreed."
	text.Sentences(in) // build one
	runtime.GC()
	runtime.GC()
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	text.Sentences(in)
	runtime.ReadMemStats(&after)
	if n := after.Mallocs - before.Mallocs; n > 2000 {
		t.Errorf("splitting one short paragraph after a GC took %d allocations: the tokenizer was rebuilt", n)
	}
}
