package discord

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"encoding/hex"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/bwmarrin/discordgo"

	"github.com/briefbot/briefbot/bot"
	"github.com/briefbot/briefbot/retrieval"
)

// harness runs one adapter against the REST fake, with its HTTP routes on
// a 127.0.0.1 server.
type harness struct {
	t       *testing.T
	a       *Adapter
	rest    *restFake
	srv     *httptest.Server
	obs     *observer
	votes   *bot.VoteLog
	cancel  context.CancelFunc
	runDone chan error
	stopped bool
}

func newHarness(t *testing.T, search bot.Searcher, mutate func(*Options)) *harness {
	t.Helper()
	h := &harness{t: t, rest: newRESTFake(t), obs: &observer{}, runDone: make(chan error, 1)}
	votes, err := bot.OpenVoteLog(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	h.votes = votes
	opts := Options{
		BotToken:    "test-token",
		AppID:       "app1",
		PublicKey:   hex.EncodeToString(testKey.Public().(ed25519.PublicKey)),
		GuildID:     "g1",
		APIURL:      h.rest.APIURL(),
		Bot:         bot.New(search, bot.Options{}),
		Votes:       votes,
		Observer:    h.obs,
		Now:         func() time.Time { return fixedNow },
		MaxRateWait: 2 * time.Second,
	}
	if mutate != nil {
		mutate(&opts)
	}
	h.a, err = New(opts)
	if err != nil {
		t.Fatal(err)
	}
	h.a.backoffMin, h.a.backoffMax = 5*time.Millisecond, 20*time.Millisecond
	mux := http.NewServeMux()
	h.a.Routes(mux)
	h.srv = httptest.NewServer(mux)
	t.Cleanup(h.srv.Close)
	ctx, cancel := context.WithCancel(context.Background())
	h.cancel = cancel
	go func() { h.runDone <- h.a.Run(ctx) }()
	t.Cleanup(h.stop)
	return h
}

// stop ends Run and waits for it, so that answers in flight are finished.
func (h *harness) stop() {
	h.t.Helper()
	if h.stopped {
		return
	}
	h.stopped = true
	h.cancel()
	select {
	case err := <-h.runDone:
		if err != nil {
			h.t.Errorf("Run returned %v, want nil", err)
		}
	case <-time.After(waitFor):
		h.t.Fatalf("Run did not return within %s of cancellation", waitFor)
	}
}

// post sends body to the interactions endpoint signed with key at ts.
func (h *harness) post(body []byte, key ed25519.PrivateKey, ts time.Time) (int, []byte) {
	h.t.Helper()
	stamp := strconv.FormatInt(ts.Unix(), 10)
	sig := ed25519.Sign(key, append([]byte(stamp), body...))
	req, err := http.NewRequest(http.MethodPost, h.srv.URL+InteractionsPath, bytes.NewReader(body))
	if err != nil {
		h.t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("X-Signature-Ed25519", hex.EncodeToString(sig))
	req.Header.Set("X-Signature-Timestamp", stamp)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		h.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, b
}

// interact posts a validly signed interaction and decodes the 200 response.
func (h *harness) interact(body []byte) map[string]any {
	h.t.Helper()
	status, b := h.post(body, testKey, fixedNow)
	if status != http.StatusOK {
		h.t.Fatalf("status %d, want 200: %s", status, b)
	}
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		h.t.Fatalf("response is not JSON: %v: %s", err, b)
	}
	return m
}

func mustJSON(v any) []byte {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err)
	}
	return b
}

func pingInteraction() []byte {
	return mustJSON(map[string]any{"id": "1", "application_id": "app1", "type": 1, "token": "tok-ping", "version": 1})
}

// commandInteraction is /brief NAME with options, as Discord sends it: the
// subcommand is the one option of the /brief command.
func commandInteraction(id, name string, options ...map[string]any) []byte {
	if options == nil {
		options = []map[string]any{}
	}
	sub := map[string]any{"name": name, "type": 1, "options": options}
	return mustJSON(map[string]any{
		"id": id, "application_id": "app1", "type": 2, "token": "tok-" + id, "version": 1,
		"channel_id": "c1", "guild_id": "g1",
		"member": map[string]any{"user": map[string]any{"id": "u1", "username": "ann"}, "permissions": "0"},
		"data":   map[string]any{"id": "cmd-brief", "name": CommandGroup, "type": 1, "options": []any{sub}},
	})
}

