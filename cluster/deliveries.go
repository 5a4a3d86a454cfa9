package cluster

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/briefbot/briefbot/bot"
)

// Deliveries is [bot.Dedupe] in table deliveries, shared by the replicas:
// a delivery key is claimed by one replica, whichever replica Slack or
// Discord sends it to. A claim holds while its holder's heartbeat is fresh
// (within the node's lease) and for at most the claim lease; then, or once
// released, another replica's Claim takes it over and Pending lists it.
type Deliveries struct {
	pool      *pgxpool.Pool
	node      *Node
	ttl       time.Duration
	lease     time.Duration
	log       *slog.Logger
	conflicts atomic.Int64
}

// NewDeliveries returns the deliveries of node's replica, remembered for
// ttl; claimLease (0: bot.DefaultClaimLease) bounds a claim whose holder
// is alive but never finished (a hung answer).
func NewDeliveries(pool *pgxpool.Pool, node *Node, ttl, claimLease time.Duration) *Deliveries {
	if claimLease <= 0 {
		claimLease = bot.DefaultClaimLease
	}
	return &Deliveries{pool: pool, node: node, ttl: ttl, lease: claimLease, log: node.log}
}

// Conflicts counts claims refused because another replica held or had
// answered the key: the duplicates suppressed across replicas.
func (d *Deliveries) Conflicts() int64 { return d.conflicts.Load() }

// takeable is the SQL condition that the existing row (deliveries) may be
// claimed by me: expired (first seen before ttlCut), or not done and
// released, claimed before leaseCut, or held by another replica whose
// heartbeat is older than aliveCut. The arguments are parameter names.
func takeable(me, ttlCut, leaseCut, aliveCut string) string {
	return `(deliveries.first_seen <= ` + ttlCut + ` OR (NOT deliveries.done AND (deliveries.holder IS NULL
		OR deliveries.claimed_at <= ` + leaseCut + `
		OR (deliveries.holder <> ` + me + ` AND NOT ` + aliveSQL("deliveries.holder", aliveCut) + `))))`
}

// Claim claims key for this replica (see bot.Deduper.Claim): one INSERT
// ... ON CONFLICT DO UPDATE on the key, which updates only a claim that
// may be taken over. A database failure returns true and the error: the
// delivery is answered (a rare duplicate beats a lost answer).
func (d *Deliveries) Claim(key string, data json.RawMessage) (bool, error) {
	ctx, cancel := context.WithTimeout(context.Background(), opTimeout)
	defer cancel()
	now := d.node.now()
	var dataArg any
	if len(data) > 0 && json.Valid(data) {
		dataArg = string(data)
	}
	var claimed bool
	var holder *string
	err := d.pool.QueryRow(ctx, `WITH prior AS (SELECT holder FROM deliveries WHERE key = $1),
		claim AS (
			INSERT INTO deliveries (key, first_seen, holder, claimed_at, data) VALUES ($1, $2, $3, $2, $4::jsonb)
			ON CONFLICT (key) DO UPDATE SET
				first_seen = CASE WHEN deliveries.first_seen <= $5 THEN EXCLUDED.first_seen ELSE deliveries.first_seen END,
				done = CASE WHEN deliveries.first_seen <= $5 THEN false ELSE deliveries.done END,
				holder = EXCLUDED.holder, claimed_at = EXCLUDED.claimed_at,
				data = COALESCE(EXCLUDED.data, CASE WHEN deliveries.first_seen <= $5 THEN NULL ELSE deliveries.data END)
			WHERE `+takeable("$3", "$5", "$6", "$7")+`
			RETURNING 1)
		SELECT EXISTS (SELECT 1 FROM claim), (SELECT holder FROM prior)`,
		key, now, d.node.id, dataArg, now.Add(-d.ttl), now.Add(-d.lease), now.Add(-d.node.lease)).Scan(&claimed, &holder)
	if err != nil {
		return true, fmt.Errorf("cluster: claim: %w", err)
	}
	if !claimed && (holder == nil || *holder != d.node.id) {
		d.conflicts.Add(1)
	}
	return claimed, nil
}

