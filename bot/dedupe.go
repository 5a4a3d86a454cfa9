package bot

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"time"
)

// DedupeFile is the file, in the data directory, where a Deduper keeps the
// keys it has seen.
const DedupeFile = "dedupe.jsonl"

// ErrDeduperClosed reports a Seen call after Close.
var ErrDeduperClosed = errors.New("bot: deduper is closed")

// Deduper remembers delivery keys (a Slack event_id, a message's channel
// and ts) for a time to live, so that a platform's retries and redeliveries
// are answered once. With a directory it persists every new key (an
// append-only log, synced before Seen returns, compacted at open) so that a
// restart inside the platform's retry window does not answer twice. It is
// safe for concurrent use.
type Deduper struct {
	mu   sync.Mutex
	ttl  time.Duration
	now  func() time.Time
	seen map[string]time.Time // key -> first sighting

	dir      string
	f        *os.File // nil when in memory only
	appended int      // keys added since the last compaction
	limit    int      // compact once appended reaches it
	closed   bool
}

// dedupeEntry is one line of the log.
type dedupeEntry struct {
	Key  string `json:"k"`
	Time int64  `json:"t"` // unix milliseconds
}

// OpenDeduper opens the deduper persisted in dir (created if missing),
// dropping keys older than ttl. An empty dir keeps keys in memory only. A nil
// now means time.Now.
func OpenDeduper(dir string, ttl time.Duration, now func() time.Time) (*Deduper, error) {
	if ttl <= 0 {
		return nil, fmt.Errorf("bot: open deduper: ttl must be positive, got %v", ttl)
	}
	if now == nil {
		now = time.Now
	}
	d := &Deduper{ttl: ttl, now: now, seen: map[string]time.Time{}, dir: dir, limit: 1024}
	if dir == "" {
		return d, nil
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("bot: open deduper: %w", err)
	}
	if err := d.load(); err != nil {
		return nil, fmt.Errorf("bot: open deduper: %w", err)
	}
	if err := d.compact(); err != nil {
		return nil, fmt.Errorf("bot: open deduper: %w", err)
	}
	return d, nil
}

// Path is the log file, or "" for an in-memory deduper.
func (d *Deduper) Path() string {
	if d.dir == "" {
		return ""
	}
	return filepath.Join(d.dir, DedupeFile)
}

// TTL is how long a key is remembered.
func (d *Deduper) TTL() time.Duration { return d.ttl }

// load reads the log, keeping live keys. Torn or malformed lines (a crash
// mid-append) are skipped: losing one key only risks one duplicate answer.
func (d *Deduper) load() error {
	data, err := os.ReadFile(d.Path())
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err != nil {
		return err
	}
	now := d.now()
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(make([]byte, 0, 4096), 1<<20)
	for sc.Scan() {
		var e dedupeEntry
		if json.Unmarshal(sc.Bytes(), &e) != nil || e.Key == "" {
			continue
		}
		t := time.UnixMilli(e.Time)
		if !d.live(t, now) {
			continue
		}
		if old, ok := d.seen[e.Key]; !ok || t.Before(old) {
			d.seen[e.Key] = t
		}
	}
	return sc.Err()
}

func (d *Deduper) live(t, now time.Time) bool { return now.Sub(t) < d.ttl }

// compact drops expired keys from memory and rewrites the log with the live
// ones (temp file, fsync, rename, fsync of the directory), then reopens it
// for appending. The caller holds mu or owns d exclusively.
func (d *Deduper) compact() error {
	now := d.now()
	for k, t := range d.seen {
		if !d.live(t, now) {
			delete(d.seen, k)
		}
	}
	d.appended = 0
	d.limit = max(1024, 2*len(d.seen))
	if d.dir == "" {
		return nil
	}
	var buf bytes.Buffer
	for k, t := range d.seen {
		line, err := json.Marshal(dedupeEntry{Key: k, Time: t.UnixMilli()})
		if err != nil {
			return err
		}
		buf.Write(line)
		buf.WriteByte('\n')
	}
	if d.f != nil {
		if err := d.f.Close(); err != nil {
			return err
		}
		d.f = nil
	}
	tmp, err := os.CreateTemp(d.dir, DedupeFile+".*.tmp")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name()) // a no-op once renamed
	if _, err := tmp.Write(buf.Bytes()); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	if err := os.Rename(tmp.Name(), d.Path()); err != nil {
		return err
	}
	if dir, err := os.Open(d.dir); err == nil {
		_ = dir.Sync() // best effort: not every file system syncs directories
		dir.Close()
	}
	f, err := os.OpenFile(d.Path(), os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o644)
	if err != nil {
		return err
	}
	d.f = f
	return nil
}

// Seen reports whether key was seen within the time to live and, if it was
// not, marks it (durably, when persisted) as seen now. The window runs from
// the first sighting: seeing a key again does not extend it. When the mark
// cannot be persisted Seen returns false and the error; the key is still
// remembered in memory.
func (d *Deduper) Seen(key string) (bool, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.closed {
		return false, ErrDeduperClosed
	}
	now := d.now()
	if t, ok := d.seen[key]; ok && d.live(t, now) {
		return true, nil
	}
	d.seen[key] = now
	d.appended++
	if d.f == nil {
		if d.appended >= d.limit {
			_ = d.compact() // in memory: cannot fail
		}
		return false, nil
	}
	line, err := json.Marshal(dedupeEntry{Key: key, Time: now.UnixMilli()})
	if err != nil {
		return false, fmt.Errorf("bot: dedupe: %w", err)
	}
	line = append(line, '\n')
	if _, err := d.f.Write(line); err != nil {
		return false, fmt.Errorf("bot: dedupe: %w", err)
	}
	if err := d.f.Sync(); err != nil {
		return false, fmt.Errorf("bot: dedupe: %w", err)
	}
	// Keep the log (and the map) proportional to the live keys: rewrite it
	// once it has grown well past the keys that were live at the last
	// compaction.
	if d.appended >= d.limit {
		if err := d.compact(); err != nil {
			return false, fmt.Errorf("bot: dedupe: compact: %w", err)
		}
	}
	return false, nil
}

// Close closes the log. Seen fails after Close.
func (d *Deduper) Close() error {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.closed {
		return nil
	}
	d.closed = true
	if d.f == nil {
		return nil
	}
	err := d.f.Close()
	d.f = nil
	if err != nil {
		return fmt.Errorf("bot: close deduper: %w", err)
	}
	return nil
}
