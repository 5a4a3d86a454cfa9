package main

import (
	"context"
	"crypto/ed25519"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"html"
	"io"
	"io/fs"
	"maps"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	slackad "github.com/briefbot/briefbot/adapters/slack"
	"github.com/briefbot/briefbot/bot/digest"
	"github.com/briefbot/briefbot/seeds"
)

// TestDigestPostSlackOnce posts the seeds' digest through a fake Slack Web
// API: once, then "already posted", then again with --force.
func TestDigestPostSlackOnce(t *testing.T) {
	fake, apiURL := newFakeSlack(t)
	env := map[string]string{"BRIEFBOT_DATA": t.TempDir(), "SLACK_BOT_TOKEN": "xoxb-test", "SLACK_API_URL": apiURL}
	code, _, errs := runCLI(t, env, "digest", "--all", "--post", "slack:C1")
	if code != 0 || !strings.Contains(errs, "posted the digest") {
		t.Fatalf("first run: exit %d: %s", code, errs)
	}
	code, _, errs = runCLI(t, env, "digest", "--all", "--post", "slack:C1")
	if code != 0 || !strings.Contains(errs, "already posted to slack:C1") {
		t.Fatalf("second run: exit %d: %s", code, errs)
	}
	if n := fake.count(); n != 1 {
		t.Fatalf("%d posts after two runs, want 1", n)
	}
	fake.mu.Lock()
	p := fake.posts[0]
	fake.mu.Unlock()
	if p["channel"] != "C1" || !strings.Contains(p["blocks"], "Digest for") || !strings.Contains(p["blocks"], "002_8c35132417f41974.txt") || p["text"] == "" {
		t.Errorf("post %v", p)
	}
	if code, _, errs = runCLI(t, env, "digest", "--all", "--post", "slack:C1", "--force"); code != 0 {
		t.Fatalf("forced: exit %d: %s", code, errs)
	}
	if n := fake.count(); n != 2 {
		t.Fatalf("%d posts after --force, want 2", n)
	}
	// No token: a clear error, nothing posted.
	delete(env, "SLACK_BOT_TOKEN")
	code, _, errs = runCLI(t, env, "digest", "--all", "--post", "slack:C2")
	if code == 0 || !strings.Contains(errs, "SLACK_BOT_TOKEN") {
		t.Fatalf("without a token: exit %d: %s", code, errs)
	}
}

// fakeDiscordREST is a Discord REST API on 127.0.0.1 recording channel
// messages, command registrations and edits of deferred replies.
type fakeDiscordREST struct {
	mu       sync.Mutex
	messages []map[string]any
	channels []string
	edits    []map[string]any
	edited   chan struct{}
}

func newFakeDiscordREST(t *testing.T) (*fakeDiscordREST, string) {
	f := &fakeDiscordREST{edited: make(chan struct{}, 8)}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		var m map[string]any
		json.Unmarshal(body, &m)
		w.Header().Set("Content-Type", "application/json")
		path := strings.TrimPrefix(r.URL.Path, "/api/v9")
		switch {
		case strings.HasSuffix(path, "/commands"):
			io.WriteString(w, `[]`)
		case r.Method == http.MethodPost && strings.HasPrefix(path, "/channels/") && strings.HasSuffix(path, "/messages"):
			f.mu.Lock()
			f.messages = append(f.messages, m)
			f.channels = append(f.channels, strings.Split(path, "/")[2])
			f.mu.Unlock()
			io.WriteString(w, `{"id":"m1","channel_id":"42"}`)
		case r.Method == http.MethodPatch && strings.HasSuffix(path, "/messages/@original"):
			f.mu.Lock()
			f.edits = append(f.edits, m)
			f.mu.Unlock()
			io.WriteString(w, `{"id":"m2"}`)
			f.edited <- struct{}{}
		default:
			http.NotFound(w, r)
		}
	}))
	t.Cleanup(srv.Close)
	return f, srv.URL + "/api/v9"
}

func (f *fakeDiscordREST) count() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return len(f.messages)
}

