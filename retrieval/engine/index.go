package engine

import (
	"errors"
	"hash/crc32"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"unicode"
	"unicode/utf8"

	"github.com/briefbot/briefbot/retrieval"
	"github.com/briefbot/briefbot/retrieval/lexical"
	"github.com/briefbot/briefbot/retrieval/store"
	"github.com/briefbot/briefbot/retrieval/text"
)

// index is the derived, immutable search state: the lexical index, the
// article table it refers to, and every sentence as term ids, so that
// scoring sentences at query time is integer work.
type index struct {
	lex       *lexical.Index
	arts      []*store.StoredArticle
	artIdx    map[string]int32
	chunkArt  []int32      // chunk doc -> article index
	chunkBase []int32      // article index -> first chunk doc
	sents     [][]sentence // article index -> its sentences
	vecs      [][]float32  // chunk doc -> its vector (the store's slices)
	// flatVecs is every vector one after another, when they are (a mapped
	// index): chunk d's is flatVecs[d*dim:], reached without loading its
	// slice header, a second random read per re-scored chunk.
	flatVecs []float32
	qvecs    *quantized   // int8 copy of vecs for the scan (see nearest)
	answers  *answerCache // answers computed over this index
	info     store.Info   // the store's, for the derived index file

	// whole is the coverage of the whole index, computed once (prescan.go).
	whole wholeCoverage
}

// Token flags, for answer-type matching.
const (
	flagDigit  uint8 = 1 << iota // starts with a digit
	flagCap                      // capitalised, not the first word of its sentence
	flagMonth                    // a month or weekday name
	flagNumber                   // a number word (seven, dozen, million)
)

// tok is an indexed token of a sentence (stop words are left out).
type tok struct {
	id    int32
	flags uint8
}

// sentence is a sentence of an article as term ids.
type sentence struct {
	toks     []tok
	words    int32 // white-space separated words, as the 60-word limit counts
	question bool  // ends with a question mark: asks rather than tells
	heading  bool  // no closing punctuation: a headline or subhead
}

func buildIndex(st *store.Store) *index {
	arts := st.Articles()
	ix := &index{info: st.Info(), arts: arts, artIdx: make(map[string]int32, len(arts)), chunkBase: make([]int32, len(arts)), sents: make([][]sentence, len(arts))}
	tz := newTokenizer()
	eachAnalysed(arts, func(i int, an *analysed) error {
		a := arts[i]
		ix.artIdx[a.ID] = int32(i)
		ix.chunkBase[i] = int32(len(ix.chunkArt))
		sents := tz.intern(a, an)
		// The sentences' tokens in one array of the article's own (nil for
		// an article without tokens): tz reuses its buffer.
		all := append([]tok(nil), tz.toks...)
		off := 0
		for j := range sents {
			n := len(sents[j].toks)
			sents[j].toks = all[off : off+n : off+n]
			off += n
		}
		ix.sents[i] = sents
		ix.vecs = append(ix.vecs, st.ChunkVectors(a.ID)...)
		for range a.ChunkStarts {
			ix.chunkArt = append(ix.chunkArt, int32(i))
		}
		return nil
	})
	ix.lex = tz.b.Index()
	ix.qvecs = quantize(ix.vecs, st.Info().Dim)
	ix.answers = newAnswerCache(answerCacheSize)
	return ix
}

// tokenizer derives what the index holds of each article in turn: its
// sentences as term ids, and its chunks added to the BM25 builder. The
// in-memory index (buildIndex) and the index file written straight from
// the store (tokeniseStore) both use it, so that they agree term id for
// term id. The work that needs no lexicon (analyse: splitting into words,
// stemming, flags) runs on every core (eachAnalysed); assigning term ids
// (intern) runs in article order.
type tokenizer struct {
	b    *lexical.Builder
	toks []tok   // the current article's tokens, sentence after sentence
	doc  []int32 // scratch: a chunk's term ids
}

