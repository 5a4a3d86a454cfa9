package discord

import (
	"context"
	"errors"
	"net"
	"net/http"
	"sync"
	"time"

	"github.com/bwmarrin/discordgo"
	"github.com/gorilla/websocket"

	"github.com/briefbot/briefbot/internal/sleep"
)

// errOpenTimeout reports a gateway session that did not open in time.
var errOpenTimeout = errors.New("discord: gateway open timed out")

// closeTimeout bounds closing a gateway session (discordgo's Close pauses
// a second after the close frame, and could block on a stuck connection).
const closeTimeout = 5 * time.Second

// stableSession is how long a session must stay up for the reconnect
// backoff to start again from its minimum.
const stableSession = time.Minute

// superviseGateway keeps one gateway session open until ctx is done: it
// opens a fresh session with a timeout, waits for it to drop, and reconnects
// with exponential backoff. discordgo's own reconnect loop is disabled: it
// ignores contexts, and it reuses a session that op 7 during identify may
// have left locked forever.
func (a *Adapter) superviseGateway(ctx context.Context) {
	backoff := a.backoffMin
	for ctx.Err() == nil {
		s := a.newSession()
		conns := &connTracker{}
		s.Dialer = conns.dialer()
		down := make(chan struct{}, 1)
		s.AddHandler(func(*discordgo.Session, *discordgo.Disconnect) {
			select {
			case down <- struct{}{}:
			default:
			}
		})
		s.AddHandler(a.handleGateway)

		if err := a.openSession(ctx, s, conns); err != nil {
			if ctx.Err() != nil {
				return
			}
			a.log.WarnContext(ctx, "gateway unavailable; retrying", "err", safeError("discord: open gateway", err), "in", backoff)
			if !sleep.For(ctx, backoff) {
				return
			}
			backoff = min(2*backoff, a.backoffMax)
			continue
		}
		a.log.InfoContext(ctx, "gateway connected")
		up := time.Now()
		select {
		case <-ctx.Done():
			a.closeSession(s, conns)
			a.log.Info("gateway closed")
			return
		case <-down:
		}
		a.closeSession(s, conns)
		if time.Since(up) >= stableSession {
			backoff = a.backoffMin
		}
		a.log.WarnContext(ctx, "gateway disconnected; reconnecting", "in", backoff)
		if !sleep.For(ctx, backoff) {
			return
		}
		backoff = min(2*backoff, a.backoffMax)
	}
}

// openSession opens s, giving up after the open timeout or when ctx ends.
// discordgo's Open can deadlock when the gateway sends op 7 (reconnect)
// during identify: its op 7 handler waits for the session lock that Open
// holds. Such a session is abandoned (its connections closed; the stuck
// goroutine cannot be freed) and a new one is opened next time.
func (a *Adapter) openSession(ctx context.Context, s *discordgo.Session, conns *connTracker) error {
	done := make(chan error, 1)
	go func() { done <- s.Open() }()
	t := time.NewTimer(a.openTimeout)
	defer t.Stop()
	select {
	case err := <-done:
		if err != nil {
			conns.closeAll()
		}
		return err
	case <-t.C:
		conns.closeAll()
		return errOpenTimeout
	case <-ctx.Done():
		conns.closeAll()
		return ctx.Err()
	}
}

// closeSession closes s cleanly if it can within closeTimeout, then makes
// sure its connections are gone.
func (a *Adapter) closeSession(s *discordgo.Session, conns *connTracker) {
	done := make(chan struct{})
	go func() {
		defer close(done)
		if err := s.Close(); err != nil {
			a.log.Warn("gateway close", "err", err)
		}
	}()
	t := time.NewTimer(closeTimeout)
	defer t.Stop()
	select {
	case <-done:
	case <-t.C:
		a.log.Warn("gateway close timed out; dropping the connection")
	}
	conns.closeAll()
}

// connTracker remembers the network connections of one gateway session so
// that an abandoned session's connections can be closed from outside.
type connTracker struct {
	mu     sync.Mutex
	conns  []net.Conn
	closed bool
}

// dialer returns a websocket dialer whose connections t tracks.
func (t *connTracker) dialer() *websocket.Dialer {
	nd := &net.Dialer{Timeout: 10 * time.Second, KeepAlive: 30 * time.Second}
	return &websocket.Dialer{
		Proxy:            http.ProxyFromEnvironment,
		HandshakeTimeout: 10 * time.Second,
		NetDialContext: func(ctx context.Context, network, addr string) (net.Conn, error) {
			c, err := nd.DialContext(ctx, network, addr)
			if err != nil {
				return nil, err
			}
			t.mu.Lock()
			defer t.mu.Unlock()
			if t.closed {
				c.Close()
				return nil, errors.New("discord: gateway session abandoned")
			}
			t.conns = append(t.conns, c)
			return c, nil
		},
	}
}

// closeAll closes every tracked connection and refuses new ones.
func (t *connTracker) closeAll() {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.closed = true
	for _, c := range t.conns {
		c.Close()
	}
	t.conns = nil
}
