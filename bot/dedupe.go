package bot

import (
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// DedupeFile is the file, in the data directory, where a Deduper keeps the
// keys it has seen.
const DedupeFile = "dedupe.jsonl"

// DefaultClaimLease is how long a claim made by this process holds off a
// retry of the same delivery: longer than any answer takes (answers are
// bounded at two minutes), so only a claim whose answer hung is taken over.
const DefaultClaimLease = 5 * time.Minute

// compactRetry is how long after a failed compaction (a full disk) the
// next one is tried.
const compactRetry = time.Minute

// Dedupe is what the adapters need to answer every delivery once: claims
// held while an answer is made, done marks once the platform confirmed it,
// and the claims a stopped process left unanswered. [Deduper] keeps them
// in the data directory (one process); the cluster package keeps them in
// PostgreSQL, where a claim is a unique key that holds across replicas.
//
// The calls take no context: each is one short write, and an
// implementation bounds its own I/O. A failure to persist returns the
// error with the answer's go-ahead (Claim true, Seen false): a rare
// duplicate beats a lost answer.
type Dedupe interface {
	// Claim claims key for the caller; false means a duplicate.
	Claim(key string, data json.RawMessage) (bool, error)
	// Done marks key answered.
	Done(key string) error
	// Release gives up the caller's claim on key (its answer failed).
	Release(key string)
	// Seen reports whether key was seen, marking it done if it was not.
	Seen(key string) (bool, error)
	// Pending lists the claims under prefix that their claimant left
	// unanswered, oldest first.
	Pending(prefix string) []PendingClaim
}

var _ Dedupe = (*Deduper)(nil)

// ErrDeduperClosed reports a call after Close.
var ErrDeduperClosed = errors.New("bot: deduper is closed")

// Deduper remembers delivery keys (a Slack event_id, a message's channel
// and ts) for a time to live, in two states, so that every delivery is
// answered at least once and shown once:
//
//   - claimed, when a delivery is accepted ([Deduper.Claim]): duplicates
//     that arrive while it is answered (a platform's retries, the twin of
//     an @mention) are dropped;
//   - done, when the platform confirmed the answer ([Deduper.Done]): every
//     later copy is dropped.
//
// A claim belongs to the process that made it (a random boot id) and holds
// for a lease: after a crash or a shutdown that left it unanswered, a new
// process takes over a retry of it, and [Deduper.Pending] lists the claims
// a previous process left, with what is needed to answer them.
//
// With a directory, every change is appended to dedupe.jsonl (synced
// before the call returns) and the log is compacted at open and as it
// grows. Lines written by older versions ({"k","t"} only) mean done. A
// failure to write is logged and counted ([Deduper.WriteFailures]) and
// never stops the deduper: it keeps its state in memory and retries the
// compaction later, so a full disk does not stop the bot. It is safe for
// concurrent use.
type Deduper struct {
	mu    sync.Mutex
	ttl   time.Duration
	lease time.Duration
	now   func() time.Time
	log   *slog.Logger
	boot  string
	recs  map[string]*dedupeRecord

	dir           string
	file          jsonLines // unused when in memory only
	appended      int       // lines appended since the last compaction
	limit         int       // compact once appended reaches it
	compactFailed bool
	retryAt       time.Time // when to try a failed compaction again
	closed        bool
	failures      atomic.Int64
	hooks         dedupeHooks
}

// dedupeRecord is the state of one key.
type dedupeRecord struct {
	first   time.Time // first sighting: the window runs from it
	done    bool
	boot    string    // the claiming process ("" once released)
	claimed time.Time // when it was (last) claimed
	data    json.RawMessage
}

// dedupeHooks inject write failures in tests.
type dedupeHooks struct {
	compact func() error // before a compaction writes
	append  func() error // before a line is appended
}

// Line states; a line without one (older versions) means done.
const (
	stateClaimed = "claimed"
	stateDone    = "done"
)

// dedupeEntry is one line of the log.
type dedupeEntry struct {
	Key     string          `json:"k"`
	Time    int64           `json:"t"`           // first sighting, unix milliseconds
	State   string          `json:"s,omitempty"` // "" or "done": done; "claimed"
	Boot    string          `json:"b,omitempty"` // the claiming process
	Claimed int64           `json:"c,omitempty"` // claim time, unix milliseconds
	Data    json.RawMessage `json:"d,omitempty"` // what a new process needs to answer the claim
}

// DeduperOptions configures [OpenDeduperWith].
type DeduperOptions struct {
	// Now is the clock; nil means time.Now.
	Now func() time.Time
	// Logger logs write failures (keys, never message text); nil discards.
	Logger *slog.Logger
	// Lease is how long a claim made by this process holds off a retry;
	// 0 means DefaultClaimLease. Claims made by another process (a previous
	// run) never hold: that process is gone.
	Lease time.Duration

	hooks dedupeHooks
}

// OpenDeduper opens the deduper persisted in dir (created if missing),
// dropping keys older than ttl. An empty dir keeps keys in memory only. A nil
// now means time.Now.
func OpenDeduper(dir string, ttl time.Duration, now func() time.Time) (*Deduper, error) {
	return OpenDeduperWith(dir, ttl, DeduperOptions{Now: now})
}

// OpenDeduperWith is OpenDeduper with options. It fails only on a bad ttl
// or a directory it cannot create or read; a log it cannot rewrite (a full
// disk) is logged and retried later.
func OpenDeduperWith(dir string, ttl time.Duration, opts DeduperOptions) (*Deduper, error) {
	if ttl <= 0 {
		return nil, fmt.Errorf("bot: open deduper: ttl must be positive, got %v", ttl)
	}
	d := &Deduper{
		ttl: ttl, lease: opts.Lease, now: opts.Now, log: opts.Logger, boot: newBootID(),
		recs: map[string]*dedupeRecord{}, dir: dir, limit: 1024, hooks: opts.hooks,
	}
	if d.now == nil {
		d.now = time.Now
	}
	if d.lease <= 0 {
		d.lease = DefaultClaimLease
	}
	if d.log == nil {
		d.log = slog.New(slog.DiscardHandler)
	}
	if dir == "" {
		return d, nil
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("bot: open deduper: %w", err)
	}
	d.file.path = d.Path()
	if err := d.load(); err != nil {
		return nil, fmt.Errorf("bot: open deduper: %w", err)
	}
	d.compactOrWarn()
	return d, nil
}

func newBootID() string {
	var b [8]byte
	_, _ = rand.Read(b[:]) // never fails (crypto/rand)
	return hex.EncodeToString(b[:])
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

// WriteFailures is how many appends and compactions of the log have failed
// since open.
func (d *Deduper) WriteFailures() int64 { return d.failures.Load() }

// load reads the log, keeping live keys. Torn or malformed lines (a crash
// mid-append) are skipped: losing one key only risks one duplicate answer.
func (d *Deduper) load() error {
	now := d.now()
	return readJSONLines(d.Path(), func(_ int, line []byte, _ bool) error {
		var e dedupeEntry
		if json.Unmarshal(line, &e) != nil || e.Key == "" {
			return nil
		}
		t := time.UnixMilli(e.Time)
		if !d.live(t, now) {
			return nil
		}
		rec := d.recs[e.Key]
		if rec == nil {
			rec = &dedupeRecord{first: t}
			d.recs[e.Key] = rec
		}
		if t.Before(rec.first) {
			rec.first = t
		}
		switch e.State {
		case stateClaimed:
			if !rec.done {
				rec.boot, rec.claimed = e.Boot, time.UnixMilli(e.Claimed)
				if len(e.Data) > 0 {
					rec.data = e.Data
				}
			}
		default: // done, or a line from an older version
			rec.done, rec.data = true, nil
		}
		return nil
	})
}

func (d *Deduper) live(t, now time.Time) bool { return now.Sub(t) < d.ttl }

// entryOf is rec's log line.
func entryOf(key string, rec *dedupeRecord) dedupeEntry {
	e := dedupeEntry{Key: key, Time: rec.first.UnixMilli()}
	if !rec.done {
		e.State, e.Boot, e.Claimed, e.Data = stateClaimed, rec.boot, rec.claimed.UnixMilli(), rec.data
	}
	return e
}

// compactOrWarn compacts, logging and counting a failure: the deduper
// then keeps its state in memory (appending while it can) and tries again
// after compactRetry. The caller holds mu or owns d exclusively.
func (d *Deduper) compactOrWarn() {
	if err := d.compact(); err != nil {
		d.failures.Add(1)
		d.compactFailed, d.retryAt = true, d.now().Add(compactRetry)
		d.log.Warn("dedupe log not rewritten; keeping deliveries in memory and retrying later",
			"path", d.Path(), "err", err)
		return
	}
	d.compactFailed = false
}

// compact drops expired keys from memory and rewrites the log with the live
// ones (temp file, fsync, rename, fsync of the directory), then reopens it
// for appending. The caller holds mu or owns d exclusively.
func (d *Deduper) compact() error {
	now := d.now()
	for k, rec := range d.recs {
		if !d.live(rec.first, now) {
			delete(d.recs, k)
		}
	}
	d.appended = 0
	d.limit = max(1024, 2*len(d.recs))
	if d.dir == "" {
		return nil
	}
	if d.hooks.compact != nil {
		if err := d.hooks.compact(); err != nil {
			return err
		}
	}
	lines := make([]any, 0, len(d.recs))
	for k, rec := range d.recs {
		lines = append(lines, entryOf(k, rec))
	}
	return d.file.rewrite(lines)
}

// persist appends rec's line and compacts when the log has grown well past
// the live keys (or a failed compaction is due again). A failure is logged,
// counted and returned; the state stays in memory. The caller holds mu.
func (d *Deduper) persist(key string, rec *dedupeRecord) error {
	if d.compactFailed && !d.now().Before(d.retryAt) {
		// The rewrite writes rec too (it is in recs already).
		if d.compactOrWarn(); !d.compactFailed {
			return nil
		}
	}
	d.appended++
	var err error
	if d.dir != "" {
		err = d.appendLine(entryOf(key, rec))
		if err != nil {
			d.failures.Add(1)
			d.log.Warn("dedupe log append failed; the delivery is remembered in memory only", "key", key, "err", err)
			err = fmt.Errorf("bot: dedupe: %w", err)
		}
	}
	if d.appended >= d.limit {
		d.compactOrWarn()
	}
	return err
}

func (d *Deduper) appendLine(e dedupeEntry) error {
	if d.hooks.append != nil {
		if err := d.hooks.append(); err != nil {
			return err
		}
	}
	return d.file.append(e)
}

// Claim claims key for the caller, who then answers the delivery and calls
// Done once the platform has confirmed the answer (or Release when it
// could not be delivered). It returns false for a duplicate: key is done,
// or claimed by this process within the lease. A claim left by another
// process (a previous run that crashed or stopped before answering) is
// taken over. data, when not nil, is kept with the claim for [Deduper.Pending]
// (it must be JSON). The window runs from the first sighting: claiming
// again does not extend it. When the claim cannot be persisted Claim
// returns true and the error: the delivery should still be answered.
func (d *Deduper) Claim(key string, data json.RawMessage) (bool, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.closed {
		return false, ErrDeduperClosed
	}
	now := d.now()
	rec, ok := d.recs[key]
	if ok && d.live(rec.first, now) {
		if rec.done || (rec.boot == d.boot && now.Sub(rec.claimed) < d.lease) {
			return false, nil
		}
	} else {
		rec = &dedupeRecord{first: now}
		d.recs[key] = rec
	}
	rec.boot, rec.claimed = d.boot, now
	if len(data) > 0 {
		rec.data = append(json.RawMessage(nil), data...)
	}
	return true, d.persist(key, rec)
}

// Done marks key done: the platform confirmed the answer, and every later
// delivery of key within the time to live is a duplicate.
func (d *Deduper) Done(key string) error {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.closed {
		return ErrDeduperClosed
	}
	now := d.now()
	rec, ok := d.recs[key]
	if !ok || !d.live(rec.first, now) {
		rec = &dedupeRecord{first: now}
		d.recs[key] = rec
	}
	if rec.done {
		return nil
	}
	rec.done, rec.boot, rec.data = true, "", nil
	return d.persist(key, rec)
}

// Release gives up this process's claim on key without marking it done
// (its answer could not be delivered), so that a retry of it is answered.
// The claim stays in the log: a new process lists it in Pending.
func (d *Deduper) Release(key string) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if rec, ok := d.recs[key]; ok && !rec.done && rec.boot == d.boot {
		rec.boot = ""
	}
}

// Seen reports whether key was seen (claimed or done) within the time to
// live and, if it was not, marks it done at once: for deliveries whose
// effect is applied when they are accepted (a vote). When the mark cannot
// be persisted Seen returns false and the error; the key is still
// remembered in memory.
func (d *Deduper) Seen(key string) (bool, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.closed {
		return false, ErrDeduperClosed
	}
	now := d.now()
	if rec, ok := d.recs[key]; ok && d.live(rec.first, now) {
		if rec.done || rec.boot != "" {
			return true, nil
		}
	}
	rec := &dedupeRecord{first: now, done: true}
	if old, ok := d.recs[key]; ok && d.live(old.first, now) {
		rec.first = old.first
	}
	d.recs[key] = rec
	return false, d.persist(key, rec)
}

// PendingClaim is a claim a previous process left unanswered.
type PendingClaim struct {
	// Key is the claimed key.
	Key string
	// Data is what the claim was made with.
	Data json.RawMessage
	// First is when the key was first seen.
	First time.Time
}

// Pending lists the live claims with data, under prefix, that are not done
// and not held by this process: the answers a previous run accepted and
// never delivered. Oldest first. Answer each after claiming it again (Claim
// takes them over), so that a retry arriving meanwhile is not answered
// twice.
func (d *Deduper) Pending(prefix string) []PendingClaim {
	d.mu.Lock()
	defer d.mu.Unlock()
	now := d.now()
	var out []PendingClaim
	for k, rec := range d.recs {
		if rec.done || rec.boot == d.boot || len(rec.data) == 0 || !d.live(rec.first, now) || !strings.HasPrefix(k, prefix) {
			continue
		}
		out = append(out, PendingClaim{Key: k, Data: append(json.RawMessage(nil), rec.data...), First: rec.first})
	}
	sort.Slice(out, func(i, j int) bool {
		if !out[i].First.Equal(out[j].First) {
			return out[i].First.Before(out[j].First)
		}
		return out[i].Key < out[j].Key
	})
	return out
}

// Close closes the log. Claim, Done and Seen fail after Close.
func (d *Deduper) Close() error {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.closed {
		return nil
	}
	d.closed = true
	if err := d.file.close(); err != nil {
		return fmt.Errorf("bot: close deduper: %w", err)
	}
	return nil
}
