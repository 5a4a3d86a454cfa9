package slack

import (
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/briefbot/briefbot/adapters/internal/httpx"
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
)

// newRetry is the retry policy of Web API and response_url calls: a 429
// after its Retry-After (bounded, one second when it says nothing), a 5xx
// or a connection error after an exponential backoff.
func newRetry(next http.RoundTripper, maxRateWait time.Duration, obs bot.Observer, log *slog.Logger) *httpx.Retry {
	return &httpx.Retry{
		Next: next, Platform: bot.PlatformSlack,
		MaxAttempts: DefaultMaxAttempts, MaxRateWait: maxRateWait,
		Backoff: defaultBackoff, MaxBackoff: maxBackoff,
		RateLimited: func(wait time.Duration) { obs.RateLimited(bot.PlatformSlack, wait) },
		Log:         log, Describe: methodOf,
	}
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
