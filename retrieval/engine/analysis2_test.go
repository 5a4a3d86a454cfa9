package engine

import (
	"context"
	"fmt"
	"os"
	"strings"
	"testing"

	"github.com/briefbot/briefbot/retrieval"
	"github.com/briefbot/briefbot/retrieval/evaluate"
	"github.com/briefbot/briefbot/retrieval/ingest"
)

func TestFailures(t *testing.T) {
	if os.Getenv("BB_FAIL") == "" {
		t.Skip()
	}
	applyCfg(os.Getenv("BB_FAIL"))
	ctx := context.Background()
	e, _ := NewMemory(ctx, Options{})
	var arts []retrieval.Article
	ingest.ReadFile("/work/shared/eval/realtimeqa/corpus.jsonl", func(a retrieval.Article) error { arts = append(arts, a); return nil })
	e.Ingest(ctx, arts)
	qs := loadAQ(t)
	shown := 0
	var inQuoted, notQuoted, hits int
	defer func() {
		fmt.Printf("hits %d, miss with answer in a quoted article %d, elsewhere %d\n", hits, inQuoted, notQuoted)
	}()
	for i, q := range qs {
		_ = i
		asOf, _ := ingest.ParseDate(q.Date)
		res, _ := e.Search(ctx, retrieval.Query{Text: q.Question, AsOf: asOf})
		var qt []string
		for _, x := range res.Quotes {
			qt = append(qt, x.Text)
		}
		if evaluate.AnswerInQuotes(q.Answer, qt, 3) {
			hits++
			continue
		}
		na := " " + evaluate.Normalize(q.Answer) + " "
		found := false
		for _, x := range res.Quotes {
			a, _ := e.Store().Article(x.Article.ID)
			if strings.Contains(" "+evaluate.Normalize(a.Body)+" ", na) {
				found = true
			}
		}
		if found {
			inQuoted++
		} else {
			notQuoted++
		}
		if shown >= 14 || !found {
			continue
		}
		for r, x := range res.Quotes {
			d := x.Article
			a, _ := e.Store().Article(d.ID)
			if !strings.Contains(" "+evaluate.Normalize(a.Body)+" ", na) {
				continue
			}
			fmt.Printf("\nQ: %s\nA: %s   (doc rank %d %s)\n", q.Question, q.Answer, r, d.ID)
			for _, s := range a.Sentences {
				st := a.Body[s.Start:s.End]
				if strings.Contains(" "+evaluate.Normalize(st)+" ", na) {
					fmt.Printf("  GOLD SENT: %s\n", st)
					break
				}
			}
			for _, x := range res.Quotes {
				fmt.Printf("  QUOTE[%s]: %s\n", x.Article.ID, x.Text)
			}
			shown++
			break
		}

	}
}
