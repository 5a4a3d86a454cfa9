package main

// Cluster mode's corpus (issue 14): with BRIEFBOT_DATABASE_URL set, the
// corpus lives in PostgreSQL (retrieval/pgcorpus). `briefbot ingest`,
// `delete` and a watched folder write to the database; `serve` loads the
// corpus from it and follows its changes; `ask`, `sources`, `show` and
// `digest` read it. Without the URL nothing here runs.

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/spf13/cobra"

	"github.com/briefbot/briefbot/cluster/pgdb"
	"github.com/briefbot/briefbot/internal/sleep"
	"github.com/briefbot/briefbot/retrieval"
	"github.com/briefbot/briefbot/retrieval/embed"
	"github.com/briefbot/briefbot/retrieval/engine"
	"github.com/briefbot/briefbot/retrieval/ingest"
	"github.com/briefbot/briefbot/retrieval/pgcorpus"
)

// clusterWriteBatch is how many articles a writer sends per transaction.
const clusterWriteBatch = 256

// corpusDatabaseURL is the database of cluster mode for the one-shot
// commands (serve reads Config.DatabaseURL, which also reads the YAML file).
func (a *app) corpusDatabaseURL() string { return a.getenv("BRIEFBOT_DATABASE_URL") }

// openCorpus connects to the database, applies the migrations and returns
// the corpus; close closes the pool.
func openCorpus(ctx context.Context, url string) (*pgcorpus.Corpus, func(), error) {
	pool, err := pgdb.OpenMigrated(ctx, url)
	if err != nil {
		return nil, nil, err
	}
	c, err := pgcorpus.New(ctx, pool)
	if err != nil {
		pool.Close()
		return nil, nil, err
	}
	return c, pool.Close, nil
}

// clusterWriter prepares articles with the configured embedder and writes
// them to the database in transactions of clusterWriteBatch articles,
// skipping those whose content hash is stored already.
type clusterWriter struct {
	c       *pgcorpus.Corpus
	e       *engine.Engine // prepares only: its store stays empty
	hashes  map[string]string
	pending []retrieval.Article
	res     pgcorpus.WriteResult
	// unchanged counts the articles skipped before preparing them.
	unchanged int
	// flushes counts the batches written.
	flushes int
}

func newClusterWriter(ctx context.Context, c *pgcorpus.Corpus, emb embed.Embedder) (*clusterWriter, error) {
	e, err := engine.NewMemory(ctx, engine.Options{Embedder: emb})
	if err != nil {
		return nil, err
	}
	in, err := c.Info(ctx)
	if err != nil {
		return nil, err
	}
	if err := pgcorpus.CheckEmbedder(ctx, e, in); err != nil {
		return nil, err
	}
	hashes, err := c.Hashes(ctx)
	if err != nil {
		return nil, err
	}
	return &clusterWriter{c: c, e: e, hashes: hashes}, nil
}

// add queues an article and reports what writing it will do; it writes a
// batch once one is full.
func (w *clusterWriter) add(ctx context.Context, a retrieval.Article) (engine.Status, error) {
	old, ok := w.hashes[a.ID]
	if ok && old == engine.ContentHash(a) {
		w.unchanged++
		return engine.Unchanged, nil
	}
	w.pending = append(w.pending, a)
	if len(w.pending) >= clusterWriteBatch {
		if err := w.flush(ctx); err != nil {
			return "", err
		}
	}
	if ok {
		return engine.Updated, nil
	}
	return engine.Added, nil
}

// flush prepares and writes the queued articles in one transaction.
func (w *clusterWriter) flush(ctx context.Context) error {
	if len(w.pending) == 0 {
		return nil
	}
	preps, err := w.e.Prepare(ctx, w.pending)
	if err != nil {
		return err
	}
	info := w.e.Store().Info()
	res, err := w.c.Write(ctx, info.Embedder, info.Dim, preps)
	if err != nil {
		return err
	}
	for _, p := range preps {
		w.hashes[p.Article.ID] = p.Article.Hash
	}
	w.res.Added += res.Added
	w.res.Updated += res.Updated
	w.res.Unchanged += res.Unchanged
	w.res.Version = res.Version
	w.pending = w.pending[:0]
	w.flushes++
	return nil
}

