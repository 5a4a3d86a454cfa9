package main

import (
	"context"
	"crypto/ed25519"
	"encoding/hex"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"os/signal"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/briefbot/briefbot/bot/digest"
	"github.com/briefbot/briefbot/cluster"
	"github.com/briefbot/briefbot/cluster/pgdb/pgdbtest"
	"github.com/briefbot/briefbot/internal/syncbuf"
)

// replica is one in-process `briefbot serve` of a cluster test.
type replica struct {
	s    *Main
	base string
}

// launchReplica starts serve in-process on its own port and data
// directory with short leases; the test's end shuts it down.
func launchReplica(t *testing.T, env map[string]string) *replica {
	t.Helper()
	e := map[string]string{"BRIEFBOT_DATA": t.TempDir()}
	for k, v := range env {
		e[k] = v
	}
	s := testMain(t, e)
	s.tune = clusterTuning{node: cluster.Options{Lease: 2 * time.Second, Renew: 150 * time.Millisecond}, sweep: 300 * time.Millisecond}
	return &replica{s: s, base: runServe(t, s).base}
}

// health returns /healthz's status code and body.
func (r *replica) health() (int, map[string]any) {
	resp, err := http.Get(r.base + "/healthz")
	if err != nil {
		return 0, nil
	}
	defer resp.Body.Close()
	var body map[string]any
	json.NewDecoder(resp.Body).Decode(&body)
	return resp.StatusCode, body
}

// eventually polls cond until it holds or 20 s pass.
func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting until %s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// postsTo counts the fake Slack's posts to channel.
func (f *fakeSlack) postsTo(channel string) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	n := 0
	for _, p := range f.posts {
		if p["channel"] == channel {
			n++
		}
	}
	return n
}

// metricSum adds up a counter over the replicas' /metrics.
func metricSum(t *testing.T, name string, rs ...*replica) int {
	t.Helper()
	total := 0
	for _, r := range rs {
		resp, err := http.Get(r.base + "/metrics")
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		for _, line := range strings.Split(string(b), "\n") {
			if v, ok := strings.CutPrefix(line, name+" "); ok {
				n, _ := strconv.ParseFloat(v, 64)
				total += int(n)
			}
		}
	}
	return total
}

