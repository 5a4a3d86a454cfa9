package slack

import (
	"bytes"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"testing"
	"time"

	"github.com/briefbot/briefbot/adapters/internal/work"
	"github.com/briefbot/briefbot/bot"
)

// fuzzAdapter is an adapter whose Web API is a 127.0.0.1 server that
// answers ok to everything, for the fuzz targets: the property is about
// the HTTP handlers, not about what they post.
func fuzzAdapter(f *testing.F) *Adapter {
	f.Helper()
	api := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		w.Header().Set("Content-Type", "application/json")
		_, _ = io.WriteString(w, `{"ok":true,"user_id":"UBOT","bot_id":"BBOT","team_id":"T1","channel":"C1","ts":"1765000000.000001"}`)
	}))
	f.Cleanup(api.Close)
	dd, err := bot.OpenDeduper("", DefaultDedupeTTL, nil)
	if err != nil {
		f.Fatal(err)
	}
	votes, err := bot.OpenVoteLog(f.TempDir())
	if err != nil {
		f.Fatal(err)
	}
	a, err := New(Options{
		BotToken: botToken, SigningSecret: secret, APIURL: api.URL + "/api/",
		Bot: bot.New(fakeSearcher{}, bot.Options{}), Dedupe: dd, Votes: votes,
		Now: func() time.Time { return testNow }, CommandWait: 20 * time.Millisecond,
	})
	if err != nil {
		f.Fatal(err)
	}
	a.retry.Backoff = time.Millisecond
	f.Cleanup(func() { a.pool.Drain(time.Second, work.DefaultCancelWait) })
	return a
}

// serveSigned runs h (without the panic recovery Routes adds, so that a
// panic fails the target) on body signed as Slack would, and checks that
// malformed input never gets a 5xx.
func serveSigned(t *testing.T, h http.HandlerFunc, path, contentType string, body []byte) {
	stamp := fmt.Sprint(testNow.Unix())
	req := httptest.NewRequest(http.MethodPost, path, bytes.NewReader(body))
	req.Header.Set("Content-Type", contentType)
	req.Header.Set("X-Slack-Request-Timestamp", stamp)
	req.Header.Set("X-Slack-Signature", Sign(secret, stamp, body))
	rec := httptest.NewRecorder()
	h(rec, req)
	if rec.Code >= 500 {
		t.Fatalf("%s answered %d to %q", path, rec.Code, body)
	}
}

// FuzzEvents feeds signed Events API payloads to POST /slack/events.
func FuzzEvents(f *testing.F) {
	f.Add([]byte(`{"type":"url_verification","challenge":"abc"}`))
	f.Add([]byte(`{"type":"event_callback","event_id":"Ev1","event":{"type":"app_mention","user":"U1","text":"<@UBOT> drones?","ts":"1765000000.000100","channel":"C1"}}`))
	a := fuzzAdapter(f)
	f.Fuzz(func(t *testing.T, body []byte) {
		serveSigned(t, a.handleEvents, EventsPath, "application/json", body)
	})
}

// FuzzCommands feeds signed form-encoded slash commands to POST
// /slack/commands.
func FuzzCommands(f *testing.F) {
	f.Add([]byte("command=%2Fbrief&text=help&channel_id=C1&user_id=U1&response_url=http%3A%2F%2F127.0.0.1%3A1%2Fhook"))
	a := fuzzAdapter(f)
	f.Fuzz(func(t *testing.T, body []byte) {
		serveSigned(t, a.handleCommands, CommandsPath, "application/x-www-form-urlencoded", body)
	})
}

// FuzzInteractions feeds signed interaction payloads (the JSON in the
// form's payload field) to POST /slack/interactions.
func FuzzInteractions(f *testing.F) {
	f.Add([]byte(`{"type":"block_actions","user":{"id":"U7"},"channel":{"id":"C1"},"container":{"type":"message","message_ts":"1765000000.000001","channel_id":"C1"},"actions":[{"type":"button","action_id":"briefbot_vote_up","value":"x"}]}`))
	a := fuzzAdapter(f)
	f.Fuzz(func(t *testing.T, payload []byte) {
		body := []byte("payload=" + url.QueryEscape(string(payload)))
		serveSigned(t, a.handleInteractions, InteractionsPath, "application/x-www-form-urlencoded", body)
	})
}
