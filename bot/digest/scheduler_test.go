package digest

import (
	"context"
	"testing"
	"time"

	"github.com/jonboulle/clockwork"
)

// runRecorder is a RunFunc that checks and records runs in the ledger, as
// Deliver does, and reports the runs it posts on a channel.
type runRecorder struct {
	ledger *Ledger
	runs   chan time.Time
}

func (r *runRecorder) run(_ context.Context, sub Subscription, run time.Time) (Outcome, error) {
	target, day := sub.Target().String(), Day(run, sub.Location())
	if done, err := r.ledger.Posted(target, day); err != nil || done {
		return AlreadyPosted, err
	}
	if err := r.ledger.Record(target, day, run, Digest{}); err != nil {
		return "", err
	}
	r.runs <- run
	return Posted, nil
}

func (r *runRecorder) next(t *testing.T) time.Time {
	t.Helper()
	select {
	case run := <-r.runs:
		return run
	case <-time.After(10 * time.Second):
		t.Fatal("no run")
		return time.Time{}
	}
}

func (r *runRecorder) none(t *testing.T) {
	t.Helper()
	select {
	case run := <-r.runs:
		t.Fatalf("unexpected run at %s", run)
	default:
	}
}

func startScheduler(t *testing.T, dir string, clock *clockwork.FakeClock, subs ...Subscription) (*Scheduler, *runRecorder) {
	t.Helper()
	rec := &runRecorder{ledger: OpenLedger(dir), runs: make(chan time.Time, 10)}
	s, err := NewScheduler(rec.run, SchedulerOptions{Clock: clock})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Start(context.Background(), subs); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s, rec
}

// advanceTo waits until the scheduler has set its timers, then moves the
// fake clock to at.
func advanceTo(t *testing.T, clock *clockwork.FakeClock, waiters int, at time.Time) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := clock.BlockUntilContext(ctx, waiters); err != nil {
		t.Fatalf("timers not set: %v", err)
	}
	clock.Advance(at.Sub(clock.Now()))
}

func mustLoad(t *testing.T, name string) *time.Location {
	t.Helper()
	loc, err := time.LoadLocation(name)
	if err != nil {
		t.Fatal(err)
	}
	return loc
}

func TestSchedulerRunsAtLocalTime(t *testing.T) {
	kyiv := mustLoad(t, "Europe/Kyiv")
	start := time.Date(2025, 6, 10, 7, 0, 0, 0, kyiv)
	clock := clockwork.NewFakeClockAt(start)
	sub := Subscription{Platform: "slack", Channel: "C1", At: "08:00", Timezone: "Europe/Kyiv", Created: start}
	s, rec := startScheduler(t, t.TempDir(), clock, sub)
	next, ok := s.NextRun(sub.Target())
	if want := time.Date(2025, 6, 10, 8, 0, 0, 0, kyiv); !ok || !next.Equal(want) {
		t.Fatalf("next run %s, want %s", next, want)
	}
	rec.none(t) // created before today's run: nothing to catch up
	advanceTo(t, clock, 1, time.Date(2025, 6, 10, 8, 0, 0, 0, kyiv))
	if got := rec.next(t); !got.Equal(time.Date(2025, 6, 10, 5, 0, 0, 0, time.UTC)) {
		t.Fatalf("ran at %s, want 05:00 UTC (08:00 in Kyiv, summer time)", got.UTC())
	}
	advanceTo(t, clock, 1, time.Date(2025, 6, 11, 8, 0, 0, 0, kyiv))
	if got := rec.next(t); !got.Equal(time.Date(2025, 6, 11, 8, 0, 0, 0, kyiv)) {
		t.Fatalf("second day ran at %s", got)
	}
}

