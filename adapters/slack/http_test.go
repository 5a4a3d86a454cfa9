package slack

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/briefbot/briefbot/bot"
	"github.com/briefbot/briefbot/retrieval"
)

const dronesQuestion = "<@UBOT> How many drones and missiles did Russia fire on Friday night?"

func TestHTTPVerification(t *testing.T) {
	h := newHarness(t, harnessOptions{})
	challenge := []byte(`{"token":"x","challenge":"3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P","type":"url_verification"}`)
	cases := []struct {
		name   string
		sign   func(req *http.Request, body []byte)
		status int
	}{
		{"valid", func(*http.Request, []byte) {}, http.StatusOK},
		{"forged", func(req *http.Request, body []byte) {
			req.Header.Set("X-Slack-Signature", Sign("not-the-secret", req.Header.Get("X-Slack-Request-Timestamp"), body))
		}, http.StatusUnauthorized},
		{"stale", func(req *http.Request, body []byte) {
			stamp := itoa(h.now.Add(-10 * time.Minute).Unix())
			req.Header.Set("X-Slack-Request-Timestamp", stamp)
			req.Header.Set("X-Slack-Signature", Sign(secret, stamp, body))
		}, http.StatusUnauthorized},
		{"future", func(req *http.Request, body []byte) {
			stamp := itoa(h.now.Add(10 * time.Minute).Unix())
			req.Header.Set("X-Slack-Request-Timestamp", stamp)
			req.Header.Set("X-Slack-Signature", Sign(secret, stamp, body))
		}, http.StatusUnauthorized},
		{"unsigned", func(req *http.Request, _ []byte) { req.Header.Del("X-Slack-Signature") }, http.StatusUnauthorized},
		{"tampered body", func(req *http.Request, body []byte) {
			req.Body = io.NopCloser(strings.NewReader(strings.Replace(string(body), "3eZ", "4eZ", 1)))
		}, http.StatusUnauthorized},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			for _, path := range []string{EventsPath, CommandsPath, InteractionsPath} {
				req, _ := http.NewRequest(http.MethodPost, h.srv.URL+path, strings.NewReader(string(challenge)))
				stamp := itoa(h.now.Unix())
				req.Header.Set("X-Slack-Request-Timestamp", stamp)
				req.Header.Set("X-Slack-Signature", Sign(secret, stamp, challenge))
				c.sign(req, challenge)
				resp, err := http.DefaultClient.Do(req)
				if err != nil {
					t.Fatal(err)
				}
				body, _ := io.ReadAll(resp.Body)
				resp.Body.Close()
				if path != EventsPath && c.status == http.StatusOK {
					continue // a challenge is not a command or an interaction
				}
				if resp.StatusCode != c.status {
					t.Fatalf("%s: status %d, want %d", path, resp.StatusCode, c.status)
				}
				if c.status == http.StatusOK {
					if string(body) != "3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P" {
						t.Fatalf("url_verification answered %q, want the challenge echoed", body)
					}
				}
			}
		})
	}
	if err := h.stop(); err != nil {
		t.Fatal(err)
	}
	if n := len(h.slack.Posts("")); n != 0 {
		t.Fatalf("rejected requests caused %d posts", n)
	}
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