// legacyInteraction is a top-level /NAME, as an older briefbot registered
// it.
func legacyInteraction(id, name string, options ...map[string]any) []byte {
	if options == nil {
		options = []map[string]any{}
	}
	return mustJSON(map[string]any{
		"id": id, "application_id": "app1", "type": 2, "token": "tok-" + id, "version": 1,
		"channel_id": "c1", "guild_id": "g1",
		"member": map[string]any{"user": map[string]any{"id": "u1", "username": "ann"}},
		"data":   map[string]any{"id": "cmd-" + name, "name": name, "type": 1, "options": options},
	})
}

func askInteraction(id, question string) []byte {
	return commandInteraction(id, CommandAsk, map[string]any{"name": "question", "type": 3, "value": question})
}

// at walks a decoded JSON value: keys for objects, ints for arrays.
func at(t *testing.T, v any, path ...any) any {
	t.Helper()
	for _, p := range path {
		switch k := p.(type) {
		case string:
			m, ok := v.(map[string]any)
			if !ok {
				t.Fatalf("at %v: %T is not an object", path, v)
			}
			v = m[k]
		case int:
			a, ok := v.([]any)
			if !ok || k >= len(a) {
				t.Fatalf("at %v: %v has no element %d", path, v, k)
			}
			v = a[k]
		}
	}
	return v
}

// assertNoPings checks a message payload forbids every mention.
func assertNoPings(t *testing.T, data any) {
	t.Helper()
	parse, ok := at(t, data, "allowed_mentions", "parse").([]any)
	if !ok || len(parse) != 0 {
		t.Fatalf("allowed_mentions.parse = %#v, want []", at(t, data, "allowed_mentions"))
	}
	raw := string(mustJSON(data))
	for _, bad := range []string{"@everyone", "@here", `<@&1234>`} {
		if strings.Contains(raw, bad) {
			t.Fatalf("payload carries a live mention %q: %s", bad, raw)
		}
	}
}

// assertDroneAnswer checks a message payload carries the quote and its citation.
func assertDroneAnswer(t *testing.T, data any) {
	t.Helper()
	assertNoPings(t, data)
	embed := at(t, data, "embeds", 0)
	if d, _ := at(t, embed, "description").(string); !strings.Contains(d, "653 drones and 51 missiles") || !strings.HasPrefix(d, "> ") {
		t.Fatalf("embed description %q lacks the block-quoted quote", d)
	}
	if d, _ := at(t, embed, "description").(string); !strings.Contains(d, "Also reported by Ukraine and US to hold fresh talks") {
		t.Fatalf("embed description %q lacks the corroboration", d)
	}
	if got := at(t, embed, "title"); got != droneMeta.Title {
		t.Fatalf("title = %v, want %q", got, droneMeta.Title)
	}
	if got := at(t, embed, "url"); got != droneMeta.URL {
		t.Fatalf("url = %v, want %q", got, droneMeta.URL)
	}
	if got := at(t, embed, "footer", "text"); got != "Example Wire · 2025-12-06 · 002_8c35132417f41974" {
		t.Fatalf("footer = %v", got)
	}
}

