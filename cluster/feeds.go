package cluster

import (
	"context"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
)

// FeedState keeps the feed follower's state (a JSON document) in table
// feed_state, so that the replica leading next continues the polls: its
// conditional GETs and the items already added.
type FeedState struct {
	pool *pgxpool.Pool
}

// NewFeedState returns the feed state row.
func NewFeedState(pool *pgxpool.Pool) *FeedState { return &FeedState{pool: pool} }

// LoadFeedState returns the saved state, nil before the first save.
func (f *FeedState) LoadFeedState(ctx context.Context) ([]byte, error) {
	var raw []byte
	err := f.pool.QueryRow(ctx, `SELECT state FROM feed_state`).Scan(&raw)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("cluster: feed state: %w", err)
	}
	return raw, nil
}

// SaveFeedState replaces the saved state.
func (f *FeedState) SaveFeedState(ctx context.Context, state []byte) error {
	_, err := f.pool.Exec(ctx, `INSERT INTO feed_state (singleton, state, updated_at) VALUES (true, $1, now())
ON CONFLICT (singleton) DO UPDATE SET state = EXCLUDED.state, updated_at = now()`, state)
	if err != nil {
		return fmt.Errorf("cluster: save feed state: %w", err)
	}
	return nil
}
