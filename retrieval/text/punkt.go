package text

import (
	"regexp"
	"strings"
	"sync"
	"unicode"
	"unicode/utf8"

	"github.com/neurosnap/sentences"
	"github.com/neurosnap/sentences/english"
)

// punkt is github.com/neurosnap/sentences' English tokenizer
// (english.NewSentenceTokenizer, SentencePositions) rewritten for speed:
// the same steps in the same order with the same English model, so the same
// sentence ends, without a heap object per word and without running six
// regexps on every word. The library took about a third of an ingest's CPU.
//
// Each predicate below is the library's, with a test in front that every
// string the library's version accepts passes (most words have no '.', '?'
// or '!' and start with a letter, so the regexps never run for them).
// FuzzPunktMatchesLibrary checks the whole against the library on random
// input; TestPunktMatchesLibraryOnNews on the news corpus.
//
// Bugs are kept on purpose: the library drops the final period by cutting
// at the rune count instead of the byte length ("typeAnnotation"), and
// sentence boundaries define the quotes of every stored article.
type punkt struct {
	abbrevs, collocations, starters, ortho sentences.SetString
}

// The library's word regexps (sentences/token.go, english/main.go).
var (
	punktNumeric     = regexp.MustCompile(`-?[\.,]?\d[\d,\.-]*\.?$`)
	punktListNumber  = regexp.MustCompile(`^\d+.?\)?$`)
	punktCoordinate2 = regexp.MustCompile(`^[0-9]*\.[0-9]*\.[0-9]*\.$`)
	punktAbbr        = regexp.MustCompile(`((?:[\w]\.)+[\w]*\.)`)
)

// The library's orthographic context flags (sentences/ortho.go).
const (
	orthoBegUc = 1 << 1
	orthoMidUc = 1 << 2
	orthoUnkUc = 1 << 3
	orthoBegLc = 1 << 4
	orthoMidLc = 1 << 5
	orthoUnkLc = 1 << 6
	orthoUc    = orthoBegUc + orthoMidUc + orthoUnkUc
	orthoLc    = orthoBegLc + orthoMidLc + orthoUnkLc
)

var (
	punktOnce  sync.Once
	punktModel *punkt
)

// englishPunkt returns the English model, loaded once and only read after.
func englishPunkt() *punkt {
	punktOnce.Do(func() {
		t, err := english.NewSentenceTokenizer(nil)
		if err != nil {
			// The English model is compiled into the library: this is a build defect.
			panic("text: load the English sentence model: " + err.Error())
		}
		punktModel = &punkt{
			abbrevs:      t.AbbrevTypes,
			collocations: t.Collocations,
			starters:     t.SentStarters,
			ortho:        t.OrthoContext,
		}
	})
	return punktModel
}

// punktToken is the library's Token without what no annotation reads.
type punktToken struct {
	tok       string
	pos       int
	sentBreak bool
	abbr      bool
}

// punktTokens recycles the token slices of sentencePositions.
var punktTokens = sync.Pool{New: func() any { return new([]punktToken) }}

// sentencePositions is the library's SentencePositions(text): the byte
// offsets after each sentence break, then len(text). toks is scratch space,
// returned grown for the next call.
func (p *punkt) sentencePositions(text string, toks []punktToken, out []int) ([]int, []punktToken) {
	toks = tokenizeWords(text, toks[:0])
	for i := range toks {
		p.typeAnnotation(&toks[i])
	}
	for i := 0; i+1 < len(toks); i++ {
		p.tokenAnnotation(&toks[i], &toks[i+1])
	}
	for i := 0; i+1 < len(toks); i++ {
		p.multiPunctAnnotation(&toks[i], &toks[i+1])
	}
	for i := range toks {
		if toks[i].sentBreak {
			out = append(out, toks[i].pos)
		}
	}
	return append(out, len(text)), toks
}

// tokenizeWords is DefaultWordTokenizer.Tokenize(text, false).
func tokenizeWords(text string, toks []punktToken) []punktToken {
	n := len(text)
	if n == 0 {
		return toks
	}
	lastSpace := 0
	for i, char := range text {
		cjk := isCjkPunct(char)
		if !cjk && i != n-1 && !isSpace(char) {
			continue
		}
		if cjk {
			i += utf8.RuneLen(char)
		}
		cursor := i
		if i == n-1 {
			cursor = n
		}
		word := strings.TrimSpace(text[lastSpace:cursor])
		if word == "" {
			continue
		}
		toks = append(toks, punktToken{tok: word, pos: cursor})
		lastSpace = cursor
	}
	if len(toks) == 0 {
		toks = append(toks, punktToken{tok: text, pos: n})
	}
	return toks
}

