package bot

import (
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// fakeClock is a settable clock safe for concurrent reads.
type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func newFakeClock() *fakeClock {
	return &fakeClock{t: time.Date(2025, 12, 6, 9, 0, 0, 0, time.UTC)}
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

func mustSeen(t *testing.T, d *Deduper, key string, want bool) {
	t.Helper()
	got, err := d.Seen(key)
	if err != nil {
		t.Fatalf("Seen(%q): %v", key, err)
	}
	if got != want {
		t.Fatalf("Seen(%q) = %v, want %v", key, got, want)
	}
}

func TestDeduper(t *testing.T) {
	for _, persisted := range []bool{false, true} {
		t.Run(fmt.Sprintf("persisted=%v", persisted), func(t *testing.T) {
			dir := ""
			if persisted {
				dir = t.TempDir()
			}
			clock := newFakeClock()
			d, err := OpenDeduper(dir, 10*time.Minute, clock.Now)
			if err != nil {
				t.Fatal(err)
			}
			defer d.Close()

			mustSeen(t, d, "Ev1", false)
			mustSeen(t, d, "Ev1", true)
			mustSeen(t, d, "Ev2", false)

			clock.Advance(9*time.Minute + 59*time.Second)
			mustSeen(t, d, "Ev1", true) // still inside the window

			// The window runs from the first sighting, not the last.
			clock.Advance(time.Second)
			mustSeen(t, d, "Ev1", false)
			mustSeen(t, d, "Ev1", true)
		})
	}
}

func TestDeduperSurvivesRestart(t *testing.T) {
	dir := t.TempDir()
	clock := newFakeClock()
	d, err := OpenDeduper(dir, 10*time.Minute, clock.Now)
	if err != nil {
		t.Fatal(err)
	}
	mustSeen(t, d, "old", false)
	clock.Advance(6 * time.Minute)
	mustSeen(t, d, "Ev1", false)
	mustSeen(t, d, "C1:1765000000.000100", false)
	if err := d.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := d.Seen("x"); !errors.Is(err, ErrDeduperClosed) {
		t.Fatalf("Seen after Close: err = %v, want ErrDeduperClosed", err)
	}

	// A crash mid-append leaves a torn last line; it must not stop the reopen.
	f, err := os.OpenFile(d.Path(), os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.WriteString(`{"k":"torn","t":17`); err != nil {
		t.Fatal(err)
	}
	f.Close()

	clock.Advance(5 * time.Minute) // "old" is now 11 minutes old
	d2, err := OpenDeduper(dir, 10*time.Minute, clock.Now)
	if err != nil {
		t.Fatal(err)
	}
	defer d2.Close()
	mustSeen(t, d2, "Ev1", true)
	mustSeen(t, d2, "C1:1765000000.000100", true)
	mustSeen(t, d2, "old", false) // expired across the restart

	// Compaction at open dropped the expired key and the torn line.
	data, err := os.ReadFile(d2.Path())
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(data), "torn") {
		t.Errorf("log still holds the torn line after compaction:\n%s", data)
	}
	if n := strings.Count(string(data), "\n"); n != 3 { // Ev1, C1:..., old (re-marked)
		t.Errorf("log has %d lines after compaction and one append, want 3:\n%s", n, data)
	}
}

func TestDeduperCompactsWhileRunning(t *testing.T) {
	dir := t.TempDir()
	clock := newFakeClock()
	d, err := OpenDeduper(dir, time.Minute, clock.Now)
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	for i := range 3000 {
		mustSeen(t, d, fmt.Sprintf("k%d", i), false)
		clock.Advance(time.Second) // about 60 keys are live at any time
	}
	data, err := os.ReadFile(d.Path())
	if err != nil {
		t.Fatal(err)
	}
	if n := strings.Count(string(data), "\n"); n > 1100 {
		t.Errorf("log has %d lines, want it compacted to about the live keys", n)
	}
	mustSeen(t, d, "k2999", true)
	mustSeen(t, d, "k0", false)
}

func TestDeduperConcurrent(t *testing.T) {
	d, err := OpenDeduper(t.TempDir(), time.Hour, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	var firsts atomic.Int32
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			for k := range 20 {
				seen, err := d.Seen(fmt.Sprintf("key%d", k))
				if err != nil {
					t.Error(err)
					return
				}
				if !seen {
					firsts.Add(1)
				}
			}
		})
	}
	wg.Wait()
	if got := firsts.Load(); got != 20 {
		t.Fatalf("%d callers saw a key first, want exactly 20 (one a key)", got)
	}
}

