package digest

import (
	"math"
	"regexp"
	"sort"
	"strings"

	"github.com/briefbot/briefbot/retrieval/text"
)

// summaryParams weighs the sentence selector. The defaults were tuned on the
// first 1,000 Multi-News validation clusters and checked on the next 1,000
// (see BENCHMARKS.md).
type summaryParams struct {
	bigram     float64 // weight of a bigram concept, per article that uses it
	unigram    float64 // weight of a content-word concept, per article that uses it
	minDF      int     // in a story of several articles, a concept counts when this many use it
	lenExp     float64 // the gain of a sentence is divided by words^lenExp
	minWords   int     // shorter sentences are not candidates
	maxWords   int     // longer sentences are discounted
	dupSim     float64 // a sentence this similar to a chosen one is a repeat
	unfinish   float64 // factor for a sentence without final punctuation (cut off, or a heading)
	leadsFirst bool    // a budgeted summary reads by position, then article (leads first)
}

var defaultSummaryParams = summaryParams{bigram: 1, unigram: 0.5, minDF: 2, lenExp: 1, minWords: 4, maxWords: 35,
	dupSim: 0.5, unfinish: 0.7, leadsFirst: true}

// candidate is one sentence of a story's articles.
type candidate struct {
	art      int // index in story.arts
	pos      int // ordinal of the sentence in its article
	text     string
	words    int
	concepts []string // distinct concepts (bigrams and content words)
	vec      vector
	factor   float64 // quality factor in (0, 1]
}

// pick is a chosen key sentence.
type pick struct {
	art  int
	pos  int
	text string
}

// summarize picks up to max key sentences of a story (or, with a word
// budget, sentences until the budget is spent): a greedy budgeted maximum
// coverage of the story's concepts (word bigrams and content words, each
// weighed by how many of the story's articles use it, Gillick & Favre
// style), per word spent, with a filter against repeats. Once every shared
// concept is covered, the budget is filled in reading order: the first
// article's sentences first (stories come ranked, so that is the best-sourced
// story's first report), finished, mid-length sentences before the others.
func summarize(st *story, max, budget int, p summaryParams) []pick {
	cands := candidates(st, p)
	if len(cands) == 0 {
		return nil
	}
	// Concept weights: how many articles use each concept.
	df := map[string]int{}
	lastArt := map[string]int{}
	for _, c := range cands {
		for _, k := range c.concepts {
			if last, ok := lastArt[k]; !ok || last != c.art {
				df[k]++
				lastArt[k] = c.art
			}
		}
	}
	minDF := p.minDF
	if len(st.arts) < 2 {
		minDF = 1
	}
	kind := func(k string) float64 {
		if strings.IndexByte(k, ' ') >= 0 {
			return p.bigram
		}
		return p.unigram
	}
	weight := map[string]float64{}
	for k, n := range df {
		if n >= minDF {
			weight[k] = float64(n) * kind(k)
		}
	}
	if len(weight) == 0 {
		// Nothing shared: every concept counts once.
		for k := range df {
			weight[k] = kind(k)
		}
	}
	covered := map[string]bool{}
	gain := func(concepts []string) float64 {
		g := 0.0
		for _, k := range concepts {
			if !covered[k] {
				g += weight[k]
			}
		}
		return g
	}
	var chosen []*candidate
	used := make([]bool, len(cands))
	words := 0
	for {
		if budget > 0 && words >= budget {
			break
		}
		if budget <= 0 && len(chosen) >= max {
			break
		}
		bi, best := -1, math.Inf(-1)
		for i, c := range cands {
			if used[i] {
				continue
			}
			red := 0.0
			for _, o := range chosen {
				red = math.Max(red, dot(c.vec, o.vec))
			}
			if red >= p.dupSim {
				used[i] = true
				continue
			}
			g, n := 0.0, c.words
			if left := budget - words; budget > 0 && n > left {
				// Only the words that fit will be read: they are what counts.
				n = left
				g = gain(concepts(contentTokens(strings.Join(strings.Fields(c.text)[:left], " "))))
			} else {
				g = gain(c.concepts)
			}
			v := c.factor * g / math.Pow(float64(n), p.lenExp)
			// Reading order breaks ties, above all among sentences that add
			// no concept.
			v += 1e-6 * c.factor / float64(1+c.art)
			if v > best {
				bi, best = i, v
			}
		}
		if bi < 0 {
			break
		}
		used[bi] = true
		for _, k := range cands[bi].concepts {
			covered[k] = true
		}
		chosen = append(chosen, cands[bi])
		words += cands[bi].words
	}
	if budget > 0 {
		// A summary of a given length reads in the articles' order (leads
		// first, if asked); a last sentence that overflows the budget stays
		// last, where it is cut.
		sorted := chosen
		if words > budget {
			sorted = chosen[:len(chosen)-1]
		}
		sort.SliceStable(sorted, func(i, j int) bool {
			if p.leadsFirst && sorted[i].pos != sorted[j].pos {
				return sorted[i].pos < sorted[j].pos
			}
			if sorted[i].art != sorted[j].art {
				return sorted[i].art < sorted[j].art
			}
			return sorted[i].pos < sorted[j].pos
		})
	}
	out := make([]pick, len(chosen))
	for i, c := range chosen {
		out[i] = pick{art: c.art, pos: c.pos, text: c.text}
	}
	return out
}

