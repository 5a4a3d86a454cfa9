package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"runtime/debug"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	slackad "github.com/briefbot/briefbot/adapters/slack"
	"github.com/briefbot/briefbot/bot"
	"github.com/briefbot/briefbot/cluster"
	"github.com/briefbot/briefbot/cluster/pgdb"
	"github.com/briefbot/briefbot/internal/sleep"
)

// clusterState is serve's shared state in PostgreSQL (cluster mode,
// BRIEFBOT_DATABASE_URL): delivery claims, the digest ledger and
// subscriptions, votes, the replica's heartbeat and the leader lease. See
// package cluster for the design.
type clusterState struct {
	pool   *pgxpool.Pool
	node   *cluster.Node
	dedupe *cluster.Deliveries
	votes  *cluster.Votes
	convs  *cluster.Conversations
	ledger *cluster.Ledger
	subs   *cluster.Subscriptions
	log    *slog.Logger
	// sweep is how often the leader picks up subscriptions made through
	// other replicas and digest runs a dead replica left unposted.
	sweep time.Duration
	// ready is closed once the schema is migrated and the replica has
	// reached the database.
	ready chan struct{}
}

// errNotMigrated is the health before the schema is ready.
var errNotMigrated = errors.New("the database schema is not migrated yet")

// clusterTuning overrides the cluster's timings (tests shorten them).
type clusterTuning struct {
	node  cluster.Options
	sweep time.Duration
}

// withEnv fills the lease from BRIEFBOT_LEADER_LEASE (a duration, default
// cluster.DefaultLease) unless a test set it; renewals come every third
// of it and the leader's digest sweep every four leases.
func (t clusterTuning) withEnv(getenv func(string) string) (clusterTuning, error) {
	if v := getenv("BRIEFBOT_LEADER_LEASE"); v != "" && t.node.Lease == 0 {
		d, err := time.ParseDuration(v)
		if err != nil || d < 300*time.Millisecond {
			return t, fmt.Errorf("config: BRIEFBOT_LEADER_LEASE must be a duration of at least 300ms, like 15s (got %q)", v)
		}
		t.node.Lease = d
	}
	if t.node.Lease == 0 {
		t.node.Lease = cluster.DefaultLease
	}
	if t.node.Renew == 0 {
		t.node.Renew = t.node.Lease / 3
	}
	if t.sweep == 0 {
		t.sweep = 4 * t.node.Lease
	}
	return t, nil
}

// newClusterState builds the state on a pool that connects lazily: a
// replica started while the database is down serves /healthz (503) and
// connects when it comes back (run).
func newClusterState(url string, logger *slog.Logger, tune clusterTuning) (*clusterState, error) {
	pool, err := cluster.Connect(url)
	if err != nil {
		return nil, err
	}
	opts := tune.node
	opts.Logger = logger
	if opts.Version == "" {
		opts.Version = buildVersion()
	}
	node := cluster.NewNode(pool, opts)
	c := &clusterState{
		pool: pool, node: node, log: logger, sweep: tune.sweep, ready: make(chan struct{}),
		dedupe: cluster.NewDeliveries(pool, node, slackad.DefaultDedupeTTL, 0),
		votes:  cluster.NewVotes(pool),
		convs:  cluster.NewConversations(pool, bot.DefaultConversationTTL, opts.Now, logger),
		ledger: cluster.NewLedger(pool, node, 0),
		subs:   cluster.NewSubscriptions(pool, opts.Now),
	}
	logger.Info("cluster mode", "database", pgdb.Redact(url), "replica", node.ID())
	return c, nil
}

func buildVersion() string {
	if bi, ok := debug.ReadBuildInfo(); ok && bi.Main.Version != "" {
		return bi.Main.Version
	}
	return "dev"
}

