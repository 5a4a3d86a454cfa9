package bot

import (
	"errors"
	"fmt"
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
