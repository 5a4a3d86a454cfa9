package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/briefbot/briefbot/bot"
	"github.com/briefbot/briefbot/bot/digest"
)

// digestService connects the digest package to serve: the schedules of the
// configuration and the subscriptions channels made themselves, the
// scheduler that posts them, and the previews of /brief digest and
// /digest. It implements the Digests interfaces of both adapters.
type digestService struct {
	search    bot.Searcher
	ledger    digest.LedgerStore
	subs      digest.SubscriptionStore
	config    []digest.Subscription
	skipEmpty bool
	log       *slog.Logger
	now       func() time.Time

	// started is closed once start has scheduled the subscriptions.
	started     chan struct{}
	startedOnce sync.Once

	mu    sync.Mutex
	sched *digest.Scheduler // nil until start and after close
}

// newDigestService checks the configured schedules and opens the
// subscriptions and the ledger in the data directory.
func newDigestService(cfg Config, search bot.Searcher, logger *slog.Logger) (*digestService, error) {
	s := &digestService{
		search:  search,
		ledger:  digest.OpenLedger(cfg.Data),
		subs:    digest.OpenSubscriptions(cfg.Data, nil),
		log:     logger,
		now:     time.Now,
		started: make(chan struct{}),
	}
	switch cfg.DigestEmpty {
	case "", "post":
	case "skip":
		s.skipEmpty = true
	default:
		return nil, fmt.Errorf("config: BRIEFBOT_DIGEST_EMPTY must be post or skip, not %q", cfg.DigestEmpty)
	}
	for i, d := range cfg.Digests {
		sub, err := digest.Subscription{
			Platform: d.Platform, Channel: d.Channel, At: d.At, Timezone: d.Timezone, Window: d.Window, SkipEmpty: s.skipEmpty,
		}.Normalize()
		if err != nil {
			return nil, fmt.Errorf("config: digest %d (%s:%s): %w", i+1, d.Platform, d.Channel, err)
		}
		s.config = append(s.config, sub)
	}
	if _, err := s.subs.List(); err != nil {
		return nil, err
	}
	return s, nil
}

// all returns the configured schedules and the channels' own
// subscriptions; a channel's own subscription replaces a configured one
// for the same channel.
func (s *digestService) all() ([]digest.Subscription, error) {
	own, err := s.subs.List()
	if err != nil {
		return nil, err
	}
	mine := make(map[digest.Target]bool, len(own))
	for _, o := range own {
		mine[o.Target()] = true
	}
	out := make([]digest.Subscription, 0, len(s.config)+len(own))
	for _, c := range s.config {
		if !mine[c.Target()] {
			out = append(out, c)
		}
	}
	return append(out, own...), nil
}

// configured returns the configured schedule of t, if any.
func (s *digestService) configured(t digest.Target) (digest.Subscription, bool) {
	for _, c := range s.config {
		if c.Target() == t {
			return c, true
		}
	}
	return digest.Subscription{}, false
}

// start schedules every subscription, posting through posters, and posts
// once the runs missed while serve was down. serve calls it once the store
// has loaded.
func (s *digestService) start(ctx context.Context, posters digest.Posters) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	subs, err := s.all()
	if err != nil {
		return err
	}
	for _, sub := range subs {
		if _, err := posters.For(sub.Platform); err != nil {
			s.log.Warn("digest scheduled for a platform that is not configured; it will not be posted", "target", sub.Target().String())
		}
	}
	sched, err := digest.NewScheduler(digest.Runner(s.search, s.ledger, posters), digest.SchedulerOptions{
		Ledger: s.ledger, Logger: s.log,
	})
	if err != nil {
		return err
	}
	if err := sched.Start(ctx, subs); err != nil {
		// Start has scheduled what it could; a bad persisted entry must
		// not stop the others.
		s.log.Error("digest schedules", "err", err)
	}
	s.sched = sched
	s.startedOnce.Do(func() { close(s.started) }) // a cluster's leader starts it at each term
	s.log.Info("digest scheduler started", "subscriptions", len(subs))
	return nil
}

// lead runs the scheduler while ctx lasts (cluster mode: while this
// replica holds the leader lease) and every sweep picks up the
// subscriptions made through other replicas and runs again what a dead
// replica claimed and never posted.
func (s *digestService) lead(ctx context.Context, posters digest.Posters, sweep time.Duration) {
	if err := s.start(ctx, posters); err != nil {
		s.log.Error("digest scheduler not started", "err", err)
		return
	}
	defer func() {
		if err := s.close(); err != nil {
			s.log.Warn("close digest scheduler", "err", err)
		}
	}()
	t := time.NewTicker(sweep)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		s.mu.Lock()
		err := s.reschedule()
		sched := s.sched
		s.mu.Unlock()
		if err != nil {
			s.log.Error("digest subscriptions not read", "err", err)
		}
		if sched != nil {
			sched.CatchUp()
		}
	}
}

// reschedule hands the current subscriptions to a running scheduler.
// Before start there is nothing to do: start reads them.
func (s *digestService) reschedule() error {
	if s.sched == nil {
		return nil
	}
	subs, err := s.all()
	if err != nil {
		return err
	}
	return s.sched.Set(subs)
}

