package bot

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/briefbot/briefbot/internal/golden"
	"github.com/briefbot/briefbot/retrieval"
)

// jsonAnswers are answers covering every field of the JSON contract: a
// found answer with a context, a truncated quote, corroboration, missing
// citation fields, hostile characters and a hostile URL; a follow-up; a
// refusal with a reason; a refusal with nothing searched.
func jsonAnswers() map[string]Answer {
	kyiv := time.FixedZone("Kyiv", 2*3600)
	res := retrieval.Result{Found: true, Quotes: []retrieval.Quote{
		{
			Text:    `He said the talks <in Miami> would go on & "soon".`,
			Context: "Zelensky  spoke to\nWitkoff on Friday.",
			Article: retrieval.ArticleMeta{
				ID: "001.txt", Title: "Talks & <more>", Source: "Kyiv Post", URL: "https://example.com/a?x=1&y=2",
				Published: time.Date(2025, 12, 6, 23, 30, 0, 0, kyiv), Ingested: time.Date(2025, 12, 7, 1, 0, 0, 0, time.UTC),
				Hash: "h1", Chunks: 3, Collection: "news",
			},
			Span: retrieval.Span{Start: 10, End: 60}, Score: 0.9,
			AlsoIn: []retrieval.ArticleMeta{
				{ID: "002.txt", Title: "Syndicated copy", Source: "Ukrinform", URL: "https://example.com/c", Published: time.Date(2025, 12, 5, 0, 0, 0, 0, time.UTC)},
				{ID: "003.txt"},
			},
		},
		{
			Text: "Ferries will dock at the southern terminal, which will add", Truncated: true,
			Article: retrieval.ArticleMeta{ID: "004.txt", URL: "javascript:alert(1)"},
		},
	}, Searched: retrieval.Coverage{
		Articles: 6, Undated: 2, From: time.Date(2025, 12, 4, 0, 0, 0, 0, time.UTC), To: time.Date(2025, 12, 6, 0, 0, 0, 0, time.UTC),
		Collections: []string{"news", "wire"},
	}}
	found := AnswerFromResult("What did he say?", res)
	followUp := found
	followUp.Question, followUp.FollowUpOf, followUp.Resolved = "And then?", "What did he say?", "What did he say and then?"
	return map[string]Answer{
		"found":     found,
		"follow_up": followUp,
		"not_found": AnswerFromResult("What happened on 2026-01-10?", retrieval.Result{
			Reason:   "  the briefings end on\n2025-12-06 ",
			Searched: retrieval.Coverage{Articles: 5, Undated: 4, From: time.Date(2025, 12, 6, 0, 0, 0, 0, time.UTC), To: time.Date(2025, 12, 6, 0, 0, 0, 0, time.UTC)},
		}),
		"empty": AnswerFromResult("x", retrieval.Result{}),
	}
}

// TestAnswerJSONGolden pins the bytes of the Answer contract (`ask --json`
// and /api/ask): indented with HTML unescaped as both write it, and as
// json.Marshal writes it.
func TestAnswerJSONGolden(t *testing.T) {
	for name, ans := range jsonAnswers() {
		t.Run(name, func(t *testing.T) {
			golden.Contract(t, "answer_json_"+name, ans)
		})
	}
}

// TestAnswerJSONReadsBack: what MarshalJSON writes, UnmarshalJSON reads to
// an answer that writes the same bytes (dates as days, in UTC).
func TestAnswerJSONReadsBack(t *testing.T) {
	for name, ans := range jsonAnswers() {
		b, err := json.Marshal(ans)
		if err != nil {
			t.Fatal(err)
		}
		var back Answer
		if err := json.Unmarshal(b, &back); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		again, _ := json.Marshal(back)
		if string(again) != string(b) {
			t.Errorf("%s: read back as\n%s\nwant\n%s", name, again, b)
		}
		if ans.Found && back.Quotes[0].Article.Published.Format(retrieval.DateLayout) != "2025-12-06" {
			t.Errorf("%s: published read back as %v", name, back.Quotes[0].Article.Published)
		}
	}
	var bad Answer
	if err := json.Unmarshal([]byte(`{"quotes":[{"text":"x","article":{"id":"a","published":"6 Dec"}}]}`), &bad); err == nil {
		t.Error("a published date that is not YYYY-MM-DD was accepted")
	}
}

// TestAnswerCitesOnlyWebURLs: no citation of an answer, corroborating ones
// included, keeps a URL that is not http(s), and the result it was made
// from is left as it was (the engine may cache it).
func TestAnswerCitesOnlyWebURLs(t *testing.T) {
	res := retrieval.Result{Found: true, Quotes: []retrieval.Quote{{
		Text:    "The pier is closed.",
		Article: retrieval.ArticleMeta{ID: "a", URL: "javascript:alert(1)"},
		AlsoIn:  []retrieval.ArticleMeta{{ID: "b", URL: "data:text/html,x"}, {ID: "c", URL: "https://example.com/c"}},
	}}}
	ans := AnswerFromResult("q", res)
	q := ans.Quotes[0]
	if q.Article.URL != "" || q.AlsoIn[0].URL != "" || q.AlsoIn[1].URL != "https://example.com/c" {
		t.Errorf("citations %+v, also in %+v", q.Article, q.AlsoIn)
	}
	if res.Quotes[0].AlsoIn[0].URL != "data:text/html,x" {
		t.Error("AnswerFromResult changed the result it read")
	}
}
