package ingest_test

import (
	"fmt"
	"math/rand/v2"
	"path/filepath"
	"strings"
	"testing"

	"github.com/briefbot/briefbot/retrieval"
	"github.com/briefbot/briefbot/retrieval/ingest"
	"github.com/briefbot/briefbot/retrieval/text"
)

// checkChunks asserts the chunking invariants: chunks are numbered in order,
// contiguous, cover the whole body, hold every sentence exactly once and
// inside their own span, and stay within maxWords unless they are a single
// sentence.
func checkChunks(t *testing.T, id, body string, sents []text.Span, chunks []retrieval.Chunk, maxWords int) {
	t.Helper()
	if body == "" {
		if len(chunks) != 0 {
			t.Fatalf("empty body gave %d chunks", len(chunks))
		}
		return
	}
	if len(chunks) == 0 {
		t.Fatal("no chunks")
	}
	var cat strings.Builder
	next := 0 // next sentence expected
	pos := 0
	for i, c := range chunks {
		if c.ArticleID != id || c.Ordinal != i {
			t.Errorf("chunk %d: article %q ordinal %d", i, c.ArticleID, c.Ordinal)
		}
		if c.Span.Start != pos {
			t.Fatalf("chunk %d starts at %d, previous ended at %d (gap or overlap)", i, c.Span.Start, pos)
		}
		if c.Span.End <= c.Span.Start || c.Span.End > len(body) {
			t.Fatalf("chunk %d has span %v in a body of %d bytes", i, c.Span, len(body))
		}
		pos = c.Span.End
		chunkText := body[c.Span.Start:c.Span.End]
		cat.WriteString(chunkText)
		if len(c.Sentences) == 0 {
			t.Errorf("chunk %d holds no sentence", i)
		}
		for _, s := range c.Sentences {
			if s.Start < c.Span.Start || s.End > c.Span.End {
				t.Errorf("chunk %d %v: sentence %v lies outside it", i, c.Span, s)
			}
			if next >= len(sents) || s != sents[next] {
				t.Fatalf("chunk %d: sentence %v out of order (want sentence %d)", i, s, next)
			}
			next++
			// The sentence's text is found verbatim inside the chunk's text.
			if !strings.Contains(chunkText, body[s.Start:s.End]) {
				t.Errorf("chunk %d does not contain its sentence %q", i, body[s.Start:s.End])
			}
		}
		if w := text.WordCount(chunkText); w > maxWords && len(c.Sentences) > 1 {
			t.Errorf("chunk %d has %d words over the limit %d with %d sentences", i, w, maxWords, len(c.Sentences))
		}
	}
	if pos != len(body) {
		t.Errorf("chunks end at %d, body is %d bytes", pos, len(body))
	}
	if next != len(sents) {
		t.Errorf("chunks hold %d of %d sentences", next, len(sents))
	}
	if cat.String() != body {
		t.Error("concatenated chunks differ from the body")
	}
}

func TestChunkSeeds(t *testing.T) {
	for _, name := range seedNames(t) {
		for _, maxWords := range []int{0, 20, 60, ingest.DefaultChunkWords, 1000} {
			t.Run(fmt.Sprintf("%s/max%d", name, maxWords), func(t *testing.T) {
				a, _ := parseSeed(t, name)
				sents := text.Sentences(a.Body)
				chunks := ingest.Chunk(a.ID, a.Body, sents, maxWords)
				limit := maxWords
				if limit == 0 {
					limit = ingest.DefaultChunkWords
				}
				checkChunks(t, a.ID, a.Body, sents, chunks, limit)
				if maxWords == 1000 && len(chunks) != 1 {
					t.Errorf("a short seed in a 1000-word window gave %d chunks", len(chunks))
				}
			})
		}
	}
}

// TestChunkSeedsGolden pins where the seeds are cut at the default size, so
// that a change in sentence splitting or windowing shows up in review.
func TestChunkSeedsGolden(t *testing.T) {
	for _, name := range seedNames(t) {
		t.Run(name, func(t *testing.T) {
			a, _ := parseSeed(t, name)
			sents := text.Sentences(a.Body)
			var b strings.Builder
			for _, c := range ingest.Chunk(a.ID, a.Body, sents, ingest.DefaultChunkWords) {
				fmt.Fprintf(&b, "chunk %d [%d,%d) %d words\n", c.Ordinal, c.Span.Start, c.Span.End, text.WordCount(a.Body[c.Span.Start:c.Span.End]))
				for _, s := range c.Sentences {
					fmt.Fprintf(&b, "  [%d,%d) %s\n", s.Start, s.End, a.Body[s.Start:s.End])
				}
			}
			checkGolden(t, filepath.Join("chunks", strings.TrimSuffix(name, ".txt")+".golden"), b.String())
		})
	}
}