func TestHTTPMentionAnsweredOnceInThread(t *testing.T) {
	h := newHarness(t, harnessOptions{})
	start := time.Now()
	h.event("Ev1", mention(dronesQuestion, "C1", "1765000000.000100", ""), nil)
	if d := time.Since(start); d > 2500*time.Millisecond {
		t.Errorf("the event was acknowledged after %v, want well under 3 s", d)
	}
	posts := h.slack.WaitPosts("chat.postMessage", 1)

	// Slack's retry of the same event, and the message twin of the mention.
	h.event("Ev1", mention(dronesQuestion, "C1", "1765000000.000100", ""), http.Header{"X-Slack-Retry-Num": {"1"}, "X-Slack-Retry-Reason": {"http_timeout"}})
	h.event("Ev2", message(dronesQuestion, "C1", "channel", "1765000000.000100"), nil)
	// Ignored: the bot's own message, another bot, an edit, a join.
	own := message("<@UBOT> what about drones?", "D1", "im", "1765000000.000200")
	own["user"] = botUserID
	h.event("Ev3", own, nil)
	other := message("drones drones", "D1", "im", "1765000000.000300")
	other["bot_id"] = "BOTHER"
	h.event("Ev4", other, nil)
	edit := message("drones?", "D1", "im", "1765000000.000400")
	edit["subtype"] = "message_changed"
	h.event("Ev5", edit, nil)
	join := message("<@U1> has joined the channel", "C1", "channel", "1765000000.000500")
	join["subtype"] = "channel_join"
	h.event("Ev6", join, nil)
	edited := mention(dronesQuestion, "C1", "1765000000.000600", "")
	edited["edited"] = map[string]any{"user": "U1", "ts": "1765000001.000000"}
	h.event("Ev7", edited, nil)

	if err := h.stop(); err != nil { // drains every answer in flight
		t.Fatal(err)
	}
	if got := h.slack.Posts("chat.postMessage"); len(got) != 1 {
		t.Fatalf("%d posts, want exactly 1: %+v", len(got), got)
	}
	p := posts[0]
	if p.Channel != "C1" || p.ThreadTS != "1765000000.000100" {
		t.Errorf("posted to %s thread %q, want C1 thread 1765000000.000100", p.Channel, p.ThreadTS)
	}
	for _, want := range []string{"653 drones and 51 missiles", "002_8c35132417f41974"} {
		if !strings.Contains(p.Text, want) || !strings.Contains(p.Blocks, want) {
			t.Errorf("post lacks %q:\ntext %s\nblocks %s", want, p.Text, p.Blocks)
		}
	}
	if dedup, _, _ := h.obs.counts(); dedup != 2 {
		t.Errorf("Deduplicated counted %d, want 2 (the retry and the twin)", dedup)
	}
	if strings.Contains(h.logs.String(), "How many drones") {
		t.Errorf("the question was logged:\n%s", h.logs.String())
	}
	if n := h.slack.Calls("auth.test"); n != 1 {
		t.Errorf("auth.test called %d times, want 1", n)
	}
	// 👀 on the question while it was answered, then taken off: added
	// before the answer was posted and removed after.
	var order []string
	for _, p := range h.slack.Posts("") {
		order = append(order, p.Method)
		if p.Method == "reactions.add" || p.Method == "reactions.remove" {
			if p.Channel != "C1" || p.ThreadTS != "1765000000.000100" || p.Text != WorkingReaction {
				t.Errorf("%s on %s %s name %q, want %s on the question C1 1765000000.000100", p.Method, p.Channel, p.ThreadTS, p.Text, WorkingReaction)
			}
		}
	}
	if got := strings.Join(order, ","); got != "reactions.add,chat.postMessage,reactions.remove" {
		t.Errorf("calls %s, want the reaction added, the answer posted, the reaction removed", got)
	}
}

// Without the reactions:write scope questions are answered all the same,
// and the missing scope is said once in the log, not once per question.
func TestHTTPMentionAnsweredWithoutReactionScope(t *testing.T) {
	h := newHarness(t, harnessOptions{})
	h.slack.mu.Lock()
	h.slack.reactError = "missing_scope"
	h.slack.mu.Unlock()
	h.event("Ev1", mention(dronesQuestion, "C1", "1765000000.000100", ""), nil)
	h.event("Ev2", mention(dronesQuestion, "C1", "1765000000.000200", ""), nil)
	h.slack.WaitPosts("chat.postMessage", 2)
	if err := h.stop(); err != nil {
		t.Fatal(err)
	}
	if n := h.slack.Calls("reactions.remove"); n != 0 {
		t.Errorf("reactions.remove called %d times after reactions.add failed", n)
	}
	if n := strings.Count(h.logs.String(), "reactions:write"); n != 1 {
		t.Errorf("the missing scope was logged %d times, want once:\n%s", n, h.logs.String())
	}
}

