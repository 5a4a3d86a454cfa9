package digest

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/jonboulle/clockwork"
)

// RunFunc posts sub's digest for the run scheduled at run and says what
// it did (Deliver's outcome: a run the ledger already holds is
// AlreadyPosted).
type RunFunc func(ctx context.Context, sub Subscription, run time.Time) (Outcome, error)

// SchedulerOptions configures a Scheduler.
type SchedulerOptions struct {
	// Clock drives the schedule; nil means the real clock. Tests pass a
	// clockwork fake clock.
	Clock clockwork.Clock
	// Logger logs runs and failures; nil discards.
	Logger *slog.Logger
}

// maxWait bounds one sleep of the scheduler, so that a wall clock that was
// stepped (NTP, a suspended machine) is noticed within it: timers measure
// elapsed time, the schedule is in wall-clock time.
const maxWait = 10 * time.Minute

// Scheduler runs each subscription's digest every day at its local time,
// and at start runs once the latest run each subscription missed while the
// process was down. It never runs a channel twice for one day: runs are
// serialised, and the RunFunc (Deliver) checks the ledger, which persists
// across restarts, before it posts.
//
// A local time that a daylight-saving change skips (02:30 on a
// spring-forward day) runs once, when the clocks have jumped (03:30); one
// that happens twice (01:30 on a fall-back day) runs once, the first time.
type Scheduler struct {
	run   RunFunc
	clock clockwork.Clock
	log   *slog.Logger

	runMu sync.Mutex // serialises runs: Deliver's check of the ledger and its post are one step

	mu      sync.Mutex
	jobs    map[Target]*job
	changed chan struct{}   // wakes the loop after Set; buffered, one pending signal
	ctx     context.Context // the lifetime of runs, from Start to Close
	cancel  context.CancelFunc
	wg      sync.WaitGroup // the loop and the catch-up runs
}

// job is one scheduled subscription and its next run.
type job struct {
	sub  Subscription
	next time.Time
}

// NewScheduler returns a scheduler calling run; Start starts it.
func NewScheduler(run RunFunc, opts SchedulerOptions) (*Scheduler, error) {
	if run == nil {
		return nil, errors.New("digest: a scheduler needs a run function")
	}
	if opts.Clock == nil {
		opts.Clock = clockwork.NewRealClock()
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	return &Scheduler{
		run: run, clock: opts.Clock, log: opts.Logger,
		jobs: map[Target]*job{}, changed: make(chan struct{}, 1),
	}, nil
}

// Start schedules subs, runs the missed ones once, and starts the clock.
// Runs stop when ctx ends or Close is called. Start is called once.
func (s *Scheduler) Start(ctx context.Context, subs []Subscription) error {
	s.mu.Lock()
	if s.ctx != nil {
		s.mu.Unlock()
		return errors.New("digest: scheduler already started")
	}
	s.ctx, s.cancel = context.WithCancel(ctx)
	runCtx := s.ctx
	s.mu.Unlock()
	err := s.Set(subs)
	select {
	case <-s.changed: // the loop below reads the jobs Set made
	default:
	}
	s.catchUp(subs, "catch-up")
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		s.loop(runCtx)
	}()
	return err
}

// catchUp runs, in the background, the latest run of each of subs that
// the ledger does not hold.
func (s *Scheduler) catchUp(subs []Subscription, why string) {
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
		s.wg.Add(1)
		go func() {
			defer s.wg.Done()
			s.runOnce(sub, run, why)
		}()
	}
}

// CatchUp runs again, once, the latest run of every scheduled
// subscription that the ledger does not hold, as Start does. In a cluster
// the leader calls it periodically: a run that another replica claimed and
// never finished (it died) is taken over once that claim's lease ends.
// It returns at once; Close waits for the runs.
func (s *Scheduler) CatchUp() {
	s.mu.Lock()
	if s.ctx == nil || s.ctx.Err() != nil {
		s.mu.Unlock()
		return
	}
	defer s.mu.Unlock() // Close cancels under mu: no run is added after it
	subs := make([]Subscription, 0, len(s.jobs))
	for _, j := range s.jobs {
		subs = append(subs, j.sub)
	}
	s.catchUp(subs, "sweep")
}

// Set replaces the scheduled subscriptions (after a channel subscribes or
// unsubscribes). It does not catch up: a channel that subscribes at 10:00
// for 08:00 gets its first digest the next morning. A subscription that
// does not normalize is reported and left out; the others are scheduled.
func (s *Scheduler) Set(subs []Subscription) error {
	now := s.clock.Now()
	jobs := make(map[Target]*job, len(subs))
	var errs []error
	for _, sub := range subs {
		sub, err := sub.Normalize()
		if err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", sub.Target(), err))
			continue
		}
		jobs[sub.Target()] = &job{sub: sub, next: sub.nextRun(now)}
	}
	s.mu.Lock()
	s.jobs = jobs
	s.mu.Unlock()
	select {
	case s.changed <- struct{}{}:
	default: // a wake-up is already pending
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
	return j.next, true
}