func TestHTTPSignatures(t *testing.T) {
	search := &fakeSearcher{result: droneResult}
	h := newHarness(t, search, nil)
	_, forger, _ := ed25519.GenerateKey(nil)
	ask := askInteraction("50", "How many drones?")
	cases := []struct {
		name   string
		body   []byte
		key    ed25519.PrivateKey
		ts     time.Time
		status int
	}{
		{"valid ping", pingInteraction(), testKey, fixedNow, http.StatusOK},
		{"slightly skewed clock", pingInteraction(), testKey, fixedNow.Add(-4 * time.Minute), http.StatusOK},
		{"forged", ask, forger, fixedNow, http.StatusUnauthorized},
		{"stale 15 minutes", ask, testKey, fixedNow.Add(-15 * time.Minute), http.StatusUnauthorized},
		{"from the future", ask, testKey, fixedNow.Add(15 * time.Minute), http.StatusUnauthorized},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			status, body := h.post(c.body, c.key, c.ts)
			if status != c.status {
				t.Fatalf("status %d, want %d: %s", status, c.status, body)
			}
			if c.status == http.StatusOK && strings.TrimSpace(string(body)) != `{"type":1}` {
				t.Fatalf("PING answered %s, want PONG", body)
			}
		})
	}
	t.Run("tampered body", func(t *testing.T) {
		stamp := strconv.FormatInt(fixedNow.Unix(), 10)
		sig := ed25519.Sign(testKey, append([]byte(stamp), pingInteraction()...))
		req, _ := http.NewRequest(http.MethodPost, h.srv.URL+InteractionsPath, bytes.NewReader(ask))
		req.Header.Set("X-Signature-Ed25519", hex.EncodeToString(sig))
		req.Header.Set("X-Signature-Timestamp", stamp)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusUnauthorized {
			t.Fatalf("status %d, want 401", resp.StatusCode)
		}
	})
	t.Run("no signature", func(t *testing.T) {
		resp, err := http.Post(h.srv.URL+InteractionsPath, "application/json", bytes.NewReader(pingInteraction()))
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusUnauthorized {
			t.Fatalf("status %d, want 401", resp.StatusCode)
		}
	})
	if n := search.calls.Load(); n != 0 {
		t.Fatalf("rejected requests reached the searcher %d times", n)
	}
}

func TestHTTPAskAnsweredDirectly(t *testing.T) {
	h := newHarness(t, &fakeSearcher{result: droneResult}, nil)
	resp := h.interact(askInteraction("100", "How many drones and missiles did Russia fire on Friday night?"))
	if typ := at(t, resp, "type"); typ != float64(discordgo.InteractionResponseChannelMessageWithSource) {
		t.Fatalf("response type %v, want 4", typ)
	}
	data := at(t, resp, "data")
	assertDroneAnswer(t, data)
	if c := at(t, data, "content"); c != "**Q:** How many drones and missiles did Russia fire on Friday night?" {
		t.Fatalf("content = %v", c)
	}
	if f, _ := at(t, data, "flags").(float64); f != 0 {
		t.Fatalf("an answer is public, got flags %v", f)
	}
	buttons := at(t, data, "components", 0, "components").([]any)
	if len(buttons) != 2 {
		t.Fatalf("want 👍 and 👎 buttons, got %v", buttons)
	}
	for _, b := range buttons {
		if id, _ := at(t, b, "custom_id").(string); len(id) == 0 || len(id) > maxCustomID {
			t.Fatalf("custom_id %q", id)
		}
	}
	if n := h.rest.count(http.MethodPatch, "/webhooks/"); n != 0 {
		t.Fatalf("a direct answer was also edited %d times", n)
	}
}

func TestHTTPAskDeferredThenEdited(t *testing.T) {
	search := &fakeSearcher{result: droneResult, gate: make(chan struct{})}
	h := newHarness(t, search, func(o *Options) { o.DeferAfter = 20 * time.Millisecond })
	start := time.Now()
	resp := h.interact(askInteraction("200", "How many drones and missiles did Russia fire on Friday night?"))
	if typ := at(t, resp, "type"); typ != float64(discordgo.InteractionResponseDeferredChannelMessageWithSource) {
		t.Fatalf("response type %v, want 5 (deferred)", typ)
	}
	if d := time.Since(start); d > 2*time.Second {
		t.Fatalf("deferring took %s; Discord allows 3 s", d)
	}
	assertNoPings(t, at(t, resp, "data"))
	close(search.gate)
	edit := h.rest.next(http.MethodPatch, "/webhooks/app1/tok-200/messages/@original")
	body := edit.JSON(t)
	assertDroneAnswer(t, body)
	if edit.Auth != "Bot test-token" {
		t.Fatalf("authorization %q", edit.Auth)
	}
}

func TestHTTPFailureAfterDeferringStillEdits(t *testing.T) {
	search := &fakeSearcher{err: errors.New("index offline"), gate: make(chan struct{})}
	h := newHarness(t, search, func(o *Options) { o.DeferAfter = 20 * time.Millisecond })
	resp := h.interact(askInteraction("300", "How many drones?"))
	if typ := at(t, resp, "type"); typ != float64(discordgo.InteractionResponseDeferredChannelMessageWithSource) {
		t.Fatalf("response type %v, want 5", typ)
	}
	close(search.gate)
	body := h.rest.next(http.MethodPatch, "/webhooks/app1/tok-300/messages/@original").JSON(t)
	assertNoPings(t, body)
	if c, _ := body["content"].(string); !strings.Contains(c, "couldn't search the briefings") {
		t.Fatalf("edit content = %q, want a short apology", c)
	}
	if e, _ := body["embeds"].([]any); len(e) != 0 {
		t.Fatalf("apology carries embeds: %v", e)
	}
}