func TestHTTPMentionInThreadAndDM(t *testing.T) {
	h := newHarness(t, harnessOptions{})
	h.event("Ev1", mention("<@UBOT|briefbot> drones?", "C1", "1765000000.000200", "1765000000.000100"), nil)
	h.event("Ev2", message("how many drones?", "D1", "im", "1765000000.000300"), nil)
	h.event("Ev3", message("<@UBOT> what about the talks in Miami?", "D1", "im", "1765000000.000400"), nil)
	posts := h.slack.WaitPosts("chat.postMessage", 3)
	byChannel := map[string][]posted{}
	for _, p := range posts {
		byChannel[p.Channel] = append(byChannel[p.Channel], p)
	}
	if got := byChannel["C1"]; len(got) != 1 || got[0].ThreadTS != "1765000000.000100" {
		t.Errorf("mention in a thread: posts %+v, want one in thread 1765000000.000100", got)
	}
	dm := byChannel["D1"]
	if len(dm) != 2 {
		t.Fatalf("DMs: %d posts, want 2", len(dm))
	}
	var found, notFound bool
	for _, p := range dm {
		if p.ThreadTS != "" {
			t.Errorf("a DM was answered in a thread (%q), want the DM itself", p.ThreadTS)
		}
		found = found || strings.Contains(p.Text, "653 drones")
		notFound = notFound || strings.Contains(p.Text, "I couldn't find that in the briefings. I searched 2 articles from 2025-12-05 to 2025-12-06.")
	}
	if !found || !notFound {
		t.Errorf("DM answers %+v: want one answer and one not-found saying what was searched", dm)
	}
}

func TestHTTPRateLimitedThenDelivered(t *testing.T) {
	h := newHarness(t, harnessOptions{})
	h.slack.mu.Lock()
	h.slack.rateLimit = 1
	h.slack.mu.Unlock()
	start := time.Now()
	h.event("Ev1", mention(dronesQuestion, "C1", "1765000000.000100", ""), nil)
	posts := h.slack.WaitPosts("chat.postMessage", 1)
	if d := time.Since(start); d < time.Second {
		t.Errorf("delivered after %v, want after waiting out Retry-After: 1", d)
	}
	if !strings.Contains(posts[0].Text, "653 drones") {
		t.Errorf("post %q lacks the quote", posts[0].Text)
	}
	if n := h.slack.Calls("chat.postMessage"); n != 2 {
		t.Errorf("chat.postMessage called %d times, want 2", n)
	}
	if _, limited, failed := h.obs.counts(); limited != 1 || failed != 0 {
		t.Errorf("RateLimited %d, DeliveryFailed %d; want 1 and 0", limited, failed)
	}
}

func TestHTTPServerErrors(t *testing.T) {
	t.Run("retried", func(t *testing.T) {
		h := newHarness(t, harnessOptions{})
		h.slack.mu.Lock()
		h.slack.serverError = 2
		h.slack.mu.Unlock()
		h.event("Ev1", mention(dronesQuestion, "C1", "1765000000.000100", ""), nil)
		h.slack.WaitPosts("chat.postMessage", 1)
		if n := h.slack.Calls("chat.postMessage"); n != 3 {
			t.Errorf("chat.postMessage called %d times, want 3", n)
		}
	})
	t.Run("final failure counted", func(t *testing.T) {
		h := newHarness(t, harnessOptions{})
		h.slack.mu.Lock()
		h.slack.serverError = 100
		h.slack.mu.Unlock()
		h.event("Ev1", mention(dronesQuestion, "C1", "1765000000.000100", ""), nil)
		if err := h.stop(); err != nil {
			t.Fatal(err)
		}
		if n := h.slack.Calls("chat.postMessage"); n != DefaultMaxAttempts {
			t.Errorf("chat.postMessage called %d times, want %d", n, DefaultMaxAttempts)
		}
		if _, _, failed := h.obs.counts(); failed != 1 {
			t.Errorf("DeliveryFailed counted %d, want 1", failed)
		}
		if !strings.Contains(h.logs.String(), "slack delivery failed") {
			t.Errorf("the failure was not logged:\n%s", h.logs.String())
		}
	})
}

func TestHTTPRestartDoesNotAnswerTwice(t *testing.T) {
	dir := t.TempDir()
	h := newHarness(t, harnessOptions{dataDir: dir})
	h.event("Ev1", mention(dronesQuestion, "C1", "1765000000.000100", ""), nil)
	h.slack.WaitPosts("chat.postMessage", 1)
	if err := h.stop(); err != nil {
		t.Fatal(err)
	}
	h.a.dedupe.(*bot.Deduper).Close()

	// A new process on the same data directory gets Slack's retry.
	h2 := newHarness(t, harnessOptions{dataDir: dir})
	h2.event("Ev1", mention(dronesQuestion, "C1", "1765000000.000100", ""), http.Header{"X-Slack-Retry-Num": {"2"}})
	if err := h2.stop(); err != nil {
		t.Fatal(err)
	}
	if n := len(h2.slack.Posts("chat.postMessage")); n != 0 {
		t.Fatalf("the restarted adapter answered the retry (%d posts)", n)
	}
}