// run migrates the schema (under pgdb's advisory lock), retrying with
// backoff while the database is unreachable, then keeps the heartbeat and
// the leader lease until ctx ends.
func (c *clusterState) run(ctx context.Context) error {
	backoff := 500 * time.Millisecond
	for {
		v, err := pgdb.Migrate(ctx, c.pool)
		if err == nil {
			c.log.Info("database schema ready", "version", v)
			break
		}
		if ctx.Err() != nil {
			return nil
		}
		c.log.Error("database unreachable or not migrated; retrying", "err", err, "in", backoff.String())
		if !sleep.For(ctx, backoff) {
			return nil
		}
		backoff = min(2*backoff, 30*time.Second)
	}
	// One heartbeat before ready: /healthz turns 200 with the replica
	// registered and its lease settled, never "not reached yet" after the
	// schema is ready. A failure here is Run's to retry.
	_ = c.node.Step(ctx)
	close(c.ready)
	return c.node.Run(ctx)
}

// health is nil while the replica reaches the database.
func (c *clusterState) health() error {
	select {
	case <-c.ready:
	default:
		if err := c.node.Healthy(); err != nil {
			return err
		}
		return errNotMigrated
	}
	return c.node.Healthy()
}

// leaderWork runs the scheduled work on the leader only: the digest
// scheduler (with a periodic sweep) and the expiry of old delivery keys.
// It returns when ctx ends.
func (c *clusterState) leaderWork(ctx context.Context, s *Main) {
	done := make(chan struct{})
	go func() {
		defer close(done)
		s.everyOnLeader(ctx, 10*time.Minute, func(ctx context.Context) {
			if n, err := c.dedupe.Expire(ctx); err != nil && ctx.Err() == nil {
				c.log.Warn("expiry of old delivery keys failed", "err", err)
			} else if n > 0 {
				c.log.Debug("old delivery keys expired", "keys", n)
			}
			if err := c.convs.Expire(ctx); err != nil && ctx.Err() == nil {
				c.log.Warn("expiry of old conversations failed", "err", err)
			}
		})
	}()
	c.node.WhileLeader(ctx, func(ctx context.Context) { s.digests.Lead(ctx, s.posters, c.sweep) })
	<-done
}

func (c *clusterState) close() error {
	c.pool.Close()
	return nil
}

// isLeader reports whether this process runs the scheduled work: always
// in the embedded default, the leader lease's holder in a cluster.
func (s *Main) isLeader() bool { return s.state == nil || s.state.node.IsLeader() }

// everyOnLeader calls fn at once and then every interval until ctx ends:
// in the embedded default on this process, in a cluster only while this
// replica holds the leader lease (it moves, and fn with it, when the
// leader dies). Periodic scheduled work (feed polls) runs through it.
func (s *Main) everyOnLeader(ctx context.Context, interval time.Duration, fn func(ctx context.Context)) {
	if s.state != nil {
		s.state.node.EveryWhileLeader(ctx, interval, fn)
		return
	}
	cluster.Every(ctx, interval, fn)
}

// clusterLedger opens the shared digest ledger for a one-off command
// (`briefbot digest --post` with BRIEFBOT_DATABASE_URL): its claim is held
// by a heartbeat kept until the returned stop is called.
func clusterLedger(ctx context.Context, url string) (*cluster.Ledger, func(), error) {
	pool, err := pgdb.OpenMigrated(ctx, url)
	if err != nil {
		return nil, nil, err
	}
	node := cluster.NewNode(pool, cluster.Options{Version: buildVersion() + " (cli)"})
	if err := node.Heartbeat(ctx); err != nil {
		pool.Close()
		return nil, nil, err
	}
	hctx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() {
		defer close(done)
		t := time.NewTicker(node.RenewEvery())
		defer t.Stop()
		for {
			select {
			case <-hctx.Done():
				return
			case <-t.C:
				_ = node.Heartbeat(hctx) // a miss only risks a take-over after the lease
			}
		}
	}()
	return cluster.NewLedger(pool, node, 0), func() { cancel(); <-done; pool.Close() }, nil
}
