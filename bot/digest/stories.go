package digest

import (
	"math"
	"sort"
	"strings"
	"time"

	"github.com/briefbot/briefbot/bot"
	"github.com/briefbot/briefbot/retrieval"
	"github.com/briefbot/briefbot/retrieval/text"
)

// Clustering thresholds, on the cosine of TF-IDF vectors of stemmed terms
// (title and body). Reports of one event share names and rare words and
// score well above sameThreshold; copies of one wire story are nearly
// identical.
const (
	sameThreshold       = 0.17
	syndicatedThreshold = 0.8
	// agglomerativeMax is the most articles clustered by average linkage
	// (quadratic memory); beyond it a single greedy pass assigns each article
	// to the nearest story centroid.
	agglomerativeMax = 600
)

// vector is a sparse term-weight vector.
type vector map[string]float64

func (v vector) norm() float64 {
	s := 0.0
	for _, w := range v {
		s += w * w
	}
	return math.Sqrt(s)
}

func (v vector) normalize() vector {
	n := v.norm()
	if n == 0 {
		return v
	}
	for t, w := range v {
		v[t] = w / n
	}
	return v
}

// dot is the dot product; iterate over the smaller vector.
func dot(a, b vector) float64 {
	if len(a) > len(b) {
		a, b = b, a
	}
	s := 0.0
	for t, w := range a {
		s += w * b[t]
	}
	return s
}

func termCounts(terms []string) map[string]float64 {
	m := make(map[string]float64, len(terms))
	for _, t := range terms {
		m[t]++
	}
	return m
}

// article is a document prepared for clustering.
type article struct {
	doc   retrieval.Document
	terms map[string]float64
	vec   vector // unit TF-IDF
}

func prepareArticles(docs []retrieval.Document) []*article {
	arts := make([]*article, len(docs))
	df := map[string]int{}
	for i, d := range docs {
		terms := termCounts(text.Terms(d.Title + "\n" + d.Body))
		arts[i] = &article{doc: d, terms: terms}
		for t := range terms {
			df[t]++
		}
	}
	n := float64(len(docs))
	for _, a := range arts {
		a.vec = make(vector, len(a.terms))
		for t, c := range a.terms {
			a.vec[t] = (1 + math.Log(c)) * math.Log(1+n/float64(df[t]))
		}
		a.vec.normalize()
	}
	return arts
}

// cluster groups articles into stories: average-linkage agglomerative
// clustering, merging while two groups are on average at least threshold
// similar. It returns groups of article indices, each in input order.
func cluster(arts []*article, threshold float64) [][]int {
	n := len(arts)
	if n == 0 {
		return nil
	}
	if n > agglomerativeMax {
		return leaderCluster(arts, threshold)
	}
	// sim holds the sum of pairwise similarities between groups i and j.
	sim := make([][]float64, n)
	for i := range sim {
		sim[i] = make([]float64, n)
	}
	for i := 0; i < n; i++ {
		for j := i + 1; j < n; j++ {
			s := dot(arts[i].vec, arts[j].vec)
			sim[i][j], sim[j][i] = s, s
		}
	}
	groups := make([][]int, n)
	alive := make([]bool, n)
	for i := range groups {
		groups[i] = []int{i}
		alive[i] = true
	}
	for {
		bi, bj, best := -1, -1, threshold
		for i := 0; i < n; i++ {
			if !alive[i] {
				continue
			}
			for j := i + 1; j < n; j++ {
				if !alive[j] {
					continue
				}
				avg := sim[i][j] / float64(len(groups[i])*len(groups[j]))
				if avg >= best {
					bi, bj, best = i, j, avg
				}
			}
		}
		if bi < 0 {
			break
		}
		groups[bi] = append(groups[bi], groups[bj]...)
		alive[bj] = false
		for k := 0; k < n; k++ {
			sim[bi][k] += sim[bj][k]
			sim[k][bi] = sim[bi][k]
		}
	}
	var out [][]int
	for i, g := range groups {
		if alive[i] {
			sort.Ints(g)
			out = append(out, g)
		}
	}
	return out
}

// leaderCluster assigns each article, in order, to the story whose centroid
// it is most similar to, or starts a new story.
func leaderCluster(arts []*article, threshold float64) [][]int {
	var groups [][]int
	var centroids []vector
	for i, a := range arts {
		best, bi := threshold, -1
		for g, c := range centroids {
			if s := dot(a.vec, c) / c.norm(); s >= best {
				best, bi = s, g
			}
		}
		if bi < 0 {
			groups = append(groups, []int{i})
			c := vector{}
			for t, w := range a.vec {
				c[t] = w
			}
			centroids = append(centroids, c)
			continue
		}
		groups[bi] = append(groups[bi], i)
		for t, w := range a.vec {
			centroids[bi][t] += w
		}
	}
	return groups
}

// countSources counts independent sources: articles of one named source,
// and near-identical (syndicated) copies, count once.
func countSources(arts []*article) int {
	parent := make([]int, len(arts))
	for i := range parent {
		parent[i] = i
	}
	find := func(i int) int {
		for parent[i] != i {
			parent[i] = parent[parent[i]]
			i = parent[i]
		}
		return i
	}
	for i := range arts {
		for j := i + 1; j < len(arts); j++ {
			si := strings.ToLower(strings.TrimSpace(arts[i].doc.Source))
			sj := strings.ToLower(strings.TrimSpace(arts[j].doc.Source))
			if (si != "" && si == sj) || dot(arts[i].vec, arts[j].vec) >= syndicatedThreshold {
				parent[find(i)] = find(j)
			}
		}
	}
	n := 0
	for i := range arts {
		if find(i) == i {
			n++
		}
	}
	return n
}

