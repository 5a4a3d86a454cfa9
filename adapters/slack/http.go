package slack

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"runtime/debug"
	"strconv"
	"strings"
	"time"

	"github.com/slack-go/slack"

	"github.com/briefbot/briefbot/adapters/internal/httpx"
)

// maxBody bounds a request body; Slack's payloads are a few KB. A larger
// one gets 413.
const maxBody = 1 << 20

// defaultBodyTimeout bounds reading a request body; a client that stalls
// gets 408.
const defaultBodyTimeout = 10 * time.Second

// Errors of request verification (answered with 401; only logged).
var (
	errNoSignature  = errors.New("slack: missing signature or timestamp header")
	errBadTimestamp = errors.New("slack: malformed request timestamp")
	errStale        = errors.New("slack: request timestamp outside the 5-minute window")
	errBadSignature = errors.New("slack: signature mismatch")
)

// verify checks Slack's v0 request signature: an HMAC-SHA256, keyed by the
// signing secret, of "v0:<timestamp>:<raw body>", with a timestamp at most
// MaxClockSkew from now.
func verify(secret []byte, h http.Header, body []byte, now time.Time) error {
	ts, sig := h.Get("X-Slack-Request-Timestamp"), h.Get("X-Slack-Signature")
	if ts == "" || sig == "" {
		return errNoSignature
	}
	sec, err := strconv.ParseInt(ts, 10, 64)
	if err != nil {
		return errBadTimestamp
	}
	if d := now.Sub(time.Unix(sec, 0)); d > MaxClockSkew || d < -MaxClockSkew {
		return errStale
	}
	hexSig, ok := strings.CutPrefix(sig, "v0=")
	if !ok {
		return errBadSignature
	}
	got, err := hex.DecodeString(hexSig)
	if err != nil {
		return errBadSignature
	}
	mac := hmac.New(sha256.New, secret)
	mac.Write([]byte("v0:" + ts + ":"))
	mac.Write(body)
	if !hmac.Equal(got, mac.Sum(nil)) {
		return errBadSignature
	}
	return nil
}

// Sign returns the X-Slack-Signature value Slack would send for body at
// timestamp ts (unix seconds) — for tests and tools that play Slack.
func Sign(secret, ts string, body []byte) string {
	mac := hmac.New(sha256.New, []byte(secret))
	mac.Write([]byte("v0:" + ts + ":"))
	mac.Write(body)
	return "v0=" + hex.EncodeToString(mac.Sum(nil))
}

// recovered turns a panic in h into a logged 500 (never a dropped
// connection or a crash).
func (a *Adapter) recovered(h http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		defer func() {
			p := recover()
			if p == nil {
				return
			}
			if p == http.ErrAbortHandler {
				panic(p)
			}
			a.log.ErrorContext(r.Context(), "slack handler panicked", "path", r.URL.Path, "panic", fmt.Sprint(p), "stack", string(debug.Stack()))
			http.Error(w, "internal error", http.StatusInternalServerError)
		}()
		h(w, r)
	}
}

// readVerified reads and verifies a request; on failure it has already
// answered (400, 401, 408, 413 or 503) and returns false.
func (a *Adapter) readVerified(w http.ResponseWriter, r *http.Request) ([]byte, bool) {
	body, status := httpx.ReadBody(w, r, maxBody, a.bodyTimeout)
	if status != 0 {
		http.Error(w, http.StatusText(status), status)
		return nil, false
	}
	if err := verify(a.secret, r.Header, body, a.now()); err != nil {
		a.log.WarnContext(r.Context(), "slack request rejected", "path", r.URL.Path, "reason", err)
		http.Error(w, "invalid signature", http.StatusUnauthorized)
		return nil, false
	}
	if a.pool.Stopped() {
		// Slack retries a failed delivery; the next instance answers it.
		http.Error(w, "shutting down", http.StatusServiceUnavailable)
		return nil, false
	}
	return body, true
}

// handleEvents serves POST /slack/events: url_verification is echoed, and
// an event_callback is acknowledged at once and answered in the background.
func (a *Adapter) handleEvents(w http.ResponseWriter, r *http.Request) {
	body, ok := a.readVerified(w, r)
	if !ok {
		return
	}
	var p eventsPayload
	if err := json.Unmarshal(body, &p); err != nil {
		http.Error(w, "malformed payload", http.StatusBadRequest)
		return
	}
	if p.Type == "url_verification" {
		// Echoed as plain text, the first of the forms Slack accepts.
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		_, _ = io.WriteString(w, p.Challenge)
		return
	}
	if n := r.Header.Get("X-Slack-Retry-Num"); n != "" {
		a.log.InfoContext(r.Context(), "slack retried delivery", "event_id", p.EventID, "retry", n, "reason", r.Header.Get("X-Slack-Retry-Reason"))
	}
	// The work context, not the request's: the answer outlives the request.
	a.onEvent(a.pool.Context(), p, "http")
	w.WriteHeader(http.StatusOK)
}

// readVerifiedForm reads and verifies a form-encoded request (a slash
// command, an interaction); on failure it has already answered.
func (a *Adapter) readVerifiedForm(w http.ResponseWriter, r *http.Request) (url.Values, bool) {
	body, ok := a.readVerified(w, r)
	if !ok {
		return nil, false
	}
	form, err := url.ParseQuery(string(body))
	if err != nil {
		http.Error(w, "malformed form", http.StatusBadRequest)
		return nil, false
	}
	return form, true
}

// handleCommands serves POST /slack/commands (/brief).
func (a *Adapter) handleCommands(w http.ResponseWriter, r *http.Request) {
	form, ok := a.readVerifiedForm(w, r)
	if !ok {
		return
	}
	cmd := slack.SlashCommand{
		Command: form.Get("command"), Text: form.Get("text"),
		ChannelID: form.Get("channel_id"), ChannelName: form.Get("channel_name"),
		UserID: form.Get("user_id"), UserName: form.Get("user_name"),
		TeamID: form.Get("team_id"), ResponseURL: form.Get("response_url"),
		TriggerID: form.Get("trigger_id"), APIAppID: form.Get("api_app_id"),
	}
	if cmd.Command == "" {
		http.Error(w, "malformed slash command", http.StatusBadRequest)
		return
	}
	writeJSON(w, a.command(r.Context(), cmd))
}

// handleInteractions serves POST /slack/interactions (the vote buttons).
func (a *Adapter) handleInteractions(w http.ResponseWriter, r *http.Request) {
	form, ok := a.readVerifiedForm(w, r)
	if !ok {
		return
	}
	var cb slack.InteractionCallback
	if err := json.Unmarshal([]byte(form.Get("payload")), &cb); err != nil {
		http.Error(w, "malformed payload", http.StatusBadRequest)
		return
	}
	a.onInteraction(r.Context(), cb)
	w.WriteHeader(http.StatusOK)
}

func writeJSON(w http.ResponseWriter, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	_ = json.NewEncoder(w).Encode(v)
}
