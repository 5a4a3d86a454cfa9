package cluster_test

import (
	"context"
	"encoding/json"
	"errors"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/briefbot/briefbot/bot"
	"github.com/briefbot/briefbot/bot/digest"
	"github.com/briefbot/briefbot/cluster"
	"github.com/briefbot/briefbot/cluster/pgdb/pgdbtest"
	"github.com/briefbot/briefbot/retrieval/engine"
)

// clock is a fake clock shared by the replicas of a test.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func newClock() *clock { return &clock{t: time.Date(2025, 12, 8, 7, 59, 0, 0, time.UTC)} }

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// replica is one replica's node, stepped by hand.
func replica(t *testing.T, db *pgdbtest.DB, c *clock, id string) *cluster.Node {
	t.Helper()
	n := cluster.NewNode(db.Pool, cluster.Options{ID: id, Now: c.Now, Lease: 15 * time.Second, Renew: 5 * time.Second})
	if err := n.Step(context.Background()); err != nil {
		t.Fatalf("step %s: %v", id, err)
	}
	return n
}

func step(t *testing.T, nodes ...*cluster.Node) {
	t.Helper()
	for _, n := range nodes {
		if err := n.Step(context.Background()); err != nil {
			t.Fatalf("step %s: %v", n.ID(), err)
		}
	}
}

// Three replicas claim the same key at once: exactly one wins, the other
// two count a conflict; done keys stay done; a released claim is taken.
func TestDeliveriesClaimOnceAcrossReplicas(t *testing.T) {
	db := pgdbtest.New(t)
	c := newClock()
	var ds []*cluster.Deliveries
	for _, id := range []string{"a", "b", "c"} {
		ds = append(ds, cluster.NewDeliveries(db.Pool, replica(t, db, c, id), time.Hour, 0))
	}
	for round := range 20 {
		key := "slack:event:E" + string(rune('A'+round))
		var wins atomic.Int32
		var wg sync.WaitGroup
		for _, d := range ds {
			wg.Add(1)
			go func() {
				defer wg.Done()
				ok, err := d.Claim(key, nil)
				if err != nil {
					t.Error(err)
				}
				if ok {
					wins.Add(1)
				}
			}()
		}
		wg.Wait()
		if wins.Load() != 1 {
			t.Fatalf("round %d: %d replicas claimed %s", round, wins.Load(), key)
		}
	}
	if got := ds[0].Conflicts() + ds[1].Conflicts() + ds[2].Conflicts(); got != 40 {
		t.Fatalf("conflicts %d, want 40", got)
	}
	// Done: nobody claims it again; released: the next claimant takes it.
	if ok, _ := ds[0].Claim("k1", nil); !ok {
		t.Fatal("fresh key not claimed")
	}
	if ok, _ := ds[0].Claim("k1", nil); ok {
		t.Fatal("own live claim claimed twice")
	}
	ds[0].Release("k1")
	if ok, _ := ds[1].Claim("k1", nil); !ok {
		t.Fatal("released claim not taken over")
	}
	if err := ds[1].Done("k1"); err != nil {
		t.Fatal(err)
	}
	for _, d := range ds {
		if ok, _ := d.Claim("k1", nil); ok {
			t.Fatal("done key claimed again")
		}
	}
	// Seen: first sighting marks it done; later ones see it.
	if seen, err := ds[2].Seen("vote:1"); seen || err != nil {
		t.Fatalf("first Seen: %v %v", seen, err)
	}
	if seen, _ := ds[0].Seen("vote:1"); !seen {
		t.Fatal("second Seen did not see it")
	}
}

