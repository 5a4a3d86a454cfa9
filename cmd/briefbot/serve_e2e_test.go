package main

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// startServe runs `briefbot serve` in-process with env and returns its base
// URL once /healthz says the store is loaded.
func startServe(t *testing.T, env map[string]string) string {
	t.Helper()
	_, base, _ := launchServe(t, env)
	deadline := time.Now().Add(10 * time.Second)
	for {
		resp, err := http.Get(base + "/healthz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == 200 {
				return base
			}
		}
		if time.Now().After(deadline) {
			t.Fatal("serve never became healthy")
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// testMain builds serve's runtime from env as `briefbot serve` does, on a
// free loopback port and, unless env names one, a fresh data directory
// (both written into env, so that a test can start serve again on the same
// data); it logs nowhere.
func testMain(t *testing.T, env map[string]string) *Main {
	t.Helper()
	env["BRIEFBOT_HTTP_ADDR"] = "127.0.0.1:0"
	if env["BRIEFBOT_DATA"] == "" {
		env["BRIEFBOT_DATA"] = t.TempDir()
	}
	getenv := func(k string) string { return env[k] }
	cfg, err := loadConfig("", getenv)
	if err != nil {
		t.Fatal(err)
	}
	a := &app{stdout: io.Discard, stderr: io.Discard, getenv: getenv}
	return newMain(cfg, a.getenv, newLogger(Config{LogFormat: "json"}, io.Discard))
}

// served is a serve started by runServe.
type served struct {
	base   string
	result <-chan error // what serve returned, once it has
	// stop cancels serve and waits for it to return; the test's end calls
	// it too.
	stop func()
}

// runServe runs serve(s) until stop or the test's end, and returns once
// it is ready (failing the test if it stops first).
func runServe(t *testing.T, s *Main) served {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	done, result := make(chan error, 1), make(chan error, 1)
	go func() { err := serve(ctx, s); done <- err; result <- err }()
	var once sync.Once
	stop := func() {
		once.Do(func() {
			cancel()
			if err := <-done; err != nil {
				t.Errorf("serve returned %v", err)
			}
		})
	}
	t.Cleanup(stop)
	select {
	case <-s.ready:
	case err := <-result:
		t.Fatalf("serve stopped before it was ready: %v", err)
	}
	return served{base: "http://" + s.Addr().String(), result: result, stop: stop}
}

// launchServe starts serve for env (see testMain) and returns it, its base
// URL and the channel its Run result arrives on; cleanup stops it.
func launchServe(t *testing.T, env map[string]string) (*Main, string, <-chan error) {
	t.Helper()
	s := testMain(t, env)
	run := runServe(t, s)
	return s, run.base, run.result
}

// fakeSlack is a Slack Web API on 127.0.0.1 recording chat.postMessage.
type fakeSlack struct {
	mu      sync.Mutex
	posts   []map[string]string
	posted  chan struct{}
	limited int // answer this many chat.postMessage calls with 429 Retry-After: 1

	// hold, when set, is a channel whose first chat.postMessage waits (the
	// post never completes) until the request is cancelled, after a
	// signal on held: the replica posting it can be killed mid-post.
	hold     string
	held     chan struct{}
	holdOnce atomic.Bool
}

func newFakeSlack(t *testing.T) (*fakeSlack, string) {
	f := &fakeSlack{posted: make(chan struct{}, 64)}
	return f, f.serve(t)
}

// fakeSlackHolding is a fakeSlack that holds the first post to channel
// hold (see fakeSlack.hold); held signals it.
func fakeSlackHolding(t *testing.T, hold string) (*fakeSlack, string, chan struct{}) {
	f := &fakeSlack{posted: make(chan struct{}, 64), hold: hold, held: make(chan struct{}, 8)}
	return f, f.serve(t), f.held
}

// serve starts the API and returns its URL.
func (f *fakeSlack) serve(t *testing.T) string {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		r.ParseForm()
		w.Header().Set("Content-Type", "application/json")
		switch strings.TrimPrefix(r.URL.Path, "/") {
		case "auth.test":
			io.WriteString(w, `{"ok":true,"user_id":"UBOT","bot_id":"BBOT","team_id":"T1","user":"briefbot"}`)
		case "chat.postMessage":
			if f.hold != "" && r.PostForm.Get("channel") == f.hold && f.holdOnce.CompareAndSwap(false, true) {
				f.held <- struct{}{}
				<-r.Context().Done() // the poster dies holding the request
				return
			}
			f.mu.Lock()
			if f.limited > 0 {
				f.limited--
				f.mu.Unlock()
				w.Header().Set("Retry-After", "1")
				w.WriteHeader(http.StatusTooManyRequests)
				io.WriteString(w, `{"ok":false,"error":"ratelimited"}`)
				return
			}
			rec := map[string]string{}
			for k := range r.PostForm {
				rec[k] = r.PostForm.Get(k)
			}
			f.posts = append(f.posts, rec)
			f.mu.Unlock()
			io.WriteString(w, `{"ok":true,"channel":"C1","ts":"1700000001.000200"}`)
			f.posted <- struct{}{}
		case "conversations.info":
			fmt.Fprintf(w, `{"ok":true,"channel":{"id":%q,"is_channel":true,"is_member":true}}`, r.PostForm.Get("channel"))
		default:
			io.WriteString(w, `{"ok":true}`)
		}
	}))
	t.Cleanup(srv.Close)
	return srv.URL + "/"
}