// ingestCluster is `briefbot ingest` in cluster mode: every file is read
// and reported as in the embedded mode, and its articles are written to
// the database, a transaction per clusterWriteBatch articles (a file's
// line is printed once its articles are committed). The replicas apply
// each commit within seconds.
func (a *app) ingestCluster(cmd *cobra.Command, url string, args []string, reembed bool) error {
	if reembed {
		return exitError{code: 2, msg: "--reembed is not supported with BRIEFBOT_DATABASE_URL: ingest the briefings into a new database (or schema) with the new embedder"}
	}
	ctx := cmd.Context()
	start := time.Now()
	emb, err := a.embedder()
	if err != nil {
		return err
	}
	c, closeDB, err := openCorpus(ctx, url)
	if err != nil {
		return err
	}
	defer closeDB()
	w, err := newClusterWriter(ctx, c, emb)
	if err != nil {
		return err
	}
	var lines []string
	report := func(format string, args ...any) { lines = append(lines, fmt.Sprintf(format, args...)) }
	printLines := func() {
		for _, l := range lines {
			fmt.Fprintln(a.stdout, l)
		}
		lines = lines[:0]
	}
	skipped := 0
	var claims ingest.Claims
	for _, in := range ingest.Collect(args) {
		if in.Skip != nil {
			skipped++
			report("skipped   %s: %v", ingest.DisplayPath(in.Path), in.Skip)
			continue
		}
		var arts []retrieval.Article
		var dups []error
		in.Warn = func(msg string) { report("warning   %s: %s", ingest.DisplayPath(in.Path), msg) }
		bad, err := ingest.ReadInput(ctx, in, func(ar retrieval.Article) error {
			if err := claims.Claim(ar.ID, in.Path); err != nil {
				dups = append(dups, fmt.Errorf("%s: %w", ingest.DisplayPath(ar.ID), err))
				return nil
			}
			arts = append(arts, ar)
			return nil
		})
		var se *ingest.SkipError
		switch {
		case err == nil && len(arts) == 0 && len(dups) > 0 && !ingest.IsRecords(in.Path):
			skipped++
			report("skipped   %s: %v", ingest.DisplayPath(in.Path), errors.Unwrap(dups[0]))
			continue
		case errors.As(err, &se):
			skipped++
			report("skipped   %s: %v", ingest.DisplayPath(in.Path), se)
			continue
		case err != nil:
			printLines()
			return err
		}
		counts := map[engine.Status]int{}
		var status engine.Status
		for _, ar := range arts {
			flushes := w.flushes
			if status, err = w.add(ctx, ar); err != nil {
				printLines()
				return err
			}
			counts[status]++
			if w.flushes != flushes {
				// The files reported so far are committed.
				printLines()
			}
		}
		if !ingest.IsRecords(in.Path) && len(arts) == 1 {
			report("%-9s %s (%s)", status, ingest.DisplayPath(in.Path), ingest.DisplayPath(arts[0].ID))
			continue
		}
		report("read      %s: %d articles: %d added, %d updated, %d unchanged, %d records skipped", ingest.DisplayPath(in.Path),
			len(arts), counts[engine.Added], counts[engine.Updated], counts[engine.Unchanged], len(bad)+len(dups))
		for i, d := range dups {
			if i == 10 {
				report("          ... and %d more records with a duplicate id", len(dups)-10)
				break
			}
			report("          skipped record %v", d)
		}
		for i, b := range bad {
			if i == 10 {
				report("          ... and %d more skipped records", len(bad)-10)
				break
			}
			report("          skipped %v", b)
		}
	}
	if err := w.flush(ctx); err != nil {
		printLines()
		return err
	}
	printLines()
	st, err := c.Stats(ctx)
	if err != nil {
		return err
	}
	fmt.Fprintf(a.stdout, "%d added, %d updated, %d unchanged, %d skipped; database: %d articles (%s) at version %d in %s [%.1fs]\n",
		w.res.Added, w.res.Updated, w.unchanged+w.res.Unchanged, skipped, st.Articles, embed.Describe(st.Embedder, st.Dim), st.Version,
		pgdb.Redact(url), time.Since(start).Seconds())
	if skipped > 0 && w.res.Added+w.res.Updated+w.unchanged+w.res.Unchanged == 0 {
		return exitError{code: 1}
	}
	return nil
}