func TestHTTPSlashCommand(t *testing.T) {
	cmd := func(text, hook string) url.Values {
		return url.Values{"command": {"/brief"}, "text": {text}, "channel_id": {"C1"}, "user_id": {"U1"},
			"team_id": {"T1"}, "response_url": {hook}, "trigger_id": {"1.2.3"}}
	}
	decode := func(t *testing.T, resp *http.Response) commandResponse {
		t.Helper()
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("status %d, want 200", resp.StatusCode)
		}
		var r struct {
			ResponseType string            `json:"response_type"`
			Text         string            `json:"text"`
			Blocks       []json.RawMessage `json:"blocks"`
		}
		if err := json.NewDecoder(resp.Body).Decode(&r); err != nil {
			t.Fatal(err)
		}
		return commandResponse{ResponseType: r.ResponseType, Text: r.Text}
	}

	t.Run("answered in the response", func(t *testing.T) {
		h := newHarness(t, harnessOptions{})
		start := time.Now()
		r := decode(t, h.form(CommandsPath, cmd("How many drones and missiles did Russia fire on Friday night?", h.slack.HookURL("1"))))
		if d := time.Since(start); d > 3*time.Second {
			t.Errorf("answered after %v, want within 3 s", d)
		}
		if r.ResponseType != inChannel || !strings.Contains(r.Text, "653 drones and 51 missiles") {
			t.Errorf("response %+v, want the quote in_channel", r)
		}
	})
	t.Run("help and sources", func(t *testing.T) {
		h := newHarness(t, harnessOptions{})
		if r := decode(t, h.form(CommandsPath, cmd("help", h.slack.HookURL("1")))); r.ResponseType != ephemeral || !strings.Contains(r.Text, "/brief sources") {
			t.Errorf("help: %+v", r)
		}
		if r := decode(t, h.form(CommandsPath, cmd("", h.slack.HookURL("1")))); !strings.Contains(r.Text, "/brief sources") {
			t.Errorf("empty: %+v", r)
		}
		r := decode(t, h.form(CommandsPath, cmd("sources", h.slack.HookURL("1"))))
		if !strings.Contains(r.Text, "*2 articles*") || !strings.Contains(r.Text, "Zelensky says talks") {
			t.Errorf("sources: %+v", r)
		}
	})
	t.Run("slow answer goes to response_url", func(t *testing.T) {
		block := make(chan struct{})
		h := newHarness(t, harnessOptions{searcher: fakeSearcher{block: block},
			tweak: func(o *Options) { o.CommandWait = 50 * time.Millisecond }})
		start := time.Now()
		r := decode(t, h.form(CommandsPath, cmd("drones?", h.slack.HookURL("42"))))
		if d := time.Since(start); d > 3*time.Second {
			t.Errorf("acknowledged after %v, want within 3 s", d)
		}
		if r.ResponseType != ephemeral || !strings.Contains(r.Text, "Looking") {
			t.Errorf("acknowledgement %+v", r)
		}
		close(block)
		hooks := h.slack.WaitPosts("response_url", 1)
		if hooks[0].Channel != "42" || hooks[0].Response != inChannel || !strings.Contains(hooks[0].Text, "653 drones") {
			t.Errorf("response_url post %+v", hooks[0])
		}
	})
}