func signedSlack(t *testing.T, base, secret, body string, headers map[string]string) int {
	t.Helper()
	now := time.Now().Unix()
	req, _ := http.NewRequest("POST", base+"/slack/events", strings.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("X-Slack-Request-Timestamp", strconv.FormatInt(now, 10))
	req.Header.Set("X-Slack-Signature", slackSign(secret, now, []byte(body)))
	for k, v := range headers {
		req.Header.Set(k, v)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Error(err)
		return 0
	}
	resp.Body.Close()
	return resp.StatusCode
}

func signedDiscord(t *testing.T, base string, key ed25519.PrivateKey, body string) (int, string) {
	t.Helper()
	stamp := strconv.FormatInt(time.Now().Unix(), 10)
	req, _ := http.NewRequest("POST", base+"/discord/interactions", strings.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("X-Signature-Ed25519", hex.EncodeToString(ed25519.Sign(key, []byte(stamp+body))))
	req.Header.Set("X-Signature-Timestamp", stamp)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Error(err)
		return 0, ""
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

const (
	clusterMention = `{"type":"event_callback","team_id":"T1","api_app_id":"A1","event_id":"Ev1","event_time":1700000000,` +
		`"event":{"type":"app_mention","user":"U1","text":"<@UBOT> How many drones and missiles did Russia fire on Friday night?","ts":"1700000000.000100","channel":"C1","event_ts":"1700000000.000100"}}`
	clusterTwin = `{"type":"event_callback","team_id":"T1","api_app_id":"A1","event_id":"Ev2","event_time":1700000000,` +
		`"event":{"type":"message","channel_type":"channel","user":"U1","text":"<@UBOT> How many drones and missiles did Russia fire on Friday night?","ts":"1700000000.000100","channel":"C1","event_ts":"1700000000.000100"}}`
	clusterThreadReply = `{"type":"event_callback","team_id":"T1","api_app_id":"A1","event_id":"Ev4","event_time":1700000003,` +
		`"event":{"type":"message","channel_type":"channel","user":"U1","text":"And on Saturday?","ts":"1700000003.000100","thread_ts":"1700000000.000100","channel":"C1","event_ts":"1700000003.000100"}}`
	clusterDM = `{"type":"event_callback","team_id":"T1","api_app_id":"A1","event_id":"Ev3","event_time":1700000000,` +
		`"event":{"type":"message","channel_type":"im","user":"U1","text":"Who is Ukraine's Foreign Minister?","ts":"1700000002.000100","channel":"D1","event_ts":"1700000002.000100"}}`
)

// The acceptance scenario of issue 14 on three replicas sharing one
// schema: the same app_mention delivered to all three, a retry of it and
// its message twin produce one chat.postMessage; the same Discord
// interaction delivered to two replicas gets one answer; a reply in the
// thread reaching another replica is read with the thread; a digest due
// before the replicas started is posted once, by the leader; claim
// conflicts are counted.
func TestClusterAnswersAndPostsOnce(t *testing.T) {
	db := pgdbtest.New(t)
	if _, err := cluster.NewSubscriptions(db.Pool, nil).Add(digest.Subscription{Platform: "slack", Channel: "CDIGEST", At: "00:00",
		Created: time.Now().Add(-48 * time.Hour)}); err != nil {
		t.Fatal(err)
	}
	const secret = "s3cr3t"
	fake, apiURL := newFakeSlack(t)
	fake.posted = make(chan struct{}, 64)
	pub, priv, _ := ed25519.GenerateKey(nil)
	discordFake, discordURL := newFakeDiscord(t)
	discordFake.edited = make(chan struct{}, 64)
	env := map[string]string{
		"BRIEFBOT_DATABASE_URL": db.URL,
		"SLACK_BOT_TOKEN":       "xoxb-test", "SLACK_SIGNING_SECRET": secret, "SLACK_API_URL": apiURL,
		"DISCORD_BOT_TOKEN": "tok", "DISCORD_APP_ID": "APP", "DISCORD_PUBLIC_KEY": hex.EncodeToString(pub), "DISCORD_API_URL": discordURL,
	}
	rs := []*replica{launchReplica(t, env), launchReplica(t, env), launchReplica(t, env)}
	ids := map[string]bool{}
	eventually(t, "three replicas healthy, one of them leader", func() bool {
		leaders := 0
		for _, r := range rs {
			code, body := r.health()
			if code != 200 {
				return false
			}
			ids[body["replica"].(string)] = true
			if body["leader"] == true {
				leaders++
			}
		}
		return leaders == 1
	})
	if len(ids) != 3 {
		t.Fatalf("replica ids %v: each replica has its own boot id", ids)
	}

	// The digest due at 00:00 today, missed while no replica ran, is
	// posted by the leader, once, and recorded with its message id.
	eventually(t, "the digest is posted", func() bool { return fake.postsTo("CDIGEST") == 1 })
	var msgID string
	eventually(t, "the digest is recorded", func() bool {
		return db.Pool.QueryRow(context.Background(),
			`SELECT coalesce(message_id, '') FROM digest_runs WHERE target = 'slack:CDIGEST' AND posted_at IS NOT NULL`).Scan(&msgID) == nil
	})
	if msgID != "1700000001.000200" {
		t.Fatalf("digest message id %q", msgID)
	}

	// Slack: the mention to all three at once, a retry, the twin.
	var wg sync.WaitGroup
	for _, r := range rs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if code := signedSlack(t, r.base, secret, clusterMention, nil); code != 200 {
				t.Errorf("mention: %d", code)
			}
		}()
	}
	wg.Wait()
	if code := signedSlack(t, rs[1].base, secret, clusterMention, map[string]string{"X-Slack-Retry-Num": "1", "X-Slack-Retry-Reason": "http_timeout"}); code != 200 {
		t.Errorf("retry: %d", code)
	}
	if code := signedSlack(t, rs[2].base, secret, clusterTwin, nil); code != 200 {
		t.Errorf("twin: %d", code)
	}
	eventually(t, "the mention is answered", func() bool { return fake.postsTo("C1") >= 1 })
	// Every delivery was claimed before its 200; the DM, answered after
	// them, shows that nothing else was queued.
	if code := signedSlack(t, rs[0].base, secret, clusterDM, nil); code != 200 {
		t.Errorf("dm: %d", code)
	}
	eventually(t, "the DM is answered", func() bool { return fake.postsTo("D1") == 1 })
	eventually(t, "the mention's claim is done", func() bool {
		var done bool
		db.Pool.QueryRow(context.Background(), `SELECT done FROM deliveries WHERE key = 'slack:msg:C1:1700000000.000100'`).Scan(&done)
		return done
	})
	if n := fake.postsTo("C1"); n != 1 {
		t.Fatalf("%d chat.postMessage for one mention delivered five times", n)
	}

	// A reply in that thread, without a mention, reaching a replica that
	// did not answer the mention: the conversation is shared, so it is
	// answered there, in the thread.
	var answerer string
	if err := db.Pool.QueryRow(context.Background(), `SELECT holder FROM deliveries WHERE key = 'slack:msg:C1:1700000000.000100'`).Scan(&answerer); err != nil {
		t.Fatal(err)
	}
	eventually(t, "the thread's conversation is saved", func() bool {
		var n int
		db.Pool.QueryRow(context.Background(), `SELECT count(*) FROM conversations WHERE key = 'slack:C1:1700000000.000100'`).Scan(&n)
		return n == 1
	})
	other := rs[0]
	if other.s.state.node.ID() == answerer {
		other = rs[1]
	}
	if code := signedSlack(t, other.base, secret, clusterThreadReply, nil); code != 200 {
		t.Fatalf("thread reply: %d", code)
	}
	eventually(t, "the thread reply is answered by another replica", func() bool { return fake.postsTo("C1") == 2 })
	fake.mu.Lock()
	last := fake.posts[len(fake.posts)-1]
	fake.mu.Unlock()
	if last["thread_ts"] != "1700000000.000100" {
		t.Fatalf("follow-up answered outside the thread: %v", last["thread_ts"])
	}

	// Discord: one interaction delivered to two replicas.
	interaction := `{"type":2,"id":"i42","application_id":"APP","token":"itok","channel_id":"C1","guild_id":"G1",` +
		`"member":{"user":{"id":"U1","username":"u"}},"data":{"id":"c1","name":"ask","type":1,"options":[{"name":"question","type":3,"value":"How many drones and missiles did Russia fire on Friday night?"}]}}`
	bodies := make([]string, 2)
	for i, r := range rs[:2] {
		wg.Add(1)
		go func() {
			defer wg.Done()
			code, b := signedDiscord(t, r.base, priv, interaction)
			if code != 200 {
				t.Errorf("interaction: %d %s", code, b)
			}
			bodies[i] = b
		}()
	}
	wg.Wait()
	answers, handled := 0, 0
	for _, b := range bodies {
		switch {
		case strings.Contains(b, "already handled"):
			handled++
		case strings.Contains(b, `"type":5`):
			<-discordFake.edited
			answers++
		case strings.Contains(b, `"type":4`):
			answers++
		}
	}
	if answers != 1 || handled != 1 {
		t.Fatalf("answers %d, already handled %d: %q", answers, handled, bodies)
	}
	discordFake.mu.Lock()
	edits := len(discordFake.edits)
	discordFake.mu.Unlock()
	if edits > 1 {
		t.Fatalf("%d deferred answers edited in", edits)
	}

	// Slack: the other two copies of the mention and the retry (unless it
	// reached the replica that answered: a duplicate, but not across
	// replicas); Discord: the second copy.
	want := 4
	var winner string
	if err := db.Pool.QueryRow(context.Background(), `SELECT holder FROM deliveries WHERE key = 'slack:event:Ev1'`).Scan(&winner); err != nil {
		t.Fatal(err)
	}
	if winner == rs[1].s.state.node.ID() {
		want = 3
	}
	if n := metricSum(t, "briefbot_claim_conflicts_total", rs...); n != want {
		t.Fatalf("claim conflicts %d, want %d", n, want)
	}
	if n := metricSum(t, "briefbot_leader", rs...); n != 1 {
		t.Fatalf("%d replicas report leading", n)
	}
	if n := fake.postsTo("CDIGEST"); n != 1 {
		t.Fatalf("%d digests posted", n)
	}
}

// pgProxy forwards 127.0.0.1 connections to the test's PostgreSQL while
// up, and refuses them (closes at once) while down.
type pgProxy struct {
	ln     net.Listener
	target string
	up     atomic.Bool
}

func newPGProxy(t *testing.T, target string) *pgProxy {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := &pgProxy{ln: ln, target: target}
	var wg sync.WaitGroup
	t.Cleanup(func() { ln.Close(); wg.Wait() })
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			if !p.up.Load() {
				c.Close()
				continue
			}
			wg.Add(1)
			go func() {
				defer wg.Done()
				defer c.Close()
				s, err := net.Dial("tcp", target)
				if err != nil {
					return
				}
				defer s.Close()
				go func() { io.Copy(s, c); s.Close() }()
				io.Copy(c, s)
			}()
		}
	}()
	return p
}

