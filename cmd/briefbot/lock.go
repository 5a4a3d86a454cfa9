package main

import (
	"context"
	"time"

	"github.com/briefbot/briefbot/retrieval/store"
)

// lockDataDir takes the writer lock, giving up after a minute with a clear error.
func lockDataDir(ctx context.Context, dir string) (*store.Lock, error) {
	ctx, cancel := context.WithTimeout(ctx, time.Minute)
	defer cancel()
	l, err := store.LockDir(ctx, dir)
	if err != nil {
		return nil, exitError{code: 1, msg: "another briefbot is writing to " + dir + " (" + err.Error() + ")"}
	}
	return l, nil
}
