package digest

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"time"

	"github.com/jonboulle/clockwork"

	"github.com/briefbot/briefbot/bot"
	"github.com/briefbot/briefbot/retrieval"
)

// Commands is what the chat adapters' digest commands (Slack's /brief
// digest, subscribe and unsubscribe; Discord's /digest, /subscribe and
// /unsubscribe) need: a preview of a channel's digest and the channel's
// subscription. [Service] implements it; the adapters know no scheduling.
type Commands interface {
	// Preview builds the digest the channel would get now, without posting
	// it or recording anything.
	Preview(ctx context.Context, target Target) (Digest, error)
	// Subscribe persists sub (replacing the channel's previous
	// subscription) and schedules it; it returns the subscription with its
	// defaults filled in. An error wrapping ErrBadSubscription carries a
	// message for the user (a bad time or zone) as a bot.UserError: see
	// BadSubscription and SubscriptionErrorText.
	Subscribe(ctx context.Context, sub Subscription) (Subscription, error)
	// Unsubscribe removes the channel's subscription and reports whether
	// there was one. An error wrapping ErrBadSubscription carries a message
	// for the user as a bot.UserError.
	Unsubscribe(ctx context.Context, target Target) (bool, error)
}

var _ Commands = (*Service)(nil)

// ServiceConfig configures a [Service].
type ServiceConfig struct {
	// Searcher is the store digests are built from; required by Start and
	// Preview.
	Searcher bot.Searcher
	// Dir is the data directory of the file ledger and subscriptions,
	// used where Ledger or Subscriptions is nil.
	Dir string
	// Ledger says what was posted where; nil opens [Ledger] in Dir. A
	// cluster passes its shared ledger (a [RunClaimer]).
	Ledger LedgerStore
	// Subscriptions are the channels' own subscriptions; nil opens
	// [Subscriptions] in Dir. A cluster passes its shared table.
	Subscriptions SubscriptionStore
	// Schedules are the configured digests (briefbot's configuration);
	// they are normalized here, so their defaults live in Normalize only.
	Schedules []Subscription
	// SkipEmpty posts nothing for an empty window, for every subscription.
	SkipEmpty bool
	// Clock is the service's time: schedules, previews, ledger stamps.
	// nil is the real clock.
	Clock clockwork.Clock
	// Logger logs subscriptions and runs; nil discards.
	Logger *slog.Logger
}

// Service is the digest as serve runs it: the configured schedules merged
// with the channels' own subscriptions, the scheduler that posts them
// through the platforms' posters (the ledger checked where a post is
// delivered, in [Deliver]), and the previews of the chat commands. Start
// begins posting; Close stops it.
type Service struct {
	search    bot.Searcher
	ledger    LedgerStore
	subs      SubscriptionStore
	config    []Subscription
	skipEmpty bool
	clock     clockwork.Clock
	log       *slog.Logger

	// started is closed once Start has scheduled the subscriptions.
	started     chan struct{}
	startedOnce sync.Once

	mu    sync.Mutex
	sched *Scheduler // nil until Start and after Close
}

// NewService checks the configured schedules and that the data
// directory's subscriptions can be read; it schedules nothing until Start.
func NewService(cfg ServiceConfig) (*Service, error) {
	s := &Service{
		search: cfg.Searcher, ledger: cfg.Ledger, subs: cfg.Subscriptions, skipEmpty: cfg.SkipEmpty,
		clock: cfg.Clock, log: cfg.Logger, started: make(chan struct{}),
	}
	if s.clock == nil {
		s.clock = clockwork.NewRealClock()
	}
	if s.log == nil {
		s.log = slog.New(slog.DiscardHandler)
	}
	if s.ledger == nil {
		s.ledger = OpenLedger(cfg.Dir)
	}
	if s.subs == nil {
		// The file is read now, so that a broken one stops serve at
		// start; a shared store is read at Start (its database may be
		// down at start, and comes back).
		subs := OpenSubscriptions(cfg.Dir, s.clock.Now)
		if _, err := subs.List(); err != nil {
			return nil, err
		}
		s.subs = subs
	}
	for i, c := range cfg.Schedules {
		c.SkipEmpty = s.skipEmpty
		sub, err := c.Normalize()
		if err != nil {
			return nil, fmt.Errorf("config: digest %d (%s): %w", i+1, c.Target(), err)
		}
		s.config = append(s.config, sub)
	}
	return s, nil
}