// deleteCluster is `briefbot delete` in cluster mode.
func (a *app) deleteCluster(ctx context.Context, url string, ids []string) error {
	c, closeDB, err := openCorpus(ctx, url)
	if err != nil {
		return err
	}
	defer closeDB()
	gone, version, err := c.Delete(ctx, ids)
	if err != nil {
		return err
	}
	reported := a.reportDeleted(ids, gone)
	st, err := c.Stats(ctx)
	if err != nil {
		return err
	}
	fmt.Fprintf(a.stdout, "%d deleted, %d not found; database: %d articles at version %d in %s\n",
		len(gone), reported-len(gone), st.Articles, version, pgdb.Redact(url))
	if len(gone) == 0 {
		return exitError{code: 1}
	}
	return nil
}

// openClusterEngine loads the database's corpus into an engine, for the
// commands that read it once (ask, sources, show, digest).
func (a *app) openClusterEngine(ctx context.Context, url string, logger *slog.Logger) (*engine.Engine, error) {
	emb, err := a.embedder()
	if err != nil {
		return nil, err
	}
	c, closeDB, err := openCorpus(ctx, url)
	if err != nil {
		return nil, err
	}
	defer closeDB()
	e, err := engine.NewMemory(ctx, engine.Options{Embedder: emb, Logger: logger})
	if err != nil {
		return nil, err
	}
	var puts []engine.PreparedArticle
	in, err := c.Load(ctx, func(p engine.PreparedArticle) error {
		puts = append(puts, p)
		return nil
	})
	if err != nil {
		return nil, err
	}
	if err := pgcorpus.CheckEmbedder(ctx, e, in); err != nil {
		return nil, err
	}
	if err := e.Apply(ctx, puts, nil); err != nil {
		return nil, err
	}
	return e, nil
}

// clusterCorpus is serve's corpus in cluster mode: the database and the
// follower keeping the served engine up to date.
type clusterCorpus struct {
	url      string
	pool     *pgxpool.Pool
	corpus   *pgcorpus.Corpus
	follower *pgcorpus.Follower
	// done is closed when the follower has stopped.
	done chan struct{}
}

// close waits for the follower (it stops with serve's work) and closes
// the pool.
func (cc *clusterCorpus) close() error {
	<-cc.done
	cc.pool.Close()
	return nil
}