// TestDigestPostDiscordOnce is TestDigestPostSlackOnce for Discord, and
// checks that the digest can ping no one.
func TestDigestPostDiscordOnce(t *testing.T) {
	fake, apiURL := newFakeDiscordREST(t)
	env := map[string]string{"BRIEFBOT_DATA": t.TempDir(), "DISCORD_BOT_TOKEN": "tok", "DISCORD_APP_ID": "APP", "DISCORD_API_URL": apiURL}
	for i := range 2 {
		if code, _, errs := runCLI(t, env, "digest", "--all", "--post", "discord:42"); code != 0 {
			t.Fatalf("run %d: exit %d: %s", i+1, code, errs)
		}
	}
	if n := fake.count(); n != 1 {
		t.Fatalf("%d posts after two runs, want 1", n)
	}
	fake.mu.Lock()
	m, ch := fake.messages[0], fake.channels[0]
	fake.mu.Unlock()
	am, _ := m["allowed_mentions"].(map[string]any)
	parse, ok := am["parse"].([]any)
	if ch != "42" || !ok || len(parse) != 0 {
		t.Errorf("posted to %q with allowed_mentions %v", ch, m["allowed_mentions"])
	}
	b, _ := json.Marshal(m)
	if embeds, _ := m["embeds"].([]any); len(embeds) == 0 || !strings.Contains(string(b), "002_8c35132417f41974.txt") {
		t.Errorf("message %s", b)
	}
	if code, _, errs := runCLI(t, env, "digest", "--all", "--post", "discord:42", "--force"); code != 0 || fake.count() != 2 {
		t.Fatalf("forced: exit %d, %d posts: %s", code, fake.count(), errs)
	}
	// Posting to a channel needs only the bot token: without
	// DISCORD_APP_ID it still posts, once.
	delete(env, "DISCORD_APP_ID")
	for i := range 2 {
		if code, _, errs := runCLI(t, env, "digest", "--all", "--post", "discord:43"); code != 0 {
			t.Fatalf("without an app id, run %d: exit %d: %s", i+1, code, errs)
		}
	}
	fake.mu.Lock()
	n, ch := len(fake.messages), fake.channels[len(fake.channels)-1]
	fake.mu.Unlock()
	if n != 3 || ch != "43" {
		t.Fatalf("without an app id: %d posts, last to %q; want 3, the last to 43", n, ch)
	}
}

// TestDigestPostIgnoresOtherPlatformSettings: `digest --post slack:C`
// is not stopped by a Discord token without an application id (or the
// other way round by Slack settings serve would refuse).
func TestDigestPostIgnoresOtherPlatformSettings(t *testing.T) {
	fake, apiURL := newFakeSlack(t)
	env := map[string]string{"BRIEFBOT_DATA": t.TempDir(), "SLACK_BOT_TOKEN": "xoxb-test", "SLACK_API_URL": apiURL, "DISCORD_BOT_TOKEN": "tok"}
	if code, _, errs := runCLI(t, env, "digest", "--all", "--post", "slack:C1"); code != 0 {
		t.Fatalf("exit %d: %s", code, errs)
	}
	if n := fake.count(); n != 1 {
		t.Fatalf("%d posts, want 1", n)
	}
	if _, err := loadConfig("", func(k string) string { return env[k] }); err == nil {
		t.Fatal("serve's config accepts DISCORD_BOT_TOKEN without DISCORD_APP_ID")
	}

	dfake, dURL := newFakeDiscordREST(t)
	env = map[string]string{"BRIEFBOT_DATA": t.TempDir(), "DISCORD_BOT_TOKEN": "tok", "DISCORD_API_URL": dURL, "SLACK_SIGNING_SECRET": "s3cret"}
	if code, _, errs := runCLI(t, env, "digest", "--all", "--post", "discord:42"); code != 0 {
		t.Fatalf("discord with a Slack signing secret and no Slack bot token: exit %d: %s", code, errs)
	}
	if n := dfake.count(); n != 1 {
		t.Fatalf("%d Discord posts, want 1", n)
	}
	if _, err := loadConfig("", func(k string) string { return env[k] }); err == nil {
		t.Fatal("serve's config accepts SLACK_SIGNING_SECRET without SLACK_BOT_TOKEN")
	}
}

// startDigestServe starts serve and waits until its digest scheduler runs.
func startDigestServe(t *testing.T, env map[string]string) (*Main, string) {
	t.Helper()
	s, base, done := launchServe(t, env)
	select {
	case <-s.digests.Started():
	case err := <-done:
		t.Fatalf("serve stopped: %v", err)
	case <-time.After(20 * time.Second):
		t.Fatal("the digest scheduler never started")
	}
	return s, base
}