func TestOpenDeduperRejectsBadTTL(t *testing.T) {
	if _, err := OpenDeduper(t.TempDir(), 0, nil); err == nil {
		t.Fatal("OpenDeduper with ttl 0 succeeded")
	}
}

func mustClaim(t *testing.T, d *Deduper, key string, want bool) {
	t.Helper()
	got, err := d.Claim(key, json.RawMessage(`{"q":"`+key+`"}`))
	if err != nil {
		t.Fatalf("Claim(%q): %v", key, err)
	}
	if got != want {
		t.Fatalf("Claim(%q) = %v, want %v", key, got, want)
	}
}

func TestDeduperClaimDone(t *testing.T) {
	clock := newFakeClock()
	d, err := OpenDeduper("", 10*time.Minute, clock.Now)
	if err != nil {
		t.Fatal(err)
	}
	mustClaim(t, d, "Ev1", true)
	mustClaim(t, d, "Ev1", false) // in flight: a retry or a twin
	mustSeen(t, d, "Ev1", true)   // a claim counts as seen
	d.Release("Ev1")              // the post failed
	mustClaim(t, d, "Ev1", true)  // the retry is answered
	if err := d.Done("Ev1"); err != nil {
		t.Fatal(err)
	}
	mustClaim(t, d, "Ev1", false)
	d.Release("Ev1") // a done key stays done
	mustClaim(t, d, "Ev1", false)

	// A claim whose answer hung past the lease is taken over.
	mustClaim(t, d, "Ev2", true)
	clock.Advance(DefaultClaimLease)
	mustClaim(t, d, "Ev2", true)
}

// TestDeduperCrashBetweenClaimAndDone is the crash of issue 10: a claim
// written, no done, a new process over the same file. Slack's retry is
// answered exactly once; a retry of a done event is dropped.
func TestDeduperCrashBetweenClaimAndDone(t *testing.T) {
	dir := t.TempDir()
	clock := newFakeClock()
	d1, err := OpenDeduper(dir, 15*time.Minute, clock.Now)
	if err != nil {
		t.Fatal(err)
	}
	mustClaim(t, d1, "event:Ev1", true) // accepted, never answered
	mustClaim(t, d1, "event:Ev2", true)
	if err := d1.Done("event:Ev2"); err != nil { // answered
		t.Fatal(err)
	}
	mustClaim(t, d1, "event:Ev3", true) // accepted, never answered
	// The crash: no Close, the file stays as written.

	clock.Advance(time.Minute)
	d2, err := OpenDeduper(dir, 15*time.Minute, clock.Now)
	if err != nil {
		t.Fatal(err)
	}
	defer d2.Close()
	pending := d2.Pending("event:")
	if len(pending) != 2 || pending[0].Key != "event:Ev1" || pending[1].Key != "event:Ev3" ||
		string(pending[0].Data) != `{"q":"event:Ev1"}` {
		t.Fatalf("Pending = %+v, want Ev1 and Ev3 with their data", pending)
	}
	mustClaim(t, d2, "event:Ev1", true)  // Slack's retry: answered
	mustClaim(t, d2, "event:Ev1", false) // its next retry, while answering: dropped
	mustClaim(t, d2, "event:Ev2", false) // a retry of a done event: dropped
	if err := d2.Done("event:Ev1"); err != nil {
		t.Fatal(err)
	}
	if p := d2.Pending("event:"); len(p) != 1 || p[0].Key != "event:Ev3" {
		t.Fatalf("Pending after answering Ev1 = %+v, want only Ev3", p)
	}

	// And once more across a clean restart: done stays done.
	d2.Close()
	d3, err := OpenDeduper(dir, 15*time.Minute, clock.Now)
	if err != nil {
		t.Fatal(err)
	}
	defer d3.Close()
	mustClaim(t, d3, "event:Ev1", false)
	mustClaim(t, d3, "event:Ev2", false)
	mustClaim(t, d3, "event:Ev3", true)

	// Pending claims expire with the window.
	clock.Advance(15 * time.Minute)
	if p := d3.Pending("event:"); len(p) != 0 {
		t.Fatalf("Pending after the window = %+v, want none", p)
	}
}

