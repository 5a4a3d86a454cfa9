package pgcorpus

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/briefbot/briefbot/internal/sleep"
	"github.com/briefbot/briefbot/retrieval/embed"
	"github.com/briefbot/briefbot/retrieval/engine"
)

// Follower keeps a replica's engine up to date with the database: it loads
// the whole corpus once (cold start), then applies every change, woken by
// the corpus channel's notifications and, in case one is missed, by a poll
// of the version every PollInterval. When the database goes away it keeps
// serving what it has, retries with a backoff of up to MaxBackoff, and
// catches up when it is back (tombstones carry the deletes it missed).
type Follower struct {
	c   *Corpus
	e   *engine.Engine
	log *slog.Logger

	// PollInterval is how often the version is polled when no notification
	// comes (default 2 s). Set before Run.
	PollInterval time.Duration
	// MaxBackoff bounds the wait between reconnection attempts (default 5 s).
	MaxBackoff time.Duration

	mu      sync.Mutex
	st      Status
	changed chan struct{} // closed and replaced at every status change
}

// Status is what a follower has applied.
type Status struct {
	// Loaded reports the cold start done: the engine answers from the
	// database's corpus.
	Loaded bool
	// Version is the corpus version the engine serves.
	Version int64
	// Head is the newest version the database reported at the last contact.
	Head int64
	// Articles is the number of articles served.
	Articles int
	// CurrentAt is when the engine was last known to serve the head.
	CurrentAt time.Time
	// Err is the last error talking to the database or applying a change,
	// nil once a sync succeeds again.
	Err error
}

// Lag reports how far behind the database the served index may be, in
// versions (as of the last contact) and in seconds: 0 while the follower
// is connected and current, else the time since it was last known current.
func (s Status) Lag(now time.Time) (versions int64, seconds float64) {
	versions = max(s.Head-s.Version, 0)
	if s.Loaded && s.Err == nil && versions == 0 {
		return 0, 0
	}
	if s.CurrentAt.IsZero() {
		return versions, 0
	}
	return versions, now.Sub(s.CurrentAt).Seconds()
}

// NewFollower returns a follower applying c's changes to e, an engine
// whose store starts empty (engine.NewMemory) with the configured embedder.
func NewFollower(c *Corpus, e *engine.Engine, log *slog.Logger) *Follower {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Follower{c: c, e: e, log: log, PollInterval: 2 * time.Second, MaxBackoff: 5 * time.Second, changed: make(chan struct{})}
}

// Engine returns the engine the follower keeps up to date.
func (f *Follower) Engine() *engine.Engine { return f.e }

// Status returns what the follower has applied.
func (f *Follower) Status() Status {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.st
}

