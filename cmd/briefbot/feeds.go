package main

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/jonboulle/clockwork"
	"golang.org/x/sync/errgroup"

	"github.com/briefbot/briefbot/retrieval"
	"github.com/briefbot/briefbot/retrieval/engine"
	"github.com/briefbot/briefbot/retrieval/ingest"
	"github.com/briefbot/briefbot/retrieval/ingest/feed"
	"github.com/briefbot/briefbot/retrieval/store"
)

// Following feeds: serve polls each URL of BRIEFBOT_FEEDS / feeds: every
// feed interval with a conditional GET, ingests the items that are new or
// changed through the one write path serve has (the data directory's lock,
// Engine.Refresh, Ingest, Save, as the watcher does), and records each
// feed's state in feedStateName so that a restart neither adds an item twice
// nor misses one.

const (
	// feedStateName is the follower's state file in the data directory.
	feedStateName = "feeds.json"
	// defaultFeedInterval is how often each feed is polled.
	defaultFeedInterval = 15 * time.Minute
	// maxSeenPerFeed bounds the item ids a feed's state remembers: past it,
	// the ids no longer in the feed are forgotten.
	maxSeenPerFeed = 5000
)

// feedStateFile is feeds.json.
type feedStateFile struct {
	Version int                   `json:"version"`
	Feeds   map[string]*feedState `json:"feeds"`
}

// feedState is what the follower remembers of one feed URL.
type feedState struct {
	// ETag and LastModified are the validators of the last response whose
	// items are saved in the store.
	ETag         string `json:"etag,omitempty"`
	LastModified string `json:"last_modified,omitempty"`
	// Items maps the article id of each item saved in the store to a hash
	// of the article made from it: an item is ingested again only when it
	// changes, and an article deleted by hand is not brought back.
	Items       map[string]string `json:"items"`
	ItemsAdded  int               `json:"items_added"`
	LastPoll    time.Time         `json:"last_poll,omitzero"`
	LastSuccess time.Time         `json:"last_success,omitzero"`
	LastError   string            `json:"last_error,omitempty"`
	LastErrorAt time.Time         `json:"last_error_at,omitzero"`
}

// feedRound is what one poll of every feed did.
type feedRound struct {
	Polled, NotModified, Errors, Added, Updated int
}

// feedFollower polls feeds and ingests their new items.
type feedFollower struct {
	urls []string
	// labels are the feeds' collection labels ("NAME=URL"), by URL.
	labels   map[string]string
	dir      string
	interval time.Duration
	client   *feed.Client
	// fetchPages fetches the pages of summary-only items (feed_fetch).
	fetchPages bool
	clock      clockwork.Clock
	log        *slog.Logger
	metrics    *metrics
	engine     func() (*engine.Engine, error)
	// saved is called after the store was saved (serve remembers the
	// snapshot so that its reload loop does not load it again).
	saved func()
	// rounds, when set (tests), receives each round's result.
	rounds chan feedRound

	// toCluster writes the articles to the corpus database in cluster
	// mode (nil otherwise).
	toCluster func(context.Context, []retrieval.Article) ([]engine.Outcome, int64, error)

	mu     sync.Mutex // one round at a time
	state  *feedStateFile
	loaded bool
	// shared, in a cluster, keeps the state in the database instead of
	// feeds.json: it is read back every round, so the replica that leads
	// next continues where the last one stopped.
	shared sharedFeedState
}

// newFeedFollower builds serve's follower from its configuration.
func newFeedFollower(cfg Config, s *Main) *feedFollower {
	interval := defaultFeedInterval
	if d, err := time.ParseDuration(cfg.FeedInterval); err == nil && d > 0 {
		interval = d
	}
	return &feedFollower{
		urls: feedURLs(cfg.Feeds), labels: feedLabels(cfg.Feeds), dir: cfg.Data, interval: interval, clock: clockwork.NewRealClock(), fetchPages: cfg.FeedFetch,
		client:  feed.NewClient(feed.ClientOptions{}),
		log:     s.log.With("component", "feeds"),
		metrics: s.metrics, engine: s.search.get, saved: s.rememberSnapshot,
		toCluster: clusterIngestFor(cfg, s),
	}
}