func (f *fakeSlack) count() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return len(f.posts)
}

func slackSign(secret string, ts int64, body []byte) string {
	mac := hmac.New(sha256.New, []byte(secret))
	fmt.Fprintf(mac, "v0:%d:%s", ts, body)
	return "v0=" + hex.EncodeToString(mac.Sum(nil))
}

func TestServeAsSlackWould(t *testing.T) {
	const secret = "s3cr3t"
	fake, apiURL := newFakeSlack(t)
	base := startServe(t, map[string]string{
		"SLACK_BOT_TOKEN": "xoxb-test", "SLACK_SIGNING_SECRET": secret, "SLACK_API_URL": apiURL,
	})
	post := func(body string, ts int64, sig string, headers map[string]string) (int, string) {
		req, _ := http.NewRequest("POST", base+"/slack/events", strings.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("X-Slack-Request-Timestamp", strconv.FormatInt(ts, 10))
		req.Header.Set("X-Slack-Signature", sig)
		for k, v := range headers {
			req.Header.Set(k, v)
		}
		start := time.Now()
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		if d := time.Since(start); d > 2*time.Second {
			t.Errorf("acknowledged in %v", d)
		}
		return resp.StatusCode, string(b)
	}
	now := time.Now().Unix()
	// url_verification is echoed.
	uv := `{"token":"x","challenge":"abc123","type":"url_verification"}`
	if code, body := post(uv, now, slackSign(secret, now, []byte(uv)), nil); code != 200 || !strings.Contains(body, "abc123") {
		t.Fatalf("url_verification: %d %q", code, body)
	}
	mention := `{"type":"event_callback","team_id":"T1","api_app_id":"A1","event_id":"Ev1","event_time":1700000000,` +
		`"event":{"type":"app_mention","user":"U1","text":"<@UBOT> How many drones and missiles did Russia fire on Friday night?","ts":"1700000000.000100","channel":"C1","event_ts":"1700000000.000100"}}`
	// Forged and stale requests get 401 and no work.
	if code, _ := post(mention, now, slackSign("wrong", now, []byte(mention)), nil); code != 401 {
		t.Errorf("forged: %d", code)
	}
	old := now - 600
	if code, _ := post(mention, old, slackSign(secret, old, []byte(mention)), nil); code != 401 {
		t.Errorf("10-minute-old: %d", code)
	}
	if code, _ := post(mention, now, slackSign(secret, now, []byte(mention)), nil); code != 200 {
		t.Fatalf("mention: %d", code)
	}
	select {
	case <-fake.posted:
	case <-time.After(10 * time.Second):
		t.Fatal("no chat.postMessage")
	}
	fake.mu.Lock()
	p := fake.posts[0]
	fake.mu.Unlock()
	if p["channel"] != "C1" || p["thread_ts"] != "1700000000.000100" {
		t.Errorf("posted to %q thread %q", p["channel"], p["thread_ts"])
	}
	if !strings.Contains(p["text"]+p["blocks"], "653 drones and 51 missiles") || !strings.Contains(p["blocks"], "002_8c35132417f41974.txt") {
		t.Errorf("answer lacks the quote or its citation: %v", p)
	}
	// The retry and the message twin cause no second post.
	if code, _ := post(mention, now, slackSign(secret, now, []byte(mention)), map[string]string{"X-Slack-Retry-Num": "1", "X-Slack-Retry-Reason": "http_timeout"}); code != 200 {
		t.Errorf("retry: %d", code)
	}
	twin := `{"type":"event_callback","team_id":"T1","api_app_id":"A1","event_id":"Ev2","event_time":1700000000,` +
		`"event":{"type":"message","channel_type":"channel","user":"U1","text":"<@UBOT> How many drones and missiles did Russia fire on Friday night?","ts":"1700000000.000100","channel":"C1","event_ts":"1700000000.000100"}}`
	if code, _ := post(twin, now, slackSign(secret, now, []byte(twin)), nil); code != 200 {
		t.Errorf("twin: %d", code)
	}
	// A DM, which is answered: its post proves the twin and retry were dropped
	// (deliveries are handled in order of arrival by then).
	dm := `{"type":"event_callback","team_id":"T1","api_app_id":"A1","event_id":"Ev3","event_time":1700000000,` +
		`"event":{"type":"message","channel_type":"im","user":"U1","text":"Who is Ukraine's Foreign Minister?","ts":"1700000002.000100","channel":"D1","event_ts":"1700000002.000100"}}`
	if code, _ := post(dm, now, slackSign(secret, now, []byte(dm)), nil); code != 200 {
		t.Errorf("dm: %d", code)
	}
	select {
	case <-fake.posted:
	case <-time.After(10 * time.Second):
		t.Fatal("DM not answered")
	}
	fake.mu.Lock()
	defer fake.mu.Unlock()
	if len(fake.posts) != 2 {
		t.Fatalf("%d posts, want 2 (mention once, DM once)", len(fake.posts))
	}
	if fake.posts[1]["channel"] != "D1" || !strings.Contains(fake.posts[1]["text"]+fake.posts[1]["blocks"], "Sybiha") {
		t.Errorf("DM answer %v", fake.posts[1])
	}
}

// fakeDiscord is a Discord REST API on 127.0.0.1.
type fakeDiscord struct {
	mu     sync.Mutex
	edits  []map[string]any
	edited chan struct{}
}

func newFakeDiscord(t *testing.T) (*fakeDiscord, string) {
	f := &fakeDiscord{edited: make(chan struct{}, 8)}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		w.Header().Set("Content-Type", "application/json")
		switch {
		case strings.Contains(r.URL.Path, "/commands"):
			io.WriteString(w, `[]`)
		case strings.Contains(r.URL.Path, "/messages/@original") && r.Method == http.MethodPatch:
			var m map[string]any
			json.Unmarshal(body, &m)
			f.mu.Lock()
			f.edits = append(f.edits, m)
			f.mu.Unlock()
			io.WriteString(w, `{"id":"m1","channel_id":"C1","content":""}`)
			f.edited <- struct{}{}
		default:
			http.NotFound(w, r)
		}
	}))
	t.Cleanup(srv.Close)
	return f, srv.URL + "/api/v9"
}

