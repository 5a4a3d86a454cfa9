package main

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"github.com/briefbot/briefbot/retrieval/engine"
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

// openWriter opens the data directory's store for a command that changes
// it (ingest, delete). One writer: the lock is held from loading the store
// to saving it, so the store the command builds on is the newest one and
// no other writer saves in between (serve's watcher waits, then builds on
// what this saved). The caller saves, then calls unlock.
func (a *app) openWriter(ctx context.Context, reembed bool) (e *engine.Engine, dir string, unlock func(), err error) {
	dir, err = a.dataDir()
	if err != nil {
		return nil, "", nil, err
	}
	emb, err := a.embedder()
	if err != nil {
		return nil, "", nil, err
	}
	lock, err := lockDataDir(ctx, dir)
	if err != nil {
		return nil, "", nil, err
	}
	if n := len(lock.Orphans()); n > 0 {
		fmt.Fprintf(a.stderr, "removed %d temporary file(s) left in %s by an interrupted save\n", n, dir)
	}
	warn := slog.New(slog.NewTextHandler(a.stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	e, err = engine.OpenForWrite(ctx, dir, engine.Options{Embedder: emb, Logger: warn}, reembed)
	if err != nil {
		lock.Unlock()
		return nil, "", nil, err
	}
	return e, dir, func() { lock.Unlock() }, nil
}