// isSpace is unicode.IsSpace with the ASCII answer inline.
func isSpace(r rune) bool {
	if r < utf8.RuneSelf {
		return r == ' ' || '\t' <= r && r <= '\r'
	}
	return unicode.IsSpace(r)
}

func isCjkPunct(r rune) bool {
	switch r {
	case '。', '；', '！', '？':
		return true
	}
	return false
}

// typeAnnotation is TypeBasedAnnotation.typeAnnotation.
func (p *punkt) typeAnnotation(t *punktToken) {
	if hasSentEndChars(t.tok) {
		t.sentBreak = true
	} else if hasPeriodFinal(t.tok) && !strings.HasSuffix(t.tok, "..") {
		// The library cuts at the rune count (a byte offset only for ASCII).
		noPeriod := strings.ToLower(t.tok[:utf8.RuneCountInString(t.tok)-1])
		lastHyphen := noPeriod[strings.LastIndexByte(noPeriod, '-')+1:]
		if p.abbrevs[noPeriod] != 0 || p.abbrevs[lastHyphen] != 0 {
			t.abbr = true
		} else {
			t.sentBreak = true
		}
	}
}

// tokenAnnotation is TokenBasedAnnotation.tokenAnnotation for a pair of
// tokens (the pair of the last token and nil does nothing there).
func (p *punkt) tokenAnnotation(one, two *punktToken) {
	if !hasPeriodFinal(one.tok) {
		return
	}
	typ := typeNoPeriod(one.tok)
	nextTyp := typeNoSentPeriod(two)
	isInitial := isInitial(one.tok)

	var buf [64]byte
	collocation := append(append(append(buf[:0], typ...), ','), nextTyp...)
	if p.collocations[string(collocation)] != 0 {
		one.sentBreak = false
		one.abbr = true
		return
	}
	if (one.abbr || isEllipsis(one.tok)) && !isInitial {
		if p.orthoHeuristic(two) == 1 {
			one.sentBreak = true
			return
		}
		if firstUpper(two.tok) && p.starters[nextTyp] != 0 {
			one.sentBreak = true
			return
		}
	}
	if one.tok == "." && two.tok == "." {
		one.sentBreak = false
		two.sentBreak = false
		return
	}
	if isInitial || typ == "##number##" {
		starter := p.orthoHeuristic(two)
		if starter == 0 {
			one.sentBreak = false
			one.abbr = true
			return
		}
		if starter == -1 && isInitial && firstUpper(two.tok) && p.ortho[nextTyp]&orthoLc == 0 {
			one.sentBreak = false
			one.abbr = true
			return
		}
	}
}

// multiPunctAnnotation is english.MultiPunctWordAnnotation.tokenAnnotation.
func (p *punkt) multiPunctAnnotation(one, two *punktToken) {
	if isListNumber(one.tok) || one.tok == "N°." {
		one.sentBreak = false
		return
	}
	if strings.HasSuffix(one.tok, ".") && two.tok == "." {
		one.sentBreak = false
		return
	}
	if !isAbbrLike(one.tok) && one.tok != "." && !hasUnreliableEndChars(one.tok) && !isCoordinatePartTwo(one.tok) {
		return
	}
	if isInitial(one.tok) {
		return
	}
	one.abbr = true
	one.sentBreak = false
	nextTyp := typeNoSentPeriod(two)
	if p.orthoHeuristic(two) == 1 {
		one.sentBreak = true
		return
	}
	if firstUpper(two.tok) && (p.starters[nextTyp] != 0 || hasUnreliableEndChars(one.tok) || one.tok == "." || isCoordinatePartTwo(one.tok)) {
		one.sentBreak = true
	}
}

// orthoHeuristic is OrthoContext.Heuristic: 1 if t starts a sentence, 0 if
// not, -1 if unknown.
func (p *punkt) orthoHeuristic(t *punktToken) int {
	switch t.tok {
	case ";", ":", ",", ".", "!", "?", "；", "：", "，", "。", "！", "？":
		return 0
	}
	ctx := p.ortho[typeNoSentPeriod(t)]
	if firstUpper(t.tok) && ctx&orthoLc > 0 && ctx&orthoMidUc == 0 {
		return 1
	}
	if firstLower(t.tok) && (ctx&orthoUc > 0 || ctx&orthoBegLc == 0) {
		return 0
	}
	return -1
}