// longText builds a deterministic multi-paragraph text with abbreviations,
// numbers, quotes and non-ASCII letters.
func longText(paragraphs int) string {
	r := rand.New(rand.NewPCG(1, 2))
	words := []string{"Kyiv", "said", "the", "U.S.", "envoy", "Mr.", "Witkoff", "met", "on", "Jan.", "6", "drones",
		"1,000", "2.5", "per", "cent", "Zelenskyy’s", "office", "“we", "agree”", "naïve", "café", "talks", "(AFP)", "resumed"}
	var b strings.Builder
	for p := 0; p < paragraphs; p++ {
		if p > 0 {
			b.WriteString([]string{"\n", "\n\n", "\n  \n"}[r.IntN(3)])
		}
		for s := 0; s < 1+r.IntN(6); s++ {
			if s > 0 {
				b.WriteString([]string{" ", "  ", " \t"}[r.IntN(3)])
			}
			n := 3 + r.IntN(30)
			for w := 0; w < n; w++ {
				if w > 0 {
					b.WriteByte(' ')
				}
				b.WriteString(words[r.IntN(len(words))])
			}
			b.WriteString([]string{".", "?", "!", ".”"}[r.IntN(4)])
		}
	}
	return b.String()
}

func TestChunkLongText(t *testing.T) {
	body := longText(400)
	sents := text.Sentences(body)
	if len(sents) < 800 {
		t.Fatalf("only %d sentences in the generated text", len(sents))
	}
	for _, maxWords := range []int{1, 10, 50, ingest.DefaultChunkWords, 400} {
		t.Run(fmt.Sprintf("max%d", maxWords), func(t *testing.T) {
			chunks := ingest.Chunk("long.txt", body, sents, maxWords)
			checkChunks(t, "long.txt", body, sents, chunks, maxWords)
			if maxWords == 1 && len(chunks) != len(sents) {
				t.Errorf("a 1-word limit gave %d chunks for %d sentences", len(chunks), len(sents))
			}
		})
	}
}

func TestChunkEdges(t *testing.T) {
	long := strings.TrimSpace(strings.Repeat("word ", 300)) + "."
	tests := []struct {
		name       string
		body       string
		maxWords   int
		wantChunks int
		// wantLongAlone is the index of a chunk that must hold exactly the long sentence.
		wantLongAlone int
	}{
		{"empty body", "", 10, 0, -1},
		{"no sentences", "   ", 10, 1, -1},
		{"one sentence", "Just one sentence here.", 10, 1, -1},
		{"long sentence first", long + " Short one. Short two.", 50, 2, 0},
		{"long sentence in the middle", "Short one. " + long + " Short two.", 50, 3, 1},
		{"long sentence last", "Short one. Short two. " + long, 50, 2, 1},
		{"leading and trailing space", "  \nFirst one.\nSecond one.\n\n", 2, 2, -1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			sents := text.Sentences(tt.body)
			chunks := ingest.Chunk("x", tt.body, sents, tt.maxWords)
			if len(chunks) != tt.wantChunks {
				t.Fatalf("got %d chunks, want %d: %+v", len(chunks), tt.wantChunks, chunks)
			}
			if len(sents) > 0 {
				checkChunks(t, "x", tt.body, sents, chunks, tt.maxWords)
			} else if len(chunks) == 1 && (chunks[0].Span != retrieval.Span{Start: 0, End: len(tt.body)}) {
				t.Errorf("sentence-less body chunk %v, want the whole body", chunks[0].Span)
			}
			if tt.wantLongAlone >= 0 {
				c := chunks[tt.wantLongAlone]
				if len(c.Sentences) != 1 || tt.body[c.Sentences[0].Start:c.Sentences[0].End] != long {
					t.Errorf("chunk %d is not the long sentence alone: %+v", tt.wantLongAlone, c)
				}
			}
		})
	}
}