// loop sleeps until the earliest next run, runs what is due and
// reschedules it, until ctx ends.
func (s *Scheduler) loop(ctx context.Context) {
	for {
		var due []Subscription
		now := s.clock.Now()
		var earliest time.Time
		s.mu.Lock()
		for _, j := range s.jobs {
			if !j.next.After(now) {
				due = append(due, j.sub)
				j.next = j.sub.nextRun(now)
			}
			if earliest.IsZero() || j.next.Before(earliest) {
				earliest = j.next
			}
		}
		s.mu.Unlock()
		for _, sub := range due {
			// The latest run, not the one that was due: after a long
			// stall the channel gets today's digest, not a backlog.
			s.runOnce(sub, sub.LatestRun(now), "scheduled")
		}
		if len(due) > 0 {
			continue // runs take time: look at the clock again
		}
		var wake <-chan time.Time // nil, no job: wait for Set
		var timer clockwork.Timer
		if !earliest.IsZero() {
			timer = s.clock.NewTimer(min(earliest.Sub(now), maxWait))
			wake = timer.Chan()
		}
		select {
		case <-ctx.Done():
		case <-s.changed:
		case <-wake:
		}
		if timer != nil {
			timer.Stop()
		}
		if ctx.Err() != nil {
			return
		}
	}
}

// runOnce runs sub for the run at run; the run function skips a day the
// ledger holds.
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
	day := Day(run, sub.Location())
	out, err := s.run(ctx, sub, run)
	switch {
	case err != nil:
		s.log.ErrorContext(ctx, "digest run failed", "target", target, "day", day, "why", why, "err", err)
	case out == AlreadyPosted:
		s.log.DebugContext(ctx, "digest already posted", "target", target, "day", day)
	default:
		s.log.InfoContext(ctx, "digest run", "target", target, "day", day, "why", why, "outcome", string(out))
	}
}

// Close stops the schedule and waits for runs in progress.
func (s *Scheduler) Close() error {
	s.mu.Lock()
	if s.cancel != nil {
		s.cancel()
	}
	s.mu.Unlock()
	s.wg.Wait()
	return nil
}

// nextRun is the first scheduled run strictly after t.
func (s Subscription) nextRun(t time.Time) time.Time {
	local := t.In(s.Location())
	// Two days always suffice: today's run, else tomorrow's (which can be
	// at most a day and a DST shift away); the third is a guard.
	for i := range 3 {
		if run := s.runOn(local.Year(), local.Month(), local.Day()+i); run.After(t) {
			return run
		}
	}
	return s.runOn(local.Year(), local.Month(), local.Day()+3)
}

// runOn is the instant of the run on the local day y-m-d (d may overflow,
// as in time.Date). time.Date leaves unspecified which instant it picks
// for a wall time a DST change skips or repeats, and picks differently
// per zone; runOn decides: a repeated time is its first occurrence, a
// skipped one is read with the offset in force before the change, so it
// lands as far after the jump as it was meant after the change (02:30
// becomes 03:30).
func (s Subscription) runOn(y int, mo time.Month, d int) time.Time {
	h, m, _ := s.clock()
	loc := s.Location()
	wall := time.Date(y, mo, d, h, m, 0, 0, time.UTC) // the wall time, read as UTC
	offsetAt := func(t time.Time) time.Duration {
		_, off := t.In(loc).Zone()
		return time.Duration(off) * time.Second
	}
	before, after := offsetAt(wall.Add(-26*time.Hour)), offsetAt(wall.Add(26*time.Hour))
	var first time.Time
	for _, off := range []time.Duration{before, after, offsetAt(wall)} {
		at := wall.Add(-off)
		l := at.In(loc)
		if l.Year() == wall.Year() && l.YearDay() == wall.YearDay() && l.Hour() == h && l.Minute() == m {
			if first.IsZero() || at.Before(first) {
				first = at
			}
		}
	}
	if first.IsZero() {
		first = wall.Add(-before) // skipped by the change
	}
	return first.In(loc)
}

// locations caches loaded zones by name: time.LoadLocation reads and
// parses the zone file on every call, and the schedule asks for the same
// few zones at every run.
var locations sync.Map // string -> *time.Location

// loadLocation is time.LoadLocation, cached; an error is not cached.
func loadLocation(name string) (*time.Location, error) {
	if loc, ok := locations.Load(name); ok {
		return loc.(*time.Location), nil
	}
	loc, err := time.LoadLocation(name)
	if err != nil {
		return nil, err
	}
	locations.Store(name, loc)
	return loc, nil
}