// wordType is DefaultWordTokenizer.Type: lower case, a number replaced by
// "##number##", commas dropped.
func wordType(tok string) string {
	typ := strings.ToLower(tok)
	if hasDigit(typ) { // the regexp needs a \d ([0-9])
		typ = punktNumeric.ReplaceAllString(typ, "##number##")
	}
	if len(typ) == 1 {
		return typ
	}
	return strings.ReplaceAll(typ, ",", "")
}

// typeNoPeriod is DefaultWordTokenizer.TypeNoPeriod.
func typeNoPeriod(tok string) string {
	typ := wordType(tok)
	if len(typ) > 1 && typ[len(typ)-1] == '.' {
		return typ[:len(typ)-1]
	}
	return typ
}

// typeNoSentPeriod is DefaultWordTokenizer.TypeNoSentPeriod.
func typeNoSentPeriod(t *punktToken) string {
	if t.sentBreak {
		return typeNoPeriod(t.tok)
	}
	return wordType(t.tok)
}

func hasDigit(s string) bool {
	for i := 0; i < len(s); i++ {
		if '0' <= s[i] && s[i] <= '9' {
			return true
		}
	}
	return false
}

// hasEndPunct reports whether s has a '.', '?' or '!': every ender and
// bracket the library looks for contains one.
func hasEndPunct(s string) bool {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c == '.' || c == '?' || c == '!' {
			return true
		}
	}
	return false
}

// hasSentEndChars is english.WordTokenizer.HasSentEndChars: its enders are
// the unreliable ones and a bare '?' or '!'.
func hasSentEndChars(tok string) bool {
	if !hasEndPunct(tok) {
		return false
	}
	if strings.HasSuffix(tok, "?") || strings.HasSuffix(tok, "!") || hasUnreliableEndChars(tok) {
		return true
	}
	for _, paren := range [...]string{
		`.[`, `.(`, `."`, `.'`,
		`?[`, `?(`,
		`![`, `!(`,
	} {
		if strings.Contains(tok, paren) {
			return true
		}
	}
	return false
}

// hasUnreliableEndChars is english.WordTokenizer.HasUnreliableEndChars.
func hasUnreliableEndChars(tok string) bool {
	if !hasEndPunct(tok) {
		return false
	}
	for _, ender := range [...]string{
		`."`, `.'`, `.)`, `.’`, `.”`,
		`?"`, `?'`, `?)`, `?’`, `?”`,
		`!"`, `!'`, `!)`, `!’`, `!”`,
	} {
		if strings.HasSuffix(tok, ender) {
			return true
		}
	}
	return false
}

// hasPeriodFinal is DefaultWordTokenizer.HasPeriodFinal.
func hasPeriodFinal(tok string) bool {
	return strings.HasSuffix(tok, ".") || strings.HasSuffix(tok, "。")
}

// isEllipsis is DefaultWordTokenizer.IsEllipsis (`\.\.+$`).
func isEllipsis(tok string) bool {
	return strings.HasSuffix(tok, "..")
}

// isInitial is DefaultWordTokenizer.IsInitial (`^[A-Za-z]\.$`).
func isInitial(tok string) bool {
	return len(tok) == 2 && tok[1] == '.' && ('a' <= tok[0]|0x20 && tok[0]|0x20 <= 'z')
}

// isListNumber is DefaultWordTokenizer.IsListNumber (`^\d+.?\)?$`).
func isListNumber(tok string) bool {
	return tok != "" && '0' <= tok[0] && tok[0] <= '9' && punktListNumber.MatchString(tok)
}

// isCoordinatePartTwo is DefaultWordTokenizer.IsCoordinatePartTwo.
func isCoordinatePartTwo(tok string) bool {
	return strings.HasSuffix(tok, ".") && punktCoordinate2.MatchString(tok)
}

// isAbbrLike is english's reAbbr test (len(FindAllString(tok, 1)) != 0):
// it needs a period after the first byte.
func isAbbrLike(tok string) bool {
	return len(tok) > 1 && strings.IndexByte(tok[1:], '.') >= 0 && punktAbbr.MatchString(tok)
}

// firstUpper is DefaultWordTokenizer.FirstUpper.
func firstUpper(tok string) bool {
	if tok == "" {
		return false
	}
	r, _ := utf8.DecodeRuneInString(tok)
	return unicode.IsUpper(r)
}

// firstLower is DefaultWordTokenizer.FirstLower.
func firstLower(tok string) bool {
	if tok == "" {
		return false
	}
	r, _ := utf8.DecodeRuneInString(tok)
	return unicode.IsLower(r)
}