func TestSchedulerAcrossDST(t *testing.T) {
	ny := mustLoad(t, "America/New_York")
	// Clocks go forward on Sunday 9 March 2025 at 02:00.
	start := time.Date(2025, 3, 8, 7, 0, 0, 0, ny)
	clock := clockwork.NewFakeClockAt(start)
	sub := Subscription{Platform: "discord", Channel: "42", At: "08:00", Timezone: "America/New_York", Created: start}
	_, rec := startScheduler(t, t.TempDir(), clock, sub)
	advanceTo(t, clock, 1, time.Date(2025, 3, 8, 13, 0, 0, 0, time.UTC))
	first := rec.next(t)
	advanceTo(t, clock, 1, time.Date(2025, 3, 9, 12, 0, 0, 0, time.UTC))
	second := rec.next(t)
	if first.In(ny).Hour() != 8 || second.In(ny).Hour() != 8 {
		t.Fatalf("runs at %s and %s, want 08:00 local both days", first.In(ny), second.In(ny))
	}
	if gap := second.Sub(first); gap != 23*time.Hour {
		t.Fatalf("gap across the change %s, want 23h", gap)
	}
}

// TestSchedulerDSTSkippedAndRepeatedTimes walks the clock in 10-minute
// steps over daylight-saving changes and counts every time the scheduler
// fires (the run function keeps no ledger, so a second firing on one day
// would show): a local time the change skips runs once, when the clocks
// have jumped; one the change repeats runs once, the first time.
func TestSchedulerDSTSkippedAndRepeatedTimes(t *testing.T) {
	for _, tc := range []struct {
		name, zone, at string
		day            time.Time // the day of the change, in UTC
		want, next     time.Time // the run that day and the next day's
	}{
		{"new york spring forward", "America/New_York", "02:30",
			time.Date(2025, 3, 9, 0, 0, 0, 0, time.UTC), time.Date(2025, 3, 9, 7, 30, 0, 0, time.UTC), // 03:30 EDT
			time.Date(2025, 3, 10, 6, 30, 0, 0, time.UTC)},
		{"new york fall back", "America/New_York", "01:30",
			time.Date(2025, 11, 2, 0, 0, 0, 0, time.UTC), time.Date(2025, 11, 2, 5, 30, 0, 0, time.UTC), // 01:30 EDT, not EST
			time.Date(2025, 11, 3, 6, 30, 0, 0, time.UTC)},
		{"berlin spring forward", "Europe/Berlin", "02:30",
			time.Date(2025, 3, 30, 0, 0, 0, 0, time.UTC), time.Date(2025, 3, 30, 1, 30, 0, 0, time.UTC), // 03:30 CEST
			time.Date(2025, 3, 31, 0, 30, 0, 0, time.UTC)},
		{"berlin fall back", "Europe/Berlin", "02:30",
			time.Date(2025, 10, 26, 0, 0, 0, 0, time.UTC), time.Date(2025, 10, 26, 0, 30, 0, 0, time.UTC), // 02:30 CEST, not CET
			time.Date(2025, 10, 27, 1, 30, 0, 0, time.UTC)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			loc := mustLoad(t, tc.zone)
			start := time.Date(tc.day.Year(), tc.day.Month(), tc.day.Day()-1, 12, 0, 0, 0, loc)
			end := time.Date(tc.day.Year(), tc.day.Month(), tc.day.Day()+1, 12, 0, 0, 0, loc)
			clock := clockwork.NewFakeClockAt(start)
			type firing struct{ run, at time.Time }
			fired := make(chan firing, 100)
			run := func(_ context.Context, _ Subscription, run time.Time) (Outcome, error) {
				fired <- firing{run, clock.Now()}
				return Posted, nil
			}
			sub := Subscription{Platform: "slack", Channel: "C1", At: tc.at, Timezone: tc.zone, Created: start}
			s, err := NewScheduler(run, SchedulerOptions{Clock: clock})
			if err != nil {
				t.Fatal(err)
			}
			if err := s.Start(context.Background(), []Subscription{sub}); err != nil {
				t.Fatal(err)
			}
			defer s.Close()
			if next, _ := s.NextRun(sub.Target()); !next.Equal(tc.want) {
				t.Fatalf("next run %s, want %s", next, tc.want.In(loc))
			}
			for clock.Now().Before(end) {
				advanceTo(t, clock, 1, clock.Now().Add(10*time.Minute))
			}
			advanceTo(t, clock, 1, clock.Now()) // the loop is idle again: every run has reported
			var got []firing
			for len(fired) > 0 {
				got = append(got, <-fired)
			}
			if len(got) != 2 || !got[0].run.Equal(tc.want) || !got[0].at.Equal(tc.want) ||
				!got[1].run.Equal(tc.next) || !got[1].at.Equal(tc.next) {
				t.Fatalf("fired %v, want once at %s and once at %s", got, tc.want.In(loc), tc.next.In(loc))
			}
		})
	}
}

