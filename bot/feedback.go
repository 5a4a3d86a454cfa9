package bot

import (
	"sort"
	"time"
)

// FeedbackReport sums votes by question and by article.
type FeedbackReport struct {
	Since     time.Time          `json:"since,omitzero"`
	Votes     int                `json:"votes"`
	Up        int                `json:"up"`
	Down      int                `json:"down"`
	Reasons   map[string]int     `json:"reasons"`
	Questions []QuestionFeedback `json:"questions"`
	Articles  []ArticleFeedback  `json:"articles"`
}

// QuestionFeedback is the votes on the answers to one question.
type QuestionFeedback struct {
	Question string         `json:"question"`
	Up       int            `json:"up"`
	Down     int            `json:"down"`
	Reasons  map[string]int `json:"reasons,omitempty"`
	Articles []string       `json:"article_ids"`
}

// ArticleFeedback is the votes on the answers that quoted one article.
type ArticleFeedback struct {
	ID      string         `json:"id"`
	Up      int            `json:"up"`
	Down    int            `json:"down"`
	Reasons map[string]int `json:"reasons,omitempty"`
}

// Feedback sums votes recorded at or after since (zero: all): questions
// with the most 👎 first, then articles likewise. A reason counts for its
// question and articles; it is not a second 👎.
func Feedback(votes []Vote, since time.Time) FeedbackReport {
	r := FeedbackReport{Since: since, Reasons: map[string]int{}, Questions: []QuestionFeedback{}, Articles: []ArticleFeedback{}}
	qs := map[string]*QuestionFeedback{}
	as := map[string]*ArticleFeedback{}
	for _, v := range votes {
		if !since.IsZero() && v.Time.Before(since) {
			continue
		}
		q := qs[v.Question]
		if q == nil {
			q = &QuestionFeedback{Question: v.Question, Articles: []string{}}
			qs[v.Question] = q
		}
		seen := map[string]bool{}
		for _, id := range q.Articles {
			seen[id] = true
		}
		for _, id := range v.ArticleIDs {
			if !seen[id] {
				seen[id] = true
				q.Articles = append(q.Articles, id)
			}
		}
		if v.Reason != "" {
			r.Reasons[v.Reason]++
			q.Reasons = inc(q.Reasons, v.Reason)
			for _, id := range v.ArticleIDs {
				a := article(as, id)
				a.Reasons = inc(a.Reasons, v.Reason)
			}
			continue
		}
		r.Votes++
		up := v.Vote == VoteUp
		if up {
			r.Up++
			q.Up++
		} else {
			r.Down++
			q.Down++
		}
		for _, id := range v.ArticleIDs {
			a := article(as, id)
			if up {
				a.Up++
			} else {
				a.Down++
			}
		}
	}
	for _, q := range qs {
		r.Questions = append(r.Questions, *q)
	}
	sort.Slice(r.Questions, func(i, j int) bool {
		a, b := r.Questions[i], r.Questions[j]
		return worse(a.Down, a.Up, a.Question, b.Down, b.Up, b.Question)
	})
	for _, a := range as {
		r.Articles = append(r.Articles, *a)
	}
	sort.Slice(r.Articles, func(i, j int) bool {
		a, b := r.Articles[i], r.Articles[j]
		return worse(a.Down, a.Up, a.ID, b.Down, b.Up, b.ID)
	})
	return r
}

// worse orders feedback rows: the most 👎 first, then the fewest 👍, then
// by name.
func worse(downA, upA int, nameA string, downB, upB int, nameB string) bool {
	if downA != downB {
		return downA > downB
	}
	if upA != upB {
		return upA < upB
	}
	return nameA < nameB
}

func inc(m map[string]int, k string) map[string]int {
	if m == nil {
		m = map[string]int{}
	}
	m[k]++
	return m
}

func article(as map[string]*ArticleFeedback, id string) *ArticleFeedback {
	a := as[id]
	if a == nil {
		a = &ArticleFeedback{ID: id}
		as[id] = a
	}
	return a
}