// Subscriptions returns the configured schedules and the channels' own
// subscriptions; a channel's own subscription replaces a configured one
// for the same channel.
func (s *Service) Subscriptions() ([]Subscription, error) {
	own, err := s.subs.List()
	if err != nil {
		return nil, err
	}
	mine := make(map[Target]bool, len(own))
	for _, o := range own {
		mine[o.Target()] = true
	}
	out := make([]Subscription, 0, len(s.config)+len(own))
	for _, c := range s.config {
		if !mine[c.Target()] {
			out = append(out, c)
		}
	}
	return append(out, own...), nil
}

// configured returns the configured schedule of t, if any.
func (s *Service) configured(t Target) (Subscription, bool) {
	for _, c := range s.config {
		if c.Target() == t {
			return c, true
		}
	}
	return Subscription{}, false
}

// Start schedules every subscription, posting through posters, and posts
// once the runs missed while the process was down. serve calls it once the
// store has loaded; a cluster's leader calls it (through Lead) at each term.
func (s *Service) Start(ctx context.Context, posters Posters) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	subs, err := s.Subscriptions()
	if err != nil {
		return err
	}
	for _, sub := range subs {
		if _, err := posters.For(sub.Platform); err != nil {
			s.log.Warn("digest scheduled for a platform that is not configured; it will not be posted", "target", sub.Target().String())
		}
	}
	sched, err := NewScheduler(s.runner(posters), SchedulerOptions{Clock: s.clock, Logger: s.log})
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

// Started is closed once Start has first scheduled the subscriptions.
func (s *Service) Started() <-chan struct{} { return s.started }

// NextRun returns when t's digest runs next, while the scheduler runs.
func (s *Service) NextRun(t Target) (time.Time, bool) {
	s.mu.Lock()
	sched := s.sched
	s.mu.Unlock()
	if sched == nil {
		return time.Time{}, false
	}
	return sched.NextRun(t)
}

// runner is the scheduler's RunFunc: it builds sub's digest and delivers
// it through the platform's poster.
func (s *Service) runner(posters Posters) RunFunc {
	return func(ctx context.Context, sub Subscription, run time.Time) (Outcome, error) {
		p, err := posters.For(sub.Platform)
		if err != nil {
			return "", err
		}
		out, _, err := Deliver(ctx, s.search, s.ledger, p, sub.Delivery(run))
		return out, err
	}
}

