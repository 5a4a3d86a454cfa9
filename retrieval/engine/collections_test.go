package engine

import (
	"context"
	"testing"

	"github.com/briefbot/briefbot/retrieval"
)

// A search restricted to collections never quotes an article of another
// (nor an unlabelled one), and says which collections it searched.
func TestSearchWithinCollections(t *testing.T) {
	ctx := context.Background()
	e, err := NewMemory(ctx, Options{})
	if err != nil {
		t.Fatal(err)
	}
	arts := []retrieval.Article{
		{ID: "a", Collection: "sport", Title: "Cup final", Body: "The harbour bridge closed on Sunday for the cup final parade, police said."},
		{ID: "b", Collection: "city", Title: "Bridge works", Body: "The harbour bridge closed on Sunday for eleven weeks of repairs, the city said."},
		{ID: "c", Title: "Bridge", Body: "The harbour bridge closed on Sunday, drivers said."},
	}
	if _, err := e.Ingest(ctx, arts); err != nil {
		t.Fatal(err)
	}
	all, err := e.Search(ctx, retrieval.Query{Text: "Why did the harbour bridge close on Sunday?"})
	if err != nil || !all.Found {
		t.Fatalf("unrestricted: %+v %v", all, err)
	}
	for _, cols := range [][]string{{"city"}, {"sport"}, {"sport", "city"}} {
		res, err := e.Search(ctx, retrieval.Query{Text: "Why did the harbour bridge close on Sunday?", Collections: cols})
		if err != nil {
			t.Fatal(err)
		}
		allowed := map[string]bool{}
		for _, c := range cols {
			allowed[c] = true
		}
		for _, q := range res.Quotes {
			if !allowed[q.Article.Collection] {
				t.Fatalf("restricted to %v, quoted %s (collection %q)", cols, q.Article.ID, q.Article.Collection)
			}
		}
		if res.Searched.Articles != len(cols) || len(res.Searched.Collections) != len(cols) {
			t.Fatalf("restricted to %v: searched %+v", cols, res.Searched)
		}
	}
	none, err := e.Search(ctx, retrieval.Query{Text: "Why did the harbour bridge close on Sunday?", Collections: []string{"weather"}})
	if err != nil || none.Found || none.Searched.Articles != 0 {
		t.Fatalf("an empty collection: %+v %v", none, err)
	}
}