// A claim made by a replica that then died (no more heartbeats) holds
// within the lease and is taken over, and listed in Pending, after it; a
// live replica's claim is not.
func TestDeliveriesTakeOverADeadReplicasClaim(t *testing.T) {
	db := pgdbtest.New(t)
	c := newClock()
	a, b := replica(t, db, c, "a"), replica(t, db, c, "b")
	da, dbb := cluster.NewDeliveries(db.Pool, a, time.Hour, 0), cluster.NewDeliveries(db.Pool, b, time.Hour, 0)
	data := json.RawMessage(`{"c":"C1","x":"what happened?"}`)
	if ok, err := da.Claim("slack:msg:C1:1", data); !ok || err != nil {
		t.Fatal(ok, err)
	}
	if ok, _ := dbb.Claim("slack:msg:C1:1", nil); ok {
		t.Fatal("a live replica's claim was taken")
	}
	if p := dbb.Pending("slack:msg:"); len(p) != 0 {
		t.Fatalf("pending while the holder lives: %v", p)
	}
	// a dies: b keeps stepping, a does not.
	for range 3 {
		c.Advance(6 * time.Second)
		step(t, b)
	}
	p := dbb.Pending("slack:msg:")
	if len(p) != 1 || p[0].Key != "slack:msg:C1:1" || string(p[0].Data) != `{"c": "C1", "x": "what happened?"}` && string(p[0].Data) != string(data) {
		t.Fatalf("pending after the holder died: %+v", p)
	}
	if ok, err := dbb.Claim("slack:msg:C1:1", nil); !ok || err != nil {
		t.Fatalf("dead replica's claim not taken over: %v %v", ok, err)
	}
	// Expiry removes the old keys.
	c.Advance(2 * time.Hour)
	n, err := dbb.Expire(context.Background())
	if err != nil || n != 1 {
		t.Fatalf("expired %d, %v", n, err)
	}
}

// One leader at a time; the lease moves when the leader stops stepping
// (after the lease) or resigns (at once); leader-only work follows it.
func TestLeaderLease(t *testing.T) {
	db := pgdbtest.New(t)
	c := newClock()
	a := replica(t, db, c, "a")
	b := replica(t, db, c, "b")
	if !a.IsLeader() || b.IsLeader() {
		t.Fatalf("leaders: a %v b %v", a.IsLeader(), b.IsLeader())
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	running := map[string]*atomic.Bool{"a": {}, "b": {}}
	var wg sync.WaitGroup
	for _, n := range []*cluster.Node{a, b} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			n.WhileLeader(ctx, func(ctx context.Context) {
				running[n.ID()].Store(true)
				<-ctx.Done()
				running[n.ID()].Store(false)
			})
		}()
	}
	waitFor(t, "a runs the leader's work", func() bool { return running["a"].Load() && !running["b"].Load() })
	// a stops stepping (killed): b takes over only once the lease ends.
	c.Advance(10 * time.Second)
	step(t, b)
	if b.IsLeader() {
		t.Fatal("lease taken before it expired")
	}
	c.Advance(6 * time.Second)
	step(t, b)
	if !b.IsLeader() {
		t.Fatal("lease not taken after it expired")
	}
	waitFor(t, "b runs the leader's work", func() bool { return running["b"].Load() })
	// a comes back: it learns it lost the lease and stops its work.
	step(t, a)
	if a.IsLeader() {
		t.Fatal("two leaders")
	}
	waitFor(t, "a stops the leader's work", func() bool { return !running["a"].Load() })
	// b resigns: a takes over at its next step, without waiting.
	b.Resign()
	step(t, a)
	if !a.IsLeader() {
		t.Fatal("lease not taken after a resignation")
	}
	if a.LeaseChanges() != 3 || b.LeaseChanges() != 2 {
		t.Fatalf("lease changes a %d b %d", a.LeaseChanges(), b.LeaseChanges())
	}
	cancel()
	wg.Wait()
	reps, err := cluster.Replicas(context.Background(), db.Pool, c.Now().Add(-time.Minute), c.Now())
	if err != nil || len(reps) != 2 || !reps[0].Leader && !reps[1].Leader {
		t.Fatalf("replicas %+v %v", reps, err)
	}
}

func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting until %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// poster counts posts; block, when set, makes the post wait for it.
type poster struct {
	n     atomic.Int32
	block chan struct{}
	id    string
}

func (p *poster) PostID(ctx context.Context, channel string, d digest.Digest) (string, error) {
	if p.block != nil {
		select {
		case <-p.block:
		case <-ctx.Done():
			return "", ctx.Err()
		}
	}
	p.n.Add(1)
	return p.id, nil
}

func (p *poster) Post(ctx context.Context, channel string, d digest.Digest) error {
	_, err := p.PostID(ctx, channel, d)
	return err
}