// Wait returns once cond holds for the follower's status, or ctx's error.
func (f *Follower) Wait(ctx context.Context, cond func(Status) bool) error {
	for {
		f.mu.Lock()
		st, ch := f.st, f.changed
		f.mu.Unlock()
		if cond(st) {
			return nil
		}
		select {
		case <-ch:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}

func (f *Follower) update(fn func(*Status)) {
	f.mu.Lock()
	fn(&f.st)
	close(f.changed)
	f.changed = make(chan struct{})
	f.mu.Unlock()
}

// Timeouts of one database round: a cold load reads the whole corpus.
const (
	connectTimeout = 10 * time.Second
	loadTimeout    = 10 * time.Minute
	changesTimeout = 2 * time.Minute
)

// Run follows the database until ctx is done (then it returns nil). It
// returns an error only when the corpus cannot be served at all: the
// database's vectors were made by another embedder than the engine's, at
// the cold start. Later, such a change is refused and reported in Status,
// and the engine keeps serving what it has.
func (f *Follower) Run(ctx context.Context) error {
	backoff := 100 * time.Millisecond
	lastMsg := ""
	for {
		synced, err := f.session(ctx)
		if ctx.Err() != nil {
			return nil
		}
		if errors.Is(err, engine.ErrMismatch) && !f.Status().Loaded {
			return err
		}
		if synced {
			backoff = 100 * time.Millisecond
		}
		f.update(func(s *Status) { s.Err = err })
		if msg := err.Error(); msg != lastMsg {
			f.log.Error("corpus database: cannot follow; serving the index as it is and retrying", "err", err, "version", f.Status().Version)
			lastMsg = msg
		}
		if !sleep.For(ctx, backoff) {
			return nil
		}
		backoff = min(backoff*2, f.MaxBackoff)
	}
}

// session listens on a connection of its own, syncs, and syncs again at
// every notification or poll, until an error. synced reports a sync done.
func (f *Follower) session(ctx context.Context) (synced bool, err error) {
	cctx, cancel := context.WithTimeout(ctx, connectTimeout)
	conn, err := pgx.ConnectConfig(cctx, f.c.pool.Config().ConnConfig.Copy())
	cancel()
	if err != nil {
		return false, fmt.Errorf("corpus database: listen: %w", err)
	}
	defer func() {
		cctx, cancel := context.WithTimeout(context.Background(), time.Second)
		conn.Close(cctx)
		cancel()
	}()
	if _, err := conn.Exec(ctx, "LISTEN "+pgx.Identifier{f.c.channel}.Sanitize()); err != nil {
		return false, fmt.Errorf("corpus database: listen: %w", err)
	}
	// Listening before the first sync: a commit after it is notified.
	for {
		if err := f.sync(ctx); err != nil {
			return synced, err
		}
		synced = true
		wctx, cancel := context.WithTimeout(ctx, f.PollInterval)
		_, err := conn.WaitForNotification(wctx)
		poll := wctx.Err() != nil
		cancel()
		if ctx.Err() != nil {
			return synced, ctx.Err()
		}
		if err != nil && !poll {
			return synced, fmt.Errorf("corpus database: listen: %w", err)
		}
	}
}

// sync loads the corpus (the first time) or applies the changes since the
// version served.
func (f *Follower) sync(ctx context.Context) error {
	st := f.Status()
	if !st.Loaded {
		return f.load(ctx)
	}
	cctx, cancel := context.WithTimeout(ctx, changesTimeout)
	defer cancel()
	puts, dels, in, err := f.c.Changes(cctx, st.Version)
	if err != nil {
		return err
	}
	if err := f.checkEmbedder(ctx, in); err != nil {
		return err
	}
	if in.Version < st.Version {
		// The database is older than what is served (restored from a
		// backup, or recreated): start over from it.
		f.log.Warn("corpus database: its version is below the one served; reloading", "served", st.Version, "database", in.Version)
		return f.load(ctx)
	}
	if len(puts)+len(dels) > 0 {
		if err := f.e.Apply(ctx, puts, dels); err != nil {
			return fmt.Errorf("corpus database: apply version %d: %w", in.Version, err)
		}
		f.log.Info("corpus database: applied changes", "version", in.Version, "put", len(puts), "deleted", len(dels))
	}
	if st.Err != nil {
		f.log.Info("corpus database: following again", "version", in.Version)
	}
	now := time.Now()
	arts := f.e.Stats().Articles
	f.update(func(s *Status) {
		s.Version, s.Head, s.CurrentAt, s.Err, s.Articles = in.Version, in.Version, now, nil, arts
	})
	return nil
}

// load reads the whole corpus and makes the engine serve exactly it: the
// articles not stored or changed are put, those gone are deleted, and the
// index is rebuilt once.
func (f *Follower) load(ctx context.Context) error {
	start := time.Now()
	cctx, cancel := context.WithTimeout(ctx, loadTimeout)
	defer cancel()
	st := f.e.Store()
	var puts []engine.PreparedArticle
	live := map[string]bool{}
	in, err := f.c.Load(cctx, func(p engine.PreparedArticle) error {
		live[p.Article.ID] = true
		if old, ok := st.Article(p.Article.ID); ok && old.Hash == p.Article.Hash {
			return nil
		}
		puts = append(puts, p)
		return nil
	})
	if err != nil {
		return err
	}
	if err := f.checkEmbedder(ctx, in); err != nil {
		return err
	}
	var dels []string
	for _, a := range st.Articles() {
		if !live[a.ID] {
			dels = append(dels, a.ID)
		}
	}
	if err := f.e.Apply(ctx, puts, dels); err != nil {
		return fmt.Errorf("corpus database: load version %d: %w", in.Version, err)
	}
	now := time.Now()
	f.update(func(s *Status) {
		s.Loaded, s.Version, s.Head, s.CurrentAt, s.Err, s.Articles = true, in.Version, in.Version, now, nil, in.Articles
	})
	stats := f.e.Stats()
	f.log.Info("corpus database: loaded", "version", in.Version, "articles", stats.Articles, "chunks", stats.Chunks,
		"ms", time.Since(start).Milliseconds())
	return nil
}

func (f *Follower) checkEmbedder(ctx context.Context, in Info) error {
	return CheckEmbedder(ctx, f.e, in)
}

// CheckEmbedder reports whether e can serve the corpus in: its vectors
// were made by e's embedder (an empty corpus fits any). The error wraps
// engine.ErrMismatch.
func CheckEmbedder(ctx context.Context, e *engine.Engine, in Info) error {
	if in.Embedder == "" {
		return nil
	}
	if err := e.CheckEmbedder(ctx, in.Embedder, in.Dim); err != nil {
		if !errors.Is(err, engine.ErrMismatch) {
			return err
		}
		st := e.Store().Info()
		return fmt.Errorf("%w: the corpus database was built with %s, briefbot is configured for %s; set --embedder/BRIEFBOT_EMBEDDER to %s",
			engine.ErrMismatch, embed.Describe(in.Embedder, in.Dim), embed.Describe(st.Embedder, st.Dim), in.Embedder)
	}
	return nil
}