func TestHTTPNotFound(t *testing.T) {
	res := retrieval.Result{Searched: retrieval.Coverage{Articles: 5, From: day("2025-12-04"), To: day("2025-12-06")}}
	h := newHarness(t, &fakeSearcher{result: res}, nil)
	data := at(t, h.interact(askInteraction("400", "Who won the 1998 World Cup?")), "data")
	assertNoPings(t, data)
	want := "I couldn't find that in the briefings. I searched 5 articles from 2025-12-04 to 2025-12-06."
	if c := at(t, data, "content"); c != want {
		t.Fatalf("content = %q, want %q", c, want)
	}
	if e, _ := at(t, data, "embeds").([]any); len(e) != 0 {
		t.Fatalf("not-found answer has embeds: %v", e)
	}
	if c, _ := at(t, data, "components").([]any); len(c) != 0 {
		t.Fatalf("not-found answer has buttons: %v", c)
	}
}

func TestHTTPEditRateLimitedIsRetried(t *testing.T) {
	search := &fakeSearcher{result: droneResult, gate: make(chan struct{})}
	h := newHarness(t, search, func(o *Options) { o.DeferAfter = 20 * time.Millisecond })
	h.rest.scriptEdits(0.05, http.StatusTooManyRequests)
	h.interact(askInteraction("500", "How many drones?"))
	close(search.gate)
	first := h.rest.next(http.MethodPatch, "/webhooks/app1/tok-500/")
	second := h.rest.next(http.MethodPatch, "/webhooks/app1/tok-500/")
	if !bytes.Equal(first.Body, second.Body) {
		t.Fatalf("the retried edit differs:\n%s\n%s", first.Body, second.Body)
	}
	assertDroneAnswer(t, second.JSON(t))
	h.stop()
	if n := h.obs.rateLimited.Load(); n != 1 {
		t.Fatalf("RateLimited reported %d times, want 1", n)
	}
	if n := h.obs.deliveryFailed.Load(); n != 0 {
		t.Fatalf("DeliveryFailed reported %d times, want 0", n)
	}
}

func TestHTTPEditRateLimitBeyondBoundFails(t *testing.T) {
	search := &fakeSearcher{result: droneResult, gate: make(chan struct{})}
	h := newHarness(t, search, func(o *Options) {
		o.DeferAfter = 20 * time.Millisecond
		o.MaxRateWait = 100 * time.Millisecond
	})
	h.rest.scriptEdits(600, http.StatusTooManyRequests)
	h.interact(askInteraction("510", "How many drones?"))
	start := time.Now()
	close(search.gate)
	h.rest.next(http.MethodPatch, "/webhooks/app1/tok-510/")
	h.stop()
	if d := time.Since(start); d > 5*time.Second {
		t.Fatalf("a 600 s Retry-After held the edit for %s", d)
	}
	if n := h.rest.count(http.MethodPatch, "/webhooks/"); n != 1 {
		t.Fatalf("%d edits, want 1 (the wait is over the bound)", n)
	}
	if n := h.obs.deliveryFailed.Load(); n != 1 {
		t.Fatalf("DeliveryFailed reported %d times, want 1", n)
	}
}

