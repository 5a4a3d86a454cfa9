package feed

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/jonboulle/clockwork"
)

// Defaults of a Client.
const (
	// DefaultMaxBytes caps a fetched feed or page (10 MiB).
	DefaultMaxBytes = 10 << 20
	// DefaultTimeout bounds one request, body included.
	DefaultTimeout = 30 * time.Second
	// DefaultHostDelay is the least time between two requests to one host.
	DefaultHostDelay = time.Second
	// maxRedirects bounds a chain of redirects.
	maxRedirects = 5
)

// Errors of Client.Get (wrapped, with detail).
var (
	// ErrScheme: the URL is not http or https (a redirect to another
	// scheme included).
	ErrScheme = errors.New("feed: only http and https URLs are fetched")
	// ErrHTTPStatus: the server answered neither 2xx nor 304.
	ErrHTTPStatus = errors.New("feed: HTTP status")
)

// ClientOptions configure a Client; zero values take the defaults.
type ClientOptions struct {
	MaxBytes  int64
	Timeout   time.Duration
	HostDelay time.Duration
	// NoHostDelay turns the politeness delay off (tests of other things).
	NoHostDelay bool
	Clock       clockwork.Clock
	// Transport replaces http.DefaultTransport.
	Transport http.RoundTripper
	UserAgent string
}

// Client fetches feeds and pages over http and https: one request at a time
// per host at most every HostDelay, each bounded in time and size, with
// conditional GET. It is safe for concurrent use.
type Client struct {
	http      *http.Client
	maxBytes  int64
	hostDelay time.Duration
	clock     clockwork.Clock
	userAgent string

	mu   sync.Mutex
	next map[string]time.Time // host → earliest time of its next request
}

// NewClient returns a Client with opts.
func NewClient(opts ClientOptions) *Client {
	c := &Client{maxBytes: opts.MaxBytes, hostDelay: opts.HostDelay, clock: opts.Clock, userAgent: opts.UserAgent,
		next: map[string]time.Time{}}
	if c.maxBytes <= 0 {
		c.maxBytes = DefaultMaxBytes
	}
	if c.hostDelay <= 0 {
		c.hostDelay = DefaultHostDelay
	}
	if opts.NoHostDelay {
		c.hostDelay = 0
	}
	if c.clock == nil {
		c.clock = clockwork.NewRealClock()
	}
	if c.userAgent == "" {
		c.userAgent = "briefbot-feeds/1"
	}
	timeout := opts.Timeout
	if timeout <= 0 {
		timeout = DefaultTimeout
	}
	c.http = &http.Client{
		Timeout:   timeout,
		Transport: opts.Transport,
		CheckRedirect: func(req *http.Request, via []*http.Request) error {
			if len(via) >= maxRedirects {
				return fmt.Errorf("more than %d redirects", maxRedirects)
			}
			if s := req.URL.Scheme; s != "http" && s != "https" {
				return ErrScheme
			}
			return nil
		},
	}
	return c
}

// MaxBytes is the size limit of a response body.
func (c *Client) MaxBytes() int64 { return c.maxBytes }

// Request is one GET.
type Request struct {
	URL string
	// ETag and LastModified, when set, make the request conditional
	// (If-None-Match, If-Modified-Since): an unchanged resource is answered
	// 304 with no body.
	ETag         string
	LastModified string
	// Accept is the Accept header ("" for any).
	Accept string
}

// Response is a fetched resource, or a 304.
type Response struct {
	// URL is where the body came from, after redirects.
	URL         string
	Status      int
	NotModified bool
	Body        []byte
	ContentType string
	// ETag and LastModified are the validators to send next time.
	ETag         string
	LastModified string
}

// AcceptFeeds is the Accept header for a feed.
const AcceptFeeds = "application/rss+xml, application/atom+xml, application/feed+json, application/json;q=0.9, application/xml;q=0.9, text/xml;q=0.9, */*;q=0.5"