func newTokenizer() *tokenizer { return &tokenizer{b: lexical.NewBuilder()} }

// analysed is an article's sentences before term ids are assigned.
type analysed struct {
	sents []sentence // without their tokens
	ntoks []int      // each sentence's token count
	stems []string   // every token's stemmed term, sentence after sentence
	flags []uint8    // every token's answer-type flags
	title []string   // the title's terms
}

// analyse splits a's sentences into stemmed terms with answer-type flags.
func analyse(a *store.StoredArticle) *analysed {
	an := &analysed{sents: make([]sentence, len(a.Sentences)), ntoks: make([]int, len(a.Sentences))}
	for j, sp := range a.Sentences {
		s := a.Body[sp.Start:sp.End]
		n := len(an.stems)
		an.stems, an.flags = appendTerms(an.stems, an.flags, s)
		an.ntoks[j] = len(an.stems) - n
		an.sents[j].words = int32(text.WordCount(s))
		an.sents[j].question = isQuestion(s)
		an.sents[j].heading = isHeading(s)
	}
	if a.Title != "" && len(a.ChunkStarts) > 0 {
		an.title = text.Terms(a.Title)
	}
	return an
}

// intern assigns term ids to a's analysis (its sentences' terms, then
// its title's) and adds a's chunks to the builder as the next docs. The
// returned sentences' toks are slices of t.toks, valid until the next call.
func (t *tokenizer) intern(a *store.StoredArticle, an *analysed) []sentence {
	t.toks = t.toks[:0]
	for i, stem := range an.stems {
		t.toks = append(t.toks, tok{id: t.b.Intern(stem), flags: an.flags[i]})
	}
	sents := an.sents
	off := 0
	for j := range sents {
		n := an.ntoks[j]
		sents[j].toks = t.toks[off : off+n : off+n]
		off += n
	}
	// Chunks are sentence-aligned: a chunk's terms are its sentences' terms.
	j := 0
	for c := range a.ChunkStarts {
		sp := a.Chunk(c)
		t.doc = t.doc[:0]
		if c == 0 {
			for _, term := range an.title {
				t.doc = append(t.doc, t.b.Intern(term))
			}
		}
		for j < len(a.Sentences) && a.Sentences[j].Start < sp.End {
			for _, tk := range sents[j].toks {
				t.doc = append(t.doc, tk.id)
			}
			j++
		}
		t.b.Add(t.doc)
	}
	return sents
}

// analyseWindow bounds the articles analysed ahead of the one interned.
const analyseWindow = 256

// eachAnalysed calls fn with every article of arts and its analysis, in
// order, analysing ahead on every core.
func eachAnalysed(arts []*store.StoredArticle, fn func(i int, an *analysed) error) error {
	workers := runtime.GOMAXPROCS(0)
	if workers < 2 || len(arts) < 2 {
		for i, a := range arts {
			if err := fn(i, analyse(a)); err != nil {
				return err
			}
		}
		return nil
	}
	slots := make([]chan *analysed, len(arts))
	for i := range slots {
		slots[i] = make(chan *analysed, 1)
	}
	window := make(chan struct{}, analyseWindow)
	work := make(chan int)
	stop := make(chan struct{})
	var wg sync.WaitGroup
	defer wg.Wait()
	defer close(stop)
	wg.Go(func() {
		defer close(work)
		for i := range arts {
			select {
			case window <- struct{}{}:
			case <-stop:
				return
			}
			select {
			case work <- i:
			case <-stop:
				return
			}
		}
	})
	for range workers {
		wg.Go(func() {
			for i := range work {
				slots[i] <- analyse(arts[i])
			}
		})
	}
	for i := range arts {
		an := <-slots[i]
		slots[i] = nil
		<-window
		if err := fn(i, an); err != nil {
			return err
		}
	}
	return nil
}

