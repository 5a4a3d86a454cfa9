package bot

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
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
}

// ErrBadVote reports a vote that is neither VoteUp nor VoteDown.
var ErrBadVote = errors.New("bot: vote must be up or down")

// VoteLog appends votes, one JSON object a line, to votes.jsonl in the data
// directory. It is safe for concurrent use.
type VoteLog struct {
	mu   sync.Mutex
	path string
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

// Record appends v durably (the file is synced before Record returns).
func (l *VoteLog) Record(_ context.Context, v Vote) error {
	if v.Vote != VoteUp && v.Vote != VoteDown {
		return ErrBadVote
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
	return f.Close()
}

// Votes reads every recorded vote, oldest first. A torn last line (a crash
// mid-append) is skipped.
func (l *VoteLog) Votes() ([]Vote, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
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