func TestHTTPVoteRecorded(t *testing.T) {
	h := newHarness(t, harnessOptions{})
	h.event("Ev1", mention(dronesQuestion, "C1", "1765000000.000100", ""), nil)
	p := h.slack.WaitPosts("chat.postMessage", 1)[0]
	var blocks []struct {
		Type     string `json:"type"`
		Elements []struct {
			ActionID string `json:"action_id"`
			Value    string `json:"value"`
		} `json:"elements"`
	}
	if err := json.Unmarshal([]byte(p.Blocks), &blocks); err != nil {
		t.Fatal(err)
	}
	var value string
	for _, b := range blocks {
		for _, e := range b.Elements {
			if e.ActionID == actionVoteDown {
				value = e.Value
			}
		}
	}
	if value == "" {
		t.Fatalf("no 👎 button in %s", p.Blocks)
	}
	payload := mustJSON(t, map[string]any{
		"type": "block_actions", "user": map[string]any{"id": "U7"}, "channel": map[string]any{"id": "C1"},
		"container":    map[string]any{"type": "message", "message_ts": "1765000000.000001", "channel_id": "C1", "thread_ts": "1765000000.000100"},
		"response_url": h.slack.HookURL("vote"),
		"actions":      []map[string]any{{"type": "button", "action_id": actionVoteDown, "block_id": voteBlockID, "value": value}},
	})
	resp := h.form(InteractionsPath, url.Values{"payload": {string(payload)}})
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("status %d", resp.StatusCode)
	}
	eph := h.slack.WaitPosts("chat.postEphemeral", 1)[0]
	if eph.User != "U7" || eph.Channel != "C1" || eph.ThreadTS != "1765000000.000100" || !strings.Contains(eph.Text, "👎") {
		t.Errorf("ephemeral ack %+v", eph)
	}
	votes, err := h.votes.Votes()
	if err != nil {
		t.Fatal(err)
	}
	want := bot.Vote{Platform: bot.PlatformSlack, Question: "How many drones and missiles did Russia fire on Friday night?",
		ArticleIDs: []string{"002_8c35132417f41974"}, User: "U7", Vote: bot.VoteDown, Time: testNow}
	if len(votes) != 1 || votes[0].Question != want.Question || strings.Join(votes[0].ArticleIDs, ",") != "002_8c35132417f41974" ||
		votes[0].User != "U7" || votes[0].Vote != bot.VoteDown || !votes[0].Time.Equal(testNow) || votes[0].Platform != bot.PlatformSlack {
		t.Errorf("votes %+v, want [%+v]", votes, want)
	}

	// A replay of the signed request (twice) changes nothing.
	for range 2 {
		if resp := h.form(InteractionsPath, url.Values{"payload": {string(payload)}}); resp.StatusCode != http.StatusOK {
			t.Fatalf("replay: status %d", resp.StatusCode)
		}
	}
	// The 👎 acknowledgement asks why, with one button per reason.
	var reasonValue string
	for _, b := range decodeBlocks(t, eph.Blocks) {
		for _, e := range b.Elements {
			if e.ActionID == actionReason && strings.HasPrefix(e.Value, bot.ReasonOutOfDate+"|") {
				reasonValue = e.Value
			}
		}
	}
	if reasonValue == "" {
		t.Fatalf("the 👎 acknowledgement offers no reasons: %s", eph.Blocks)
	}
	reason := mustJSON(t, map[string]any{
		"type": "block_actions", "user": map[string]any{"id": "U7"}, "channel": map[string]any{"id": "C1"},
		"container":    map[string]any{"type": "message", "message_ts": "1765000000.000009", "channel_id": "C1", "thread_ts": "1765000000.000100", "is_ephemeral": true},
		"response_url": h.slack.HookURL("reason"),
		"actions":      []map[string]any{{"type": "button", "action_id": actionReason, "block_id": "briefbot_reasons", "value": reasonValue}},
	})
	h.form(InteractionsPath, url.Values{"payload": {string(reason)}})
	if got := h.slack.WaitPosts("chat.postEphemeral", 2)[1]; !strings.Contains(got.Text, "Out of date") {
		t.Errorf("reason acknowledgement %q", got.Text)
	}
	if err := h.stop(); err != nil { // drains the vote recordings
		t.Fatal(err)
	}
	votes, err = h.votes.Votes()
	if err != nil || len(votes) != 2 {
		t.Fatalf("after two replays and a reason: %d votes (err %v), want 2", len(votes), err)
	}
	if r := votes[1]; r.Reason != bot.ReasonOutOfDate || r.Question != want.Question || r.Vote != bot.VoteDown || r.User != "U7" {
		t.Errorf("reason recorded as %+v", r)
	}
	if n := len(h.slack.Posts("chat.postEphemeral")); n != 2 {
		t.Errorf("%d acknowledgements, want 2", n)
	}
}

type testBlock struct {
	Type     string `json:"type"`
	Elements []struct {
		ActionID string `json:"action_id"`
		Value    string `json:"value"`
	} `json:"elements"`
}

func decodeBlocks(t *testing.T, s string) []testBlock {
	t.Helper()
	var blocks []testBlock
	if err := json.Unmarshal([]byte(s), &blocks); err != nil {
		t.Fatalf("blocks %q: %v", s, err)
	}
	return blocks
}

