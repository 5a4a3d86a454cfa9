// Package text holds the language processing every other part of retrieval
// shares: word tokens, English stemming and stop words, and sentence
// boundaries that keep "U.S.", "Mr." and "Jan." inside their sentences.
package text

import (
	"sort"
	"strings"
	"sync"
	"unicode"
	"unicode/utf8"

	"github.com/kljensen/snowball/english"
)

// Token is a lower-cased word and where it stands in the text.
type Token struct {
	Word  string
	Start int
	End   int
}

// isWordRune reports whether r belongs to a word.
func isWordRune(r rune) bool {
	if r < utf8.RuneSelf {
		return 'a' <= r && r <= 'z' || 'A' <= r && r <= 'Z' || '0' <= r && r <= '9'
	}
	// U+02BC (ʼ) is a letter to Unicode but an apostrophe in news text.
	return (unicode.IsLetter(r) || unicode.IsDigit(r)) && r != 'ʼ'
}

// isApostrophe reports whether r joins a word to a possessive or contraction.
func isApostrophe(r rune) bool { return r == '\'' || r == '’' || r == 'ʼ' }

// EachToken calls fn for every word of s: runs of letters and digits,
// lower-cased, with a possessive or contraction tail ('s, ’s, n't) dropped.
// Digits and letters joined by '.' or ',' inside numbers ("2.5", "1,000")
// stay one token.
func EachToken(s string, fn func(Token)) {
	// The word is built in a buffer on the stack and copied once into its
	// string; ASCII, most of news text, skips rune decoding and case tables.
	var scratch [64]byte
	i := 0
	for i < len(s) {
		r, w := decodeRune(s, i)
		if !isWordRune(r) {
			i += w
			continue
		}
		start := i
		b := scratch[:0]
		// Acronyms with dots: U.S., U.K., e.g. -> us, uk, eg.
		if n := acronymLen(s[i:]); n > 0 {
			for _, r := range s[i : i+n] {
				if r != '.' {
					b = appendLower(b, r)
				}
			}
			i += n
			fn(Token{Word: string(b), Start: start, End: i})
			i = skipClitic(s, i)
			continue
		}
		for i < len(s) {
			r, w = decodeRune(s, i)
			if isWordRune(r) {
				b = appendLower(b, r)
				i += w
				continue
			}
			// Keep 1,000 and 2.5 whole.
			if (r == '.' || r == ',') && i+w < len(s) && len(b) > 0 {
				prev := b[len(b)-1]
				next, _ := utf8.DecodeRuneInString(s[i+w:])
				if prev >= '0' && prev <= '9' && unicode.IsDigit(next) {
					if r == '.' {
						b = append(b, '.')
					}
					i += w
					continue
				}
			}
			break
		}
		end := i
		i = skipClitic(s, i)
		fn(Token{Word: string(b), Start: start, End: end})
	}
}

// decodeRune is utf8.DecodeRuneInString(s[i:]) with ASCII inline.
func decodeRune(s string, i int) (rune, int) {
	if c := s[i]; c < utf8.RuneSelf {
		return rune(c), 1
	}
	return utf8.DecodeRuneInString(s[i:])
}

// appendLower appends unicode.ToLower(r), UTF-8 encoded.
func appendLower(b []byte, r rune) []byte {
	if r < utf8.RuneSelf {
		c := byte(r)
		if 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		}
		return append(b, c)
	}
	return utf8.AppendRune(b, unicode.ToLower(r))
}

// skipClitic returns the position after a possessive or contraction tail
// at s[i:] (Russia's -> russia, U.S.’s -> us, don't -> don), or i.
func skipClitic(s string, i int) int {
	if i >= len(s) {
		return i
	}
	r, w := utf8.DecodeRuneInString(s[i:])
	if !isApostrophe(r) {
		return i
	}
	j := i + w
	k := j
	for k < len(s) {
		r2, w2 := utf8.DecodeRuneInString(s[k:])
		if !unicode.IsLetter(r2) || isApostrophe(r2) {
			break
		}
		k += w2
	}
	if tail := strings.ToLower(s[j:k]); tail == "s" || tail == "t" || tail == "ll" || tail == "re" || tail == "ve" || tail == "d" || tail == "m" {
		return k
	}
	return i
}

// acronymLen returns the length of a dotted acronym (two or more single
// letters each followed by a dot) at the start of s, or 0.
func acronymLen(s string) int {
	i, letters := 0, 0
	for i < len(s) {
		r, w := utf8.DecodeRuneInString(s[i:])
		if !unicode.IsLetter(r) || i+w >= len(s) || s[i+w] != '.' {
			break
		}
		letters++
		i += w + 1
	}
	if letters < 2 {
		return 0
	}
	if i < len(s) {
		// "U.S.A" without a final dot or a following letter: not an acronym end.
		if r, _ := utf8.DecodeRuneInString(s[i:]); isWordRune(r) {
			return 0
		}
	}
	return i
}

// Words returns the lower-cased words of s (see EachToken).
func Words(s string) []string {
	var out []string
	EachToken(s, func(t Token) { out = append(out, t.Word) })
	return out
}

