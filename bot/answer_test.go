package bot

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

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

func TestSearchedDescribeTellsUndatedApart(t *testing.T) {
	cases := []struct {
		s    retrieval.Coverage
		want string
	}{
		{retrieval.Coverage{Articles: 5, Undated: 4, From: date("2025-12-06"), To: date("2025-12-06")}, "I searched 5 articles: 1 dated 2025-12-06, 4 undated."},
		{retrieval.Coverage{Articles: 5, From: date("2022-06-01"), To: date("2022-09-30")}, "I searched 5 articles from 2022-06-01 to 2022-09-30."},
		{retrieval.Coverage{Articles: 3, Undated: 3}, "I searched 3 articles, all undated."},
		{retrieval.Coverage{Articles: 1, Undated: 1}, "I searched 1 article, undated."},
		{retrieval.Coverage{Articles: 1, From: date("2025-12-06"), To: date("2025-12-06")}, "I searched 1 article dated 2025-12-06."},
		{retrieval.Coverage{Articles: 6, Undated: 2, From: date("2025-12-04"), To: date("2025-12-06")}, "I searched 6 articles: 4 from 2025-12-04 to 2025-12-06, 2 undated."},
		{retrieval.Coverage{Articles: 0}, "I searched no articles."},
		{retrieval.Coverage{Articles: 4}, "I searched 4 articles."},
		// Inconsistent counts from a searcher never print negative numbers.
		{retrieval.Coverage{Articles: 2, Undated: 7}, "I searched 2 articles, all undated."},
	}
	for _, tc := range cases {
		if got := DescribeSearched(tc.s); got != tc.want {
			t.Errorf("%+v: %q, want %q", tc.s, got, tc.want)
		}
	}
}