// Three replicas deliver the same day's digest at once: one post, recorded
// with its message id; a claimant that dies before posting is taken over
// once its heartbeat is older than the lease, and the day is posted once.
func TestDigestOncePerChannelAndDay(t *testing.T) {
	db := pgdbtest.New(t)
	c := newClock()
	var ledgers []*cluster.Ledger
	var nodes []*cluster.Node
	for _, id := range []string{"a", "b", "c"} {
		n := replica(t, db, c, id)
		nodes = append(nodes, n)
		ledgers = append(ledgers, cluster.NewLedger(db.Pool, n, 0))
	}
	src, err := engine.OpenSeeds(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	del := digest.Delivery{Target: digest.Target{Platform: "slack", Channel: "C1"}, Day: "2025-12-08",
		Options: digest.Options{Now: c.Now(), All: true}}
	p := &poster{id: "1765180800.000100"}
	var wg sync.WaitGroup
	outcomes := make([]digest.Outcome, 3)
	for i, l := range ledgers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			out, _, err := digest.Deliver(context.Background(), src, l, p, del)
			if err != nil {
				t.Error(err)
			}
			outcomes[i] = out
		}()
	}
	wg.Wait()
	if p.n.Load() != 1 {
		t.Fatalf("%d posts, outcomes %v", p.n.Load(), outcomes)
	}
	var id string
	if err := db.Pool.QueryRow(context.Background(), `SELECT message_id FROM digest_runs WHERE target = 'slack:C1' AND day = '2025-12-08'`).Scan(&id); err != nil || id != p.id {
		t.Fatalf("message id %q %v", id, err)
	}
	if ok, _ := ledgers[2].Posted("slack:C1", "2025-12-08"); !ok {
		t.Fatal("not recorded as posted")
	}

	// The next day, a claims and dies before posting.
	c.Advance(24 * time.Hour)
	step(t, nodes...)
	del.Day, del.Options.Now = "2025-12-09", c.Now()
	dying := &poster{block: make(chan struct{})}
	ctx, kill := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		digest.Deliver(ctx, src, ledgers[0], dying, del)
	}()
	waitFor(t, "a claims the run", func() bool {
		var holder string
		db.Pool.QueryRow(context.Background(), `SELECT coalesce(holder, '') FROM digest_runs WHERE day = '2025-12-09'`).Scan(&holder)
		return holder == "a"
	})
	// Within the lease, b and c leave it to a.
	if out, _, err := digest.Deliver(context.Background(), src, ledgers[1], p, del); out != digest.HeldElsewhere || err != nil {
		t.Fatalf("b while a lives: %v %v", out, err)
	}
	// a is killed: no release, no more heartbeats (its process is gone; the
	// cancelled context stands in for the kill, and the row is set back
	// to a's claim as a killed process would have left it).
	kill()
	<-done
	if _, err := db.Pool.Exec(context.Background(), `UPDATE digest_runs SET holder = 'a' WHERE day = '2025-12-09'`); err != nil {
		t.Fatal(err)
	}
	c.Advance(10 * time.Second)
	step(t, nodes[1], nodes[2])
	if out, _, _ := digest.Deliver(context.Background(), src, ledgers[1], p, del); out != digest.HeldElsewhere {
		t.Fatalf("taken over before the lease ended: %v", out)
	}
	c.Advance(6 * time.Second)
	step(t, nodes[1], nodes[2])
	out, _, err := digest.Deliver(context.Background(), src, ledgers[2], p, del)
	if out != digest.Posted || err != nil || p.n.Load() != 2 || dying.n.Load() != 0 {
		t.Fatalf("take-over: %v %v, posts %d/%d", out, err, p.n.Load(), dying.n.Load())
	}
	if out, _, _ := digest.Deliver(context.Background(), src, ledgers[1], p, del); out != digest.AlreadyPosted {
		t.Fatalf("after the post: %v", out)
	}
	prev, err := ledgers[0].Previous("slack:C1", "2025-12-10")
	if err != nil || len(prev) == 0 {
		t.Fatalf("previous stories: %v %v", prev, err)
	}
}