// WordCount counts the words of s as the evaluation scorer does: runs of
// non-space characters, len(strings.Fields(s)), without building the
// slice (it is counted for every sentence an ingest stores).
func WordCount(s string) int {
	n := 0
	inWord := false
	for i := 0; i < len(s); {
		var space bool
		if c := s[i]; c < utf8.RuneSelf {
			space = c == ' ' || '\t' <= c && c <= '\r'
			i++
		} else {
			r, w := utf8.DecodeRuneInString(s[i:])
			space = unicode.IsSpace(r)
			i += w
		}
		if !space && !inWord {
			n++
		}
		inWord = !space
	}
	return n
}

// stemCache memoises stems: the vocabulary is small next to the number of
// tokens, and Snowball is the slowest step of indexing. Sharded so that
// concurrent indexers rarely contend.
var stemCache [64]struct {
	sync.RWMutex
	m map[string]string
}

func stemShard(word string) int {
	h := uint32(2166136261)
	for i := 0; i < len(word); i++ {
		h = (h ^ uint32(word[i])) * 16777619
	}
	return int(h % uint32(len(stemCache)))
}

// Stem returns the English Snowball stem of a lower-cased word, after
// mapping common irregular verb forms to their base (Snowball leaves
// spoke/speak and met/meet apart). Numbers and very short words are
// returned as they are.
func Stem(word string) string {
	if base, ok := irregular[word]; ok {
		word = base
	}
	if len(word) < 3 || !unicode.IsLetter(rune(word[0])) {
		return word
	}
	sh := &stemCache[stemShard(word)]
	sh.RLock()
	s, ok := sh.m[word]
	sh.RUnlock()
	if ok {
		return s
	}
	s = english.Stem(word, true)
	if s == "" {
		s = word
	}
	sh.Lock()
	if sh.m == nil {
		sh.m = map[string]string{}
	}
	sh.m[word] = s
	sh.Unlock()
	return s
}

// irregular maps irregular past forms that news uses often to their base
// verb. Forms that are more often another word (left, saw, rose, fell,
// lead) are left out.
var irregular = func() map[string]string {
	pairs := `spoke:speak spoken:speak said:say says:say met:meet won:win fought:fight held:hold told:tell took:take
taken:take gave:give given:give went:go gone:go made:make came:come seen:see found:find thought:think
brought:bring bought:buy sold:sell paid:pay sent:send spent:spend built:build fallen:fall risen:rise
began:begin begun:begin wrote:write written:write struck:strike shot:shoot ran:run chose:choose
chosen:choose stole:steal stolen:steal broke:break broken:break drove:drive driven:drive flew:fly flown:fly
grew:grow grown:grow knew:know known:know threw:throw thrown:throw sought:seek caught:catch taught:teach
fled:flee swore:swear sworn:swear sank:sink sunk:sink froze:freeze frozen:freeze hid:hide hidden:hide
bit:bite bitten:bite forgave:forgive forgiven:forgive withdrew:withdraw withdrawn:withdraw overtook:overtake
undertook:undertake understood:understand stood:stand kept:keep slept:sleep felt:feel dealt:deal
meant:mean lent:lend lost:lose sped:speed wept:weep swept:sweep dug:dig hung:hang stuck:stick struck:strike
sprang:spring sprung:spring drank:drink drunk:drink sang:sing sung:sing rang:ring rung:ring swam:swim
ate:eat eaten:eat forbade:forbid forbidden:forbid forgot:forget forgotten:forget arose:arise arisen:arise
awoke:awake woke:wake woken:wake became:become beaten:beat blew:blow blown:blow bred:breed
fed:feed foresaw:foresee foreseen:foresee got:get gotten:get laid:lay paid:pay rode:ride ridden:ride
shook:shake shaken:shake shone:shine shrank:shrink sat:sit slid:slide spun:spin stung:sting
strove:strive striven:strive swung:swing tore:tear torn:tear trod:tread upheld:uphold wound:wind
wove:weave woven:weave wrung:wring`
	m := map[string]string{}
	for _, p := range strings.Fields(pairs) {
		k, v, _ := strings.Cut(p, ":")
		m[k] = v
	}
	return m
}()

// IsStopWord reports whether a lower-cased word carries no topic on its own.
func IsStopWord(word string) bool {
	_, ok := stopWords[word]
	return ok
}

// StopWords returns the stop words, sorted.
func StopWords() []string {
	out := make([]string, 0, len(stopWords))
	for w := range stopWords {
		out = append(out, w)
	}
	sort.Strings(out)
	return out
}

// Terms returns the index terms of s: words that are not stop words, stemmed.
func Terms(s string) []string {
	var out []string
	EachToken(s, func(t Token) {
		if IsStopWord(t.Word) {
			return
		}
		out = append(out, Stem(t.Word))
	})
	return out
}

// stopWords is the Snowball English stop list plus question words and a few
// verbs of asking, which say nothing about what a question is about.
var stopWords = func() map[string]struct{} {
	list := `a about above after again against all am an and any are aren as at be because been before being below
between both but by can cannot could couldn did didn do does doesn doing don down during each few for from further
had hadn has hasn have haven having he her here hers herself him himself his how i if in into is isn it its itself
let me more most mustn my myself no nor not of off on once only or other ought our ours ourselves out over own same
shan she should shouldn so some such than that the their theirs them themselves then there these they this those
through to too under until up very was wasn we were weren what when where which while who whom why will with won
would wouldn you your yours yourself yourselves s t d ll m re ve also just may might must shall
whose whats whos tell know today tonight tomorrow yesterday`
	m := make(map[string]struct{}, 200)
	for _, w := range strings.Fields(list) {
		m[w] = struct{}{}
	}
	return m
}()
