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

// Lock is a held writer lock on a data directory.
type Lock struct{ fl *flock.Flock }

// LockDir takes the data directory's writer lock, waiting until ctx is
// done. Two writers (an ingest by hand, serve's watcher) never interleave.
func LockDir(ctx context.Context, dir string) (*Lock, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("store: lock %s: %w", dir, err)
	}
	fl := flock.New(filepath.Join(dir, LockName))
	ok, err := fl.TryLockContext(ctx, 100*time.Millisecond)
	if err != nil {
		return nil, fmt.Errorf("store: lock %s: %w", dir, err)
	}
	if !ok {
		return nil, fmt.Errorf("store: lock %s: not acquired", dir)
	}
	return &Lock{fl: fl}, nil
}

// Unlock releases the lock.
func (l *Lock) Unlock() error { return l.fl.Unlock() }