// A replica started while the database is down serves 503 on /healthz,
// accepts a question (it is not lost: answered by the time the database
// is back), and recovers by itself: migrated, healthy, leading.
func TestClusterReplicaStartsWithTheDatabaseDown(t *testing.T) {
	db := pgdbtest.NewEmpty(t)
	u, err := url.Parse(db.URL)
	if err != nil {
		t.Fatal(err)
	}
	proxy := newPGProxy(t, u.Host)
	u.Host = proxy.ln.Addr().String()
	q := u.Query()
	q.Set("connect_timeout", "2")
	u.RawQuery = q.Encode()

	const secret = "s3cr3t"
	fake, apiURL := newFakeSlack(t)
	r := launchReplica(t, map[string]string{"BRIEFBOT_DATABASE_URL": u.String(),
		"SLACK_BOT_TOKEN": "xoxb-test", "SLACK_SIGNING_SECRET": secret, "SLACK_API_URL": apiURL})
	eventually(t, "/healthz says the database is unreachable", func() bool {
		code, body := r.health()
		return code == 503 && body["database"] == "unreachable"
	})
	if code := signedSlack(t, r.base, secret, clusterMention, nil); code != 200 {
		t.Fatalf("mention while the database is down: %d", code)
	}

	proxy.up.Store(true)
	eventually(t, "the question asked meanwhile is answered", func() bool { return fake.postsTo("C1") == 1 })
	eventually(t, "the replica recovers", func() bool {
		code, body := r.health()
		return code == 200 && body["database"] == "ok" && body["leader"] == true
	})
	var version int64
	if err := db.Pool.QueryRow(context.Background(), `SELECT max(version_id) FROM briefbot_schema_version`).Scan(&version); err != nil || version < 6 {
		t.Fatalf("schema version %d %v", version, err)
	}
	if code := signedSlack(t, r.base, secret, clusterDM, nil); code != 200 {
		t.Fatal(code)
	}
	eventually(t, "the DM is answered", func() bool { return fake.postsTo("D1") == 1 })
	eventually(t, "the DM's claim is done in the database", func() bool {
		var done bool
		db.Pool.QueryRow(context.Background(), `SELECT done FROM deliveries WHERE key = 'slack:msg:D1:1700000002.000100'`).Scan(&done)
		return done
	})
}