// close stops the scheduler and waits for runs in progress.
func (s *digestService) close() error {
	s.mu.Lock()
	sched := s.sched
	s.sched = nil
	s.mu.Unlock()
	if sched == nil {
		return nil
	}
	return sched.Close()
}

// Subscribe persists a channel's subscription and schedules it at once.
func (s *digestService) Subscribe(ctx context.Context, sub digest.Subscription) (digest.Subscription, error) {
	sub.SkipEmpty = s.skipEmpty
	s.mu.Lock()
	defer s.mu.Unlock()
	got, err := s.subs.Add(sub)
	if err != nil {
		s.logSubscriptionError(ctx, "digest subscription not saved", sub.Target(), err)
		return got, err
	}
	if err := s.reschedule(); err != nil {
		s.log.ErrorContext(ctx, "digest subscription saved but not scheduled", "target", got.Target().String(), "err", err)
		return got, err
	}
	s.log.InfoContext(ctx, "digest subscription added", "target", got.Target().String(), "at", got.At, "timezone", got.Timezone)
	return got, nil
}

// logSubscriptionError logs why a subscription change failed: a refusal
// the user is told about (a bad time or zone) at info, anything else (the
// file could not be written) as an error with its cause.
func (s *digestService) logSubscriptionError(ctx context.Context, msg string, t digest.Target, err error) {
	if errors.Is(err, digest.ErrBadSubscription) {
		s.log.InfoContext(ctx, msg+": refused", "target", t.String(), "reason", err)
		return
	}
	s.log.ErrorContext(ctx, msg, "target", t.String(), "err", err)
}

// Unsubscribe removes a channel's own subscription. A schedule from the
// configuration cannot be removed from a channel: the error says so.
func (s *digestService) Unsubscribe(ctx context.Context, t digest.Target) (bool, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	removed, err := s.subs.Remove(t)
	if err != nil {
		s.logSubscriptionError(ctx, "digest unsubscription not saved", t, err)
		return removed, err
	}
	if err := s.reschedule(); err != nil {
		s.log.ErrorContext(ctx, "digest unsubscription saved but not rescheduled", "target", t.String(), "err", err)
		return removed, err
	}
	if removed {
		s.log.InfoContext(ctx, "digest subscription removed", "target", t.String())
	}
	if c, ok := s.configured(t); ok {
		return removed, digest.BadSubscription("this channel's digest at %s (%s) is set in briefbot's configuration; ask whoever runs briefbot to remove it",
			c.At, c.Timezone)
	}
	return removed, nil
}

// Preview builds the digest t would get now: in its subscription's zone
// and window (else UTC and 24 hours), with the stories of its last digest
// as follow-ups. When that window holds no briefings, it previews the
// latest day that does, so that a channel sees what a digest looks like.
func (s *digestService) Preview(ctx context.Context, t digest.Target) (digest.Digest, error) {
	sub := digest.Subscription{Platform: t.Platform, Channel: t.Channel}
	subs, err := s.all()
	if err != nil {
		return digest.Digest{}, err
	}
	for _, o := range subs {
		if o.Target() == t {
			sub = o
		}
	}
	now := s.now()
	loc := sub.Location()
	prev, err := s.ledger.Previous(t.String(), now.In(loc).Format("2006-01-02"))
	if err != nil {
		return digest.Digest{}, err
	}
	opts := digest.Options{Now: now, Location: loc, Window: sub.WindowDuration(), Previous: prev}
	d, err := digest.Build(ctx, s.search, opts)
	if err != nil || !d.Empty() {
		return d, err
	}
	day, ok, err := s.latestDay(ctx, now, loc)
	if err != nil || !ok {
		return d, err
	}
	opts.Window, opts.Date = 0, day
	return digest.Build(ctx, s.search, opts)
}

// latestDay is the calendar day (in loc) of the newest briefing published
// or ingested by now.
func (s *digestService) latestDay(ctx context.Context, now time.Time, loc *time.Location) (time.Time, bool, error) {
	metas, err := s.search.Articles(ctx)
	if err != nil {
		return time.Time{}, false, err
	}
	var latest time.Time
	for _, m := range metas {
		w := m.Published
		if w.IsZero() {
			w = m.Ingested
		}
		if !w.IsZero() && !w.After(now) && w.After(latest) {
			latest = w
		}
	}
	if latest.IsZero() {
		return latest, false, nil
	}
	l := latest
	if !isMidnightUTC(latest) {
		l = latest.In(loc) // a date-only dateline is that day wherever one reads it
	}
	y, m, dd := l.Date()
	return time.Date(y, m, dd, 0, 0, 0, 0, time.UTC), true, nil
}

func isMidnightUTC(t time.Time) bool {
	u := t.UTC()
	return u.Hour() == 0 && u.Minute() == 0 && u.Second() == 0 && u.Nanosecond() == 0
}

// unservedDigests stands in for the digest service where commands are
// only registered (`briefbot discord register`), never served.
type unservedDigests struct{}

var errUnserved = errors.New("digests are served by briefbot serve")

func (unservedDigests) Preview(context.Context, digest.Target) (digest.Digest, error) {
	return digest.Digest{}, errUnserved
}

func (unservedDigests) Subscribe(_ context.Context, sub digest.Subscription) (digest.Subscription, error) {
	return sub, errUnserved
}

func (unservedDigests) Unsubscribe(context.Context, digest.Target) (bool, error) {
	return false, errUnserved
}