// followFeeds starts the follower once the store has loaded (serve.go).
func (s *Main) followFeeds(ctx context.Context, g *errgroup.Group) {
	if s.feeds != nil {
		g.Go(func() error { s.feeds.run(ctx); return nil })
	}
}

// run polls every feed now and then every interval until ctx is done.
func (f *feedFollower) run(ctx context.Context) {
	f.log.Info("following feeds", "feeds", len(f.urls), "interval", f.interval.String())
	for {
		if !f.round(ctx) {
			return
		}
		select {
		case <-ctx.Done():
			return
		case <-f.clock.After(f.interval):
		}
	}
}

// round polls every feed once and reports the round to a test listening on
// f.rounds; false when ctx ended while reporting.
func (f *feedFollower) round(ctx context.Context) bool {
	r := f.pollOnce(ctx)
	if f.rounds != nil {
		select {
		case f.rounds <- r:
		case <-ctx.Done():
			return false
		}
	}
	return true
}

// pendingFeed is a fetched feed whose new items wait to be saved.
type pendingFeed struct {
	url          string
	etag, lastMo string
	arts         []retrieval.Article
	hashes       map[string]string // id → hash of every article of the document
}

// pollOnce polls every feed once (one after the other; the client keeps
// its politeness delay per host), ingests and saves the new items, and
// writes the state file. A feed that fails is logged, recorded and skipped.
func (f *feedFollower) pollOnce(ctx context.Context) feedRound {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.loadState()
	var r feedRound
	var pending []*pendingFeed
	for _, u := range f.urls {
		if ctx.Err() != nil {
			return r
		}
		st := f.stateOf(u)
		st.LastPoll = f.clock.Now().UTC()
		r.Polled++
		f.metrics.feedPolled()
		p, err := f.fetch(ctx, u, st)
		if err != nil {
			if ctx.Err() != nil {
				return r
			}
			r.Errors++
			f.metrics.feedFailed()
			st.LastError, st.LastErrorAt = err.Error(), st.LastPoll
			f.log.Warn("feed skipped this round", "feed", feed.Redact(u), "err", err)
			continue
		}
		if p == nil { // 304
			r.NotModified++
			f.metrics.feedNotModified304()
			st.LastSuccess, st.LastError = st.LastPoll, ""
			continue
		}
		pending = append(pending, p)
	}
	if err := f.ingest(ctx, pending, &r); err != nil {
		if ctx.Err() == nil {
			r.Errors += len(pending)
			for range pending {
				f.metrics.feedFailed()
			}
			f.log.Error("feeds: saving new items failed; they are fetched again next round", "feeds", len(pending), "err", err)
			for _, p := range pending {
				st := f.stateOf(p.url)
				st.LastError, st.LastErrorAt = "save: "+err.Error(), st.LastPoll
			}
		}
	}
	if err := f.saveState(); err != nil {
		f.log.Error("feeds: write state file", "err", err)
	}
	if r.Added+r.Updated > 0 {
		f.log.Info("feeds: ingested", "added", r.Added, "updated", r.Updated, "feeds", len(pending))
	}
	return r
}