// childServeEnv makes the test binary run `briefbot serve` instead of the
// tests (TestMain): a replica the test can SIGKILL.
const childServeEnv = "BRIEFBOT_TEST_SERVE_CHILD"

func TestMain(m *testing.M) {
	if os.Getenv(childServeEnv) == "1" {
		ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
		code := run(ctx, []string{"serve"}, os.Stdout, os.Stderr, os.Getenv)
		stop()
		os.Exit(code)
	}
	os.Exit(m.Run())
}

// childReplica is `briefbot serve` in a child process.
type childReplica struct {
	cmd    *exec.Cmd
	base   string
	exited chan struct{} // closed once it has exited, with err
	err    error
	out    *syncbuf.Buffer
}

func startChildReplica(t *testing.T, env map[string]string) *childReplica {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), childServeEnv+"=1", "BRIEFBOT_HTTP_ADDR="+addr, "BRIEFBOT_DATA="+t.TempDir(), "BRIEFBOT_LOG_FORMAT=json")
	for k, v := range env {
		cmd.Env = append(cmd.Env, k+"="+v)
	}
	c := &childReplica{cmd: cmd, base: "http://" + addr, exited: make(chan struct{}), out: &syncbuf.Buffer{}}
	cmd.Stdout, cmd.Stderr = c.out, c.out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { c.err = cmd.Wait(); close(c.exited) }()
	t.Cleanup(func() {
		cmd.Process.Kill()
		<-c.exited
		if t.Failed() {
			t.Logf("replica %s log:\n%s", addr, c.out.String())
		}
	})
	return c
}