// candidates splits the story's articles into candidate sentences, drops
// boilerplate and fragments, and extracts each sentence's concepts.
func candidates(st *story, p summaryParams) []*candidate {
	var cands []*candidate
	sf := map[string]int{}
	for ai, a := range st.arts {
		pos := 0
		for _, s := range a.doc.Sentences {
			for _, t := range splitSentence(strings.Join(strings.Fields(s.Text), " ")) {
				t = stripBoilerplate(t)
				if t == "" || isBoilerplate(t) {
					continue
				}
				words := len(strings.Fields(t))
				toks := contentTokens(t)
				if words < p.minWords || len(toks) < 3 {
					continue
				}
				c := &candidate{art: ai, pos: pos, text: t, words: words, factor: 1}
				pos++
				c.concepts = concepts(toks)
				if !finished(t) {
					c.factor *= p.unfinish
				}
				if p.maxWords > 0 && words > p.maxWords {
					c.factor *= float64(p.maxWords) / float64(words)
				}
				c.vec = vector(termCounts(text.Terms(t)))
				for term := range c.vec {
					sf[term]++
				}
				cands = append(cands, c)
			}
		}
	}
	n := float64(len(cands))
	for _, c := range cands {
		for t, k := range c.vec {
			c.vec[t] = (1 + math.Log(k)) * math.Log(1+n/float64(sf[t]))
		}
		c.vec.normalize()
	}
	return cands
}

// contentTokens returns the lower-cased runs of letters and digits of s, the
// tokens summaries are scored on.
func contentTokens(s string) []string {
	var out []string
	start := -1
	for i := 0; i <= len(s); i++ {
		alnum := false
		if i < len(s) {
			c := s[i]
			alnum = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')
		}
		switch {
		case alnum && start < 0:
			start = i
		case !alnum && start >= 0:
			out = append(out, strings.ToLower(s[start:i]))
			start = -1
		}
	}
	return out
}

// concepts lists the distinct bigrams (not both stop words) and content
// words of a token sequence.
func concepts(toks []string) []string {
	seen := map[string]bool{}
	var out []string
	add := func(k string) {
		if !seen[k] {
			seen[k] = true
			out = append(out, k)
		}
	}
	for i, t := range toks {
		stop := text.IsStopWord(t)
		if !stop && len(t) > 1 {
			add(t)
		}
		if i+1 < len(toks) && !(stop && text.IsStopWord(toks[i+1])) {
			add(t + " " + toks[i+1])
		}
	}
	return out
}

// abbreviations end with a period without ending a sentence.
var abbreviations = func() map[string]bool {
	m := map[string]bool{}
	for _, w := range strings.Fields(`mr mrs ms dr prof sr jr st mt ft gen sen rep gov lt col capt cpt sgt maj cmdr adm
	rev fr hon pres supt det insp gov atty inc co corp ltd llc bros dept univ assn no nos vol vs etc approx est
	jan feb mar apr jun jul aug sep sept oct nov dec mon tue tues wed thu thur thurs fri sat sun ave blvd rd hwy
	fig al op ed pp pg ch art sec`) {
		m[w] = true
	}
	return m
}()

// splitSentence splits a sentence where the sentence splitter missed a
// boundary: a word ending in a period, other than an abbreviation, followed
// by a capitalised word ("in 2011. In washington", common in lower-cased,
// tokenised news where a number ends a sentence).
func splitSentence(s string) []string {
	f := strings.Fields(s)
	var out []string
	start := 0
	for i := 0; i+1 < len(f); i++ {
		if !endsSentence(f[i]) || !startsSentence(f[i+1]) {
			continue
		}
		out = append(out, strings.Join(f[start:i+1], " "))
		start = i + 1
	}
	return append(out, strings.Join(f[start:], " "))
}