// slackCommand sends a signed /brief slash command to serve.
func slackCommand(t *testing.T, base, secret string, form url.Values) map[string]any {
	t.Helper()
	body := form.Encode()
	ts := strconv.FormatInt(time.Now().Unix(), 10)
	req, _ := http.NewRequest("POST", base+slackad.CommandsPath, strings.NewReader(body))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("X-Slack-Request-Timestamp", ts)
	req.Header.Set("X-Slack-Signature", slackad.Sign(secret, ts, []byte(body)))
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var out map[string]any
	if resp.StatusCode != 200 || json.NewDecoder(resp.Body).Decode(&out) != nil {
		t.Fatalf("/brief %s: status %d", form.Get("text"), resp.StatusCode)
	}
	return out
}

func TestServeSlackSubscribe(t *testing.T) {
	const secret = "s3cr3t"
	_, apiURL := newFakeSlack(t)
	dir := t.TempDir()
	// Slack delivers late replies to response_url.
	late := make(chan map[string]any, 4)
	hook := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var m map[string]any
		json.NewDecoder(r.Body).Decode(&m)
		late <- m
	}))
	t.Cleanup(hook.Close)
	s, base := startDigestServe(t, map[string]string{
		"SLACK_BOT_TOKEN": "xoxb-test", "SLACK_SIGNING_SECRET": secret, "SLACK_API_URL": apiURL, "BRIEFBOT_DATA": dir,
	})
	cmd := func(text string) map[string]any {
		return slackCommand(t, base, secret, url.Values{"command": {"/brief"}, "text": {text}, "channel_id": {"C7"}, "user_id": {"U1"}, "response_url": {hook.URL}})
	}
	got := cmd("subscribe 08:00 Europe/Kyiv")
	if got["response_type"] != "in_channel" || !strings.Contains(fmt.Sprint(got["text"]), "08:00 (Europe/Kyiv)") {
		t.Fatalf("subscribe: %v", got)
	}
	subs, err := digest.OpenSubscriptions(dir, nil).List()
	if err != nil || len(subs) != 1 || subs[0].Target().String() != "slack:C7" || subs[0].At != "08:00" || subs[0].Timezone != "Europe/Kyiv" {
		t.Fatalf("persisted %+v, %v", subs, err)
	}
	// Scheduled without a restart: the next run is 08:00 in Kyiv.
	next, ok := s.digests.NextRun(digest.Target{Platform: "slack", Channel: "C7"})
	if kyiv := next.In(subs[0].Location()); !ok || kyiv.Hour() != 8 || kyiv.Minute() != 0 {
		t.Errorf("next run %v, %v", next, ok)
	}
	// A bad zone or time is refused, and changes nothing.
	for text, want := range map[string]string{"subscribe 08:00 Mars/Olympus": `Unknown time zone "Mars/Olympus"`, "subscribe 31:00": `"31:00" is not a time like 08:00`} {
		got = cmd(text)
		if got["response_type"] != "ephemeral" || !strings.Contains(fmt.Sprint(got["text"]), want) {
			t.Errorf("%s: %v", text, got)
		}
	}
	if subs, _ := digest.OpenSubscriptions(dir, nil).List(); len(subs) != 1 || subs[0].Timezone != "Europe/Kyiv" {
		t.Errorf("after refused subscriptions: %+v", subs)
	}
	// The preview is for the asker only and quotes the seeds.
	got = cmd("digest")
	if b, _ := json.Marshal(got); strings.Contains(string(b), "Looking through") {
		select {
		case got = <-late:
		case <-time.After(20 * time.Second):
			t.Fatal("the preview never arrived")
		}
	}
	b, _ := json.Marshal(got)
	if got["response_type"] != "ephemeral" || !strings.Contains(string(b), "Preview") {
		t.Errorf("preview: %s", b)
	}
	var quotes []string
	for _, blk := range got["blocks"].([]any) {
		if text, ok := blk.(map[string]any)["text"].(map[string]any); ok {
			if q, ok := strings.CutPrefix(fmt.Sprint(text["text"]), "> "); ok {
				quotes = append(quotes, q)
			}
		}
	}
	checkSeedQuotes(t, quotes)
	// Unsubscribing takes effect at once too.
	if got = cmd("unsubscribe"); !strings.Contains(fmt.Sprint(got["text"]), "no longer") {
		t.Errorf("unsubscribe: %v", got)
	}
	if subs, _ := digest.OpenSubscriptions(dir, nil).List(); len(subs) != 0 {
		t.Errorf("after unsubscribe: %+v", subs)
	}
	if _, ok := s.digests.NextRun(digest.Target{Platform: "slack", Channel: "C7"}); ok {
		t.Error("still scheduled after unsubscribe")
	}
	if got = cmd("help"); !strings.Contains(fmt.Sprint(got["text"]), "/brief subscribe") {
		t.Errorf("help: %v", got)
	}
}