func (c *childReplica) health() (int, map[string]any) {
	return (&replica{base: c.base}).health()
}

// The replica that claimed a digest run is SIGKILLed while posting it (no
// release, no shutdown: its claim stays in the database); another replica
// takes the leader lease, takes the claim over once the dead one's
// heartbeat is older than the lease, and posts the digest, once.
func TestClusterDigestClaimantKilled(t *testing.T) {
	if testing.Short() {
		t.Skip("runs replicas in child processes")
	}
	db := pgdbtest.New(t)
	if _, err := cluster.NewSubscriptions(db.Pool, nil).Add(digest.Subscription{Platform: "slack", Channel: "CKILL", At: "00:00",
		Created: time.Now().Add(-48 * time.Hour)}); err != nil {
		t.Fatal(err)
	}
	fake, apiURL, held := fakeSlackHolding(t, "CKILL")
	env := map[string]string{"BRIEFBOT_DATABASE_URL": db.URL, "BRIEFBOT_LEADER_LEASE": "1s",
		"SLACK_BOT_TOKEN": "xoxb-test", "SLACK_SIGNING_SECRET": "s3cr3t", "SLACK_API_URL": apiURL}
	a := startChildReplica(t, env)
	select {
	case <-held:
	case <-a.exited:
		t.Fatalf("replica a exited: %v\n%s", a.err, a.out)
	case <-time.After(60 * time.Second):
		t.Fatalf("replica a never posted the digest\n%s", a.out)
	}
	_, body := a.health()
	idA, _ := body["replica"].(string)
	var holder string
	if err := db.Pool.QueryRow(context.Background(), `SELECT holder FROM digest_runs WHERE target = 'slack:CKILL' AND posted_at IS NULL`).Scan(&holder); err != nil || holder != idA || idA == "" {
		t.Fatalf("claim held by %q, replica a is %q: %v", holder, idA, err)
	}
	b := startChildReplica(t, env)
	var idB string
	eventually(t, "replica b is healthy", func() bool {
		code, body := b.health()
		idB, _ = body["replica"].(string)
		return code == 200
	})
	if err := a.cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	<-a.exited
	eventually(t, "replica b posts the digest", func() bool { return fake.postsTo("CKILL") == 1 })
	eventually(t, "the post is recorded as b's", func() bool {
		var h string
		db.Pool.QueryRow(context.Background(), `SELECT holder FROM digest_runs WHERE target = 'slack:CKILL' AND posted_at IS NOT NULL`).Scan(&h)
		return h == idB
	})
	if code, body := b.health(); code != 200 || body["leader"] != true {
		t.Fatalf("b after the kill: %d %v", code, body)
	}
	if n := fake.postsTo("CKILL"); n != 1 {
		t.Fatalf("%d posts of the digest", n)
	}
}
