package bot

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/briefbot/briefbot/retrieval"
)

func TestTruncatedQuotesSayTheyGoOn(t *testing.T) {
	res := retrieval.Result{Found: true, Quotes: []retrieval.Quote{
		{Text: "Ferries will dock at the southern terminal, which will add", Article: retrieval.ArticleMeta{ID: "a.txt"}, Truncated: true},
		{Text: "The pier is closed.", Article: retrieval.ArticleMeta{ID: "b.txt"}},
	}}
	ans := AnswerFromResult("Where will ferries dock?", res)
	if got := ans.Quotes[0].Display(); got != res.Quotes[0].Text+"…" {
		t.Errorf("truncated quote displays as %q", got)
	}
	if got := ans.Quotes[1].Display(); got != "The pier is closed." {
		t.Errorf("whole quote displays as %q", got)
	}
	b, err := json.Marshal(ans)
	if err != nil {
		t.Fatal(err)
	}
	if n := strings.Count(string(b), `"truncated":true`); n != 1 {
		t.Errorf("JSON marks %d quotes truncated, want 1: %s", n, b)
	}
	if strings.Contains(string(b), "…") {
		t.Errorf("JSON text must stay verbatim: %s", b)
	}
}