func TestServeAsDiscordWould(t *testing.T) {
	pub, priv, _ := ed25519.GenerateKey(nil)
	f, apiURL := newFakeDiscord(t)
	base := startServe(t, map[string]string{
		"DISCORD_BOT_TOKEN": "tok", "DISCORD_APP_ID": "APP", "DISCORD_PUBLIC_KEY": hex.EncodeToString(pub), "DISCORD_API_URL": apiURL,
	})
	send := func(body string, ts time.Time, key ed25519.PrivateKey) (int, []byte, time.Duration) {
		stamp := strconv.FormatInt(ts.Unix(), 10)
		sig := ed25519.Sign(key, []byte(stamp+body))
		req, _ := http.NewRequest("POST", base+"/discord/interactions", strings.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("X-Signature-Ed25519", hex.EncodeToString(sig))
		req.Header.Set("X-Signature-Timestamp", stamp)
		start := time.Now()
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, b, time.Since(start)
	}
	if code, b, _ := send(`{"type":1}`, time.Now(), priv); code != 200 || !bytes.Contains(b, []byte(`"type":1`)) {
		t.Fatalf("PING: %d %s", code, b)
	}
	_, forger, _ := ed25519.GenerateKey(nil)
	if code, _, _ := send(`{"type":1}`, time.Now(), forger); code != 401 {
		t.Errorf("forged: %d", code)
	}
	if code, _, _ := send(`{"type":1}`, time.Now().Add(-15*time.Minute), priv); code != 401 {
		t.Errorf("15-minute-old: %d", code)
	}
	n := 0
	ask := func(q string) string {
		t.Helper()
		n++ // every interaction has its own id: a repeated one is a replay
		body := fmt.Sprintf(`{"type":2,"id":"i%d","application_id":"APP","token":"itok","channel_id":"C1","guild_id":"G1",`+
			`"member":{"user":{"id":"U1","username":"u"}},"data":{"id":"c1","name":"ask","type":1,"options":[{"name":"question","type":3,"value":%q}]}}`, n, q)
		code, b, d := send(body, time.Now(), priv)
		if code != 200 || d > 2500*time.Millisecond {
			t.Fatalf("/ask: %d in %v", code, d)
		}
		var resp struct {
			Type int             `json:"type"`
			Data json.RawMessage `json:"data"`
		}
		json.Unmarshal(b, &resp)
		switch resp.Type {
		case 4:
			return string(resp.Data)
		case 5:
			select {
			case <-f.edited:
			case <-time.After(10 * time.Second):
				t.Fatal("deferred answer never delivered")
			}
			f.mu.Lock()
			defer f.mu.Unlock()
			out, _ := json.Marshal(f.edits[len(f.edits)-1])
			return string(out)
		}
		t.Fatalf("response type %d: %s", resp.Type, b)
		return ""
	}
	got := ask("How many drones and missiles did Russia fire on Friday night?")
	if !strings.Contains(got, "653 drones and 51 missiles") || !strings.Contains(got, "002_8c35132417f41974.txt") {
		t.Errorf("answer lacks the quote or citation: %s", got)
	}
	var msg struct {
		AllowedMentions *struct {
			Parse []string `json:"parse"`
		} `json:"allowed_mentions"`
	}
	if err := json.Unmarshal([]byte(got), &msg); err != nil || msg.AllowedMentions == nil || msg.AllowedMentions.Parse == nil || len(msg.AllowedMentions.Parse) != 0 {
		t.Errorf("answer without allowed_mentions.parse = []: %s", got)
	}
	got = ask("What is the capital of France?")
	if !strings.Contains(got, "couldn't find") || strings.Contains(got, "653") {
		t.Errorf("not-found answer: %s", got)
	}
}

func TestServeSlackWaitsOutA429(t *testing.T) {
	const secret = "s3cr3t"
	fake, apiURL := newFakeSlack(t)
	fake.limited = 1
	base := startServe(t, map[string]string{
		"SLACK_BOT_TOKEN": "xoxb-test", "SLACK_SIGNING_SECRET": secret, "SLACK_API_URL": apiURL,
	})
	now := time.Now().Unix()
	mention := `{"type":"event_callback","team_id":"T1","api_app_id":"A1","event_id":"Ev9","event_time":1700000000,` +
		`"event":{"type":"app_mention","user":"U1","text":"<@UBOT> How many drones and missiles did Russia fire on Friday night?","ts":"1700000005.000100","channel":"C1","event_ts":"1700000005.000100"}}`
	req, _ := http.NewRequest("POST", base+"/slack/events", strings.NewReader(mention))
	req.Header.Set("X-Slack-Request-Timestamp", strconv.FormatInt(now, 10))
	req.Header.Set("X-Slack-Signature", slackSign(secret, now, []byte(mention)))
	start := time.Now()
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Fatalf("mention: %d", resp.StatusCode)
	}
	select {
	case <-fake.posted:
	case <-time.After(15 * time.Second):
		t.Fatal("the answer was never delivered after the 429")
	}
	if waited := time.Since(start); waited < time.Second {
		t.Errorf("delivered after %v, before Retry-After: 1 ran out", waited)
	}
	if n := fake.count(); n != 1 {
		t.Errorf("%d posts, want 1", n)
	}
	fake.mu.Lock()
	defer fake.mu.Unlock()
	if !strings.Contains(fake.posts[0]["text"]+fake.posts[0]["blocks"], "653 drones and 51 missiles") {
		t.Errorf("delivered %v", fake.posts[0])
	}
}
