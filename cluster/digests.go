package cluster

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/briefbot/briefbot/bot/digest"
)

// DefaultRunLease bounds a digest run's claim whose holder is alive but
// never finished (a post that hangs): longer than a digest takes to build
// and post.
const DefaultRunLease = 10 * time.Minute

// Ledger is the digest ledger in table digest_runs, shared by the
// replicas: [digest.Deliver] claims a run (target and day) with one
// INSERT ... ON CONFLICT DO UPDATE ... WHERE takeable, posts, then records
// it with the platform's message id. A claim whose holder stopped
// refreshing its heartbeat, or older than the run lease, is taken over.
type Ledger struct {
	pool  *pgxpool.Pool
	node  *Node
	lease time.Duration
}

// NewLedger returns the ledger of node's replica; runLease 0 means
// DefaultRunLease.
func NewLedger(pool *pgxpool.Pool, node *Node, runLease time.Duration) *Ledger {
	if runLease <= 0 {
		runLease = DefaultRunLease
	}
	return &Ledger{pool: pool, node: node, lease: runLease}
}

func opCtx() (context.Context, context.CancelFunc) {
	return context.WithTimeout(context.Background(), opTimeout)
}

// Posted reports whether target's digest of day was posted (or skipped as
// empty).
func (l *Ledger) Posted(target, day string) (bool, error) {
	ctx, cancel := opCtx()
	defer cancel()
	var posted bool
	err := l.pool.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM digest_runs WHERE target = $1 AND day = $2 AND posted_at IS NOT NULL)`,
		target, day).Scan(&posted)
	if err != nil {
		return false, fmt.Errorf("cluster: digest ledger: %w", err)
	}
	return posted, nil
}

// Previous returns the story signatures of the latest digest posted to
// target before day.
func (l *Ledger) Previous(target, day string) ([]digest.Signature, error) {
	ctx, cancel := opCtx()
	defer cancel()
	var raw []byte
	err := l.pool.QueryRow(ctx, `SELECT stories FROM digest_runs
		WHERE target = $1 AND day < $2 AND posted_at IS NOT NULL AND NOT skipped ORDER BY day DESC LIMIT 1`, target, day).Scan(&raw)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("cluster: digest ledger: %w", err)
	}
	var sigs []digest.Signature
	if len(raw) > 0 {
		if err := json.Unmarshal(raw, &sigs); err != nil {
			return nil, fmt.Errorf("cluster: digest ledger: stories of %s %s: %w", target, day, err)
		}
	}
	return sigs, nil
}

// Record records dg as posted to target on day (a forced post, which
// claims nothing, replaces the day's record).
func (l *Ledger) Record(target, day string, at time.Time, dg digest.Digest) error {
	ctx, cancel := opCtx()
	defer cancel()
	return l.record(ctx, target, day, at, dg, "", false)
}

func (l *Ledger) record(ctx context.Context, target, day string, at time.Time, dg digest.Digest, id string, skipped bool) error {
	stories, err := json.Marshal(dg.Signatures())
	if err != nil {
		return fmt.Errorf("cluster: digest ledger: %w", err)
	}
	var msg *string
	if id != "" {
		msg = &id
	}
	_, err = l.pool.Exec(ctx, `INSERT INTO digest_runs (target, day, holder, claimed_at, posted_at, skipped, message_id, stories)
		VALUES ($1, $2, $3, $4, $4, $5, $6, $7::jsonb)
		ON CONFLICT (target, day) DO UPDATE SET posted_at = EXCLUDED.posted_at, skipped = EXCLUDED.skipped,
			message_id = EXCLUDED.message_id, stories = EXCLUDED.stories`,
		target, day, l.node.id, at.UTC(), skipped, msg, string(stories))
	if err != nil {
		return fmt.Errorf("cluster: digest ledger: record %s %s: %w", target, day, err)
	}
	return nil
}

// ClaimRun claims target's run of day for this replica: the row is
// inserted, or taken over when it is not posted and its claim was
// released, is older than the run lease, or is held by a replica whose
// heartbeat stopped. One statement; false means posted or held.
func (l *Ledger) ClaimRun(ctx context.Context, target, day string) (bool, error) {
	now := l.node.now()
	var one int
	err := l.pool.QueryRow(ctx, `INSERT INTO digest_runs (target, day, holder, claimed_at) VALUES ($1, $2, $3, $4)
		ON CONFLICT (target, day) DO UPDATE SET holder = EXCLUDED.holder, claimed_at = EXCLUDED.claimed_at
		WHERE digest_runs.posted_at IS NULL AND (digest_runs.holder IS NULL OR digest_runs.claimed_at <= $5
			OR (digest_runs.holder <> $3 AND NOT `+aliveSQL("digest_runs.holder", "$6")+`))
		RETURNING 1`, target, day, l.node.id, now, now.Add(-l.lease), now.Add(-l.node.lease)).Scan(&one)
	switch {
	case errors.Is(err, pgx.ErrNoRows):
		return false, nil
	case err != nil:
		return false, fmt.Errorf("cluster: claim digest %s %s: %w", target, day, err)
	}
	return true, nil
}

// ReleaseRun gives up this replica's claim of an unposted run.
func (l *Ledger) ReleaseRun(ctx context.Context, target, day string) error {
	_, err := l.pool.Exec(ctx, `UPDATE digest_runs SET holder = NULL WHERE target = $1 AND day = $2 AND holder = $3 AND posted_at IS NULL`,
		target, day, l.node.id)
	if err != nil {
		return fmt.Errorf("cluster: release digest %s %s: %w", target, day, err)
	}
	return nil
}

// FinishRun records the claimed run as posted (or skipped).
func (l *Ledger) FinishRun(ctx context.Context, target, day string, at time.Time, dg digest.Digest, messageID string, skipped bool) error {
	return l.record(ctx, target, day, at, dg, messageID, skipped)
}

// Subscriptions is the channels' digest subscriptions in table
// digest_subscriptions: a channel subscribed through any replica is
// scheduled by the leader.
type Subscriptions struct {
	pool *pgxpool.Pool
	now  func() time.Time
}

// NewSubscriptions returns the subscriptions; now stamps new ones (nil:
// time.Now).
func NewSubscriptions(pool *pgxpool.Pool, now func() time.Time) *Subscriptions {
	if now == nil {
		now = time.Now
	}
	return &Subscriptions{pool: pool, now: now}
}

// List returns the subscriptions, by platform and channel.
func (s *Subscriptions) List() ([]digest.Subscription, error) {
	ctx, cancel := opCtx()
	defer cancel()
	rows, err := s.pool.Query(ctx, `SELECT platform, channel, at_time, timezone, win, skip_empty, created
		FROM digest_subscriptions ORDER BY platform || ':' || channel`)
	if err != nil {
		return nil, fmt.Errorf("cluster: digest subscriptions: %w", err)
	}
	out, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (digest.Subscription, error) {
		var sub digest.Subscription
		err := row.Scan(&sub.Platform, &sub.Channel, &sub.At, &sub.Timezone, &sub.Window, &sub.SkipEmpty, &sub.Created)
		sub.Created = sub.Created.UTC()
		return sub, err
	})
	if err != nil {
		return nil, fmt.Errorf("cluster: digest subscriptions: %w", err)
	}
	return out, nil
}

// Add subscribes a channel, replacing its previous subscription.
func (s *Subscriptions) Add(sub digest.Subscription) (digest.Subscription, error) {
	sub, err := sub.Normalize()
	if err != nil {
		return sub, err
	}
	if sub.Created.IsZero() {
		sub.Created = s.now().UTC()
	}
	ctx, cancel := opCtx()
	defer cancel()
	_, err = s.pool.Exec(ctx, `INSERT INTO digest_subscriptions (platform, channel, at_time, timezone, win, skip_empty, created)
		VALUES ($1, $2, $3, $4, $5, $6, $7)
		ON CONFLICT (platform, channel) DO UPDATE SET at_time = EXCLUDED.at_time, timezone = EXCLUDED.timezone,
			win = EXCLUDED.win, skip_empty = EXCLUDED.skip_empty, created = EXCLUDED.created`,
		sub.Platform, sub.Channel, sub.At, sub.Timezone, sub.Window, sub.SkipEmpty, sub.Created)
	if err != nil {
		return sub, fmt.Errorf("cluster: write digest subscription: %w", err)
	}
	return sub, nil
}

// Remove unsubscribes a channel and reports whether it was subscribed.
func (s *Subscriptions) Remove(t digest.Target) (bool, error) {
	ctx, cancel := opCtx()
	defer cancel()
	tag, err := s.pool.Exec(ctx, `DELETE FROM digest_subscriptions WHERE platform = $1 AND channel = $2`, t.Platform, t.Channel)
	if err != nil {
		return false, fmt.Errorf("cluster: remove digest subscription: %w", err)
	}
	return tag.RowsAffected() > 0, nil
}