func TestSubscriptionsAndVotes(t *testing.T) {
	db := pgdbtest.New(t)
	subs := cluster.NewSubscriptions(db.Pool, nil)
	if _, err := subs.Add(digest.Subscription{Platform: "slack", Channel: "C1", At: "25:00"}); !errors.Is(err, digest.ErrBadSubscription) {
		t.Fatalf("bad time accepted: %v", err)
	}
	got, err := subs.Add(digest.Subscription{Platform: "slack", Channel: "C1", At: "08:30", Timezone: "Europe/Kyiv"})
	if err != nil || got.Created.IsZero() {
		t.Fatal(got, err)
	}
	if _, err := subs.Add(digest.Subscription{Platform: "discord", Channel: "42"}); err != nil {
		t.Fatal(err)
	}
	list, err := subs.List()
	if err != nil || len(list) != 2 || list[1].Timezone != "Europe/Kyiv" || list[1].Window != "24h" || list[0].At != "08:00" {
		t.Fatalf("%+v %v", list, err)
	}
	if ok, err := subs.Remove(digest.Target{Platform: "slack", Channel: "C1"}); !ok || err != nil {
		t.Fatal(ok, err)
	}
	if ok, _ := subs.Remove(digest.Target{Platform: "slack", Channel: "C1"}); ok {
		t.Fatal("removed twice")
	}

	votes := cluster.NewVotes(db.Pool)
	ctx := context.Background()
	v := bot.Vote{Platform: "slack", Question: "q", ArticleIDs: []string{"a1"}, User: "U1", Vote: bot.VoteUp,
		Key: bot.VoteKey("slack", "1.2", "U1", bot.VoteUp)}
	if err := votes.Record(ctx, v); err != nil {
		t.Fatal(err)
	}
	if err := votes.Record(ctx, v); !errors.Is(err, bot.ErrDuplicateVote) {
		t.Fatalf("replayed vote: %v", err)
	}
	if err := votes.Record(ctx, bot.Vote{Vote: "meh"}); !errors.Is(err, bot.ErrBadVote) {
		t.Fatalf("bad vote: %v", err)
	}
	all, err := votes.Votes(ctx)
	if err != nil || len(all) != 1 || all[0].ArticleIDs[0] != "a1" || all[0].Key != v.Key {
		t.Fatalf("%+v %v", all, err)
	}
}

// Conversations are shared: a turn appended through one replica is read
// through another; the last MaxTurns are kept; an expired conversation
// starts afresh.
func TestConversationsShared(t *testing.T) {
	db := pgdbtest.New(t)
	c := newClock()
	a := cluster.NewConversations(db.Pool, time.Hour, c.Now, nil)
	b := cluster.NewConversations(db.Pool, time.Hour, c.Now, nil)
	if a.Has("slack:C1:1.0") || b.Get("slack:C1:1.0") != nil {
		t.Fatal("a conversation out of nothing")
	}
	for i, q := range []string{"q1", "q2", "q3", "q4"} {
		if err := []*cluster.Conversations{a, b}[i%2].Append("slack:C1:1.0", bot.Turn{Question: q, Articles: []string{"a" + q}}); err != nil {
			t.Fatal(err)
		}
		c.Advance(time.Minute)
	}
	got := b.Get("slack:C1:1.0")
	if len(got) != bot.MaxTurns || got[0].Question != "q2" || got[2].Question != "q4" || got[2].Articles[0] != "aq4" || got[2].At.IsZero() {
		t.Fatalf("turns %+v", got)
	}
	if err := a.Replace("discord:m2", got[1:]); err != nil {
		t.Fatal(err)
	}
	if r := b.Get("discord:m2"); len(r) != 2 || r[0].Question != "q3" {
		t.Fatalf("replaced %+v", r)
	}
	c.Advance(2 * time.Hour)
	if b.Has("slack:C1:1.0") {
		t.Fatal("expired conversation still there")
	}
	if err := b.Append("slack:C1:1.0", bot.Turn{Question: "fresh"}); err != nil {
		t.Fatal(err)
	}
	if r := a.Get("slack:C1:1.0"); len(r) != 1 || r[0].Question != "fresh" {
		t.Fatalf("after expiry %+v", r)
	}
	if err := a.Expire(context.Background()); err != nil {
		t.Fatal(err)
	}
	var n int
	db.Pool.QueryRow(context.Background(), `SELECT count(*) FROM conversations`).Scan(&n)
	if n != 1 {
		t.Fatalf("%d conversations after expiry, want 1", n)
	}
}
