package engine

import (
	"strings"
	"sync"
	"unicode"

	"github.com/briefbot/briefbot/retrieval/lexical"
	"github.com/briefbot/briefbot/retrieval/text"
	"github.com/briefbot/briefbot/retrieval/text/lexicon"
)

// The fine answer type: the kind of thing a "which/what X" question asks
// for, read from its head noun X, and the words and names WordNet files
// below X (lexicon.Members): "Which country…" is answered by a sentence
// naming France, "which animal" by one naming a dolphin. Today's coarse
// type (wantName) takes any capitalised word for "which".

// kindOf are nouns whose kind follows "of": "what type of animal".
var kindOf = map[string]bool{"type": true, "kind": true, "sort": true, "form": true, "brand": true, "variety": true, "breed": true, "species": true}

// askedKind returns the singular head noun of the question's "which X" /
// "what X" (modifiers before it skipped: "which US state", "what former
// pope", "what type of animal"), when the lexicon knows members of it;
// "where" asks for a location. It returns "" otherwise.
func askedKind(question string) string {
	words := strings.Fields(question)
	for i, w := range words {
		lw := strings.ToLower(strings.Trim(w, `"“”'‘’(),.?!:;`))
		if lw == "where" {
			return "location"
		}
		if lw != "which" && lw != "what" {
			continue
		}
		kind := ""
		for j := i + 1; j < len(words) && j <= i+4; j++ {
			raw := strings.Trim(words[j], `"“”'‘’(),.?!:;`)
			raw = strings.TrimSuffix(strings.TrimSuffix(raw, "'s"), "’s")
			if raw == "" {
				break
			}
			r := []rune(raw)
			if unicode.IsUpper(r[0]) || unicode.IsDigit(r[0]) {
				if kind != "" {
					break
				}
				continue // "which US state", "which 2022 film"
			}
			lw := strings.ToLower(raw)
			if numberWords[lw] && kind == "" {
				continue // "which two countries"
			}
			if text.IsStopWord(lw) {
				break
			}
			sing := singular(lw)
			if kindOf[sing] && j+1 < len(words) && strings.ToLower(words[j+1]) == "of" {
				// "what type of animal": the kind follows "of".
				if k := kindAfterOf(words[j+2:]); k != "" {
					return k
				}
			}
			if len(lexicon.Members(sing)) > 0 {
				kind = sing // the last noun of a compound: "football team"
				continue
			}
			if kind != "" {
				break
			}
		}
		if kind != "" {
			return kind
		}
	}
	return ""
}

func kindAfterOf(words []string) string {
	for j, w := range words {
		if j > 2 {
			break
		}
		lw := strings.ToLower(strings.Trim(w, `"“”'‘’(),.?!:;`))
		if text.IsStopWord(lw) {
			break
		}
		if s := singular(lw); len(lexicon.Members(s)) > 0 {
			return s
		}
	}
	return ""
}

// singular undoes a regular plural: countries -> country, cities -> city,
// viruses -> virus, teams -> team.
func singular(w string) string {
	if len(lexicon.Members(w)) > 0 {
		return w
	}
	for _, r := range [][2]string{{"ies", "y"}, {"ses", "s"}, {"xes", "x"}, {"ches", "ch"}, {"shes", "sh"}, {"s", ""}} {
		if b, ok := strings.CutSuffix(w, r[0]); ok && len(b) > 1 {
			if c := b + r[1]; len(lexicon.Members(c)) > 0 {
				return c
			}
		}
	}
	return w
}

// kindTerms is the asked kind's members as the index's term ids: single
// words, and two-word names as pairs. Instances (proper names) are
// counted only where written capitalised.
type kindTerms struct {
	one map[int32]bool // id -> an instance
	two map[[2]int32]bool
}

// kindStem is a member of a kind as stems, stop words left out.
type kindStem struct {
	stems    []string
	instance bool
}

// kindStems caches each kind's members as stems (kind -> []kindStem):
// stemming thousands of members (animal has 6,860) for every question
// would double its latency.
var kindStems sync.Map

func stemsOf(kind string) []kindStem {
	if v, ok := kindStems.Load(kind); ok {
		return v.([]kindStem)
	}
	ms := lexicon.Members(kind)
	out := make([]kindStem, 0, len(ms))
	for _, m := range ms {
		var st []string
		for _, w := range m.Words {
			if !text.IsStopWord(w) {
				st = append(st, text.Stem(w))
			}
		}
		if len(st) == 1 || len(st) == 2 {
			out = append(out, kindStem{st, m.Instance})
		}
	}
	v, _ := kindStems.LoadOrStore(kind, out)
	return v.([]kindStem)
}

// newKindTerms resolves kind's members against the index, leaving out the
// question's own terms (asked): "Which US state…" is not answered by "US".
func newKindTerms(kind string, lex *lexical.Index, asked map[int32]bool) *kindTerms {
	if kind == "" {
		return nil
	}
	ms := stemsOf(kind)
	if len(ms) == 0 {
		return nil
	}
	kt := &kindTerms{one: map[int32]bool{}, two: map[[2]int32]bool{}}
	var ids [2]int32
	for _, m := range ms {
		ok := true
		for i, st := range m.stems {
			id, found := lex.ID(st)
			if !found {
				ok = false
				break
			}
			ids[i] = id
		}
		if !ok {
			continue
		}
		if len(m.stems) == 1 {
			if !asked[ids[0]] {
				// A word that is also a common noun (turkey) needs no capital.
				inst, seen := kt.one[ids[0]]
				kt.one[ids[0]] = m.instance && (inst || !seen)
			}
		} else if !asked[ids[0]] || !asked[ids[1]] {
			kt.two[ids] = true
		}
	}
	if len(kt.one) == 0 && len(kt.two) == 0 {
		return nil
	}
	return kt
}

// holds reports whether the sentence names a member of the kind, and
// whether one it names is a proper name (France, not dolphin).
func (kt *kindTerms) holds(s *sentence) (any, named bool) {
	for i, t := range s.toks {
		if inst, ok := kt.one[t.id]; ok && (!inst || t.flags&flagCap != 0 || i == 0) {
			any = true
			named = named || inst
		}
		if i > 0 && kt.two[[2]int32{s.toks[i-1].id, t.id}] {
			any = true
		}
		if named {
			break
		}
	}
	return any, named
}
