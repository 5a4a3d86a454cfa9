package httpx

import (
	"bytes"
	"errors"
	"io"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/briefbot/briefbot/internal/sleep"
)

// MaxClockSkew is how far a signed webhook request's timestamp may be from
// now (Slack's and Discord's five minutes); older (replayed) or future
// requests are refused.
const MaxClockSkew = 5 * time.Minute

// maxErrorBody bounds what is read of a response that is retried or whose
// Retry-After is parsed.
const maxErrorBody = 64 << 10

// Retry is an http.RoundTripper that retries a platform's API calls: a 429
// after the wait its RetryAfter parser reads (bounded by MaxRateWait), and,
// when Backoff is set, a 5xx or a connection error after an exponential,
// jittered backoff. Every wait honours the request's context. A request
// whose body cannot be replayed is sent once.
type Retry struct {
	// Next sends each attempt.
	Next http.RoundTripper
	// Platform names the platform in logs and for Observer.RateLimited.
	Platform string
	// MaxAttempts is how many times one call is tried in all.
	MaxAttempts int
	// MaxRateWait bounds one wait on a 429: a longer demand returns the
	// 429 rather than holding an answer.
	MaxRateWait time.Duration
	// Backoff is the first wait after a 5xx or a connection error; it
	// doubles up to MaxBackoff. 0 returns those at once.
	Backoff, MaxBackoff time.Duration
	// RetryAfter reads a 429's wait; false gives up and returns the 429.
	// It may read the response's body (its first 64 KiB); the caller
	// still gets it unread. nil is RetryAfterHeader with a one-second default.
	RetryAfter func(resp *http.Response) (time.Duration, bool)
	// RateLimited is told of every wait on a 429 (nil: no one).
	RateLimited func(wait time.Duration)
	// Log logs the retries; nil discards.
	Log *slog.Logger
	// Describe names a request in logs without its secrets (nil: its
	// method).
	Describe func(req *http.Request) string
}

// RoundTrip implements http.RoundTripper.
func (t *Retry) RoundTrip(req *http.Request) (*http.Response, error) {
	ctx := req.Context()
	log := t.Log
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	what := req.Method
	if t.Describe != nil {
		what = t.Describe(req)
	}
	backoff := t.Backoff
	next := func() time.Duration {
		w := Jitter(backoff)
		backoff = min(2*backoff, max(t.MaxBackoff, t.Backoff))
		return w
	}
	for attempt := 1; ; attempt++ {
		r := req
		if attempt > 1 {
			r = req.Clone(ctx)
			if req.Body != nil && req.Body != http.NoBody {
				body, err := req.GetBody()
				if err != nil {
					return nil, err
				}
				r.Body = body
			}
		}
		resp, err := t.Next.RoundTrip(r)
		last := attempt >= t.MaxAttempts || !Replayable(req)
		var wait time.Duration
		switch {
		case err != nil:
			if last || ctx.Err() != nil || t.Backoff <= 0 {
				return nil, err
			}
			wait = next()
			log.WarnContext(ctx, t.Platform+" call failed, retrying", "method", what, "attempt", attempt, "wait", wait, "err", err)
		case resp.StatusCode == http.StatusTooManyRequests:
			body := keep(resp)
			var known bool
			if t.RetryAfter != nil {
				wait, known = t.RetryAfter(resp)
				resp.Body = io.NopCloser(bytes.NewReader(body)) // unread for the caller
			} else {
				wait, known = RetryAfterHeader(resp.Header.Get("Retry-After"), time.Second), true
			}
			if last || !known || wait > t.MaxRateWait {
				log.WarnContext(ctx, t.Platform+" rate limited beyond the bound; giving up", "method", what, "wait", wait, "attempt", attempt)
				return resp, nil
			}
			if t.RateLimited != nil {
				t.RateLimited(wait)
			}
			log.InfoContext(ctx, t.Platform+" rate limit, waiting", "method", what, "attempt", attempt, "wait", wait)
			Discard(resp)
		case resp.StatusCode >= 500 && t.Backoff > 0:
			if last {
				return resp, nil
			}
			wait = next()
			log.WarnContext(ctx, t.Platform+" server error, retrying", "method", what, "status", resp.StatusCode, "attempt", attempt, "wait", wait)
			Discard(resp)
		default:
			return resp, nil
		}
		if !sleep.For(ctx, wait) {
			return nil, ctx.Err()
		}
	}
}

// keep reads the first 64 KiB of resp's body into memory, so that a
// Retry-After parser can read it and the caller still gets it.
func keep(resp *http.Response) []byte {
	body, _ := io.ReadAll(io.LimitReader(resp.Body, maxErrorBody))
	_ = resp.Body.Close()
	resp.Body = io.NopCloser(bytes.NewReader(body))
	return body
}

// RoundTripFunc adapts a function to an http.RoundTripper (as
// http.HandlerFunc does a Handler): fakes and transport wrappers.
type RoundTripFunc func(*http.Request) (*http.Response, error)

// RoundTrip calls f.
func (f RoundTripFunc) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

// Replayable reports whether req can be sent again.
func Replayable(req *http.Request) bool {
	return req.Body == nil || req.Body == http.NoBody || req.GetBody != nil
}

// RetryAfterHeader parses a Retry-After header (seconds, with fractions,
// or an HTTP date); a missing or unreadable one is def.
func RetryAfterHeader(v string, def time.Duration) time.Duration {
	v = strings.TrimSpace(v)
	if v == "" {
		return def
	}
	if s, err := strconv.ParseFloat(v, 64); err == nil {
		return max(time.Duration(s*float64(time.Second)), 0)
	}
	if t, err := http.ParseTime(v); err == nil {
		return max(time.Until(t), 0)
	}
	return def
}

// Jitter spreads retries by up to a fifth of d so that many answers
// failing together do not retry in lockstep.
func Jitter(d time.Duration) time.Duration {
	if d <= 0 {
		return 0
	}
	return d + rand.N(d/5+1) // #nosec G404 -- jitter needs no cryptographic randomness
}

// Discard reads (a bounded part of) a response's body and closes it, so
// that its connection can be reused.
func Discard(resp *http.Response) {
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, maxErrorBody))
	_ = resp.Body.Close()
}

// Errors the adapters' constructors wrap with their platform's name.
var (
	// ErrNoToken reports a missing bot token.
	ErrNoToken = errors.New("a bot token is required")
	// ErrBadAPIURL reports an API base URL that is not an absolute http(s)
	// URL.
	ErrBadAPIURL = errors.New("the API URL must be an absolute http or https URL")
)

// CheckAPIURL reports whether raw is an absolute http(s) URL with a host,
// the API base URL of a platform (or a fake of it).
func CheckAPIURL(raw string) error {
	if u, err := url.Parse(raw); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return ErrBadAPIURL
	}
	return nil
}
