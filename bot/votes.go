package bot

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"sync"
	"time"
)

// Vote values.
const (
	VoteUp   = "up"
	VoteDown = "down"
)

// Vote is a user's 👍 or 👎 on an answer.
type Vote struct {
	Platform   string    `json:"platform"`
	Question   string    `json:"question"`
	ArticleIDs []string  `json:"article_ids"`
	User       string    `json:"user"`
	Vote       string    `json:"vote"`
	Time       time.Time `json:"time"`
	// Key identifies the click: the platform, the user, the answer's
	// message and the vote. A vote whose key is already recorded (a
	// replayed or redelivered request) is not recorded again. Empty means
	// no deduplication.
	Key string `json:"key,omitempty"`
	// Reason says why a 👎 was given (ReasonWrongArticle, ...): it is
	// recorded as a line of its own, after the 👎, with the same question
	// and articles. Empty on the vote itself.
	Reason string `json:"reason,omitempty"`
}

// check reports a vote that is neither up nor down, or a reason that is
// unknown or not on a 👎.
func (v Vote) check() error {
	if v.Vote != VoteUp && v.Vote != VoteDown {
		return ErrBadVote
	}
	if v.Reason != "" && (v.Vote != VoteDown || ReasonLabel(v.Reason) == "") {
		return ErrBadVote
	}
	return nil
}

// Check is check, for other VoteRecorders.
func (v Vote) Check() error { return v.check() }

// Reasons a 👎 may be given, asked right after it.
const (
	ReasonWrongArticle  = "wrong_article"
	ReasonDoesNotAnswer = "does_not_answer"
	ReasonOutOfDate     = "out_of_date"
)

// Reasons lists the reasons with their labels, in the order they are offered.
var Reasons = []struct{ Code, Label string }{
	{ReasonDoesNotAnswer, "Doesn't answer"},
	{ReasonWrongArticle, "Wrong article"},
	{ReasonOutOfDate, "Out of date"},
}

// ReasonLabel returns the label of a reason code ("" for an unknown one).
func ReasonLabel(code string) string {
	for _, r := range Reasons {
		if r.Code == code {
			return r.Label
		}
	}
	return ""
}

// ReasonKey is the Vote.Key of user's reason for their 👎 on answerID:
// one reason per user and answer.
func ReasonKey(platform, answerID, user string) string {
	return VoteKey(platform, answerID, user, "reason")
}

// VoteKey is the Vote.Key of user's vote on the answer identified by
// answerID (a message id or ts) on platform.
func VoteKey(platform, answerID, user, vote string) string {
	return platform + ":" + answerID + ":" + user + ":" + vote
}

// Errors of Record.
var (
	// ErrBadVote reports a vote that is neither VoteUp nor VoteDown.
	ErrBadVote = errors.New("bot: vote must be up or down")
	// ErrDuplicateVote reports a vote whose Key is already recorded: it
	// was not recorded again.
	ErrDuplicateVote = errors.New("bot: this vote is already recorded")
)

// RatedAnswer is what a vote needs to know about the answer it rates: the
// question and the quoted articles. An adapter whose buttons cannot carry
// them (Discord's custom_id holds 100 characters) keeps them under a short
// key its buttons carry, so that a vote reads none of them back from the
// message's display text.
type RatedAnswer struct {
	Question   string    `json:"q"`
	ArticleIDs []string  `json:"a,omitempty"`
	Time       time.Time `json:"t"`
}

// AnswerRecorder keeps RatedAnswers by key, next to the votes: a
// VoteRecorder may implement it ([VoteLog] does, in answers.jsonl).
type AnswerRecorder interface {
	// RememberAnswer keeps a under key, durably.
	RememberAnswer(ctx context.Context, key string, a RatedAnswer) error
	// RecallAnswer returns the answer kept under key.
	RecallAnswer(ctx context.Context, key string) (RatedAnswer, bool, error)
}

var _ AnswerRecorder = (*VoteLog)(nil)

// AnswerRetention is how long VoteLog keeps a RatedAnswer: a vote on an
// older answer is recorded with what its button carries.
const AnswerRetention = 90 * 24 * time.Hour

// AnswersFile is the file, next to votes.jsonl, where VoteLog keeps
// RatedAnswers.
const AnswersFile = "answers.jsonl"

// RememberAnswer keeps a under key in answers.jsonl (one appended, synced
// line; the file is compacted when it has grown to twice the answers kept,
// dropping those older than AnswerRetention).
func (l *VoteLog) RememberAnswer(_ context.Context, key string, a RatedAnswer) error {
	if a.Time.IsZero() {
		a.Time = l.clock().UTC()
	}
	raw, err := json.Marshal(a)
	if err != nil {
		return fmt.Errorf("bot: remember answer: %w", err)
	}
	l.amu.Lock()
	defer l.amu.Unlock()
	if err := l.openAnswers(); err != nil {
		return err
	}
	if err := l.alog.set(key, json.RawMessage(raw)); err != nil {
		return fmt.Errorf("bot: remember answer: %w", err)
	}
	l.answers[key] = raw
	if l.alog.grown(len(l.answers)) {
		l.expireAnswers()
		if err := l.alog.compact(l.answers); err != nil {
			return fmt.Errorf("bot: compact answers: %w", err)
		}
	}
	return nil
}

