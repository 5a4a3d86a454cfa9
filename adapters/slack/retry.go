package slack

import (
	"context"
	"io"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/briefbot/briefbot/bot"
)

// Retry policy defaults for Web API and response_url calls.
const (
	// DefaultMaxAttempts is how many times one call is tried in all.
	DefaultMaxAttempts = 4
	// DefaultMaxRateWait bounds one wait on a 429's Retry-After; a longer
	// demand fails the call rather than holding an answer for minutes.
	DefaultMaxRateWait = 30 * time.Second
	// defaultBackoff is the first wait after a 5xx or a connection error;
	// it doubles on each retry.
	defaultBackoff = 250 * time.Millisecond
	maxBackoff     = 5 * time.Second
	// defaultRateWait is the wait on a 429 that carries no Retry-After.
	defaultRateWait = time.Second
)

// retryTransport retries Slack calls: a 429 after its Retry-After (bounded),
// a 5xx or a connection error after an exponential backoff. Every wait
// honours the request's context. Requests whose body cannot be replayed are
// sent once.
type retryTransport struct {
	base        http.RoundTripper
	maxAttempts int
	maxRateWait time.Duration
	backoff     time.Duration
	obs         bot.Observer
	log         *slog.Logger
}

// RoundTrip implements http.RoundTripper.
func (t *retryTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	ctx := req.Context()
	backoff := t.backoff
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
		resp, err := t.base.RoundTrip(r)
		last := attempt >= t.maxAttempts || !replayable(req)
		var wait time.Duration
		switch {
		case err != nil:
			if last || ctx.Err() != nil {
				return nil, err
			}
			wait = jitter(backoff)
			backoff = min(2*backoff, maxBackoff)
			t.log.WarnContext(ctx, "slack call failed, retrying", "method", methodOf(req), "attempt", attempt, "wait", wait, "err", err)
		case resp.StatusCode == http.StatusTooManyRequests:
			wait = retryAfter(resp.Header.Get("Retry-After"))
			if last || wait > t.maxRateWait {
				return resp, nil
			}
			t.obs.RateLimited(bot.PlatformSlack, wait)
			t.log.InfoContext(ctx, "slack rate limit, waiting", "method", methodOf(req), "attempt", attempt, "wait", wait)
			drain(resp)
		case resp.StatusCode >= 500:
			if last {
				return resp, nil
			}
			wait = jitter(backoff)
			backoff = min(2*backoff, maxBackoff)
			t.log.WarnContext(ctx, "slack server error, retrying", "method", methodOf(req), "status", resp.StatusCode, "attempt", attempt, "wait", wait)
			drain(resp)
		default:
			return resp, nil
		}
		if err := sleep(ctx, wait); err != nil {
			return nil, err
		}
	}
}

// replayable reports whether req can be sent again.
func replayable(req *http.Request) bool {
	return req.Body == nil || req.Body == http.NoBody || req.GetBody != nil
}

// retryAfter parses a Retry-After header (seconds or an HTTP date).
func retryAfter(v string) time.Duration {
	v = strings.TrimSpace(v)
	if v == "" {
		return defaultRateWait
	}
	if s, err := strconv.Atoi(v); err == nil {
		return max(time.Duration(s)*time.Second, 0)
	}
	if t, err := http.ParseTime(v); err == nil {
		return max(time.Until(t), 0)
	}
	return defaultRateWait
}

// jitter spreads retries by up to a fifth of d so that many answers
// failing together do not retry in lockstep.
func jitter(d time.Duration) time.Duration {
	if d <= 0 {
		return 0
	}
	return d + rand.N(d/5+1) // #nosec G404 -- jitter needs no cryptographic randomness
}

func sleep(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return ctx.Err()
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

func drain(resp *http.Response) {
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	_ = resp.Body.Close()
}

// methodOf names the Web API method (the last path element) for logs; a
// response_url is logged as such, never with its secret path.
func methodOf(req *http.Request) string {
	p := req.URL.Path
	if i := strings.LastIndexByte(p, '/'); i >= 0 && strings.Contains(p[i:], ".") {
		return p[i+1:]
	}
	return "response_url"
}

// bearerTransport copies the token slack-go puts in a Web API form body
// into an Authorization: Bearer header, the form Slack documents first,
// so that proxies and fakes that only read the header see it too.
type bearerTransport struct {
	base   http.RoundTripper
	apiURL string
}

// RoundTrip implements http.RoundTripper.
func (t *bearerTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	if req.Header.Get("Authorization") != "" || req.GetBody == nil ||
		!strings.HasPrefix(req.URL.String(), t.apiURL) ||
		!strings.HasPrefix(req.Header.Get("Content-Type"), "application/x-www-form-urlencoded") {
		return t.base.RoundTrip(req)
	}
	body, err := req.GetBody()
	if err != nil {
		return t.base.RoundTrip(req)
	}
	data, err := io.ReadAll(io.LimitReader(body, 1<<20))
	body.Close()
	if err != nil {
		return t.base.RoundTrip(req)
	}
	form, err := url.ParseQuery(string(data))
	if err != nil || form.Get("token") == "" {
		return t.base.RoundTrip(req)
	}
	r := req.Clone(req.Context())
	r.Header.Set("Authorization", "Bearer "+form.Get("token"))
	return t.base.RoundTrip(r)
}
