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
func (s *server) background(ctx context.Context, g *errgroup.Group) {
	g.Go(func() error { s.reloadLoop(ctx); return nil })
	if len(s.cfg.Watch) > 0 {
		g.Go(func() error { s.watchLoop(ctx); return nil })
	}
}

// reloadLoop picks up a snapshot written by another process.
func (s *server) reloadLoop(ctx context.Context) {
	t := time.NewTicker(reloadInterval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		cur := statSnapshot(s.cfg.Data)
		s.snapMu.Lock()
		changed := cur != s.snapStat && cur.size > 0
		s.snapMu.Unlock()
		if changed {
			s.reload(ctx, cur)
		}
	}
}

func (s *server) reload(ctx context.Context, cur snapshotStat) {
	e, err := s.search.get()
	if err != nil {
		return
	}
	emb, err := s.app.embedderFor(s.cfg.Embedder)
	if err != nil {
		s.log.Error("reload store", "err", err)
		return
	}
	fresh, err := engine.Open(ctx, s.cfg.Data, engine.Options{Embedder: emb, Logger: s.log})
	if err != nil {
		// A half-written snapshot cannot be seen (writes are atomic); this is
		// a real problem, e.g. an embedder mismatch. Keep serving the old one.
		s.log.Error("reload store", "err", err)
		s.snapMu.Lock()
		s.snapStat = cur
		s.snapMu.Unlock()
		return
	}
	e.Replace(fresh)
	s.snapMu.Lock()
	s.snapStat = cur
	s.snapMu.Unlock()
	st := e.Stats()
	s.log.Info("store reloaded", "articles", st.Articles, "chunks", st.Chunks)
}

// fileStamp identifies a watched file's version.
type fileStamp struct {
	size int64
	mod  time.Time
}

// watchLoop rescans BRIEFBOT_WATCH and ingests new or changed briefings.
// Polling (default every 15 s) works on every file system, network mounts
// included, and catches files written before serve started.
func (s *server) watchLoop(ctx context.Context) {
	interval := 15 * time.Second
	if s.cfg.WatchInterval != "" {
		if d, err := time.ParseDuration(s.cfg.WatchInterval); err == nil && d > 0 {
			interval = d
		} else {
			s.log.Warn("bad BRIEFBOT_WATCH_INTERVAL; using 15s", "value", s.cfg.WatchInterval)
		}
	}
	seen := map[string]fileStamp{}
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		s.scanWatched(ctx, seen)
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

func (s *server) scanWatched(ctx context.Context, seen map[string]fileStamp) {
	var changed []string
	for _, in := range ingest.Collect(s.cfg.Watch) {
		if in.Skip != nil {
			continue
		}
		fi, err := os.Stat(in.Path)
		if err != nil {
			continue
		}
		st := fileStamp{size: fi.Size(), mod: fi.ModTime()}
		if seen[in.Path] != st {
			changed = append(changed, in.Path)
			seen[in.Path] = st
		}
	}
	if len(changed) == 0 {
		return
	}
	e, err := s.search.get()
	if err != nil {
		return
	}
	lock, err := store.LockDir(ctx, s.cfg.Data)
	if err != nil {
		if !errors.Is(ctx.Err(), context.Canceled) {
			s.log.Error("watch: lock data dir", "err", err)
		}
		return
	}
	defer lock.Unlock()
	var arts []retrieval.Article
	for _, p := range changed {
		bad, err := ingest.ReadFile(ctx, p, func(a retrieval.Article) error {
			arts = append(arts, a)
			return nil
		})
		if err != nil {
			s.log.Warn("watch: skipped file", "path", p, "reason", err.Error())
			continue
		}
		if len(bad) > 0 {
			s.log.Warn("watch: skipped records", "path", p, "count", len(bad))
		}
	}
	outs, err := e.Ingest(ctx, arts)
	if err != nil {
		s.log.Error("watch: ingest", "err", err)
		return
	}
	n := 0
	for _, o := range outs {
		if o.Status != engine.Unchanged {
			n++
		}
	}
	if n == 0 {
		return
	}
	if err := e.Save(s.cfg.Data); err != nil {
		s.log.Error("watch: save store", "err", err)
		return
	}
	s.rememberSnapshot()
	st := e.Stats()
	s.log.Info("watch: ingested", "files", len(changed), "articles_changed", n, "articles", st.Articles)
}