func TestHTTPVoteRecorded(t *testing.T) {
	h := newHarness(t, &fakeSearcher{result: droneResult}, nil)
	question := "How many drones and missiles did Russia fire on Friday night?"
	data := at(t, h.interact(askInteraction("600", question)), "data")
	up := at(t, data, "components", 0, "components", 0, "custom_id").(string)

	click := mustJSON(map[string]any{
		"id": "601", "application_id": "app1", "type": 3, "token": "tok-601", "version": 1,
		"channel_id": "c1", "guild_id": "g1",
		"member":  map[string]any{"user": map[string]any{"id": "u2", "username": "bea"}},
		"message": map[string]any{"id": "m1", "channel_id": "c1", "content": data.(map[string]any)["content"]},
		"data":    map[string]any{"custom_id": up, "component_type": 2},
	})
	resp := h.interact(click)
	if typ := at(t, resp, "type"); typ != float64(discordgo.InteractionResponseChannelMessageWithSource) {
		t.Fatalf("vote ack type %v, want 4", typ)
	}
	if f := at(t, resp, "data", "flags"); f != float64(discordgo.MessageFlagsEphemeral) {
		t.Fatalf("vote ack flags %v, want 64 (ephemeral)", f)
	}
	assertNoPings(t, at(t, resp, "data"))
	votes, err := h.votes.Votes()
	if err != nil {
		t.Fatal(err)
	}
	want := bot.Vote{Platform: bot.PlatformDiscord, Question: question, ArticleIDs: []string{droneMeta.ID},
		User: "u2", Vote: bot.VoteUp, Time: fixedNow}
	if len(votes) != 1 || !sameVote(votes[0], want) {
		t.Fatalf("votes = %+v, want [%+v]", votes, want)
	}
}

