package httpx

import (
	"context"
	"errors"
	"io"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

func response(code int, body string, h http.Header) *http.Response {
	if h == nil {
		h = http.Header{}
	}
	return &http.Response{StatusCode: code, Header: h, Body: io.NopCloser(strings.NewReader(body))}
}

// TestRetryPluggableRetryAfter: the parser reads the 429's body (a
// Discord-style retry_after) and the caller still gets it when the
// transport gives up; a wait is counted; without Backoff a 5xx is
// returned at once.
func TestRetryPluggableRetryAfter(t *testing.T) {
	var calls atomic.Int32
	var waits []time.Duration
	rt := &Retry{
		Next: RoundTripFunc(func(*http.Request) (*http.Response, error) {
			switch calls.Add(1) {
			case 1:
				return response(http.StatusTooManyRequests, "0.001", nil), nil
			case 2:
				return response(http.StatusTooManyRequests, "unknown", nil), nil
			}
			return response(http.StatusBadGateway, "", nil), nil
		}),
		MaxAttempts: 4, MaxRateWait: time.Second,
		RetryAfter: func(resp *http.Response) (time.Duration, bool) {
			b, _ := io.ReadAll(resp.Body)
			d, err := time.ParseDuration(string(b) + "s")
			return d, err == nil
		},
		RateLimited: func(w time.Duration) { waits = append(waits, w) },
	}
	req, _ := http.NewRequest(http.MethodGet, "http://127.0.0.1:1/x", nil)
	resp, err := rt.RoundTrip(req)
	if err != nil || resp.StatusCode != http.StatusTooManyRequests || calls.Load() != 2 || len(waits) != 1 || waits[0] != time.Millisecond {
		t.Fatalf("resp %v, err %v, calls %d, waits %v", resp, err, calls.Load(), waits)
	}
	if b, _ := io.ReadAll(resp.Body); string(b) != "unknown" {
		t.Errorf("body given back %q", b)
	}
	resp, err = rt.RoundTrip(req)
	if err != nil || resp.StatusCode != http.StatusBadGateway || calls.Load() != 3 {
		t.Fatalf("5xx without backoff: %v %v after %d calls", resp, err, calls.Load())
	}
}

// TestRetryWaitEndsWithContext: a wait is cut short by the request's
// context, and a body that cannot be replayed is sent once.
func TestRetryWaitEndsWithContext(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	rt := &Retry{
		Next: RoundTripFunc(func(*http.Request) (*http.Response, error) {
			cancel()
			return nil, errors.New("connection reset")
		}),
		MaxAttempts: 4, Backoff: time.Hour,
	}
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, "http://127.0.0.1:1/x", nil)
	if _, err := rt.RoundTrip(req); err == nil {
		t.Fatal("no error")
	}
	var calls atomic.Int32
	rt = &Retry{Next: RoundTripFunc(func(*http.Request) (*http.Response, error) {
		calls.Add(1)
		return nil, errors.New("connection reset")
	}), MaxAttempts: 4, Backoff: time.Millisecond}
	req, _ = http.NewRequest(http.MethodPost, "http://127.0.0.1:1/x", io.NopCloser(strings.NewReader("once")))
	if _, err := rt.RoundTrip(req); err == nil || calls.Load() != 1 {
		t.Fatalf("err %v after %d calls; want one call", err, calls.Load())
	}
}

func TestCheckAPIURL(t *testing.T) {
	for raw, ok := range map[string]bool{"https://slack.com/api/": true, "http://127.0.0.1:9/": true, "slack.com/api": false, "ftp://x": false, "": false} {
		if err := CheckAPIURL(raw); (err == nil) != ok || (err != nil && !errors.Is(err, ErrBadAPIURL)) {
			t.Errorf("%q: %v", raw, err)
		}
	}
}