// Lead runs the scheduler while ctx lasts (cluster mode: while this
// replica holds the leader lease); every sweep it picks up the
// subscriptions made through other replicas and runs again what a dead
// replica claimed and never posted. It returns when ctx ends, the
// scheduler closed.
func (s *Service) Lead(ctx context.Context, posters Posters, sweep time.Duration) {
	if err := s.Start(ctx, posters); err != nil {
		s.log.Error("digest scheduler not started", "err", err)
		return
	}
	defer func() {
		if err := s.Close(context.WithoutCancel(ctx)); err != nil {
			s.log.Warn("close digest scheduler", "err", err)
		}
	}()
	t := s.clock.NewTicker(sweep)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.Chan():
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
// Before Start there is nothing to do: Start reads them. s.mu is held.
func (s *Service) reschedule() error {
	if s.sched == nil {
		return nil
	}
	subs, err := s.Subscriptions()
	if err != nil {
		return err
	}
	return s.sched.Set(subs)
}

// Close stops the scheduler and waits for runs in progress until ctx
// ends; then it returns ctx's error and the runs are abandoned.
func (s *Service) Close(ctx context.Context) error {
	s.mu.Lock()
	sched := s.sched
	s.sched = nil
	s.mu.Unlock()
	if sched == nil {
		return nil
	}
	done := make(chan error, 1)
	go func() { done <- sched.Close() }()
	select {
	case err := <-done:
		return err
	case <-ctx.Done():
		return fmt.Errorf("digest: close: runs still in progress: %w", ctx.Err())
	}
}

// Subscribe persists a channel's subscription and schedules it at once.
func (s *Service) Subscribe(ctx context.Context, sub Subscription) (Subscription, error) {
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
func (s *Service) logSubscriptionError(ctx context.Context, msg string, t Target, err error) {
	if errors.Is(err, ErrBadSubscription) {
		s.log.InfoContext(ctx, msg+": refused", "target", t.String(), "reason", err)
		return
	}
	s.log.ErrorContext(ctx, msg, "target", t.String(), "err", err)
}

// Unsubscribe removes a channel's own subscription. A schedule from the
// configuration cannot be removed from a channel: the error says so.
func (s *Service) Unsubscribe(ctx context.Context, t Target) (bool, error) {
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
		return removed, BadSubscription("this channel's digest at %s (%s) is set in briefbot's configuration; ask whoever runs briefbot to remove it",
			c.At, c.Timezone)
	}
	return removed, nil
}

// Preview builds the digest t would get now: in its subscription's zone
// and window (else UTC and 24 hours), with the stories of its last digest
// as follow-ups. When that window holds no briefings, it previews the
// latest day that does, so that a channel sees what a digest looks like.
func (s *Service) Preview(ctx context.Context, t Target) (Digest, error) {
	sub := Subscription{Platform: t.Platform, Channel: t.Channel}
	subs, err := s.Subscriptions()
	if err != nil {
		return Digest{}, err
	}
	for _, o := range subs {
		if o.Target() == t {
			sub = o
		}
	}
	now := s.clock.Now()
	loc := sub.Location()
	prev, err := s.ledger.Previous(t.String(), Day(now, loc))
	if err != nil {
		return Digest{}, err
	}
	opts := Options{Now: now, Location: loc, Window: sub.WindowDuration(), Previous: prev}
	d, err := Build(ctx, s.search, opts)
	if err != nil || !d.Empty() {
		return d, err
	}
	day, ok, err := latestDay(ctx, s.search, now, loc)
	if err != nil || !ok {
		return d, err
	}
	opts.Window, opts.Date = 0, day
	return Build(ctx, s.search, opts)
}

// latestDay is the calendar day (in loc) of the newest briefing published
// or ingested by now.
func latestDay(ctx context.Context, search bot.Searcher, now time.Time, loc *time.Location) (time.Time, bool, error) {
	metas, err := search.Articles(ctx)
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
	if !isDateOnly(latest) {
		l = latest.In(loc) // a date-only dateline is that day wherever one reads it
	}
	y, m, dd := l.Date()
	return time.Date(y, m, dd, 0, 0, 0, 0, time.UTC), true, nil
}

// Day is the calendar day of t in loc as the ledger keys it (YYYY-MM-DD):
// the one definition of a digest's day.
func Day(t time.Time, loc *time.Location) string {
	return t.In(loc).Format(retrieval.DateLayout)
}

// Plural writes n and the noun, "story" becoming "stories": the counts of
// a digest's rendering on every platform.
func Plural(n int, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	if strings.HasSuffix(noun, "story") {
		return fmt.Sprintf("%d %sies", n, strings.TrimSuffix(noun, "y"))
	}
	return fmt.Sprintf("%d %ss", n, noun)
}

// Replies of the subscribe and unsubscribe commands, the same on every
// platform (each escapes them for its markup).
const (
	UnsubscribedText  = "This channel will no longer get the daily digest."
	NotSubscribedText = "This channel is not subscribed to the daily digest. `/brief subscribe` subscribes it."
)

// SubscribedText confirms a subscription.
func SubscribedText(sub Subscription) string {
	return fmt.Sprintf("📰 This channel will get the daily digest of the briefings every day at %s (%s). `/brief unsubscribe` stops it.",
		sub.At, sub.Timezone)
}

// SubscriptionErrorText is what the user reads when Subscribe or
// Unsubscribe failed: the sentence of a BadSubscription (its
// bot.UserText) and true, else fallback and false (the failure is
// the server's, logged by the Service).
func SubscriptionErrorText(err error, fallback string) (string, bool) {
	if msg, ok := bot.UserText(err); ok {
		return bot.Sentence(msg), true
	}
	return fallback, false
}