func TestNotFoundTextGivesTheReason(t *testing.T) {
	ans := AnswerFromResult("What happened on 2026-01-10?", retrieval.Result{
		Reason:   "  the briefings end on\n2025-12-06 ",
		Searched: retrieval.Coverage{Articles: 5, Undated: 4},
	})
	if ans.Reason != "the briefings end on 2025-12-06" {
		t.Errorf("reason %q", ans.Reason)
	}
	want := "I couldn't find that in the briefings. The briefings end on 2025-12-06. I searched 5 articles: 1 dated, 4 undated."
	if got := ans.NotFoundText(); got != want {
		t.Errorf("not found text %q, want %q", got, want)
	}
	ans.Reason = ""
	if got := ans.NotFoundText(); got != "I couldn't find that in the briefings. I searched 5 articles: 1 dated, 4 undated." {
		t.Errorf("without a reason: %q", got)
	}
	for in, want := range map[string]string{"": "", "no briefing names Xyzzy!": "No briefing names Xyzzy!", "été": "Été."} {
		if got := ReasonSentence(in); got != want {
			t.Errorf("ReasonSentence(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestAnswerJSONContract(t *testing.T) {
	res := retrieval.Result{Found: true, Reason: "ignored when found", Quotes: []retrieval.Quote{
		{Text: "He said the talks would go on.", Context: "Zelensky  spoke to\nWitkoff on Friday.", Article: retrieval.ArticleMeta{ID: "a.txt", URL: "javascript:alert(1)"}},
		{Text: "The pier is closed.", Article: retrieval.ArticleMeta{ID: "b.txt", URL: "https://example.com/pier"}},
	}, Searched: retrieval.Coverage{Articles: 2}}
	ans := AnswerFromResult("What did he say?", res)
	b, err := json.Marshal(ans)
	if err != nil {
		t.Fatal(err)
	}
	var got struct {
		Reason *string `json:"reason"`
		Quotes []struct {
			Context *string        `json:"context"`
			Article map[string]any `json:"article"`
		} `json:"quotes"`
		Searched map[string]any `json:"searched"`
	}
	if err := json.Unmarshal(b, &got); err != nil {
		t.Fatal(err)
	}
	if got.Reason != nil {
		t.Errorf("a found answer carries a reason: %s", b)
	}
	if c := got.Quotes[0].Context; c == nil || *c != "Zelensky spoke to Witkoff on Friday." {
		t.Errorf("context not carried whitespace-normalised: %s", b)
	}
	if got.Quotes[1].Context != nil {
		t.Errorf("an empty context is not omitted: %s", b)
	}
	if _, ok := got.Quotes[0].Article["url"]; ok {
		t.Errorf("a javascript: URL reached the contract: %s", b)
	}
	if got.Quotes[1].Article["url"] != "https://example.com/pier" {
		t.Errorf("an https URL was lost: %s", b)
	}
	if u, ok := got.Searched["undated"]; !ok || u != float64(0) {
		t.Errorf("searched.undated must always be present: %s", b)
	}
	nf, _ := json.Marshal(AnswerFromResult("x", retrieval.Result{Reason: "the briefings end on 2025-12-06"}))
	if !strings.Contains(string(nf), `"reason":"the briefings end on 2025-12-06"`) {
		t.Errorf("a refusal lost its reason: %s", nf)
	}
}

func TestSafeURLOnlyHTTP(t *testing.T) {
	for u, want := range map[string]string{
		"https://example.com/a":     "https://example.com/a",
		" HTTP://Example.com/b ":    "HTTP://Example.com/b",
		"javascript:alert(1)":       "",
		"JavaScript://example.com/": "",
		"data:text/html,hi":         "",
		"//example.com/x":           "",
		"/relative/path":            "",
		"ftp://example.com/f":       "",
		"http://":                   "",
		"not a url":                 "",
		"":                          "",
	} {
		if got := SafeURL(u); got != want {
			t.Errorf("SafeURL(%q) = %q, want %q", u, got, want)
		}
	}
	ref := retrieval.ArticleMeta{ID: "x.txt", Title: "T", URL: "javascript:alert(1)"}
	if got := CitationText(ref); got != "T · x.txt" {
		t.Errorf("citation with a javascript: URL: %q", got)
	}
}

func TestLibraryDatesTellUndatedApart(t *testing.T) {
	cases := []struct {
		l    Library
		want string
	}{
		{Library{Articles: 5, From: date("2025-12-04"), To: date("2025-12-06")}, "published 2025-12-04 to 2025-12-06"},
		{Library{Articles: 5, Undated: 4, From: date("2025-12-06"), To: date("2025-12-06")}, "1 published 2025-12-06, 4 undated"},
		{Library{Articles: 3, Undated: 3}, "all undated"},
		{Library{Articles: 1, Undated: 1}, "undated"},
		{Library{Articles: 0}, ""},
	}
	for _, tc := range cases {
		if got := tc.l.Dates(); got != tc.want {
			t.Errorf("%+v: %q, want %q", tc.l, got, tc.want)
		}
	}
}

// librarySearcher serves a fixed article list.
type librarySearcher struct{ metas []retrieval.ArticleMeta }

func (s librarySearcher) Search(context.Context, retrieval.Query) (retrieval.Result, error) {
	return retrieval.Result{}, nil
}
func (s librarySearcher) Articles(context.Context) ([]retrieval.ArticleMeta, error) {
	return s.metas, nil
}
func (s librarySearcher) Document(context.Context, string) (retrieval.Document, error) {
	return retrieval.Document{}, nil
}

func TestLibraryCountsUndated(t *testing.T) {
	day, _ := time.Parse(retrieval.DateLayout, "2025-12-06")
	b := New(librarySearcher{metas: []retrieval.ArticleMeta{
		{ID: "a", Published: day, Chunks: 2, URL: "javascript:alert(1)"}, {ID: "b", Chunks: 1}, {ID: "c", Chunks: 1},
	}}, Options{})
	lib, err := b.Library(context.Background(), 5)
	if err != nil {
		t.Fatal(err)
	}
	if lib.Articles != 3 || lib.Undated != 2 || lib.Chunks != 4 || !lib.From.Equal(day) || !lib.To.Equal(day) {
		t.Errorf("library %+v", lib)
	}
	if lib.Dates() != "1 published 2025-12-06, 2 undated" {
		t.Errorf("dates %q", lib.Dates())
	}
	for _, r := range lib.Latest {
		if r.URL != "" {
			t.Errorf("a javascript: URL reached the library: %+v", r)
		}
	}
}

// TestArticleIDsOnce: an article that gives two quotes is listed once, in
// the order of its first quote (feedback counts a vote once per article).
func TestArticleIDsOnce(t *testing.T) {
	a := Answer{Quotes: []retrieval.Quote{{Article: retrieval.ArticleMeta{ID: "a"}}, {Article: retrieval.ArticleMeta{ID: "b"}}, {Article: retrieval.ArticleMeta{ID: "a"}}}}
	if got := a.ArticleIDs(); len(got) != 2 || got[0] != "a" || got[1] != "b" {
		t.Errorf("ArticleIDs = %v, want [a b]", got)
	}
}

// date is a YYYY-MM-DD day at midnight UTC.
func date(s string) time.Time {
	t, err := time.Parse(retrieval.DateLayout, s)
	if err != nil {
		panic(err)
	}
	return t
}
