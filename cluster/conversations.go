package cluster

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/briefbot/briefbot/bot"
)

// Conversations is [bot.ConversationStore] in table conversations, shared
// by the replicas: a Slack thread answered by one replica is continued by
// whichever replica its next reply reaches.
type Conversations struct {
	pool *pgxpool.Pool
	ttl  time.Duration
	now  func() time.Time
	log  *slog.Logger
}

var _ bot.ConversationStore = (*Conversations)(nil)

// lastTurns is the JSON path that keeps an array's last bot.MaxTurns.
var lastTurns = fmt.Sprintf("$[last-%d to last]", bot.MaxTurns-1)

// NewConversations returns the conversations, each remembered for ttl
// after its last turn (0: bot.DefaultConversationTTL); nil now means
// time.Now, nil logger discards.
func NewConversations(pool *pgxpool.Pool, ttl time.Duration, now func() time.Time, logger *slog.Logger) *Conversations {
	if ttl <= 0 {
		ttl = bot.DefaultConversationTTL
	}
	if now == nil {
		now = time.Now
	}
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	return &Conversations{pool: pool, ttl: ttl, now: now, log: logger}
}

// Get returns the conversation's turns, oldest first; nil when there is
// none, it expired, or the database cannot be read (logged: the question
// is then answered on its own).
func (c *Conversations) Get(key string) []bot.Turn {
	ctx, cancel := opCtx()
	defer cancel()
	var raw []byte
	err := c.pool.QueryRow(ctx, `SELECT turns FROM conversations WHERE key = $1 AND updated_at > $2`,
		key, c.now().Add(-c.ttl)).Scan(&raw)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil
	}
	if err != nil {
		c.log.Warn("conversation not read", "err", err)
		return nil
	}
	var turns []bot.Turn
	if err := json.Unmarshal(raw, &turns); err != nil || len(turns) == 0 {
		return nil
	}
	return turns
}

// Has reports whether the conversation exists and has not expired.
func (c *Conversations) Has(key string) bool { return c.Get(key) != nil }

// Append adds t to the conversation in one statement, keeping the last
// bot.MaxTurns (an expired conversation starts afresh).
func (c *Conversations) Append(key string, t bot.Turn) error {
	now := c.now()
	if t.At.IsZero() {
		t.At = now
	}
	turn, err := json.Marshal(t)
	if err != nil {
		return fmt.Errorf("cluster: conversation: %w", err)
	}
	ctx, cancel := opCtx()
	defer cancel()
	_, err = c.pool.Exec(ctx, `INSERT INTO conversations (key, turns, updated_at) VALUES ($1, jsonb_build_array($2::jsonb), $3)
		ON CONFLICT (key) DO UPDATE SET updated_at = EXCLUDED.updated_at,
			turns = jsonb_path_query_array(
				CASE WHEN conversations.updated_at > $4 THEN conversations.turns ELSE '[]'::jsonb END || EXCLUDED.turns, $5::jsonpath)`,
		key, string(turn), now, now.Add(-c.ttl), lastTurns)
	if err != nil {
		return fmt.Errorf("cluster: conversation: %w", err)
	}
	return nil
}

// Replace sets the conversation's turns, keeping the last bot.MaxTurns.
func (c *Conversations) Replace(key string, turns []bot.Turn) error {
	now := c.now()
	if len(turns) > bot.MaxTurns {
		turns = turns[len(turns)-bot.MaxTurns:]
	}
	turns = append([]bot.Turn(nil), turns...)
	for i := range turns {
		if turns[i].At.IsZero() {
			turns[i].At = now
		}
	}
	raw, err := json.Marshal(turns)
	if err != nil {
		return fmt.Errorf("cluster: conversation: %w", err)
	}
	ctx, cancel := opCtx()
	defer cancel()
	_, err = c.pool.Exec(ctx, `INSERT INTO conversations (key, turns, updated_at) VALUES ($1, $2::jsonb, $3)
		ON CONFLICT (key) DO UPDATE SET turns = EXCLUDED.turns, updated_at = EXCLUDED.updated_at`, key, string(raw), now)
	if err != nil {
		return fmt.Errorf("cluster: conversation: %w", err)
	}
	return nil
}

// Expire deletes the conversations past their time to live; the leader
// calls it periodically.
func (c *Conversations) Expire(ctx context.Context) error {
	if _, err := c.pool.Exec(ctx, `DELETE FROM conversations WHERE updated_at <= $1`, c.now().Add(-c.ttl)); err != nil {
		return fmt.Errorf("cluster: expire conversations: %w", err)
	}
	return nil
}