// TestDeduperReadsOldLogs: lines written before claims existed mean done.
func TestDeduperReadsOldLogs(t *testing.T) {
	dir := t.TempDir()
	clock := newFakeClock()
	old := fmt.Sprintf(`{"k":"slack:event:Ev1","t":%d}`+"\n", clock.Now().Add(-time.Minute).UnixMilli())
	if err := os.WriteFile(dir+"/"+DedupeFile, []byte(old), 0o644); err != nil {
		t.Fatal(err)
	}
	d, err := OpenDeduper(dir, 15*time.Minute, clock.Now)
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	mustClaim(t, d, "slack:event:Ev1", false)
	if p := d.Pending(""); len(p) != 0 {
		t.Fatalf("Pending = %+v, want none", p)
	}
}

// TestDeduperFullDisk: a log that cannot be rewritten or appended to is a
// warning, counted; the deduper keeps working in memory and rewrites the
// log once it can.
func TestDeduperFullDisk(t *testing.T) {
	dir := t.TempDir()
	clock := newFakeClock()
	d0, err := OpenDeduper(dir, 15*time.Minute, clock.Now)
	if err != nil {
		t.Fatal(err)
	}
	mustClaim(t, d0, "Ev0", true)
	if err := d0.Done("Ev0"); err != nil {
		t.Fatal(err)
	}
	d0.Close()

	var full atomic.Bool
	full.Store(true)
	errFull := errors.New("no space left on device")
	fail := func() error {
		if full.Load() {
			return errFull
		}
		return nil
	}
	var logs strings.Builder
	d, err := OpenDeduperWith(dir, 15*time.Minute, DeduperOptions{Now: clock.Now,
		Logger: slog.New(slog.NewTextHandler(&logs, nil)), hooks: dedupeHooks{compact: fail, append: fail}})
	if err != nil {
		t.Fatalf("open on a full disk: %v", err)
	}
	defer d.Close()
	if !strings.Contains(logs.String(), "dedupe log not rewritten") || !strings.Contains(logs.String(), "no space left") {
		t.Errorf("the failed rewrite was not logged with its cause:\n%s", logs.String())
	}
	mustClaim(t, d, "Ev0", false) // the old state was read
	ok, err := d.Claim("Ev1", nil)
	if !ok || !errors.Is(err, errFull) {
		t.Fatalf("Claim on a full disk = %v, %v; want true and the write error", ok, err)
	}
	mustClaim(t, d, "Ev1", false) // remembered in memory
	if n := d.WriteFailures(); n != 2 {
		t.Errorf("WriteFailures = %d, want 2 (the rewrite at open and one append)", n)
	}

	// Space comes back: the next write after the retry delay rewrites the log.
	full.Store(false)
	clock.Advance(compactRetry)
	if _, err := d.Claim("Ev2", nil); err != nil {
		t.Fatalf("Claim once the disk has room: %v", err)
	}
	data, err := os.ReadFile(d.Path())
	if err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"Ev0", "Ev1", "Ev2"} {
		if !strings.Contains(string(data), `"`+k+`"`) {
			t.Errorf("the rewritten log lacks %s:\n%s", k, data)
		}
	}
}