// fetch GETs one feed conditionally and returns its articles that are new
// or changed, or nil for a 304.
func (f *feedFollower) fetch(ctx context.Context, u string, st *feedState) (*pendingFeed, error) {
	resp, err := f.client.Get(ctx, feed.Request{URL: u, ETag: st.ETag, LastModified: st.LastModified, Accept: feed.AcceptFeeds})
	if err != nil {
		return nil, errors.New(strings.TrimPrefix(err.Error(), "feed: "))
	}
	if resp.NotModified {
		return nil, nil
	}
	opts := ingest.FeedOptions{Prefix: feedPrefix(u), BaseURL: resp.URL}
	if f.fetchPages {
		// Pages of summary-only items, each fetched once: an item already
		// stored is not fetched again.
		opts.Fetch = f.client
		opts.Known = func(id string) bool { _, ok := st.Items[id]; return ok }
	}
	res, err := ingest.FeedArticles(ctx, resp.Body, opts)
	var se *ingest.SkipError
	switch {
	case errors.As(err, &se) && (se.Reason == ingest.ReasonEmpty || se.Reason == ingest.ReasonNoText):
		// A feed without items, or with none that has text: read, nothing
		// to add (its validators are kept, so it is not read again unchanged).
		f.log.Warn("feed has nothing to ingest", "feed", feed.Redact(u), "reason", err.Error())
	case err != nil:
		return nil, fmt.Errorf("%d bytes: %v", len(resp.Body), err)
	}
	p := &pendingFeed{url: u, etag: resp.ETag, lastMo: resp.LastModified, hashes: map[string]string{}}
	for _, id := range res.Known {
		p.hashes[id] = st.Items[id]
	}
	for _, a := range res.Articles {
		a.Collection = f.labels[u]
		if _, dup := p.hashes[a.ID]; dup {
			continue // an item repeated in one document: the first counts
		}
		h := articleHash(a)
		p.hashes[a.ID] = h
		if st.Items[a.ID] != h {
			p.arts = append(p.arts, a)
		}
	}
	if len(res.Bad) > 0 {
		f.log.Warn("feed items skipped", "feed", feed.Redact(u), "count", len(res.Bad))
	}
	return p, nil
}

// ingest saves the pending feeds' new articles through serve's write path
// and, once saved, records them in the feeds' states.
func (f *feedFollower) ingest(ctx context.Context, pending []*pendingFeed, r *feedRound) error {
	var arts []retrieval.Article
	for _, p := range pending {
		arts = append(arts, p.arts...)
	}
	if len(arts) > 0 {
		var outs []engine.Outcome
		var e *engine.Engine
		if f.toCluster != nil {
			// Cluster mode: the corpus database (cluster_corpus.go).
			var err error
			if outs, _, err = f.toCluster(ctx, arts); err != nil {
				return err
			}
		} else {
			var err error
			e, err = f.engine()
			if err != nil {
				return err
			}
			lock, err := store.LockDir(ctx, f.dir)
			if err != nil {
				return err
			}
			defer lock.Unlock()
			reloaded, err := e.Refresh(ctx, f.dir)
			if err != nil {
				return err
			}
			if reloaded && f.saved != nil {
				f.saved() // another writer's snapshot, now the engine's
			}
			if outs, err = e.Ingest(ctx, arts); err != nil {
				return err
			}
		}
		changed := 0
		for _, o := range outs {
			switch o.Status {
			case engine.Added:
				r.Added++
				changed++
			case engine.Updated:
				r.Updated++
				changed++
			}
		}
		if e != nil && (changed > 0 || e.Unsaved()) {
			if err := e.Save(f.dir); err != nil && !errors.Is(err, engine.ErrIndexNotSaved) {
				return err
			}
			if f.saved != nil {
				f.saved()
			}
		}
		f.metrics.feedItemsAdded(r.Added)
		added := map[string]bool{}
		for _, o := range outs {
			if o.Status == engine.Added {
				added[o.ID] = true
			}
		}
		for _, p := range pending {
			st := f.stateOf(p.url)
			for _, a := range p.arts {
				if added[a.ID] {
					st.ItemsAdded++
				}
			}
		}
	}
	now := f.clock.Now().UTC()
	for _, p := range pending {
		st := f.stateOf(p.url)
		st.ETag, st.LastModified = p.etag, p.lastMo
		st.LastSuccess, st.LastError = now, ""
		for id, h := range p.hashes {
			st.Items[id] = h
		}
		if len(st.Items) > maxSeenPerFeed {
			for id := range st.Items {
				if _, current := p.hashes[id]; !current {
					delete(st.Items, id)
				}
			}
		}
	}
	return nil
}

// articleHash identifies the content of an article made from a feed item.
func articleHash(a retrieval.Article) string {
	h := sha256.New()
	for _, s := range []string{a.Title, a.URL, a.Source, a.Published.UTC().Format(time.RFC3339), a.Body} {
		io.WriteString(h, s)
		h.Write([]byte{0})
	}
	return hex.EncodeToString(h.Sum(nil))[:16]
}

