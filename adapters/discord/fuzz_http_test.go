package discord

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"encoding/hex"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"testing"
	"time"

	"github.com/briefbot/briefbot/bot"
	"github.com/briefbot/briefbot/bot/digest"
)

// FuzzInteractions feeds validly signed interaction JSON to POST
// /discord/interactions: whatever the body, the handler must not panic
// (a recovered panic is a 500) and must answer 2xx or 4xx.
func FuzzInteractions(f *testing.F) {
	f.Add(modalSubmit("3", followUpPrefix+"1", "When?"))
	f.Add(componentInteraction("4", followUpPrefix+"1"))
	f.Add(pingInteraction())
	f.Add(askInteraction("1", "How many drones?"))
	f.Add(commandInteraction("2", CommandAsk, map[string]any{"name": "question", "type": 3, "value": 42}))
	f.Add(commandInteraction("3", CommandSources))
	f.Add(mustJSON(map[string]any{"id": "4", "application_id": "app1", "type": 3, "token": "t", "version": 1,
		"user":    map[string]any{"id": "u1"},
		"message": map[string]any{"id": "m1", "channel_id": "c1", "content": "**Q:** x"},
		"data":    map[string]any{"custom_id": "bb:vote:up:k:a,b", "component_type": 2}}))
	f.Add(mustJSON(map[string]any{"id": "5", "application_id": "app1", "type": 3, "token": "t", "version": 1,
		"user":    map[string]any{"id": "u1"},
		"message": map[string]any{"id": "m2", "channel_id": "c1"},
		"data":    map[string]any{"custom_id": "bb:v:down:k:a", "component_type": 2}}))

	rest := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		w.Header().Set("Content-Type", "application/json")
		_, _ = io.WriteString(w, `{"id":"m1","channel_id":"c1"}`)
	}))
	f.Cleanup(rest.Close)
	votes, err := bot.OpenVoteLog(f.TempDir())
	if err != nil {
		f.Fatal(err)
	}
	a, err := New(Options{
		BotToken: "test-token", AppID: "app1", PublicKey: hex.EncodeToString(testKey.Public().(ed25519.PublicKey)),
		APIURL: rest.URL + "/api/v9", Bot: bot.New(&fakeSearcher{result: droneResult}, bot.Options{}), Votes: votes,
		Now: func() time.Time { return fixedNow }, DeferAfter: 50 * time.Millisecond,
		Commands: DigestCommands(fuzzDigests{}),
	})
	if err != nil {
		f.Fatal(err)
	}
	f.Cleanup(func() { a.drain(time.Second) })
	stamp := strconv.FormatInt(fixedNow.Unix(), 10)
	f.Fuzz(func(t *testing.T, body []byte) {
		// A fresh deduper each time: a mutated body that keeps its seed's
		// interaction id must not stop at "already handled".
		dd, err := bot.OpenDeduper("", DefaultDedupeTTL, nil)
		if err != nil {
			t.Fatal(err)
		}
		a.dedupe = dd
		req := httptest.NewRequest(http.MethodPost, InteractionsPath, bytes.NewReader(body))
		req.Header.Set("X-Signature-Ed25519", hex.EncodeToString(ed25519.Sign(testKey, append([]byte(stamp), body...))))
		req.Header.Set("X-Signature-Timestamp", stamp)
		rec := httptest.NewRecorder()
		a.serveInteractions(rec, req)
		if rec.Code >= 500 {
			t.Fatalf("answered %d to %q", rec.Code, body)
		}
	})
}

// fuzzDigests is a stateless Digests, safe for the fuzzer's concurrency.
type fuzzDigests struct{}

func (fuzzDigests) Preview(context.Context, digest.Target) (digest.Digest, error) {
	return sampleDigest(), nil
}

func (fuzzDigests) Subscribe(_ context.Context, s digest.Subscription) (digest.Subscription, error) {
	return s.Normalize()
}

func (fuzzDigests) Unsubscribe(context.Context, digest.Target) (bool, error) { return false, nil }