func endsSentence(w string) bool {
	if !strings.HasSuffix(w, ".") || strings.HasSuffix(w, "..") {
		return false
	}
	stem := strings.TrimSuffix(w, ".")
	stem = strings.TrimLeft(stem, "\"'(“‘")
	if stem == "" || strings.ContainsRune(stem, '.') {
		return false // u.s., n.s.a., p.m.
	}
	letters := 0
	for _, r := range stem {
		if r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' {
			letters++
		}
	}
	if letters == 1 && len(stem) == 1 {
		return false // an initial
	}
	return !abbreviations[strings.ToLower(stem)]
}

func startsSentence(w string) bool {
	return w != "" && w[0] >= 'A' && w[0] <= 'Z'
}

// boilerplatePrefixes are page furniture glued to the start of a sentence.
var boilerplatePrefixes = []string{
	"photo advertisement continue reading the main story ",
	"advertisement continue reading the main story ",
	"continue reading the main story ",
	"advertisement ",
	"media playback is unsupported on your device media caption ",
	"media playback is not supported on this device ",
	"this article is over 1 year old ",
}

// dateline matches a wire dateline, "washington ( ap ) — ", which says
// nothing a summary needs.
var dateline = regexp.MustCompile(`^[A-Za-z .,'-]{2,40} \( ?(ap|AP|reuters|Reuters|REUTERS|cnn|CNN|afp|AFP) ?\) ?(—|--|-|–) ?`)

func stripBoilerplate(s string) string {
	for {
		l := strings.ToLower(s)
		trimmed := false
		for _, pre := range boilerplatePrefixes {
			if strings.HasPrefix(l, pre) {
				s, trimmed = s[len(pre):], true
				break
			}
		}
		if m := dateline.FindStringIndex(s); m != nil && m[1] < len(s) {
			s, trimmed = s[m[1]:], true
		}
		if !trimmed {
			return s
		}
	}
}

// boilerplate marks sentences that are page furniture, not news: sharing
// and sign-up prompts, players, cookie notices, reprint terms, and the
// notes of web archives standing in for a page that is gone.
var boilerplate = []string{
	// sharing, sign-up, subscriptions
	"click here", "breaking news emails", "breaking news alerts", "thank you for reading", "subscribe",
	"sign me up", "be the first to know", "sign up for", "sign up to", "signing up", "newsletter",
	"follow us", "share this", "e-mail this", "download the app", "you ' ll never miss", "you'll never miss",
	"verification email", "verification message", "activate your profile", "push notifications",
	"email notifications", "notification", "invalid email", "you must log in", "please re-enter",
	"digital access", "zip code", "zipcode", "get daily updates", "help us deliver journalism",
	"our journalism takes", "stories that matter, delivered", "covers what is happening in our community",
	"add as an interest", "just one more thing", "log in", "comments this will not appear",
	"this will appear next to all of your comments",
	// players, pictures and page chrome
	"image caption", "image copyright", "photo:", "photo credit", "getty images", "media caption",
	"rating is available when the video", "this feature is not available", "please try again later",
	"interactive transcript", "media requires javascript", "javascript", "your browser", "please enable",
	"skip ad", "ad loading", "text size - +", "play facebook twitter", "close skip in skip", "embed x share",
	"read more", "continue reading", "related:", "watch:", "video:", "posted by", "we have reached out",
	"this story has been updated",
	// rights, reprints, cookies and consent
	"all rights reserved", "copyright", "may not be published", "broadcast, rewritten", "dow jones reprints",
	"presentation-ready copies", "order reprints", "cookies", "data protection law", "by clicking",
	"terms of use", "privacy policy",
	// twitter embeds
	"tweet with a location", "location information to your tweets", "location history",
	"add a location to your tweets", "twitter stores that location", "legacy twitter",
	"add this tweet to your website",
	// web archive notes
	"internet archive", "wayback machine", "these crawls", "focused crawls", "web crawl", "crawl data",
	"this crawl", "the crawl", "crawled", "seed list", "the seed for", "heritrix", "archive-it",
	"no more 404", "duplicate detection", "publicly accessible", "this collection", "the pages that are referenced",
}

func isBoilerplate(s string) bool {
	l := strings.ToLower(s)
	for _, b := range boilerplate {
		if strings.Contains(l, b) {
			return true
		}
	}
	return false
}

// finished reports whether a sentence ends as sentences do, not cut off
// mid-way and not a heading.
func finished(s string) bool {
	s = strings.TrimRight(s, " \"'”’)]»")
	if s == "" {
		return false
	}
	switch s[len(s)-1] {
	case '.', '!', '?':
		return !strings.HasSuffix(s, "...")
	}
	return false
}
