package digest

import (
	"context"
	"fmt"
	"path/filepath"
	"sort"
	"sync"
	"time"
)

// LedgerFile is the ledger's file name in the data directory.
const LedgerFile = "digest-ledger.json"

// ledgerKeepDays is how many posted days per channel the ledger remembers.
const ledgerKeepDays = 60

// LedgerStore is what Deliver and the Scheduler need from a ledger:
// [Ledger] in the data directory (one process), or the cluster package's
// tables in PostgreSQL, which also implement [RunClaimer] so that
// replicas claim a run before posting it.
type LedgerStore interface {
	// Posted reports whether a digest was posted to target on day.
	Posted(target, day string) (bool, error)
	// Previous returns the story signatures of the latest digest posted
	// to target before day.
	Previous(target, day string) ([]Signature, error)
	// Record remembers that dg was posted to target on day at at.
	Record(target, day string, at time.Time, dg Digest) error
}

// RunClaimer is a ledger shared by several processes: a run (target and
// day) is claimed before its digest is built and posted, so that only the
// claimant posts it; a claim whose holder died is taken over after a
// lease. Deliver uses it when the ledger implements it.
type RunClaimer interface {
	// ClaimRun claims target's run of day; false means it was posted (or
	// skipped) already, or another live process holds it.
	ClaimRun(ctx context.Context, target, day string) (bool, error)
	// ReleaseRun gives up the caller's claim (the post failed).
	ReleaseRun(ctx context.Context, target, day string) error
	// FinishRun records the claimed run as posted (with the platform's
	// message id, "" when unknown) or, with skipped, as skipped because
	// its window was empty.
	FinishRun(ctx context.Context, target, day string, at time.Time, dg Digest, messageID string, skipped bool) error
}

var _ LedgerStore = (*Ledger)(nil)

// Ledger records which digest was posted to which channel on which day, so
// that a channel gets one digest a day across runs and restarts, and keeps
// the story signatures of each post for the next digest's follow-ups. It is
// safe for concurrent use in one process; every call re-reads the file, so
// it also sees posts recorded by another process.
type Ledger struct {
	path string
	mu   sync.Mutex
}

// Post is one digest the ledger remembers.
type Post struct {
	// Day is the digest's day in the channel's time zone (YYYY-MM-DD).
	Day string `json:"day"`
	// At is when the platform acknowledged the post.
	At time.Time `json:"at"`
	// Stories are the signatures of the digest's stories.
	Stories []Signature `json:"stories"`
}

type ledgerData struct {
	// Channels maps a target ("slack:C1") to its posts, oldest first.
	Channels map[string][]Post `json:"channels"`
}

// OpenLedger returns the ledger kept in the data directory dir.
func OpenLedger(dir string) *Ledger {
	return &Ledger{path: filepath.Join(dir, LedgerFile)}
}

// Path is the ledger's file.
func (l *Ledger) Path() string { return l.path }

func (l *Ledger) load() (ledgerData, error) {
	var d ledgerData
	if err := readJSON(l.path, &d); err != nil {
		return d, fmt.Errorf("digest: read ledger: %w", err)
	}
	if d.Channels == nil {
		d.Channels = map[string][]Post{}
	}
	return d, nil
}

// Posted reports whether a digest was posted to target on day.
func (l *Ledger) Posted(target, day string) (bool, error) {
	posted, _, err := l.lookUp(target, day)
	return posted, err
}

// Previous returns the story signatures of the latest digest posted to
// target before day, for follow-ups.
func (l *Ledger) Previous(target, day string) ([]Signature, error) {
	_, prev, err := l.lookUp(target, day)
	return prev, err
}

// lookUp is Posted and Previous in one read of the file.
func (l *Ledger) lookUp(target, day string) (posted bool, prev []Signature, err error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	d, err := l.load()
	if err != nil {
		return false, nil, err
	}
	for _, p := range d.Channels[target] {
		switch {
		case p.Day == day:
			posted = true
		case p.Day < day:
			prev = p.Stories
		}
	}
	return posted, prev, nil
}

// Record remembers that the digest dg was posted to target on day at at. A
// second record for the same day (a forced repost) replaces the first.
func (l *Ledger) Record(target, day string, at time.Time, dg Digest) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	d, err := l.load()
	if err != nil {
		return err
	}
	posts := d.Channels[target][:0:0]
	for _, p := range d.Channels[target] {
		if p.Day != day {
			posts = append(posts, p)
		}
	}
	posts = append(posts, Post{Day: day, At: at.UTC(), Stories: dg.Signatures()})
	sort.SliceStable(posts, func(i, j int) bool { return posts[i].Day < posts[j].Day })
	if len(posts) > ledgerKeepDays {
		posts = posts[len(posts)-ledgerKeepDays:]
	}
	d.Channels[target] = posts
	if err := writeJSON(l.path, d); err != nil {
		return fmt.Errorf("digest: write ledger: %w", err)
	}
	return nil
}
