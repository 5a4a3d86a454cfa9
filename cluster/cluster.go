// Package cluster keeps briefbot's shared state in PostgreSQL, so that
// several `briefbot serve` replicas behind a load balancer answer every
// delivery once, post every digest once and run scheduled work on one
// replica at a time.
//
// # Design: one small state interface, two implementations
//
// The bot and the adapters use small interfaces ([bot.Dedupe],
// [bot.VoteRecorder], [bot.ConversationStore], [digest.LedgerStore] with
// [digest.RunClaimer], [digest.SubscriptionStore]). The embedded default
// keeps implementing them with the local files it always had
// (dedupe.jsonl, votes.jsonl, conversations.jsonl, the digest ledger and
// subscriptions): no server to install, unchanged behaviour. Cluster mode (BRIEFBOT_DATABASE_URL) implements them here,
// in PostgreSQL through pgx. We chose this over one schema for both
// modes (SQLite through a pure-Go driver for the default, with a job
// library such as River over both): the embedded files are already
// hardened and tested (torn lines, full disks, crash recovery), and the
// pure-Go SQLite driver would add a large dependency for no gain a user
// would see.
//
// # Exactly once, from the database
//
// Every claim is one statement on a unique key, never a read followed by
// a write: a delivery is claimed by INSERT ... ON CONFLICT DO UPDATE ...
// WHERE (the update happens only when the existing claim is released,
// expired, or held by a replica that stopped), and so is a digest run.
// Scheduled work runs on the holder of a leader lease: one row of table
// leases, taken and renewed by INSERT ... ON CONFLICT DO UPDATE ... WHERE
// expired OR holder = me RETURNING. Each replica refreshes its row of
// table replicas (the heartbeat); a claim whose holder has not refreshed
// it within the lease is taken over.
//
// Times written to the database come from the injected clock
// ([Options.Now]), so that tests control them; replicas are expected to
// keep their clocks in sync (NTP), well within the lease.
package cluster

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"sync"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/briefbot/briefbot/bot"
	"github.com/briefbot/briefbot/bot/digest"
)

// Defaults of the leader lease.
const (
	// DefaultLease is how long the leader lease (and a replica's
	// heartbeat) holds without renewal: a replica that stops is replaced
	// within it.
	DefaultLease = 15 * time.Second
	// DefaultRenew is how often the lease and the heartbeat are renewed.
	DefaultRenew = 5 * time.Second
)

// LeaderLease is the name of the leader lease in table leases.
const LeaderLease = "leader"

// opTimeout bounds one statement of the calls that take no context.
const opTimeout = 5 * time.Second

// Connect returns a pool for url without connecting: a replica started
// while the database is down serves its health check (503) and connects
// when the database comes back. The error never shows the password.
func Connect(url string) (*pgxpool.Pool, error) {
	cfg, err := pgxpool.ParseConfig(url)
	if err != nil {
		return nil, errors.New("database: the database URL cannot be parsed (check BRIEFBOT_DATABASE_URL)")
	}
	pool, err := pgxpool.NewWithConfig(context.Background(), cfg)
	if err != nil {
		return nil, fmt.Errorf("database: %w", err)
	}
	return pool, nil
}

// Options configures a [Node].
type Options struct {
	// ID is the replica's boot id; "" means a random one.
	ID string
	// Hostname and Version are recorded in table replicas; "" means the
	// host's name and "dev".
	Hostname, Version string
	// Now is the clock; nil means time.Now.
	Now func() time.Time
	// Lease is how long the leader lease and the heartbeat hold; 0 means
	// DefaultLease.
	Lease time.Duration
	// Renew is how often they are renewed; 0 means DefaultRenew (or a
	// third of Lease when that is shorter).
	Renew time.Duration
	// Logger logs lease changes and database failures; nil discards.
	Logger *slog.Logger
}

// Node is one replica: its heartbeat, the leader lease, and the work that
// runs only on the leader. It is safe for concurrent use.
type Node struct {
	pool    *pgxpool.Pool
	id      string
	host    string
	version string
	now     func() time.Time
	lease   time.Duration
	renew   time.Duration
	log     *slog.Logger
	started time.Time

	changes  atomic.Int64
	healthMu sync.Mutex
	health   error     // nil once a step has reached the database
	lastOK   time.Time // when a step last reached it

	mu         sync.Mutex
	term       *term         // nil unless leader
	gained     chan struct{} // closed when leadership is gained
	leaseUntil time.Time
}

// term is one period of leadership.
type term struct{ lost chan struct{} }

// errNotYet is the health before the first step.
var errNotYet = errors.New("cluster: the database has not been reached yet")

// NewNode returns the replica's node; Run (or Step) makes it live.
func NewNode(pool *pgxpool.Pool, opts Options) *Node {
	n := &Node{pool: pool, id: opts.ID, host: opts.Hostname, version: opts.Version, now: opts.Now, lease: opts.Lease,
		renew: opts.Renew, log: opts.Logger, gained: make(chan struct{}), health: errNotYet}
	if n.id == "" {
		n.id = NewID()
	}
	if n.host == "" {
		n.host, _ = os.Hostname()
	}
	if n.version == "" {
		n.version = "dev"
	}
	if n.now == nil {
		n.now = time.Now
	}
	if n.lease <= 0 {
		n.lease = DefaultLease
	}
	if n.renew <= 0 {
		n.renew = min(DefaultRenew, n.lease/3)
	}
	if n.log == nil {
		n.log = slog.New(slog.DiscardHandler)
	}
	n.started = n.now()
	return n
}