func TestHTTPVoteAfterRestartReadsTheStoreNotTheMessage(t *testing.T) {
	// The answer is kept by key next to the votes: after a restart (a new
	// adapter and vote log on the same directory) a vote records the
	// question and articles asked, not what the message displays.
	dir := t.TempDir()
	open := func() *bot.VoteLog {
		v, err := bot.OpenVoteLog(dir)
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	question := "How many drones and missiles did Russia fire on Friday night?"
	first := newHarness(t, &fakeSearcher{result: droneResult}, func(o *Options) { o.Votes = open() })
	data := at(t, first.interact(askInteraction("610", question)), "data")
	down := at(t, data, "components", 0, "components", 1, "custom_id").(string)
	if !strings.HasPrefix(down, votePrefix) {
		t.Fatalf("custom_id %q, want today's format %q...", down, votePrefix)
	}
	first.stop()

	votes := open()
	second := newHarness(t, &fakeSearcher{result: droneResult}, func(o *Options) { o.Votes = votes })
	second.interact(mustJSON(map[string]any{
		"id": "611", "application_id": "app1", "type": 3, "token": "tok-611", "version": 1,
		"user": map[string]any{"id": "u4", "username": "di"},
		"message": map[string]any{"id": "m3", "channel_id": "c1", "content": "**Q:** Something else entirely?",
			"embeds": []any{map[string]any{"title": "A", "footer": map[string]any{"text": "not-an-id"}},
				map[string]any{"title": "B", "footer": map[string]any{"text": "nor-this"}}}},
		"data": map[string]any{"custom_id": down, "component_type": 2},
	}))
	got, err := votes.Votes()
	if err != nil {
		t.Fatal(err)
	}
	want := bot.Vote{Platform: bot.PlatformDiscord, Question: question, ArticleIDs: []string{droneMeta.ID},
		User: "u4", Vote: bot.VoteDown, Time: fixedNow}
	if len(got) != 1 || !sameVote(got[0], want) {
		t.Fatalf("votes = %+v, want [%+v]", got, want)
	}
}

func TestHTTPVoteRecoveredFromMessage(t *testing.T) {
	// A vote on a button of the legacy format ("bb:vote:", posted before
	// answers were kept by key) on an answer nobody remembers reads the
	// question and article ids back from the message, as it always did.
	h := newHarness(t, &fakeSearcher{result: droneResult}, nil)
	click := mustJSON(map[string]any{
		"id": "701", "application_id": "app1", "type": 3, "token": "tok-701", "version": 1,
		"user": map[string]any{"id": "u3", "username": "cy"},
		"message": map[string]any{"id": "m2", "channel_id": "c1",
			"content": "**Q:** Who pinged @\u200beveryone?",
			"embeds": []any{
				map[string]any{"title": "A", "footer": map[string]any{"text": "Wire · 2025-12-06 · 002_8c35132417f41974"}},
				map[string]any{"title": "B", "footer": map[string]any{"text": "003_37c6020937afcbb6"}},
			}},
		"data": map[string]any{"custom_id": "bb:vote:down:old-key:", "component_type": 2},
	})
	h.interact(click)
	votes, err := h.votes.Votes()
	if err != nil {
		t.Fatal(err)
	}
	want := bot.Vote{Platform: bot.PlatformDiscord, Question: "Who pinged @everyone?",
		ArticleIDs: []string{"002_8c35132417f41974", "003_37c6020937afcbb6"}, User: "u3", Vote: bot.VoteDown, Time: fixedNow}
	if len(votes) != 1 || !sameVote(votes[0], want) {
		t.Fatalf("votes = %+v, want [%+v]", votes, want)
	}
}

func sameVote(a, b bot.Vote) bool {
	return a.Platform == b.Platform && a.Question == b.Question && strings.Join(a.ArticleIDs, ",") == strings.Join(b.ArticleIDs, ",") &&
		a.User == b.User && a.Vote == b.Vote && a.Time.Equal(b.Time)
}

func TestHTTPSourcesAndHelp(t *testing.T) {
	search := &fakeSearcher{articles: []retrieval.ArticleMeta{
		droneMeta,
		{ID: "004_77a3aa7004129db4", Title: "Ukraine and US to hold fresh talks", Published: day("2025-12-05")},
	}}
	h := newHarness(t, search, nil)
	data := at(t, h.interact(commandInteraction("800", CommandSources)), "data")
	assertNoPings(t, data)
	if c, _ := at(t, data, "content").(string); c != "I answer from **2** briefings, published 2025-12-05 to 2025-12-06." {
		t.Fatalf("sources content = %q", c)
	}
	if d, _ := at(t, data, "embeds", 0, "description").(string); !strings.Contains(d, droneMeta.Title) {
		t.Fatalf("sources list = %q, want the latest titles", d)
	}
	help := at(t, h.interact(commandInteraction("801", CommandHelp)), "data")
	assertNoPings(t, help)
	if f := at(t, help, "flags"); f != float64(discordgo.MessageFlagsEphemeral) {
		t.Fatalf("help flags = %v, want ephemeral", f)
	}
	if c, _ := at(t, help, "content").(string); !strings.Contains(c, "/brief ask") || !strings.Contains(c, "/brief sources") {
		t.Fatalf("help = %q", c)
	}
}

func TestHTTPModeRegistersCommandsAndNeverOpensGateway(t *testing.T) {
	digest := Command{
		Definition: &discordgo.ApplicationCommand{Name: "digest", Description: "Today's digest"},
		Handle: func(_ context.Context, inv Invocation) (Message, error) {
			return Message{Content: "digest for <#" + inv.ChannelID + "> @everyone"}, nil
		},
	}
	h := newHarness(t, &fakeSearcher{}, func(o *Options) { o.Commands = []Command{digest} })
	put := h.rest.next(http.MethodPut, "/applications/app1/guilds/g1/commands")
	var cmds []discordgo.ApplicationCommand
	if err := json.Unmarshal(put.Body, &cmds); err != nil {
		t.Fatal(err)
	}
	if len(cmds) != 1 || cmds[0].Name != CommandGroup {
		t.Fatalf("registered %+v, want the one /%s command", cmds, CommandGroup)
	}
	var names []string
	for _, c := range cmds[0].Options {
		if c.Type != discordgo.ApplicationCommandOptionSubCommand {
			t.Fatalf("/%s option %s is not a subcommand", CommandGroup, c.Name)
		}
		names = append(names, c.Name)
	}
	if got := strings.Join(names, ","); got != "ask,sources,help,digest,settings" {
		t.Fatalf("registered subcommands %s", got)
	}
	ask := cmds[0].Options[0]
	if len(ask.Options) != 1 || ask.Options[0].Name != "question" || !ask.Options[0].Required {
		t.Fatalf("/brief ask options = %+v", ask.Options)
	}
	data := at(t, h.interact(commandInteraction("900", "digest")), "data")
	assertNoPings(t, data)
	if c := at(t, data, "content"); c != "digest for <#c1> @\u200beveryone" {
		t.Fatalf("digest reply = %q", c)
	}
	h.stop()
	if n := h.rest.count(http.MethodGet, "/gateway"); n != 0 {
		t.Fatalf("HTTP mode looked up the gateway %d times", n)
	}
}

func TestRegisterCommandsGlobal(t *testing.T) {
	rest := newRESTFake(t)
	a, err := New(Options{BotToken: "Bot t", AppID: "app9", APIURL: rest.APIURL() + "/", Bot: bot.New(&fakeSearcher{}, bot.Options{})})
	if err != nil {
		t.Fatal(err)
	}
	if err := a.RegisterCommands(context.Background()); err != nil {
		t.Fatal(err)
	}
	r := rest.next(http.MethodPut, "/applications/app9/commands")
	if r.Auth != "Bot t" {
		t.Fatalf("authorization %q", r.Auth)
	}
}

func TestPostEmbeds(t *testing.T) {
	rest := newRESTFake(t)
	a, err := New(Options{BotToken: "t", AppID: "app1", APIURL: rest.APIURL(), Bot: bot.New(&fakeSearcher{}, bot.Options{})})
	if err != nil {
		t.Fatal(err)
	}
	embeds := []*discordgo.MessageEmbed{QuoteEmbed(retrieval.Quote{Text: "653 drones @here", Article: retrieval.ArticleMeta{ID: "a"}})}
	if err := a.PostEmbeds(context.Background(), "c9", "Digest for @everyone", embeds); err != nil {
		t.Fatal(err)
	}
	body := rest.next(http.MethodPost, "/channels/c9/messages").JSON(t)
	assertNoPings(t, body)
	if c := body["content"]; c != "Digest for @\u200beveryone" {
		t.Fatalf("content = %q", c)
	}
}

func TestNewValidates(t *testing.T) {
	b := bot.New(&fakeSearcher{}, bot.Options{})
	cmd := func(name string) Command {
		return Command{Definition: &discordgo.ApplicationCommand{Name: name}, Handle: func(context.Context, Invocation) (Message, error) { return Message{}, nil }}
	}
	cases := []struct {
		name string
		opts Options
		want error
	}{
		{"no token", Options{AppID: "a", Bot: b}, ErrNoToken},
		{"no app", Options{BotToken: "t", Bot: b}, ErrNoAppID},
		{"no bot", Options{BotToken: "t", AppID: "a"}, ErrNoBot},
		{"bad key", Options{BotToken: "t", AppID: "a", Bot: b, PublicKey: "zz"}, ErrBadKey},
		{"short key", Options{BotToken: "t", AppID: "a", Bot: b, PublicKey: "abcd"}, ErrBadKey},
		{"bad url", Options{BotToken: "t", AppID: "a", Bot: b, APIURL: "discord.com/api"}, ErrBadAPIURL},
		{"duplicate command", Options{BotToken: "t", AppID: "a", Bot: b, Commands: []Command{cmd("ask")}}, ErrDupCommand},
		{"command without handler", Options{BotToken: "t", AppID: "a", Bot: b, Commands: []Command{{Definition: &discordgo.ApplicationCommand{Name: "x"}}}}, ErrBadCommand},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if _, err := New(c.opts); !errors.Is(err, c.want) {
				t.Fatalf("New() error = %v, want %v", err, c.want)
			}
		})
	}
	t.Run("a poster needs only a token", func(t *testing.T) {
		if _, err := NewPoster(Options{BotToken: "t"}); err != nil {
			t.Fatal(err)
		}
		if _, err := NewPoster(Options{}); !errors.Is(err, ErrNoToken) {
			t.Fatalf("NewPoster() error = %v, want %v", err, ErrNoToken)
		}
	})
}