func TestSchedulerCatchesUpOnceAndNotTwice(t *testing.T) {
	dir := t.TempDir()
	utc := time.UTC
	created := time.Date(2025, 12, 1, 12, 0, 0, 0, utc)
	sub := Subscription{Platform: "slack", Channel: "C1", At: "08:00", Timezone: "UTC", Created: created}
	// Down from 1 December until the afternoon of 5 December: 4 missed runs,
	// caught up once, for the latest (5 December 08:00).
	back := time.Date(2025, 12, 5, 15, 0, 0, 0, utc)
	clock := clockwork.NewFakeClockAt(back)
	s, rec := startScheduler(t, dir, clock, sub)
	if got := rec.next(t); !got.Equal(time.Date(2025, 12, 5, 8, 0, 0, 0, utc)) {
		t.Fatalf("caught up %s, want the 5 December run", got)
	}
	s.Close()
	rec.none(t)

	// A restart the same day posts nothing more.
	clock2 := clockwork.NewFakeClockAt(back.Add(time.Hour))
	s2, rec2 := startScheduler(t, dir, clock2, sub)
	s2.Close() // waits for any catch-up run
	rec2.none(t)

	// Nor does the day's scheduled job if it fires again (say, the clock was
	// set back). 4 December was posted by hand (briefbot digest --post).
	if err := OpenLedger(dir).Record("slack:C1", "2025-12-04", back, Digest{}); err != nil {
		t.Fatal(err)
	}
	clock3 := clockwork.NewFakeClockAt(time.Date(2025, 12, 5, 7, 0, 0, 0, utc))
	_, rec3 := startScheduler(t, dir, clock3, sub)
	advanceTo(t, clock3, 1, time.Date(2025, 12, 5, 8, 0, 0, 0, utc))
	// The next day's run proves the scheduler fired and moved on.
	advanceTo(t, clock3, 1, time.Date(2025, 12, 6, 8, 0, 0, 0, utc))
	if got := rec3.next(t); !got.Equal(time.Date(2025, 12, 6, 8, 0, 0, 0, utc)) {
		t.Fatalf("got run %s, want only 6 December", got)
	}
	rec3.none(t)
	posts := 0
	for _, day := range []string{"2025-12-02", "2025-12-03", "2025-12-04", "2025-12-05", "2025-12-06"} {
		if ok, _ := OpenLedger(dir).Posted("slack:C1", day); ok {
			posts++
		}
	}
	if posts != 3 {
		t.Fatalf("ledger holds %d posts, want 3 (4, 5 and 6 December)", posts)
	}
}