// loadCluster is serve's load in cluster mode: it connects (retrying while
// the database is unreachable: /healthz says 503 meanwhile), migrates,
// loads the corpus, and leaves a follower applying the database's changes
// until ctx ends. It returns once the corpus is served, or with an error
// when it cannot be (another embedder built it).
func (s *Main) loadCluster(ctx context.Context) error {
	start := time.Now()
	emb, err := embedderFor(s.Config.Embedder, s.getenv)
	if err != nil {
		return err
	}
	e, err := engine.NewMemory(ctx, engine.Options{Embedder: emb, Logger: s.log})
	if err != nil {
		return err
	}
	cfg, err := pgxpool.ParseConfig(s.Config.DatabaseURL)
	if err != nil {
		return errors.New("database: the database URL cannot be parsed (check BRIEFBOT_DATABASE_URL)")
	}
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return fmt.Errorf("database: %w", err)
	}
	served := false // from then on, Close closes the pool (clusterCorpus.close)
	defer func() {
		if !served {
			pool.Close()
		}
	}()
	log := s.log.With("component", "corpus", "database", pgdb.Redact(s.Config.DatabaseURL))
	var c *pgcorpus.Corpus
	for wait := 200 * time.Millisecond; ; wait = min(2*wait, 5*time.Second) {
		if _, err = pgdb.Migrate(ctx, pool); err == nil {
			if c, err = pgcorpus.New(ctx, pool); err == nil {
				break
			}
		}
		if ctx.Err() != nil {
			return ctx.Err()
		}
		log.Warn("database unreachable; retrying (healthz says 503 meanwhile)", "err", err)
		if !sleep.For(ctx, wait) {
			return ctx.Err()
		}
	}
	f := pgcorpus.NewFollower(c, e, log)
	cc := &clusterCorpus{url: s.Config.DatabaseURL, pool: pool, corpus: c, follower: f, done: make(chan struct{})}
	s.corpusMu.Lock()
	s.corpus = cc
	s.corpusMu.Unlock()
	served = true
	s.registerCorpusMetrics(cc)
	runErr := make(chan error, 1)
	go func() {
		defer close(cc.done)
		runErr <- f.Run(ctx)
	}()
	loaded := make(chan error, 1)
	go func() { loaded <- f.Wait(ctx, func(st pgcorpus.Status) bool { return st.Loaded }) }()
	select {
	case err := <-runErr:
		if err != nil {
			return fmt.Errorf("load corpus: %w", err)
		}
		return ctx.Err() // Run returns nil only when ctx ended
	case err := <-loaded:
		if err != nil {
			return err // ctx ended
		}
	}
	e.OnChange(setServeMemoryLimit)
	s.search.e.Store(e)
	close(s.loaded)
	st, fs := e.Stats(), f.Status()
	log.Info("store loaded", "articles", st.Articles, "chunks", st.Chunks, "embedder", st.Embedder, "version", fs.Version,
		"ms", time.Since(start).Milliseconds())
	return nil
}

// clusterStatus returns the follower's status, false outside cluster mode
// (or before the database answered).
func (s *Main) clusterStatus() (pgcorpus.Status, bool) {
	s.corpusMu.Lock()
	cc := s.corpus
	s.corpusMu.Unlock()
	if cc == nil {
		return pgcorpus.Status{}, false
	}
	return cc.follower.Status(), true
}

// clusterHealth adds the served index version and lag to /healthz.
func (s *Main) clusterHealth(body map[string]any) {
	if s.Config.DatabaseURL == "" {
		return
	}
	st, ok := s.clusterStatus()
	if !ok {
		body["index_version"] = nil
		return
	}
	lagV, lagS := st.Lag(time.Now())
	body["index_version"] = st.Version
	body["index_lag_versions"] = lagV
	body["index_lag_seconds"] = lagS
	if st.Err != nil {
		body["corpus_error"] = "cannot follow the corpus database (see the log)"
	}
}

// registerCorpusMetrics exports the follower's state to /metrics.
func (s *Main) registerCorpusMetrics(cc *clusterCorpus) {
	status := func() pgcorpus.Status { return cc.follower.Status() }
	s.metrics.reg.MustRegister(
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{
			Name: "briefbot_index_version", Help: "Corpus version the served index is at (cluster mode).",
		}, func() float64 { return float64(status().Version) }),
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{
			Name: "briefbot_index_lag_versions", Help: "Corpus versions committed in the database and not yet served, as of the last contact (cluster mode).",
		}, func() float64 { v, _ := status().Lag(time.Now()); return float64(v) }),
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{
			Name: "briefbot_index_lag_seconds",
			Help: "0 while the served index is current; else seconds since it was last known current (database unreachable or changes not applied) (cluster mode).",
		}, func() float64 { _, sec := status().Lag(time.Now()); return sec }),
	)
}