// RecallAnswer returns the answer kept under key.
func (l *VoteLog) RecallAnswer(_ context.Context, key string) (RatedAnswer, bool, error) {
	l.amu.Lock()
	defer l.amu.Unlock()
	if err := l.openAnswers(); err != nil {
		return RatedAnswer{}, false, err
	}
	raw, ok := l.answers[key]
	if !ok {
		return RatedAnswer{}, false, nil
	}
	var a RatedAnswer
	if err := json.Unmarshal(raw, &a); err != nil {
		return RatedAnswer{}, false, fmt.Errorf("bot: recall answer: %w", err)
	}
	return a, true, nil
}

// openAnswers reads and compacts answers.jsonl once; l.amu is held.
func (l *VoteLog) openAnswers() error {
	if l.alog != nil {
		return nil
	}
	path := filepath.Join(filepath.Dir(l.path), AnswersFile)
	m, err := readKeyedLog(path, slog.Default())
	if err != nil {
		return fmt.Errorf("bot: answers: %w", err)
	}
	if m == nil {
		m = map[string]json.RawMessage{}
	}
	l.answers = m
	l.expireAnswers()
	if l.alog, err = openKeyedLog(path, slog.Default(), l.answers); err != nil {
		return fmt.Errorf("bot: answers: %w", err)
	}
	return nil
}

// clock is the time answers are kept and expired by.
func (l *VoteLog) clock() time.Time {
	if l.now == nil {
		return time.Now()
	}
	return l.now()
}

// expireAnswers drops answers older than AnswerRetention; l.amu is held.
func (l *VoteLog) expireAnswers() {
	now := l.clock()
	for k, raw := range l.answers {
		var a RatedAnswer
		if json.Unmarshal(raw, &a) != nil || now.Sub(a.Time) >= AnswerRetention {
			delete(l.answers, k)
		}
	}
}

// VoteRecorder records votes: [VoteLog] in the data directory, the
// cluster package's table in PostgreSQL. Record returns ErrDuplicateVote
// for a Key already recorded, and ErrBadVote for a vote neither up nor
// down.
type VoteRecorder interface {
	Record(ctx context.Context, v Vote) error
	// Find returns the recorded vote whose Key is key (a 👎's, when its
	// reason is given).
	Find(ctx context.Context, key string) (Vote, bool, error)
}

var _ VoteRecorder = (*VoteLog)(nil)

// VoteLog appends votes, one JSON object a line, to votes.jsonl in the data
// directory. It is safe for concurrent use.
type VoteLog struct {
	mu   sync.Mutex
	path string
	keys map[string]bool // recorded keys; nil until read from the file

	amu     sync.Mutex
	answers map[string]json.RawMessage // RatedAnswers by key; nil until read
	alog    *keyedLog
	now     func() time.Time
}

// OpenVoteLog returns a VoteLog writing to dir/votes.jsonl.
func OpenVoteLog(dir string) (*VoteLog, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("bot: open vote log: %w", err)
	}
	return &VoteLog{path: filepath.Join(dir, "votes.jsonl")}, nil
}

// Path is the file votes are written to.
func (l *VoteLog) Path() string { return l.path }

// Record appends v durably (the file is synced before Record returns). A
// vote whose Key is already recorded returns ErrDuplicateVote and changes
// nothing, so a replayed click counts once.
func (l *VoteLog) Record(_ context.Context, v Vote) error {
	if v.Vote != VoteUp && v.Vote != VoteDown {
		return ErrBadVote
	}
	if err := v.check(); err != nil {
		return err
	}
	if v.Time.IsZero() {
		v.Time = time.Now().UTC()
	}
	line, err := json.Marshal(v)
	if err != nil {
		return fmt.Errorf("bot: record vote: %w", err)
	}
	line = append(line, '\n')
	l.mu.Lock()
	defer l.mu.Unlock()
	if v.Key != "" {
		if l.keys == nil {
			votes, err := l.read()
			if err != nil {
				return fmt.Errorf("bot: record vote: %w", err)
			}
			l.keys = map[string]bool{}
			for _, old := range votes {
				if old.Key != "" {
					l.keys[old.Key] = true
				}
			}
		}
		if l.keys[v.Key] {
			return ErrDuplicateVote
		}
	}
	f, err := os.OpenFile(l.path, os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o644)
	if err != nil {
		return fmt.Errorf("bot: record vote: %w", err)
	}
	if _, err := f.Write(line); err != nil {
		f.Close()
		return fmt.Errorf("bot: record vote: %w", err)
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return fmt.Errorf("bot: record vote: %w", err)
	}
	if v.Key != "" {
		l.keys[v.Key] = true
	}
	return f.Close()
}

// Find returns the recorded vote whose Key is key.
func (l *VoteLog) Find(_ context.Context, key string) (Vote, bool, error) {
	votes, err := l.Votes()
	if err != nil {
		return Vote{}, false, err
	}
	for i := len(votes) - 1; i >= 0; i-- {
		if votes[i].Key == key {
			return votes[i], true, nil
		}
	}
	return Vote{}, false, nil
}

// Votes reads every recorded vote, oldest first. A torn last line (a crash
// mid-append) is skipped.
func (l *VoteLog) Votes() ([]Vote, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.read()
}

// read reads every vote; the caller holds mu.
func (l *VoteLog) read() ([]Vote, error) {
	data, err := os.ReadFile(l.path)
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("bot: read votes: %w", err)
	}
	var out []Vote
	for len(data) > 0 {
		i := 0
		for i < len(data) && data[i] != '\n' {
			i++
		}
		var v Vote
		if json.Unmarshal(data[:i], &v) == nil {
			out = append(out, v)
		}
		if i < len(data) {
			i++
		}
		data = data[i:]
	}
	return out, nil
}