func TestServeDiscordSubscribe(t *testing.T) {
	pub, priv, _ := ed25519.GenerateKey(nil)
	f, apiURL := newFakeDiscordREST(t)
	dir := t.TempDir()
	_, base := startDigestServe(t, map[string]string{
		"DISCORD_BOT_TOKEN": "tok", "DISCORD_APP_ID": "APP", "DISCORD_PUBLIC_KEY": hex.EncodeToString(pub), "DISCORD_API_URL": apiURL,
		"BRIEFBOT_DATA": dir,
	})
	n := 0
	interact := func(name, options string) (map[string]any, int) {
		t.Helper()
		n++ // every interaction has its own id: a repeated one is a replay
		// /brief NAME, by a member who may manage channels (16).
		body := fmt.Sprintf(`{"type":2,"id":"i%d","application_id":"APP","token":"itok","channel_id":"D5","guild_id":"G1",`+
			`"member":{"user":{"id":"U1","username":"u"},"permissions":"16"},"data":{"id":"c1","name":"brief","type":1,`+
			`"options":[{"name":%q,"type":1,"options":[%s]}]}}`, n, name, options)
		stamp := strconv.FormatInt(time.Now().Unix(), 10)
		req, _ := http.NewRequest("POST", base+"/discord/interactions", strings.NewReader(body))
		req.Header.Set("X-Signature-Ed25519", hex.EncodeToString(ed25519.Sign(priv, []byte(stamp+body))))
		req.Header.Set("X-Signature-Timestamp", stamp)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var r struct {
			Type int            `json:"type"`
			Data map[string]any `json:"data"`
		}
		if err := json.NewDecoder(resp.Body).Decode(&r); err != nil {
			t.Fatal(err)
		}
		if r.Type == 5 { // deferred: the reply comes as an edit
			select {
			case <-f.edited:
			case <-time.After(20 * time.Second):
				t.Fatal("deferred reply never delivered")
			}
			f.mu.Lock()
			defer f.mu.Unlock()
			e := f.edits[len(f.edits)-1]
			e["flags"] = r.Data["flags"]
			return e, r.Type
		}
		return r.Data, r.Type
	}
	got, _ := interact("subscribe", `{"name":"time","type":3,"value":"07:45"},{"name":"timezone","type":3,"value":"Europe/Kyiv"}`)
	if !strings.Contains(fmt.Sprint(got["content"]), "07:45 (Europe/Kyiv)") {
		t.Fatalf("subscribe: %v", got)
	}
	subs, err := digest.OpenSubscriptions(dir, nil).List()
	if err != nil || len(subs) != 1 || subs[0].Target().String() != "discord:D5" || subs[0].At != "07:45" {
		t.Fatalf("persisted %+v, %v", subs, err)
	}
	got, _ = interact("subscribe", `{"name":"timezone","type":3,"value":"Nowhere/Land"}`)
	if !strings.Contains(fmt.Sprint(got["content"]), "Nowhere/Land") || fmt.Sprint(got["flags"]) != "64" {
		t.Errorf("bad zone: %v", got)
	}
	if subs, _ := digest.OpenSubscriptions(dir, nil).List(); len(subs) != 1 || subs[0].Timezone != "Europe/Kyiv" {
		t.Errorf("after a refused subscription: %+v", subs)
	}
	got, _ = interact("digest", "")
	b, _ := json.Marshal(got)
	if fmt.Sprint(got["flags"]) != "64" || !strings.Contains(string(b), "Preview") {
		t.Errorf("preview: %s", b)
	}
	var quotes []string
	for _, e := range got["embeds"].([]any) {
		for _, line := range strings.Split(fmt.Sprint(e.(map[string]any)["description"]), "\n") {
			if q, ok := strings.CutPrefix(line, "> "); ok {
				quotes = append(quotes, q)
			}
		}
	}
	checkSeedQuotes(t, quotes)
	if got, _ = interact("unsubscribe", ""); !strings.Contains(fmt.Sprint(got["content"]), "no longer") {
		t.Errorf("unsubscribe: %v", got)
	}
	if subs, _ := digest.OpenSubscriptions(dir, nil).List(); len(subs) != 0 {
		t.Errorf("after unsubscribe: %+v", subs)
	}
}