// story is a group of articles on the way to becoming a Story.
type story struct {
	arts     []*article
	centroid vector
	sources  int
	novelty  float64 // 1 for a new story; the share of unseen articles for a follow-up
	follow   bool
	latest   time.Time
	sig      Signature
}

func buildStories(docs []retrieval.Document, opts Options) []Story {
	return buildStoriesWith(docs, opts, defaultSummaryParams)
}

// buildStoriesWith is buildStories with the summariser's settings given.
func buildStoriesWith(docs []retrieval.Document, opts Options, sp summaryParams) []Story {
	if len(docs) == 0 {
		return []Story{}
	}
	arts := prepareArticles(docs)
	groups := cluster(arts, sameThreshold)
	stories := make([]*story, 0, len(groups))
	for _, g := range groups {
		st := &story{centroid: vector{}}
		for _, i := range g {
			a := arts[i]
			st.arts = append(st.arts, a)
			for t, w := range a.vec {
				st.centroid[t] += w
			}
			if t := when(a.doc.ArticleMeta); t.After(st.latest) {
				st.latest = t
			}
		}
		st.centroid.normalize()
		st.sources = countSources(st.arts)
		st.sig = signatureOf(st)
		st.novelty = 1
		if prev, ok := matchPrevious(st.sig, opts.Previous); ok {
			st.follow = true
			seen := map[string]bool{}
			for _, id := range prev.Articles {
				seen[id] = true
			}
			unseen := 0
			for _, a := range st.arts {
				if !seen[a.doc.ID] {
					unseen++
				}
			}
			st.novelty = float64(unseen) / float64(len(st.arts))
		}
		stories = append(stories, st)
	}
	rankStories(stories)
	if opts.MaxStories > 0 && len(stories) > opts.MaxStories {
		stories = stories[:opts.MaxStories]
	}
	if opts.Words > 0 {
		return budgetedStories(stories, opts.Words, sp)
	}
	out := make([]Story, 0, len(stories))
	for _, st := range stories {
		max := opts.MaxSentences
		if st.follow {
			// A follow-up is condensed to its one most telling sentence.
			max = 1
		}
		picks := summarize(st, max, 0, sp)
		// Told in reading order (every article's lead first), not in the
		// order the greedy coverage found them: a story opens with its lead.
		sort.SliceStable(picks, func(i, j int) bool {
			if picks[i].pos != picks[j].pos {
				return picks[i].pos < picks[j].pos
			}
			return picks[i].art < picks[j].art
		})
		if s, ok := storyOf(st, picks); ok {
			out = append(out, s)
		}
	}
	return out
}

// budgetedStories spends a word budget on the sentences of all stories at
// once: concepts that several articles share, whatever story they were
// grouped in, are what the window's briefings said most. Telling the first
// story in full before the others starves them (on Multi-News, where one
// event's reports often fall into two or three stories, it loses about two
// points of ROUGE-1). The chosen sentences are shown under their stories, in
// rank order.
func budgetedStories(stories []*story, words int, sp summaryParams) []Story {
	pool := &story{}
	type ref struct{ story, art int }
	var refs []ref
	for si, st := range stories {
		for ai, a := range st.arts {
			pool.arts = append(pool.arts, a)
			refs = append(refs, ref{si, ai})
		}
	}
	picks := summarize(pool, 0, words, sp)
	per := make([][]pick, len(stories))
	for _, p := range picks {
		r := refs[p.art]
		p.art = r.art
		per[r.story] = append(per[r.story], p)
	}
	out := make([]Story, 0, len(stories))
	for si, st := range stories {
		if s, ok := storyOf(st, per[si]); ok {
			out = append(out, s)
		}
	}
	return out
}

// storyOf turns a story and its key sentences into a Story; a story without
// key sentences is left out.
func storyOf(st *story, picks []pick) (Story, bool) {
	if len(picks) == 0 {
		return Story{}, false
	}
	s := Story{New: !st.follow, Sources: st.sources, Signature: st.sig, Sentences: make([]Sentence, 0, len(picks))}
	for _, p := range picks {
		// Cited as answers cite: a URL that is not http(s) is left out.
		m := st.arts[p.art].doc.ArticleMeta
		m.URL = bot.SafeURL(m.URL)
		s.Sentences = append(s.Sentences, Sentence{Text: p.text, Article: m})
	}
	for _, a := range st.arts {
		s.Articles = append(s.Articles, a.doc.ID)
	}
	s.Headline = headline(st, s.Sentences[0].Text)
	return s, true
}

// rankStories orders stories: more independent sources and more novelty
// first, then the most recent, then by headline material for stability.
func rankStories(stories []*story) {
	sort.SliceStable(stories, func(i, j int) bool {
		a, b := stories[i], stories[j]
		sa := float64(a.sources) * (0.5 + a.novelty)
		sb := float64(b.sources) * (0.5 + b.novelty)
		if sa != sb {
			return sa > sb
		}
		if len(a.arts) != len(b.arts) {
			return len(a.arts) > len(b.arts)
		}
		if !a.latest.Equal(b.latest) {
			return a.latest.After(b.latest)
		}
		return a.arts[0].doc.ID < b.arts[0].doc.ID
	})
}

// headline is the title of the story's most central titled article; with
// no title in the story, its best sentence.
func headline(st *story, best string) string {
	bestScore, title := -1.0, ""
	for _, a := range st.arts {
		t := strings.Join(strings.Fields(a.doc.Title), " ")
		if t == "" {
			continue
		}
		s := dot(a.vec, st.centroid)
		if len(strings.Fields(t)) < 3 {
			s -= 1 // a one- or two-word title says little
		}
		if s > bestScore {
			bestScore, title = s, t
		}
	}
	if title == "" {
		return best
	}
	return title
}