// scanWatchedCluster is scanWatched in cluster mode: new or changed
// watched files are written to the database (no data directory lock, no
// snapshot); the follower applies them to the served index like any other
// replica's writes.
func (s *Main) scanWatchedCluster(ctx context.Context, w *watchState) {
	s.corpusMu.Lock()
	cc := s.corpus
	s.corpusMu.Unlock()
	if _, err := s.search.get(); cc == nil || err != nil {
		return
	}
	pending := map[string]fileStamp{}
	var arts []retrieval.Article
	for _, c := range w.changed(s.Config.Watch) {
		in, st := c.in, c.stamp
		bad, err := ingest.ReadInput(ctx, in, func(a retrieval.Article) error {
			arts = append(arts, a)
			return nil
		})
		var skip *ingest.SkipError
		switch {
		case errors.As(err, &skip):
			s.log.Warn("watch: skipped file", "path", in.Path, "reason", err.Error())
			w.seen[in.Path] = st
			continue
		case err != nil:
			s.log.Warn("watch: cannot read file; retrying at the next scan", "path", in.Path, "err", err)
			continue
		}
		if len(bad) > 0 {
			s.log.Warn("watch: skipped records", "path", in.Path, "count", len(bad))
		}
		pending[in.Path] = st
	}
	if len(pending) == 0 {
		return
	}
	outs, version, err := s.clusterIngest(ctx, arts)
	if err != nil {
		// Batches already committed stay; the rest is written at the next
		// scan (unchanged articles are skipped then).
		s.log.Error("watch: write to the corpus database failed; retrying at the next scan", "files", len(pending), "err", err)
		return
	}
	for p, st := range pending {
		w.seen[p] = st
	}
	n := 0
	for _, o := range outs {
		if o.Status != engine.Unchanged {
			n++
		}
	}
	if n > 0 {
		s.log.Info("watch: written to the corpus database", "files", len(pending), "articles_changed", n, "version", version)
	}
}

// clusterIngest is Engine.Ingest for serve in cluster mode (a watched
// folder, a feed): it writes arts to the corpus database, a transaction per
// clusterWriteBatch articles, and reports each article as Ingest does
// (later duplicates of an id win), with the corpus version after the
// write. The served engine applies the change when the follower sees it,
// like any replica's. On an error, the batches already committed stay.
func (s *Main) clusterIngest(ctx context.Context, arts []retrieval.Article) ([]engine.Outcome, int64, error) {
	s.corpusMu.Lock()
	cc := s.corpus
	s.corpusMu.Unlock()
	e, err := s.search.get()
	if cc == nil || err != nil {
		return nil, 0, errNotReady
	}
	w, err := newClusterWriter(ctx, cc.corpus, e.Embedder())
	if err != nil {
		return nil, 0, err
	}
	last := map[string]int{}
	for i, a := range arts {
		last[a.ID] = i
	}
	outs := make([]engine.Outcome, len(arts))
	for i, a := range arts {
		outs[i] = engine.Outcome{ID: a.ID, Status: engine.Unchanged}
		if last[a.ID] != i {
			continue
		}
		if outs[i].Status, err = w.add(ctx, a); err != nil {
			return nil, 0, err
		}
	}
	if err := w.flush(ctx); err != nil {
		return nil, 0, err
	}
	return outs, w.res.Version, nil
}

// clusterIngestFor is s.clusterIngest in cluster mode, nil otherwise.
func clusterIngestFor(cfg Config, s *Main) func(context.Context, []retrieval.Article) ([]engine.Outcome, int64, error) {
	if cfg.DatabaseURL == "" {
		return nil
	}
	return s.clusterIngest
}
