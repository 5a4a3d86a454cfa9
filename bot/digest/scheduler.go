package digest

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/go-co-op/gocron/v2"
	"github.com/jonboulle/clockwork"

	"github.com/briefbot/briefbot/bot"
)

// RunFunc posts sub's digest for the run scheduled at run.
type RunFunc func(ctx context.Context, sub Subscription, run time.Time) error

// Runner is the RunFunc that serve wires in: it builds the digest from s and
// posts it through the platform's poster, recording it in the ledger.
func Runner(s bot.Searcher, l *Ledger, posters Posters) RunFunc {
	return func(ctx context.Context, sub Subscription, run time.Time) error {
		p, err := posters.For(sub.Platform)
		if err != nil {
			return err
		}
		_, _, err = Deliver(ctx, s, l, p, sub.Delivery(run))
		return err
	}
}

// SchedulerOptions configures a Scheduler.
type SchedulerOptions struct {
	// Ledger says which runs already happened; required.
	Ledger *Ledger
	// Clock drives the schedule; nil means the real clock. Tests pass a
	// clockwork fake clock.
	Clock clockwork.Clock
	// Logger logs runs and failures; nil discards.
	Logger *slog.Logger
}

// Scheduler runs each subscription's digest every day at its local time,
// and at start runs once the latest run each subscription missed while the
// process was down. It never runs a channel twice for one day: runs are
// serialised and checked against the ledger, which persists across restarts.
type Scheduler struct {
	run    RunFunc
	ledger *Ledger
	clock  clockwork.Clock
	log    *slog.Logger
	cron   gocron.Scheduler

	runMu sync.Mutex // serialises runs: a check of the ledger and its post are one step

	mu      sync.Mutex
	jobs    map[Target]gocron.Job
	ctx     context.Context // the lifetime of runs, from Start to Close
	cancel  context.CancelFunc
	catchUp sync.WaitGroup
}

// NewScheduler returns a scheduler calling run; Start starts it.
func NewScheduler(run RunFunc, opts SchedulerOptions) (*Scheduler, error) {
	if run == nil || opts.Ledger == nil {
		return nil, errors.New("digest: a scheduler needs a run function and a ledger")
	}
	if opts.Clock == nil {
		opts.Clock = clockwork.NewRealClock()
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	cron, err := gocron.NewScheduler(gocron.WithClock(opts.Clock), gocron.WithLocation(time.UTC))
	if err != nil {
		return nil, fmt.Errorf("digest: scheduler: %w", err)
	}
	return &Scheduler{run: run, ledger: opts.Ledger, clock: opts.Clock, log: opts.Logger, cron: cron, jobs: map[Target]gocron.Job{}}, nil
}

// Start schedules subs, runs the missed ones once, and starts the clock.
// Runs stop when ctx ends or Close is called.
func (s *Scheduler) Start(ctx context.Context, subs []Subscription) error {
	s.mu.Lock()
	s.ctx, s.cancel = context.WithCancel(ctx)
	s.mu.Unlock()
	if err := s.Set(subs); err != nil {
		return err
	}
	now := s.clock.Now()
	for _, sub := range subs {
		sub, err := sub.Normalize()
		if err != nil {
			continue // Set has already reported it
		}
		run := sub.LatestRun(now)
		if !sub.Created.IsZero() && run.Before(sub.Created) {
			continue // subscribed after that run: nothing was missed
		}
		s.catchUp.Add(1)
		go func() {
			defer s.catchUp.Done()
			s.runOnce(sub, run, "catch-up")
		}()
	}
	s.cron.Start()
	return nil
}

// Set replaces the scheduled subscriptions (after a channel subscribes or
// unsubscribes). It does not catch up: a channel that subscribes at 10:00
// for 08:00 gets its first digest the next morning.
func (s *Scheduler) Set(subs []Subscription) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	for t, j := range s.jobs {
		if err := s.cron.RemoveJob(j.ID()); err != nil {
			return fmt.Errorf("digest: unschedule %s: %w", t, err)
		}
		delete(s.jobs, t)
	}
	var errs []error
	for _, sub := range subs {
		sub, err := sub.Normalize()
		if err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", sub.Target(), err))
			continue
		}
		h, m, _ := sub.clock()
		spec := fmt.Sprintf("CRON_TZ=%s %d %d * * *", sub.Timezone, m, h)
		j, err := s.cron.NewJob(gocron.CronJob(spec, false), gocron.NewTask(func() {
			s.runOnce(sub, sub.LatestRun(s.clock.Now()), "scheduled")
		}), gocron.WithName(sub.Target().String()))
		if err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", sub.Target(), err))
			continue
		}
		s.jobs[sub.Target()] = j
	}
	return errors.Join(errs...)
}

// NextRun returns when target's digest runs next.
func (s *Scheduler) NextRun(t Target) (time.Time, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	j, ok := s.jobs[t]
	if !ok {
		return time.Time{}, false
	}
	next, err := j.NextRun()
	return next, err == nil
}

// runOnce runs sub for the run at run unless the ledger holds that day.
func (s *Scheduler) runOnce(sub Subscription, run time.Time, why string) {
	s.mu.Lock()
	ctx := s.ctx
	s.mu.Unlock()
	if ctx == nil || ctx.Err() != nil {
		return
	}
	s.runMu.Lock()
	defer s.runMu.Unlock()
	target := sub.Target().String()
	day := run.In(sub.Location()).Format("2006-01-02")
	done, err := s.ledger.Posted(target, day)
	if err != nil {
		s.log.ErrorContext(ctx, "digest ledger", "target", target, "err", err)
		return
	}
	if done {
		s.log.DebugContext(ctx, "digest already posted", "target", target, "day", day)
		return
	}
	if err := s.run(ctx, sub, run); err != nil {
		s.log.ErrorContext(ctx, "digest run failed", "target", target, "day", day, "why", why, "err", err)
		return
	}
	s.log.InfoContext(ctx, "digest run", "target", target, "day", day, "why", why)
}

// Close stops the schedule and waits for runs in progress.
func (s *Scheduler) Close() error {
	s.mu.Lock()
	if s.cancel != nil {
		s.cancel()
	}
	s.mu.Unlock()
	err := s.cron.Shutdown()
	s.catchUp.Wait()
	return err
}
