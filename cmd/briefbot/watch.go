package main

import (
	"context"
	"errors"
	"os"
	"time"

	"golang.org/x/sync/errgroup"

	"github.com/briefbot/briefbot/retrieval"
	"github.com/briefbot/briefbot/retrieval/engine"
	"github.com/briefbot/briefbot/retrieval/ingest"
	"github.com/briefbot/briefbot/retrieval/store"
)

// reloadInterval is how often serve checks whether another process (a
// `briefbot ingest` by hand) replaced the snapshot.
const reloadInterval = 2 * time.Second

// background starts the loops that keep the corpus fresh.
func (s *Main) background(ctx context.Context, g *errgroup.Group) {
	if s.Config.DatabaseURL == "" { // cluster mode follows the database instead
		g.Go(func() error { s.reloadLoop(ctx); return nil })
	}
	if len(s.Config.Watch) > 0 {
		g.Go(func() error { s.watchLoop(ctx); return nil })
	}
}

// reloadLoop picks up a snapshot written by another process.
func (s *Main) reloadLoop(ctx context.Context) {
	t := time.NewTicker(reloadInterval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		cur := statSnapshot(s.Config.Data)
		s.snapMu.Lock()
		changed := cur != s.snapStat && cur.size > 0
		s.snapMu.Unlock()
		if changed {
			s.reload(ctx, cur)
		}
	}
}

// reload makes the serving engine build on the snapshot on disk. It needs
// no lock: it only reads (writers replace the snapshot atomically), and
// while the watcher holds the lock the snapshot on disk is the one the
// engine derives from, so Refresh leaves it alone.
func (s *Main) reload(ctx context.Context, cur snapshotStat) {
	e, err := s.search.get()
	if err != nil {
		return
	}
	reloaded, err := e.Refresh(ctx, s.Config.Data)
	s.snapMu.Lock()
	s.snapStat = cur
	s.snapMu.Unlock()
	if err != nil {
		// A half-written snapshot cannot be seen (writes are atomic); this is
		// a real problem, e.g. an embedder mismatch. Keep serving the old one.
		s.log.Error("reload store", "err", err)
		return
	}
	if reloaded {
		st := e.Stats()
		s.log.Info("store reloaded", "articles", st.Articles, "chunks", st.Chunks)
	}
}

// fileStamp identifies a watched file's version.
type fileStamp struct {
	size int64
	mod  time.Time
}