// Done marks key answered.
func (d *Deliveries) Done(key string) error {
	ctx, cancel := context.WithTimeout(context.Background(), opTimeout)
	defer cancel()
	now := d.node.now()
	_, err := d.pool.Exec(ctx, `INSERT INTO deliveries (key, first_seen, done, holder, claimed_at) VALUES ($1, $2, true, $3, $2)
		ON CONFLICT (key) DO UPDATE SET done = true, data = NULL,
			first_seen = CASE WHEN deliveries.first_seen <= $4 THEN EXCLUDED.first_seen ELSE deliveries.first_seen END`,
		key, now, d.node.id, now.Add(-d.ttl))
	if err != nil {
		return fmt.Errorf("cluster: done: %w", err)
	}
	return nil
}

// Release gives up this replica's claim on key, so that a retry reaching
// any replica answers it.
func (d *Deliveries) Release(key string) {
	ctx, cancel := context.WithTimeout(context.Background(), opTimeout)
	defer cancel()
	if _, err := d.pool.Exec(ctx, `UPDATE deliveries SET holder = NULL WHERE key = $1 AND holder = $2 AND NOT done`,
		key, d.node.id); err != nil {
		// The claim then ends with the replica's heartbeat or its lease.
		d.log.Warn("delivery claim not released", "key", key, "err", err)
	}
}

// Seen reports whether key was claimed or answered within the window and,
// if not, marks it done (one statement).
func (d *Deliveries) Seen(key string) (bool, error) {
	ctx, cancel := context.WithTimeout(context.Background(), opTimeout)
	defer cancel()
	now := d.node.now()
	var one int
	err := d.pool.QueryRow(ctx, `INSERT INTO deliveries (key, first_seen, done, holder, claimed_at) VALUES ($1, $2, true, $3, $2)
		ON CONFLICT (key) DO UPDATE SET done = true, data = NULL, holder = EXCLUDED.holder,
			first_seen = CASE WHEN deliveries.first_seen <= $4 THEN EXCLUDED.first_seen ELSE deliveries.first_seen END
		WHERE deliveries.first_seen <= $4 OR (NOT deliveries.done AND deliveries.holder IS NULL)
		RETURNING 1`, key, now, d.node.id, now.Add(-d.ttl)).Scan(&one)
	switch {
	case errors.Is(err, pgx.ErrNoRows):
		return true, nil
	case err != nil:
		return false, fmt.Errorf("cluster: seen: %w", err)
	}
	return false, nil
}

// Pending lists the live claims with data under prefix that may be taken
// over (released, stale, or held by a replica that stopped), oldest
// first. A failure is logged and lists nothing.
func (d *Deliveries) Pending(prefix string) []bot.PendingClaim {
	ctx, cancel := context.WithTimeout(context.Background(), opTimeout)
	defer cancel()
	now := d.node.now()
	rows, err := d.pool.Query(ctx, `SELECT key, data::text, first_seen FROM deliveries
		WHERE starts_with(key, $1) AND data IS NOT NULL AND NOT done AND first_seen > $3 AND `+takeable("$2", "$3", "$4", "$5")+`
		ORDER BY first_seen, key`, prefix, d.node.id, now.Add(-d.ttl), now.Add(-d.lease), now.Add(-d.node.lease))
	if err != nil {
		d.log.Warn("pending deliveries not read", "err", err)
		return nil
	}
	out, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (bot.PendingClaim, error) {
		var p bot.PendingClaim
		var data string
		err := row.Scan(&p.Key, &data, &p.First)
		p.Data = json.RawMessage(data)
		return p, err
	})
	if err != nil {
		d.log.Warn("pending deliveries not read", "err", err)
		return nil
	}
	return out
}

// Expire deletes the keys older than the window and the replicas not
// seen for as long; the leader calls it periodically.
func (d *Deliveries) Expire(ctx context.Context) (int64, error) {
	now := d.node.now()
	tag, err := d.pool.Exec(ctx, `DELETE FROM deliveries WHERE first_seen <= $1`, now.Add(-d.ttl))
	if err != nil {
		return 0, fmt.Errorf("cluster: expire deliveries: %w", err)
	}
	if _, err := d.pool.Exec(ctx, `DELETE FROM replicas WHERE seen_at <= $1`, now.Add(-max(d.ttl, 24*time.Hour))); err != nil {
		return tag.RowsAffected(), fmt.Errorf("cluster: expire replicas: %w", err)
	}
	return tag.RowsAffected(), nil
}
