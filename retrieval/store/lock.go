package store

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/gofrs/flock"
)

// LockName is the lock file in the data directory that writers hold.
const LockName = "briefbot.lock"

// Lock is a held writer lock on a data directory. Every change to the
// directory's snapshot and derived index is made holding it: two writers (an
// ingest by hand, serve's watcher) never interleave, and each checks the
// snapshot on disk before it changes anything (engine.Engine.Refresh).
type Lock struct {
	fl      *flock.Flock
	orphans []string
}

// LockDir takes the data directory's writer lock, waiting until ctx is
// done, then removes the temporary files an interrupted save left there
// (see RemoveOrphans).
func LockDir(ctx context.Context, dir string) (*Lock, error) {
	fl, err := newFlock(dir)
	if err != nil {
		return nil, err
	}
	ok, err := fl.TryLockContext(ctx, 100*time.Millisecond)
	if err != nil {
		fl.Close()
		return nil, fmt.Errorf("store: lock %s: %w", dir, err)
	}
	if !ok {
		fl.Close()
		return nil, fmt.Errorf("store: lock %s: not acquired", dir)
	}
	return locked(dir, fl), nil
}

// TryLockDir takes the data directory's writer lock if no one holds it, and
// reports false otherwise (another process, or another Lock of this one,
// holds it). Like LockDir, it removes orphaned temporary files.
func TryLockDir(dir string) (*Lock, bool, error) {
	fl, err := newFlock(dir)
	if err != nil {
		return nil, false, err
	}
	ok, err := fl.TryLock()
	if err != nil || !ok {
		fl.Close()
		if err != nil {
			return nil, false, fmt.Errorf("store: lock %s: %w", dir, err)
		}
		return nil, false, nil
	}
	return locked(dir, fl), true, nil
}

func newFlock(dir string) (*flock.Flock, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("store: lock %s: %w", dir, err)
	}
	return flock.New(filepath.Join(dir, LockName)), nil
}

func locked(dir string, fl *flock.Flock) *Lock {
	// A failure to remove one is not a failure to lock: the files stay until
	// a later writer can remove them.
	orphans, _ := RemoveOrphans(dir)
	return &Lock{fl: fl, orphans: orphans}
}

// Orphans lists the temporary files removed when the lock was taken.
func (l *Lock) Orphans() []string { return l.orphans }

// Unlock releases the lock (and closes the lock file).
func (l *Lock) Unlock() error { return l.fl.Unlock() }
