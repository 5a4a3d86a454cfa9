package engine

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/briefbot/briefbot/retrieval"
	"github.com/briefbot/briefbot/retrieval/ingest"
)

// setQuestion is a line of the hand-written question sets in
// testdata/questions (see its README): answerable ones name the articles
// and a verbatim answer string, unanswerable ones their kind.
type setQuestion struct {
	Question string   `json:"question"`
	Articles []string `json:"articles"`
	Answer   string   `json:"answer"`
	Date     string   `json:"date"`
	Kind     string   `json:"kind"`
}

func readSet(t *testing.T, name string) []setQuestion {
	t.Helper()
	f, err := os.Open(filepath.Join("testdata", "questions", name))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var out []setQuestion
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		var q setQuestion
		if err := json.Unmarshal(sc.Bytes(), &q); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		out = append(out, q)
	}
	return out
}

// setScore is how an engine does on a question set.
type setScore struct {
	n, at1, at3, refused int
	words, quotes        int
	byKind               map[string][2]int // kind -> refused, total
}

func scoreSet(t *testing.T, e *Engine, qs []setQuestion) setScore {
	t.Helper()
	ctx := context.Background()
	s := setScore{byKind: map[string][2]int{}}
	for _, q := range qs {
		var asOf = e.now()
		if q.Date != "" {
			asOf, _ = ingest.ParseDate(q.Date)
		}
		res, err := e.Search(ctx, retrieval.Query{Text: q.Question, AsOf: asOf})
		if err != nil {
			t.Fatal(err)
		}
		s.n++
		for _, x := range res.Quotes {
			s.quotes++
			s.words += len(strings.Fields(x.Text))
		}
		if q.Kind != "" {
			k := s.byKind[q.Kind]
			k[1]++
			if !res.Found {
				k[0]++
				s.refused++
			} else if testing.Verbose() {
				t.Logf("answered %s %q (confidence %.3f): %q", q.Kind, q.Question, res.Confidence, res.Quotes[0].Text)
			}
			s.byKind[q.Kind] = k
			continue
		}
		if !res.Found {
			s.refused++
		}
		hit := -1
		for i, x := range res.Quotes {
			if slices.Contains(q.Articles, x.Article.ID) && strings.Contains(x.Text, q.Answer) {
				hit = i
				break
			}
		}
		if hit == 0 {
			s.at1++
		}
		if hit >= 0 {
			s.at3++
		} else if testing.Verbose() {
			got := fmt.Sprintf("refused (confidence %.3f, evidence %.2f) %s", res.Confidence, res.Evidence, res.Reason)
			if len(res.Quotes) > 0 {
				got = res.Quotes[0].Article.ID + ": " + res.Quotes[0].Text
			}
			t.Logf("missed %q (want %q): %s", q.Question, q.Answer, got)
		}
	}
	return s
}

func (s setScore) meanWords() float64 {
	if s.quotes == 0 {
		return 0
	}
	return float64(s.words) / float64(s.quotes)
}

// TestSeedQuestionSets measures fresh questions over the seeds: answerable
// ones (paraphrases, typos, abbreviations) answered from the right article,
// unanswerable ones refused. The floors sit under the figures in
// BENCHMARKS.md.
func TestSeedQuestionSets(t *testing.T) {
	e := seedsEngine(t)
	ans := scoreSet(t, e, readSet(t, "seeds_answerable.jsonl"))
	un := scoreSet(t, e, readSet(t, "seeds_unanswerable.jsonl"))
	t.Logf("seeds answerable: %d questions, right article and answer in quote 1: %d, in quotes 1-3: %d, refused %d, %.1f words a quote",
		ans.n, ans.at1, ans.at3, ans.refused, ans.meanWords())
	t.Logf("seeds unanswerable: %d of %d refused %v", un.refused, un.n, un.byKind)
	checkFloor(t, "seeds answerable in quotes 1-3", ans.at3, ans.n, seedFloors.at3)
	checkFloor(t, "seeds answerable in quote 1", ans.at1, ans.n, seedFloors.at1)
	checkFloor(t, "seeds unanswerable refused", un.refused, un.n, seedFloors.refused)
	if w := ans.meanWords(); w > 35 {
		t.Errorf("quotes average %.1f words, want <= 35", w)
	}
}

var seedFloors = struct{ at1, at3, refused float64 }{0.5, 0.55, 0.7}

func checkFloor(t *testing.T, what string, k, n int, floor float64) {
	t.Helper()
	if n == 0 {
		t.Fatalf("%s: no questions", what)
	}
	if got := float64(k) / float64(n); got < floor {
		t.Errorf("%s: %d of %d (%.2f), want >= %.2f", what, k, n, got, floor)
	}
}

var (
	newsOnce sync.Once
	newsEng  *Engine
	newsErr  error
)

// newsEngine indexes the RealTime QA news corpus once per test binary.
func newsEngine(t *testing.T) *Engine {
	t.Helper()
	dir := evalDir(t)
	newsOnce.Do(func() {
		ctx := context.Background()
		e, err := NewMemory(ctx, Options{})
		if err != nil {
			newsErr = err
			return
		}
		var arts []retrieval.Article
		if _, err := ingest.ReadFile(ctx, filepath.Join(dir, "corpus.jsonl"), func(a retrieval.Article) error {
			arts = append(arts, a)
			return nil
		}); err != nil {
			newsErr = err
			return
		}
		if _, err := e.Ingest(ctx, arts); err != nil {
			newsErr = err
			return
		}
		newsEng = e
	})
	if newsErr != nil {
		t.Fatal(newsErr)
	}
	return newsEng
}

// TestNewsQuestionSets measures refusals on the news archive (questions it
// cannot answer: off-topic, unknown entities, after the archive, facts it
// never states) and hand-written questions it does answer.
func TestNewsQuestionSets(t *testing.T) {
	if testing.Short() || raceEnabled {
		t.Skip("indexes 4,872 articles (skipped under -short and -race)")
	}
	e := newsEngine(t)
	ans := scoreSet(t, e, readSet(t, "news_answerable.jsonl"))
	un := scoreSet(t, e, readSet(t, "news_unanswerable.jsonl"))
	t.Logf("news answerable: %d questions, right article and answer in quote 1: %d, in quotes 1-3: %d, refused %d, %.1f words a quote",
		ans.n, ans.at1, ans.at3, ans.refused, ans.meanWords())
	t.Logf("news unanswerable: %d of %d refused %v", un.refused, un.n, un.byKind)
	checkFloor(t, "news unanswerable refused", un.refused, un.n, newsFloors.refused)
	checkFloor(t, "news answerable in quotes 1-3", ans.at3, ans.n, newsFloors.at3)
}

var newsFloors = struct{ at3, refused float64 }{0.4, 0.6}
