package httpapi

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"testing"

	"github.com/briefbot/briefbot/bot"
)

// FuzzAsk: any query string gets 200 with an answer or 400 with one of
// the known sentences, as JSON; nothing panics.
func FuzzAsk(f *testing.F) {
	f.Add("When did the talks resume?", "")
	f.Add("", "2025-03-02")
	f.Add("   ", "x")
	f.Add("q\x00\xff", "2025-02-30")
	h := New(Config{Asker: bot.New(&fakeSearcher{}, bot.Options{}), Panicked: func() { panic("counted a panic") }})
	known := map[string]bool{
		"the question is empty: pass it as ?q=...":   true,
		"the question is longer than 500 characters": true,
		"as_of is not a date (use YYYY-MM-DD)":       true,
	}
	f.Fuzz(func(t *testing.T, q, asOf string) {
		v := url.Values{"q": {q}}
		if asOf != "" {
			v.Set("as_of", asOf)
		}
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/api/ask?"+v.Encode(), nil))
		var body map[string]any
		if err := json.Unmarshal(rec.Body.Bytes(), &body); err != nil {
			t.Fatalf("status %d, body not JSON: %q", rec.Code, rec.Body.Bytes())
		}
		switch rec.Code {
		case http.StatusOK:
			if _, ok := body["found"]; !ok {
				t.Fatalf("200 without an answer: %v", body)
			}
		case http.StatusBadRequest:
			if msg, _ := body["error"].(string); !known[msg] {
				t.Fatalf("400 with an unknown sentence: %v", body)
			}
		default:
			t.Fatalf("status %d: %v", rec.Code, body)
		}
	})
}