func TestHTTPEditRecoversFromRefusals(t *testing.T) {
	cases := []struct {
		name    string
		status  int
		content string // of the second edit
	}{
		{"deferral not yet known (404) is retried", http.StatusNotFound, "**Q:** How many drones?"},
		{"refused message (400) becomes a plain apology", http.StatusBadRequest, "Sorry, I found an answer but Discord would not display it."},
	}
	for n, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			search := &fakeSearcher{result: droneResult, gate: make(chan struct{})}
			h := newHarness(t, search, func(o *Options) { o.DeferAfter = 20 * time.Millisecond })
			h.rest.scriptEdits(0, c.status)
			id := strconv.Itoa(3000 + n)
			h.interact(askInteraction(id, "How many drones?"))
			close(search.gate)
			h.rest.next(http.MethodPatch, "/webhooks/app1/tok-"+id+"/")
			second := h.rest.next(http.MethodPatch, "/webhooks/app1/tok-"+id+"/").JSON(t)
			assertNoPings(t, second)
			if second["content"] != c.content {
				t.Fatalf("second edit content = %q, want %q", second["content"], c.content)
			}
			h.stop()
			if n := h.obs.deliveryFailed.Load(); n != 0 {
				t.Fatalf("DeliveryFailed reported %d times, want 0", n)
			}
		})
	}
}
