package bot

import (
	"bytes"
	"encoding/json"
	"fmt"
	"time"

	"github.com/briefbot/briefbot/retrieval"
)

// The JSON views of the domain types: the only place where an answer's
// dates are strings. Unknown fields are left out everywhere.

// CitationJSON is the JSON view of a citation (a retrieval.ArticleMeta):
// id, and title, source, url and published (YYYY-MM-DD) when known. The
// answer and digest contracts both write it.
type CitationJSON struct {
	ID        string `json:"id"`
	Title     string `json:"title,omitempty"`
	Source    string `json:"source,omitempty"`
	URL       string `json:"url,omitempty"`
	Published string `json:"published,omitempty"`
}

// NewCitationJSON is m's JSON view.
func NewCitationJSON(m retrieval.ArticleMeta) CitationJSON {
	return CitationJSON{ID: m.ID, Title: m.Title, Source: m.Source, URL: m.URL, Published: m.PublishedString()}
}

// Meta reads the view back.
func (c CitationJSON) Meta() (retrieval.ArticleMeta, error) {
	pub, err := parseDate(c.Published)
	if err != nil {
		return retrieval.ArticleMeta{}, fmt.Errorf("citation %q: %w", c.ID, err)
	}
	return retrieval.ArticleMeta{ID: c.ID, Title: c.Title, Source: c.Source, URL: c.URL, Published: pub}, nil
}

// alsoInJSON names another article that carries a near-identical sentence.
type alsoInJSON struct {
	ID    string `json:"id"`
	Title string `json:"title,omitempty"`
}

type quoteJSON struct {
	Text      string       `json:"text"`
	Context   string       `json:"context,omitempty"`
	Article   CitationJSON `json:"article"`
	AlsoIn    []alsoInJSON `json:"also_in,omitempty"`
	Truncated bool         `json:"truncated,omitempty"`
}

type searchedJSON struct {
	Articles    int      `json:"articles"`
	Undated     int      `json:"undated"`
	From        string   `json:"from,omitempty"`
	To          string   `json:"to,omitempty"`
	Collections []string `json:"collections,omitempty"`
}

type answerJSON struct {
	Question   string       `json:"question"`
	Found      bool         `json:"found"`
	Reason     string       `json:"reason,omitempty"`
	Quotes     []quoteJSON  `json:"quotes"`
	Searched   searchedJSON `json:"searched"`
	FollowUpOf string       `json:"follow_up_of,omitempty"`
	Resolved   string       `json:"resolved,omitempty"`
}

// MarshalJSON writes the Answer contract.
func (a Answer) MarshalJSON() ([]byte, error) {
	v := answerJSON{
		Question: a.Question, Found: a.Found, Reason: a.Reason, FollowUpOf: a.FollowUpOf, Resolved: a.Resolved,
		Searched: searchedJSON{
			Articles: a.Searched.Articles, Undated: a.Searched.Undated,
			From: dateString(a.Searched.From), To: dateString(a.Searched.To), Collections: a.Searched.Collections,
		},
	}
	if a.Quotes != nil {
		v.Quotes = make([]quoteJSON, 0, len(a.Quotes))
	}
	for _, q := range a.Quotes {
		qj := quoteJSON{Text: q.Text, Context: q.Context, Article: NewCitationJSON(q.Article), Truncated: q.Truncated}
		for _, o := range q.AlsoIn {
			qj.AlsoIn = append(qj.AlsoIn, alsoInJSON{ID: o.ID, Title: o.Title})
		}
		v.Quotes = append(v.Quotes, qj)
	}
	return MarshalView(v)
}

// UnmarshalJSON reads the Answer contract (a client's, or a test's).
func (a *Answer) UnmarshalJSON(b []byte) error {
	var v answerJSON
	if err := json.Unmarshal(b, &v); err != nil {
		return err
	}
	from, err := parseDate(v.Searched.From)
	if err != nil {
		return err
	}
	to, err := parseDate(v.Searched.To)
	if err != nil {
		return err
	}
	ans := Answer{
		Question: v.Question, Found: v.Found, Reason: v.Reason, FollowUpOf: v.FollowUpOf, Resolved: v.Resolved,
		Searched: retrieval.Coverage{Articles: v.Searched.Articles, Undated: v.Searched.Undated, From: from, To: to, Collections: v.Searched.Collections},
	}
	if v.Quotes != nil {
		ans.Quotes = make([]retrieval.Quote, 0, len(v.Quotes))
	}
	for _, qj := range v.Quotes {
		art, err := qj.Article.Meta()
		if err != nil {
			return err
		}
		q := retrieval.Quote{Text: qj.Text, Context: qj.Context, Article: art, Truncated: qj.Truncated}
		for _, o := range qj.AlsoIn {
			q.AlsoIn = append(q.AlsoIn, retrieval.ArticleMeta{ID: o.ID, Title: o.Title})
		}
		ans.Quotes = append(ans.Quotes, q)
	}
	*a = ans
	return nil
}

// MarshalView encodes a JSON view for a MarshalJSON method with HTML
// characters unescaped: the caller's encoder escapes them or not (json.Marshal
// does, `ask --json` and the API do not), as it would for plain fields.
func MarshalView(v any) ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return bytes.TrimSuffix(buf.Bytes(), []byte{'\n'}), nil
}

// parseDate reads a YYYY-MM-DD date of a JSON view ("" is the zero time).
func parseDate(s string) (time.Time, error) {
	if s == "" {
		return time.Time{}, nil
	}
	return time.Parse(retrieval.DateLayout, s)
}
