package cluster

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/briefbot/briefbot/bot"
)

// Votes is [bot.VoteRecorder] in table votes: a click's key is unique, so
// a replayed click counts once whichever replica it reaches.
type Votes struct {
	pool *pgxpool.Pool
}

// NewVotes returns the votes table.
func NewVotes(pool *pgxpool.Pool) *Votes { return &Votes{pool: pool} }

// Record inserts v; a Key already recorded returns bot.ErrDuplicateVote.
func (v *Votes) Record(ctx context.Context, vote bot.Vote) error {
	if err := vote.Check(); err != nil {
		return err
	}
	if vote.Time.IsZero() {
		vote.Time = time.Now().UTC()
	}
	var key *string
	if vote.Key != "" {
		key = &vote.Key
	}
	ids := vote.ArticleIDs
	if ids == nil {
		ids = []string{}
	}
	tag, err := v.pool.Exec(ctx, `INSERT INTO votes (key, platform, question, article_ids, user_id, vote, at, reason)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8) ON CONFLICT (key) DO NOTHING`,
		key, vote.Platform, vote.Question, ids, vote.User, vote.Vote, vote.Time, vote.Reason)
	if err != nil {
		return fmt.Errorf("cluster: record vote: %w", err)
	}
	if tag.RowsAffected() == 0 {
		return bot.ErrDuplicateVote
	}
	return nil
}

// Votes reads every recorded vote, oldest first.
func (v *Votes) Votes(ctx context.Context) ([]bot.Vote, error) {
	rows, err := v.pool.Query(ctx, `SELECT coalesce(key, ''), platform, question, article_ids, user_id, vote, at, reason FROM votes ORDER BY id`)
	if err != nil {
		return nil, fmt.Errorf("cluster: read votes: %w", err)
	}
	defer rows.Close()
	var out []bot.Vote
	for rows.Next() {
		var b bot.Vote
		if err := rows.Scan(&b.Key, &b.Platform, &b.Question, &b.ArticleIDs, &b.User, &b.Vote, &b.Time, &b.Reason); err != nil {
			return nil, fmt.Errorf("cluster: read votes: %w", err)
		}
		out = append(out, b)
	}
	return out, rows.Err()
}

// Find returns the vote recorded under key.
func (v *Votes) Find(ctx context.Context, key string) (bot.Vote, bool, error) {
	var b bot.Vote
	err := v.pool.QueryRow(ctx, `SELECT coalesce(key, ''), platform, question, article_ids, user_id, vote, at, reason FROM votes WHERE key = $1`, key).
		Scan(&b.Key, &b.Platform, &b.Question, &b.ArticleIDs, &b.User, &b.Vote, &b.Time, &b.Reason)
	if errors.Is(err, pgx.ErrNoRows) {
		return bot.Vote{}, false, nil
	}
	if err != nil {
		return bot.Vote{}, false, fmt.Errorf("cluster: find vote: %w", err)
	}
	return b, true, nil
}