// Get fetches req.URL. It waits for the host's politeness delay first (or
// until ctx is done). A body over MaxBytes (declared or read) is an error
// wrapping ErrTooLarge, and so is a status other than 2xx and 304
// (ErrHTTPStatus). Errors name the URL without its query or user info,
// which can hold tokens.
func (c *Client) Get(ctx context.Context, req Request) (*Response, error) {
	u, err := url.Parse(req.URL)
	if err != nil {
		return nil, fmt.Errorf("feed: bad URL %s", Redact(req.URL))
	}
	if s := strings.ToLower(u.Scheme); (s != "http" && s != "https") || u.Host == "" {
		return nil, fmt.Errorf("%w: %s", ErrScheme, Redact(req.URL))
	}
	if err := c.wait(ctx, strings.ToLower(u.Host)); err != nil {
		return nil, err
	}
	hr, err := http.NewRequestWithContext(ctx, http.MethodGet, u.String(), nil)
	if err != nil {
		return nil, fmt.Errorf("feed: GET %s: %v", Redact(req.URL), err)
	}
	hr.Header.Set("User-Agent", c.userAgent)
	if req.Accept != "" {
		hr.Header.Set("Accept", req.Accept)
	}
	if req.ETag != "" {
		hr.Header.Set("If-None-Match", req.ETag)
	}
	if req.LastModified != "" {
		hr.Header.Set("If-Modified-Since", req.LastModified)
	}
	resp, err := c.http.Do(hr)
	if err != nil {
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err
		}
		if errors.Is(err, ErrScheme) {
			return nil, fmt.Errorf("%w: %s redirects elsewhere", ErrScheme, Redact(req.URL))
		}
		return nil, fmt.Errorf("feed: GET %s: %v", Redact(req.URL), err)
	}
	defer resp.Body.Close()
	out := &Response{URL: resp.Request.URL.String(), Status: resp.StatusCode, ContentType: resp.Header.Get("Content-Type"),
		ETag: resp.Header.Get("ETag"), LastModified: resp.Header.Get("Last-Modified")}
	if resp.StatusCode == http.StatusNotModified {
		out.NotModified = true
		if out.ETag == "" {
			out.ETag = req.ETag
		}
		if out.LastModified == "" {
			out.LastModified = req.LastModified
		}
		return out, nil
	}
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return nil, fmt.Errorf("%w %d from %s", ErrHTTPStatus, resp.StatusCode, Redact(req.URL))
	}
	if resp.ContentLength > c.maxBytes {
		return nil, fmt.Errorf("%w: %s declares %d bytes, limit %d", ErrTooLarge, Redact(req.URL), resp.ContentLength, c.maxBytes)
	}
	body, err := io.ReadAll(io.LimitReader(resp.Body, c.maxBytes+1))
	if err != nil {
		return nil, fmt.Errorf("feed: read %s: %v", Redact(req.URL), err)
	}
	if int64(len(body)) > c.maxBytes {
		return nil, fmt.Errorf("%w: %s is over the limit of %d bytes", ErrTooLarge, Redact(req.URL), c.maxBytes)
	}
	out.Body = body
	return out, nil
}

// wait blocks until host may be asked again, and books its next slot.
func (c *Client) wait(ctx context.Context, host string) error {
	if c.hostDelay <= 0 {
		return ctx.Err()
	}
	c.mu.Lock()
	now := c.clock.Now()
	at := c.next[host]
	if at.Before(now) {
		at = now
	}
	c.next[host] = at.Add(c.hostDelay)
	c.mu.Unlock()
	d := at.Sub(now)
	if d <= 0 {
		return ctx.Err()
	}
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-c.clock.After(d):
		return nil
	}
}

// Redact returns a URL fit for logs and errors: scheme, host and path, with
// user info, query and fragment dropped (they can carry tokens).
func Redact(raw string) string {
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" {
		return "(unparsable URL)"
	}
	r := url.URL{Scheme: u.Scheme, Host: u.Host, Path: u.Path}
	s := r.String()
	if u.RawQuery != "" {
		s += "?…"
	}
	return s
}