func TestSubscriptionsStore(t *testing.T) {
	dir := t.TempDir()
	now := time.Date(2025, 12, 1, 9, 0, 0, 0, time.UTC)
	s := OpenSubscriptions(dir, func() time.Time { return now })
	if _, err := s.Add(Subscription{Platform: "slack", Channel: "C1", At: "8am"}); err == nil {
		t.Fatal("a bad time must be refused")
	}
	if _, err := s.Add(Subscription{Platform: "slack", Channel: "C1", Timezone: "Mars/Olympus"}); err == nil {
		t.Fatal("a bad zone must be refused")
	}
	got, err := s.Add(Subscription{Platform: "slack", Channel: "C1", Timezone: "Europe/Kyiv"})
	if err != nil || got.At != "08:00" || got.Window != "24h" || !got.Created.Equal(now) {
		t.Fatalf("Add = %+v, %v", got, err)
	}
	if _, err := s.Add(Subscription{Platform: "discord", Channel: "9", At: "07:30"}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Add(Subscription{Platform: "slack", Channel: "C1", At: "09:15", Timezone: "UTC"}); err != nil {
		t.Fatal(err)
	}
	list, err := OpenSubscriptions(dir, nil).List()
	if err != nil || len(list) != 2 || list[1].At != "09:15" {
		t.Fatalf("List = %+v, %v", list, err)
	}
	if ok, err := s.Remove(Target{"slack", "C1"}); !ok || err != nil {
		t.Fatalf("Remove = %v, %v", ok, err)
	}
	if ok, _ := s.Remove(Target{"slack", "C1"}); ok {
		t.Fatal("removed twice")
	}
	if list, _ := s.List(); len(list) != 1 || list[0].Platform != "discord" {
		t.Fatalf("after remove: %+v", list)
	}
}

// TestNextRunOncePerLocalDay follows nextRun from run to run over a year in zones with unusual changes (half-hour DST on Lord Howe, changes
// at midnight in Santiago and Havana, a zone that skipped a whole day in
// Apia) at times that fall in their gaps and overlaps: every local day
// that has the time gets exactly one run, at that local time when it
// exists, and runs are never closer than the clocks allow.
func TestNextRunOncePerLocalDay(t *testing.T) {
	for _, zone := range []string{"Australia/Lord_Howe", "Pacific/Apia", "America/Santiago", "America/Havana", "America/New_York", "Europe/Berlin", "Asia/Tehran", "UTC"} {
		loc := mustLoad(t, zone)
		for _, at := range []string{"00:00", "00:30", "01:30", "02:00", "02:30", "23:30"} {
			sub := Subscription{Platform: "slack", Channel: "C1", At: at, Timezone: zone}
			h, m, _ := sub.clock()
			t0 := time.Date(2011, 6, 1, 12, 0, 0, 0, loc)
			prev := t0
			days := map[string]int{}
			for run := sub.nextRun(t0); run.Before(t0.AddDate(1, 0, 0)); run = sub.nextRun(run) {
				if !run.After(prev) {
					t.Fatalf("%s %s: run %s not after %s", zone, at, run, prev)
				}
				if gap := run.Sub(prev); prev != t0 && (gap < 20*time.Hour || gap > 50*time.Hour) {
					t.Fatalf("%s %s: %s after the previous run at %s", zone, at, gap, prev.In(loc))
				}
				local := run.In(loc)
				days[local.Format(time.DateOnly)]++
				if exists := time.Date(local.Year(), local.Month(), local.Day(), h, m, 0, 0, loc); exists.In(loc).Hour() == h && exists.In(loc).Minute() == m &&
					(local.Hour() != h || local.Minute() != m) {
					t.Fatalf("%s %s: ran at %s although the day has %s", zone, at, local, at)
				}
				if !sub.LatestRun(run).Equal(run) || !sub.LatestRun(run.Add(time.Minute)).Equal(run) {
					t.Fatalf("%s %s: LatestRun disagrees with nextRun at %s", zone, at, local)
				}
				prev = run
			}
			for day, n := range days {
				if n != 1 {
					t.Fatalf("%s %s: %d runs on %s", zone, at, n, day)
				}
			}
			if len(days) < 365-2 {
				t.Fatalf("%s %s: only %d days with a run in a year", zone, at, len(days))
			}
		}
	}
}
