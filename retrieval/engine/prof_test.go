package engine

import (
	"context"
	"os"
	"testing"

	"github.com/briefbot/briefbot/retrieval"
	"github.com/briefbot/briefbot/retrieval/ingest"
)

func BenchmarkDevQueries(b *testing.B) {
	if os.Getenv("BB_PROF") == "" {
		b.Skip()
	}
	ctx := context.Background()
	e, _ := NewMemory(ctx, Options{})
	var arts []retrieval.Article
	ingest.ReadFile("/work/shared/eval/realtimeqa/corpus.jsonl", func(a retrieval.Article) error { arts = append(arts, a); return nil })
	e.Ingest(ctx, arts)
	qs := loadAQ(nil)[:100]
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		q := qs[i%len(qs)]
		asOf, _ := ingest.ParseDate(q.Date)
		e.Search(ctx, retrieval.Query{Text: q.Question, AsOf: asOf})
	}
}