// NewID returns a random boot id.
func NewID() string {
	var b [8]byte
	_, _ = rand.Read(b[:]) // never fails (crypto/rand)
	return hex.EncodeToString(b[:])
}

// ID is the replica's boot id.
func (n *Node) ID() string { return n.id }

// Lease is how long a replica's heartbeat and the leader lease hold.
func (n *Node) Lease() time.Duration { return n.lease }

// RenewEvery is how often they are renewed.
func (n *Node) RenewEvery() time.Duration { return n.renew }

// IsLeader reports whether this replica holds the leader lease.
func (n *Node) IsLeader() bool {
	n.mu.Lock()
	defer n.mu.Unlock()
	return n.term != nil
}

// LeaseChanges counts the times this replica gained or lost the leader
// lease.
func (n *Node) LeaseChanges() int64 { return n.changes.Load() }

// Healthy returns nil when a step reached the database within the last
// lease, else why the last one did not: one slow step on a loaded machine
// does not take a replica out of its load balancer, a database away for a
// lease does (and one never reached, at once).
func (n *Node) Healthy() error {
	n.healthMu.Lock()
	defer n.healthMu.Unlock()
	if n.health != nil && !n.lastOK.IsZero() && n.now().Sub(n.lastOK) < n.lease {
		return nil
	}
	return n.health
}

func (n *Node) setHealth(err error) {
	n.healthMu.Lock()
	defer n.healthMu.Unlock()
	n.health = err
	if err == nil {
		n.lastOK = n.now()
	}
}

// alive is the SQL condition, on a holder column, that its replica
// refreshed its heartbeat after $cutoff.
func aliveSQL(holder, cutoff string) string {
	return "EXISTS (SELECT 1 FROM replicas r WHERE r.id = " + holder + " AND r.seen_at > " + cutoff + ")"
}

// Step refreshes the heartbeat and takes or renews the leader lease once,
// starting or stopping the leader's work. Run calls it every RenewEvery.
func (n *Node) Step(ctx context.Context) error {
	now := n.now()
	ctx, cancel := context.WithTimeout(ctx, opTimeout)
	defer cancel()
	_, err := n.pool.Exec(ctx, `INSERT INTO replicas (id, hostname, version, started_at, seen_at) VALUES ($1, $2, $3, $4, $5)
		ON CONFLICT (id) DO UPDATE SET seen_at = EXCLUDED.seen_at`, n.id, n.host, n.version, n.started, now)
	if err == nil {
		var acquired time.Time
		err = n.pool.QueryRow(ctx, `INSERT INTO leases (name, holder, acquired_at, expires_at) VALUES ($1, $2, $3, $4)
			ON CONFLICT (name) DO UPDATE SET holder = EXCLUDED.holder, expires_at = EXCLUDED.expires_at,
				acquired_at = CASE WHEN leases.holder = EXCLUDED.holder THEN leases.acquired_at ELSE EXCLUDED.acquired_at END
			WHERE leases.expires_at <= $3 OR leases.holder = EXCLUDED.holder
			RETURNING acquired_at`, LeaderLease, n.id, now, now.Add(n.lease)).Scan(&acquired)
		switch {
		case err == nil:
			n.setHealth(nil)
			n.gain(now.Add(n.lease))
			return nil
		case errors.Is(err, pgx.ErrNoRows):
			n.setHealth(nil)
			n.lose("another replica holds the lease")
			return nil
		}
	}
	n.setHealth(err)
	// Unreachable: stop leading before the lease can pass to another
	// replica (one renewal early), never after.
	n.mu.Lock()
	expiring := n.term != nil && !now.Add(n.renew).Before(n.leaseUntil)
	n.mu.Unlock()
	if expiring {
		n.lose("the lease could not be renewed")
	}
	return fmt.Errorf("cluster: heartbeat: %w", err)
}

// Heartbeat refreshes the replica's row only, without the leader lease:
// for a short-lived process (`briefbot digest --post`) whose claims must
// hold while it works.
func (n *Node) Heartbeat(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, opTimeout)
	defer cancel()
	_, err := n.pool.Exec(ctx, `INSERT INTO replicas (id, hostname, version, started_at, seen_at) VALUES ($1, $2, $3, $4, $5)
		ON CONFLICT (id) DO UPDATE SET seen_at = EXCLUDED.seen_at`, n.id, n.host, n.version, n.started, n.now())
	if err != nil {
		return fmt.Errorf("cluster: heartbeat: %w", err)
	}
	return nil
}