func TestNewValidates(t *testing.T) {
	b := bot.New(fakeSearcher{}, bot.Options{})
	cases := []struct {
		name string
		opts Options
		want error
	}{
		{"no token", Options{Bot: b, SigningSecret: "s"}, ErrNoToken},
		{"no bot", Options{BotToken: "xoxb-1", SigningSecret: "s"}, ErrNoBot},
		{"no transport", Options{BotToken: "xoxb-1", Bot: b}, ErrNoTransport},
		{"bad url", Options{BotToken: "xoxb-1", Bot: b, SigningSecret: "s", APIURL: "slack.com/api"}, ErrBadAPIURL},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if _, err := New(c.opts); err != c.want {
				t.Fatalf("New: %v, want %v", err, c.want)
			}
		})
	}
	a, err := New(Options{BotToken: "xoxb-1", Bot: b, AppToken: "xapp-1"})
	if err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	a.Routes(mux)
	if _, pattern := mux.Handler(httptestRequest(EventsPath)); pattern != "" {
		t.Errorf("Socket Mode only: %s is mounted, want no HTTP routes without a signing secret", EventsPath)
	}
}

func httptestRequest(path string) *http.Request {
	r, _ := http.NewRequest(http.MethodPost, "http://example.invalid"+path, nil)
	return r
}

func TestRunRefusedToken(t *testing.T) {
	h := newHarness(t, harnessOptions{tweak: func(o *Options) { o.BotToken = "xoxb-revoked" }})
	var err error
	select { // Run returns on its own with the auth error
	case err = <-h.done:
	case <-time.After(waitLimit):
		t.Fatal("Run did not return on a refused token")
	}
	h.stop = func() error { return nil }
	if err == nil || !strings.Contains(err.Error(), "invalid_auth") {
		t.Fatalf("Run: %v, want an invalid_auth error", err)
	}
}

func TestPostBlocks(t *testing.T) {
	h := newHarness(t, harnessOptions{})
	m := RenderText("*Today's briefing*")
	ts, err := h.a.PostBlocks(t.Context(), "C9", m.Text, m.Blocks)
	if err != nil || ts == "" {
		t.Fatalf("PostBlocks: ts %q, err %v", ts, err)
	}
	p := h.slack.Posts("chat.postMessage")
	if len(p) != 1 || p[0].Channel != "C9" || p[0].ThreadTS != "" || !strings.Contains(p[0].Blocks, "Today's briefing") {
		t.Fatalf("posts %+v", p)
	}

	h.slack.mu.Lock()
	h.slack.serverError = 100
	h.slack.mu.Unlock()
	if _, err := h.a.PostBlocks(t.Context(), "C9", m.Text, m.Blocks); err == nil {
		t.Fatal("PostBlocks succeeded against a failing Slack")
	}
	if _, _, failed := h.obs.counts(); failed != 1 {
		t.Errorf("DeliveryFailed counted %d, want 1", failed)
	}
}

// failingSearcher fails every search, as a broken store would.
type failingSearcher struct{ fakeSearcher }

func (failingSearcher) Search(context.Context, retrieval.Query) (retrieval.Result, error) {
	return retrieval.Result{}, errors.New("store unreadable")
}

// A search that fails after the question was acknowledged is told to the
// asker in the thread in one true sentence, and the reaction comes off.
func TestHTTPMentionSearchFailureIsToldInThread(t *testing.T) {
	h := newHarness(t, harnessOptions{searcher: failingSearcher{}})
	h.event("Ev1", mention(dronesQuestion, "C1", "1765000000.000100", ""), nil)
	posts := h.slack.WaitPosts("chat.postMessage", 1)
	if err := h.stop(); err != nil {
		t.Fatal(err)
	}
	if p := posts[0]; p.ThreadTS != "1765000000.000100" || p.Text != searchFailedText {
		t.Fatalf("posted %q in thread %q, want %q in the question's thread", p.Text, p.ThreadTS, searchFailedText)
	}
	if n := h.slack.Calls("reactions.remove"); n != 1 {
		t.Fatalf("reactions.remove called %d times, want 1", n)
	}
	h.obs.mu.Lock()
	errs := h.obs.errors
	h.obs.mu.Unlock()
	if errs != 1 {
		t.Fatalf("%d failed questions counted (briefbot_questions_total{outcome=\"error\"}), want 1", errs)
	}
	if n := len(h.slack.Posts("chat.postMessage")); n != 1 {
		t.Fatalf("%d posts, want 1", n)
	}
}