// checkSeedQuotes wants at least one quote, each verbatim (whitespace
// aside) from a seed briefing.
func checkSeedQuotes(t *testing.T, quotes []string) {
	t.Helper()
	var corpus []string
	fs.WalkDir(seeds.FS(), ".", func(path string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			b, _ := fs.ReadFile(seeds.FS(), path)
			corpus = append(corpus, strings.Join(strings.Fields(string(b)), " "))
		}
		return nil
	})
	if len(quotes) == 0 {
		t.Fatal("the preview quotes nothing")
	}
	for _, q := range quotes {
		// Undo Slack's escaping and the invisible characters that break mentions.
		q = html.UnescapeString(strings.NewReplacer("\u200b", "", "\u2060", "").Replace(q))
		q = strings.Join(strings.Fields(q), " ")
		found := false
		for _, c := range corpus {
			found = found || strings.Contains(c, q)
		}
		if !found {
			t.Errorf("not a seed sentence: %q", q)
		}
	}
}

// TestDigestServiceMergesConfigAndSubscriptions: configured schedules
// (BRIEFBOT_DIGEST_*) and channels' own subscriptions are scheduled
// together, a channel's own replaces a configured one, a configured one
// cannot be unsubscribed from the channel, and bad settings stop serve.
func TestDigestServiceMergesConfigAndSubscriptions(t *testing.T) {
	dir := t.TempDir()
	env := map[string]string{"BRIEFBOT_DATA": dir, "BRIEFBOT_DIGEST_SLACK": "C1,C2", "BRIEFBOT_DIGEST_AT": "07:00", "BRIEFBOT_DIGEST_TZ": "Europe/Kyiv", "BRIEFBOT_DIGEST_EMPTY": "skip"}
	cfg, err := loadConfig("", func(k string) string { return env[k] })
	if err != nil {
		t.Fatal(err)
	}
	ds, err := newDigestService(cfg, &lazySearcher{}, newLogger(Config{LogFormat: "json"}, io.Discard), nil)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	if _, err := ds.Subscribe(ctx, digest.Subscription{Platform: "slack", Channel: "C2", At: "09:30"}); err != nil {
		t.Fatal(err)
	}
	all, err := ds.Subscriptions()
	if err != nil || len(all) != 2 {
		t.Fatalf("%+v, %v", all, err)
	}
	got := map[string]digest.Subscription{}
	for _, s := range all {
		got[s.Target().String()] = s
	}
	if c1 := got["slack:C1"]; c1.At != "07:00" || c1.Timezone != "Europe/Kyiv" || !c1.SkipEmpty {
		t.Errorf("configured %+v", c1)
	}
	if c2 := got["slack:C2"]; c2.At != "09:30" || c2.Timezone != "UTC" || !c2.SkipEmpty {
		t.Errorf("own %+v", c2)
	}
	if removed, err := ds.Unsubscribe(ctx, digest.Target{Platform: "slack", Channel: "C1"}); removed || !errors.Is(err, digest.ErrBadSubscription) || !strings.Contains(err.Error(), "configuration") {
		t.Errorf("unsubscribe a configured channel: %v, %v", removed, err)
	}
	for k, v := range map[string]string{"BRIEFBOT_DIGEST_TZ": "Mars/Olympus", "BRIEFBOT_DIGEST_AT": "8 o'clock", "BRIEFBOT_DIGEST_EMPTY": "maybe"} {
		bad := maps.Clone(env)
		bad[k] = v
		cfg, err := loadConfig("", func(k string) string { return bad[k] })
		if err == nil {
			_, err = newDigestService(cfg, &lazySearcher{}, newLogger(Config{LogFormat: "json"}, io.Discard), nil)
		}
		if err == nil {
			t.Errorf("%s=%s accepted", k, v)
		}
	}
}