func (n *Node) gain(until time.Time) {
	n.mu.Lock()
	defer n.mu.Unlock()
	n.leaseUntil = until
	if n.term != nil {
		return
	}
	n.term = &term{lost: make(chan struct{})}
	close(n.gained)
	n.changes.Add(1)
	n.log.Info("leader lease taken: this replica runs the scheduled work", "replica", n.id)
}

func (n *Node) lose(why string) {
	n.mu.Lock()
	defer n.mu.Unlock()
	if n.term == nil {
		return
	}
	close(n.term.lost)
	n.term = nil
	n.gained = make(chan struct{})
	n.changes.Add(1)
	n.log.Warn("leader lease lost", "replica", n.id, "why", why)
}

// Run steps every RenewEvery until ctx ends; then it stops the leader's
// work and releases the lease, so that another replica takes over at its
// next step rather than after the lease. A failed step is logged (once per
// outage) and retried at the next tick.
func (n *Node) Run(ctx context.Context) error {
	t := time.NewTicker(n.renew)
	defer t.Stop()
	failing := false
	for {
		if err := n.Step(ctx); err != nil && ctx.Err() == nil {
			if !failing {
				n.log.Error("database unreachable; retrying", "err", err)
			}
			failing = true
		} else if failing && err == nil {
			n.log.Info("database reachable again")
			failing = false
		}
		select {
		case <-ctx.Done():
			n.Resign()
			return nil
		case <-t.C:
		}
	}
}

// Resign stops leading and releases the lease if this replica holds it.
func (n *Node) Resign() {
	was := n.IsLeader()
	n.lose("shutting down")
	if !was {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	if _, err := n.pool.Exec(ctx, `UPDATE leases SET expires_at = '-infinity' WHERE name = $1 AND holder = $2`,
		LeaderLease, n.id); err != nil {
		n.log.Warn("leader lease not released; it expires by itself", "err", err)
	}
}

// WhileLeader runs fn whenever this replica holds the leader lease, with a
// context that ends when it loses the lease or ctx ends, and returns once
// ctx has ended and fn has returned. fn is called again at each new term.
// Scheduled work (digests, dedupe expiry, feed polls) and the Discord
// gateway run through it.
func (n *Node) WhileLeader(ctx context.Context, fn func(ctx context.Context)) {
	for ctx.Err() == nil {
		n.mu.Lock()
		t, gained := n.term, n.gained
		n.mu.Unlock()
		if t == nil {
			select {
			case <-ctx.Done():
				return
			case <-gained:
			}
			continue
		}
		lctx, cancel := context.WithCancel(ctx)
		go func() {
			select {
			case <-t.lost:
			case <-lctx.Done():
			}
			cancel()
		}()
		fn(lctx)
		cancel()
		select { // fn returned early: not again in this term
		case <-ctx.Done():
		case <-t.lost:
		}
	}
}

// EveryWhileLeader calls fn every interval (and once at once) while this
// replica leads, until ctx ends: the hook for periodic scheduled work such
// as feed polls.
func (n *Node) EveryWhileLeader(ctx context.Context, interval time.Duration, fn func(ctx context.Context)) {
	n.WhileLeader(ctx, func(ctx context.Context) { Every(ctx, interval, fn) })
}

// Every calls fn at once and then every interval until ctx ends: the one
// loop of periodic scheduled work, on a cluster's leader (EveryWhileLeader)
// or on the only process there is.
func Every(ctx context.Context, interval time.Duration, fn func(ctx context.Context)) {
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		fn(ctx)
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// ReplicaInfo is a row of table replicas.
type ReplicaInfo struct {
	ID       string    `json:"id"`
	Hostname string    `json:"hostname"`
	Version  string    `json:"version"`
	Started  time.Time `json:"started"`
	Seen     time.Time `json:"seen"`
	Leader   bool      `json:"leader"`
}

// Replicas lists the replicas seen since since, newest first, marking the
// one holding an unexpired leader lease at now.
func Replicas(ctx context.Context, pool *pgxpool.Pool, since, now time.Time) ([]ReplicaInfo, error) {
	rows, err := pool.Query(ctx, `SELECT r.id, r.hostname, r.version, r.started_at, r.seen_at,
			EXISTS (SELECT 1 FROM leases l WHERE l.name = $2 AND l.holder = r.id AND l.expires_at > $3)
		FROM replicas r WHERE r.seen_at >= $1 ORDER BY r.seen_at DESC, r.id`, since, LeaderLease, now)
	if err != nil {
		return nil, fmt.Errorf("cluster: replicas: %w", err)
	}
	return pgx.CollectRows(rows, func(row pgx.CollectableRow) (ReplicaInfo, error) {
		var r ReplicaInfo
		err := row.Scan(&r.ID, &r.Hostname, &r.Version, &r.Started, &r.Seen, &r.Leader)
		return r, err
	})
}

// Compile-time checks of the implementations in this package.
var (
	_ bot.Dedupe               = (*Deliveries)(nil)
	_ bot.VoteRecorder         = (*Votes)(nil)
	_ digest.LedgerStore       = (*Ledger)(nil)
	_ digest.RunClaimer        = (*Ledger)(nil)
	_ digest.SubscriptionStore = (*Subscriptions)(nil)
)