// appendTerms appends the stemmed terms of s's tokens, stop words left
// out, and their answer-type flags.
func appendTerms(stems []string, flags []uint8, s string) ([]string, []uint8) {
	first := true
	text.EachToken(s, func(t text.Token) {
		isFirst := first
		first = false
		if text.IsStopWord(t.Word) {
			return
		}
		var f uint8
		r, _ := utf8.DecodeRuneInString(s[t.Start:])
		switch {
		case unicode.IsDigit(r):
			f |= flagDigit
		case !isFirst && unicode.IsUpper(r):
			f |= flagCap
		}
		if monthsAndDays[t.Word] {
			f |= flagMonth
		}
		if numberWords[t.Word] {
			f |= flagNumber
		}
		stems = append(stems, text.Stem(t.Word))
		flags = append(flags, f)
	})
	return stems, flags
}

// isHeading reports a line without closing punctuation (a subhead).
func isHeading(s string) bool {
	t := strings.TrimRight(s, ` "'”’)]`)
	if t == "" {
		return true
	}
	switch t[len(t)-1] {
	case '.', '!', '?', ':', ';':
		return false
	}
	return true
}

func isQuestion(s string) bool {
	return strings.HasSuffix(strings.TrimRight(s, ` "'”’)`), "?")
}

// coverage counts the articles visible at asOf, the undated ones among
// them, and the published date range of the dated ones.
func (ix *index) coverage(visible func(int32) bool) retrieval.Coverage {
	var c retrieval.Coverage
	for i, a := range ix.arts {
		if !visible(int32(i)) {
			continue
		}
		c.Articles++
		if a.Published.IsZero() {
			c.Undated++
			continue
		}
		if c.From.IsZero() || a.Published.Before(c.From) {
			c.From = a.Published
		}
		if c.To.IsZero() || a.Published.After(c.To) {
			c.To = a.Published
		}
	}
	return c
}

// IndexName is the derived index's file name inside the data directory. It
// holds what buildIndex derives from the snapshot and what questions read
// of it (articles, every sentence as term ids, the BM25 lexicon and
// postings, the chunk vectors and their int8 copy), laid out to be mapped
// (see mapped.go): the snapshot stays the single source of truth, and the
// file is only used when it names the snapshot's fingerprint (layout
// version, size and CRC-32C), so a stale, corrupt or missing one is rebuilt.
const IndexName = store.IndexName

// indexMagic starts the derived index file; the digit is its format.
const indexMagic = "briefbot-index-3\n"

// loadIndex returns the derived index of st, loaded from dir when the file
// there was derived from the same snapshot, else built and written back
// (best effort: a read-only data directory only costs the rebuild). The
// index is written under the directory's lock: locked says the caller holds
// it; otherwise the lock is taken if it is free, and the write skipped if
// not (the writer holding it writes the index when it saves).
func (e *Engine) loadIndex(dir string, st *store.Store, locked bool) *index {
	fp := st.Fingerprint()
	ix, err := readIndex(dir, st, fp)
	if err == nil {
		return ix
	}
	if !errors.Is(err, os.ErrNotExist) {
		e.log.Info("rebuilding the derived index", "reason", err)
	}
	if fp == "" {
		return buildIndex(st)
	}
	if !locked {
		l, ok, err := store.TryLockDir(dir)
		if err != nil || !ok {
			return buildIndex(st)
		}
		defer l.Unlock()
		// The snapshot may have changed before the lock was free.
		if same, err := store.Unchanged(dir, fp); err != nil || !same {
			return buildIndex(st)
		}
	}
	// Written straight from the store, then mapped: the index is never
	// held in memory whole.
	if err := writeIndexFromStore(dir, st, fp); err != nil {
		e.log.Warn("could not save the derived index", "path", filepath.Join(dir, IndexName), "err", err)
		return buildIndex(st)
	}
	if ix, err := readIndex(dir, st, fp); err == nil {
		return ix
	}
	return buildIndex(st)
}

// errStaleIndex reports a derived index of another snapshot.
var errStaleIndex = errors.New("engine: derived index is stale")

var castagnoli = crc32.MakeTable(crc32.Castagnoli)