// feedPrefix is the id prefix of a followed feed's articles: its URL's host
// and path (no scheme, user info or query, which can hold tokens; a query
// is represented by a short hash so that two feeds differing only in it
// stay apart). An item's id is feedPrefix + "#" + its guid (see
// ingest.FeedArticles).
func feedPrefix(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		sum := sha256.Sum256([]byte(raw))
		return "feed-" + hex.EncodeToString(sum[:])[:12]
	}
	p := strings.ToLower(u.Host) + u.EscapedPath()
	if u.RawQuery != "" {
		sum := sha256.Sum256([]byte(u.RawQuery))
		p += "?" + hex.EncodeToString(sum[:])[:8]
	}
	return p
}

func (f *feedFollower) stateOf(u string) *feedState {
	st := f.state.Feeds[u]
	if st == nil {
		st = &feedState{}
		f.state.Feeds[u] = st
	}
	if st.Items == nil {
		st.Items = map[string]string{}
	}
	return st
}

// loadState reads feeds.json once. A missing file is a first start; an
// unreadable one is logged and replaced (items are then fetched in full
// again, and their stable ids keep the store from holding them twice).
func (f *feedFollower) loadState() {
	if f.loaded && f.shared == nil {
		return
	}
	f.loaded = true
	f.state = &feedStateFile{Version: 1, Feeds: map[string]*feedState{}}
	var data []byte
	var err error
	if f.shared != nil {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		data, err = f.shared.LoadFeedState(ctx)
		cancel()
		if err == nil && data == nil {
			return // first round anywhere
		}
	} else {
		data, err = os.ReadFile(filepath.Join(f.dir, feedStateName))
		if errors.Is(err, os.ErrNotExist) {
			return
		}
	}
	var sf feedStateFile
	if err == nil {
		err = json.Unmarshal(data, &sf)
	}
	if err != nil {
		f.log.Warn("feeds: state file unreadable; starting afresh (items already stored are not added twice)", "file", feedStateName, "err", err)
		return
	}
	if sf.Feeds != nil {
		f.state.Feeds = sf.Feeds
	}
}

// sharedFeedState keeps the follower's state in a cluster's database.
type sharedFeedState interface {
	LoadFeedState(ctx context.Context) ([]byte, error)
	SaveFeedState(ctx context.Context, state []byte) error
}

// saveState writes feeds.json atomically (in a cluster, the database's
// row).
func (f *feedFollower) saveState() error {
	data, err := json.MarshalIndent(f.state, "", "  ")
	if err != nil {
		return err
	}
	if f.shared != nil {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		return f.shared.SaveFeedState(ctx, data)
	}
	if err := os.MkdirAll(f.dir, 0o755); err != nil {
		return err
	}
	return store.WriteFile(f.dir, feedStateName, func(w io.Writer) error {
		_, err := w.Write(append(data, '\n'))
		return err
	})
}

// feedURLs are the followed feeds' URLs, without their collection labels.
func feedURLs(feeds []string) []string {
	out := make([]string, len(feeds))
	for i, f := range feeds {
		_, out[i] = ingest.SplitLabel(f)
	}
	return out
}

// feedLabels maps each labelled feed's URL to its collection.
func feedLabels(feeds []string) map[string]string {
	m := map[string]string{}
	for _, f := range feeds {
		if c, u := ingest.SplitLabel(f); c != "" {
			m[u] = c
		}
	}
	return m
}

// checkFeeds refuses a feed URL that is not http or https and a feed
// interval that is not a duration of at least a second.
func checkFeeds(c Config) error {
	for _, u := range c.Feeds {
		_, u = ingest.SplitLabel(u) // "NAME=URL" labels the feed's items
		pu, err := url.Parse(u)
		if err != nil || (pu.Scheme != "http" && pu.Scheme != "https") || pu.Host == "" {
			return fmt.Errorf("config: feed %s is not an http or https URL", feed.Redact(u))
		}
	}
	if c.FeedInterval != "" {
		d, err := time.ParseDuration(c.FeedInterval)
		if err != nil || d < time.Second {
			return fmt.Errorf("config: BRIEFBOT_FEED_INTERVAL must be a duration of at least 1s (e.g. 15m), not %q", c.FeedInterval)
		}
	}
	return nil
}