// watchLoop rescans BRIEFBOT_WATCH and ingests new or changed briefings.
// Polling (default every 15 s) works on every file system, network mounts
// included, and catches files written before serve started.
func (s *Main) watchLoop(ctx context.Context) {
	interval := 15 * time.Second
	if s.Config.WatchInterval != "" {
		if d, err := time.ParseDuration(s.Config.WatchInterval); err == nil && d > 0 {
			interval = d
		} else {
			s.log.Warn("bad BRIEFBOT_WATCH_INTERVAL; using 15s", "value", s.Config.WatchInterval)
		}
	}
	w := newWatchState()
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		s.scanWatched(ctx, w)
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// watchState is what the watcher remembers between scans.
type watchState struct {
	// seen holds each watched file's version whose articles are saved in
	// the store (or that was skipped as unreadable: it is read again once it
	// changes). A file whose save failed is not in it, so the next scan
	// tries it again.
	seen map[string]fileStamp
	// save saves the store; tests replace it to fake a failure.
	save func(e *engine.Engine, dir string) error
}

func newWatchState() *watchState {
	return &watchState{seen: map[string]fileStamp{}, save: (*engine.Engine).Save}
}

// scanWatched ingests the watched files that are new or changed since their
// articles were saved. Holding the data directory's lock, it first makes the
// serving engine build on the snapshot on disk (a hand-run ingest may have
// saved since serve loaded it), then ingests and saves: it never saves a
// stale store over a newer one.
func (s *Main) scanWatched(ctx context.Context, w *watchState) {
	if s.Config.DatabaseURL != "" {
		s.scanWatchedCluster(ctx, w) // cluster mode: cluster_corpus.go
		return
	}
	pending := map[string]fileStamp{}
	var paths []string
	inputs := map[string]ingest.Input{}
	for _, c := range w.changed(s.Config.Watch) {
		pending[c.in.Path] = c.stamp
		paths = append(paths, c.in.Path)
		inputs[c.in.Path] = c.in
	}
	if len(paths) == 0 {
		return
	}
	e, err := s.search.get()
	if err != nil {
		return
	}
	lock, err := store.LockDir(ctx, s.Config.Data)
	if err != nil {
		if ctx.Err() == nil {
			s.log.Error("watch: lock data dir; retrying at the next scan", "err", err)
		}
		return
	}
	defer lock.Unlock()
	if n := len(lock.Orphans()); n > 0 {
		s.log.Info("watch: removed temporary files left by an interrupted save", "count", n)
	}
	reloaded, err := e.Refresh(ctx, s.Config.Data)
	if err != nil {
		s.log.Error("watch: cannot build on the store on disk; watched files are saved once it can be read", "files", len(paths), "err", err)
		return
	}
	if reloaded {
		s.rememberSnapshot()
		st := e.Stats()
		s.log.Info("store reloaded", "articles", st.Articles, "chunks", st.Chunks)
	}
	var arts []retrieval.Article
	for _, p := range paths {
		bad, err := ingest.ReadInput(ctx, inputs[p], func(a retrieval.Article) error {
			arts = append(arts, a)
			return nil
		})
		var skip *ingest.SkipError
		if errors.As(err, &skip) {
			// Reading it again cannot help until it changes.
			s.log.Warn("watch: skipped file", "path", p, "reason", err.Error())
			w.seen[p] = pending[p]
			delete(pending, p)
			continue
		}
		if err != nil {
			s.log.Warn("watch: cannot read file; retrying at the next scan", "path", p, "err", err)
			delete(pending, p)
			continue
		}
		if len(bad) > 0 {
			s.log.Warn("watch: skipped records", "path", p, "count", len(bad))
		}
	}
	outs, err := e.Ingest(ctx, arts)
	if err != nil {
		s.log.Error("watch: ingest failed; retrying at the next scan", "files", len(pending), "err", err)
		return
	}
	n := 0
	for _, o := range outs {
		if o.Status != engine.Unchanged {
			n++
		}
	}
	// Unsaved: an earlier scan ingested these articles but its save failed.
	if n > 0 || e.Unsaved() {
		err := w.save(e, s.Config.Data)
		switch {
		case errors.Is(err, engine.ErrIndexNotSaved):
			s.log.Warn("watch: store saved without its derived index; the next start rebuilds it", "err", err)
		case err != nil:
			s.log.Error("watch: save store failed; retrying at the next scan", "files", len(pending), "err", err)
			return
		}
		s.rememberSnapshot()
	}
	for p, st := range pending {
		w.seen[p] = st
	}
	if n > 0 {
		st := e.Stats()
		s.log.Info("watch: ingested", "files", len(pending), "articles_changed", n, "articles", st.Articles)
	}
}

// changedFile is a watched file whose version is not the one saved.
type changedFile struct {
	in    ingest.Input
	stamp fileStamp
}

// changed lists the watched files (PATH or NAME=PATH entries) whose size
// or modification time differs from the version saved.
func (w *watchState) changed(watch []string) []changedFile {
	var out []changedFile
	for _, in := range collectWatched(watch) {
		if in.Skip != nil {
			continue
		}
		fi, err := os.Stat(in.Path)
		if err != nil {
			continue
		}
		if st := (fileStamp{size: fi.Size(), mod: fi.ModTime()}); w.seen[in.Path] != st {
			out = append(out, changedFile{in: in, stamp: st})
		}
	}
	return out
}

// collectWatched is ingest.Collect over the watched paths, each written
// PATH or NAME=PATH (the collection its articles are labelled with).
func collectWatched(watch []string) []ingest.Input {
	var out []ingest.Input
	for _, w := range watch {
		collection, path := ingest.SplitLabel(w)
		for _, in := range ingest.Collect([]string{path}) {
			in.Collection = collection
			out = append(out, in)
		}
	}
	return out
}
