package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"sync"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus/promhttp"
	"github.com/spf13/cobra"
	"golang.org/x/sync/errgroup"

	"github.com/briefbot/briefbot/bot"
	"github.com/briefbot/briefbot/bot/digest"
	"github.com/briefbot/briefbot/cluster"
	"github.com/briefbot/briefbot/httpapi"
	"github.com/briefbot/briefbot/retrieval"
	"github.com/briefbot/briefbot/retrieval/engine"
	"github.com/briefbot/briefbot/retrieval/store"
)

// The shutdown budget, the one place it is decided (the README's "within
// 10 s" and the adapters' defaults follow it): from SIGINT or SIGTERM to
// exit, serve takes at most ShutdownBudget. serve gives Main.Close a
// context with that deadline, and Close divides it:
//
//   - The adapters finish answers in flight for up to 8 s, then cancel the
//     rest (logged and counted as dropped) within a second:
//     slack.DefaultDrainTimeout + 1 s, discord.DefaultShutdownTimeout.
//   - The HTTP server drains its requests for up to httpShutdownGrace,
//     then cuts them (logged).
//   - The digest scheduler's runs in flight are cancelled with the rest.
//   - Whatever still runs closeReserve before the deadline is abandoned
//     (logged), and the closers (the digest service, the stores, the
//     database pools) get what is left minus exitReserve, after which they
//     are abandoned too (logged): serve exits within the budget.
const (
	ShutdownBudget    = 10 * time.Second
	httpShutdownGrace = ShutdownBudget - time.Second
	closeReserve      = 500 * time.Millisecond
	exitReserve       = 100 * time.Millisecond
)

func (a *app) serveCmd() *cobra.Command {
	var configPath string
	cmd := &cobra.Command{
		Use:   "serve [flags]",
		Short: "Run the bot: HTTP API, health, metrics, Slack, Discord, digests",
		Long: `Load the store (or the embedded seeds) and run every configured adapter and one HTTP
server (BRIEFBOT_HTTP_ADDR, default :8080) with:

  GET /api/ask?q=...[&as_of=YYYY-MM-DD]   the answer, as 'briefbot ask --json' prints it
  GET /healthz                            200 once the store is loaded (and, in a cluster,
                                          the database reached), 503 before
  GET /metrics                            Prometheus metrics

Slack is enabled by SLACK_BOT_TOKEN (Socket Mode with SLACK_APP_TOKEN, HTTP routes
/slack/* with SLACK_SIGNING_SECRET); Discord by DISCORD_BOT_TOKEN and DISCORD_APP_ID
(HTTP interactions at /discord/interactions with DISCORD_PUBLIC_KEY, else the
gateway). Environment variables override the YAML file given with --config; the
README lists them all. SIGINT or SIGTERM stops taking work, finishes answers in
flight and exits 0.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			cfg, err := loadConfig(configPath, a.getenv)
			if err != nil {
				return exitError{code: 2, msg: err.Error()}
			}
			if a.dataFlag != "" {
				cfg.Data = a.dataFlag
			}
			if a.embedderFlag != "" {
				cfg.Embedder = a.embedderFlag
			}
			if cfg.Data == "" {
				if cfg.Data, err = userDataDir(a.getenv); err != nil {
					return err
				}
			}
			return serve(cmd.Context(), newMain(cfg, a.getenv, newLogger(cfg, a.stderr)))
		},
	}
	cmd.Flags().StringVar(&configPath, "config", "", "YAML configuration file (environment variables override it)")
	return cmd
}

// newLogger logs text on a terminal and JSON otherwise, unless
// BRIEFBOT_LOG_FORMAT says which.
func newLogger(cfg Config, w io.Writer) *slog.Logger {
	level := slog.LevelInfo
	switch cfg.LogLevel {
	case "debug":
		level = slog.LevelDebug
	case "warn":
		level = slog.LevelWarn
	case "error":
		level = slog.LevelError
	}
	opts := &slog.HandlerOptions{Level: level}
	format := cfg.LogFormat
	if format == "" {
		format = "json"
		if isTerminal(w) {
			format = "text"
		}
	}
	if format == "text" {
		return slog.New(slog.NewTextHandler(w, opts))
	}
	return slog.New(slog.NewJSONHandler(w, opts))
}

// serve runs m until ctx ends (SIGINT, SIGTERM) or its work fails, then
// closes it within ShutdownBudget.
func serve(ctx context.Context, m *Main) error {
	if err := m.Run(ctx); err != nil {
		return err
	}
	<-m.Done()
	cctx, cancel := context.WithTimeout(context.Background(), ShutdownBudget)
	defer cancel()
	return m.Close(cctx)
}

// Main is the `briefbot serve` runtime, in the WTF Dial style: Config says
// what to serve; Run opens the stores, builds the adapters and starts the
// HTTP server and the background work, and returns once it listens; Done
// says when it stops on its own; Close shuts it down within its context's
// deadline (the shutdown budget above). Tests drive it on 127.0.0.1:0 with
// a temporary data directory.
type Main struct {
	// Config is what to serve (serve's flags, file and environment).
	Config Config
	// getenv reads the settings that are not in Config (embedder API
	// keys, cluster lease).
	getenv  func(string) string
	log     *slog.Logger
	metrics *metrics
	search  *lazySearcher
	bot     *bot.Bot
	// api is the HTTP API (package httpapi); mux is its route table, to
	// which the adapters add their webhooks.
	api *httpapi.Handler
	mux *http.ServeMux

	addrMu sync.Mutex
	addr   net.Addr
	// ready is closed once the HTTP server listens (tests wait on it).
	ready chan struct{}
	// loaded is closed once the store has loaded and the bot can answer.
	loaded chan struct{}

	snapMu   sync.Mutex
	snapStat snapshotStat

	// digests schedules and previews digests; posters are the digest
	// posters of the adapters that have one (digest.AdapterPoster).
	digests *digest.Service
	posters digest.Posters

	// dedupe is the adapters' delivery log (dedupe.jsonl, or the
	// database's deliveries in cluster mode), nil without adapters.
	dedupe bot.Dedupe
	// convs are the Slack threads and Discord follow-up chains answered
	// (conversations.jsonl, or the database's in cluster mode), nil
	// without a chat adapter.
	convs bot.ConversationStore
	// channels are the per-channel settings (channel-settings.json and
	// the configuration's channels:).
	channels *bot.Channels
	// state is the shared state in PostgreSQL (cluster mode); nil in the
	// embedded default.
	state *clusterState
	// tune shortens the cluster's leases in tests.
	tune clusterTuning

	// feeds follows BRIEFBOT_FEEDS (feeds.go), nil without feeds.
	feeds *feedFollower

	// closers close, in order, what Run opened (the cluster state, the
	// adapters' stores), after every adapter has stopped.
	closers []func() error

	// g runs the background work; stop ends it (Close); interrupted is
	// set once Run's context ended (a signal: not a failure).
	g           *errgroup.Group
	gctx        context.Context
	stop        context.CancelFunc
	interrupted atomic.Bool

	// corpus is the corpus database in cluster mode (cluster_corpus.go).
	corpusMu sync.Mutex
	corpus   *clusterCorpus
}

// lazySearcher is the bot's Searcher before and after the store loads.
type lazySearcher struct {
	e atomic.Pointer[engine.Engine]
}

// errNotReady reports a question asked before the store is loaded.
var errNotReady = bot.ErrNotReady

func (l *lazySearcher) get() (*engine.Engine, error) {
	if e := l.e.Load(); e != nil {
		return e, nil
	}
	return nil, errNotReady
}

func (l *lazySearcher) Search(ctx context.Context, q retrieval.Query) (retrieval.Result, error) {
	e, err := l.get()
	if err != nil {
		return retrieval.Result{}, err
	}
	return e.Search(ctx, q)
}

func (l *lazySearcher) Articles(ctx context.Context) ([]retrieval.ArticleMeta, error) {
	e, err := l.get()
	if err != nil {
		return nil, err
	}
	return e.Articles(ctx)
}

func (l *lazySearcher) Document(ctx context.Context, id string) (retrieval.Document, error) {
	e, err := l.get()
	if err != nil {
		return retrieval.Document{}, err
	}
	return e.Document(ctx, id)
}

var _ bot.Searcher = (*lazySearcher)(nil)

// newMain returns the runtime of cfg; it does no I/O (Run does).
func newMain(cfg Config, getenv func(string) string, logger *slog.Logger) *Main {
	s := &Main{Config: cfg, getenv: getenv, log: logger, search: &lazySearcher{}, ready: make(chan struct{}),
		loaded: make(chan struct{})}
	s.metrics = newMetrics(func() (int, int) {
		if e, err := s.search.get(); err == nil {
			st := e.Stats()
			return st.Articles, st.Chunks
		}
		return 0, 0
	})
	s.bot = bot.New(s.search, bot.Options{Observer: s.metrics, Logger: logger.With("component", "bot")})
	s.api = httpapi.New(httpapi.Config{
		Asker:    s.bot,
		Ready:    func() error { _, err := s.search.get(); return err },
		Health:   s.health,
		Metrics:  promhttp.HandlerFor(s.metrics.reg, promhttp.HandlerOpts{}),
		Panicked: s.metrics.panics.Inc,
		Logger:   logger,
	})
	s.mux = s.api.Mux()
	if len(cfg.Feeds) > 0 {
		s.feeds = newFeedFollower(cfg, s)
	}
	return s
}

// Addr returns the HTTP server's address once it listens.
func (s *Main) Addr() net.Addr {
	s.addrMu.Lock()
	defer s.addrMu.Unlock()
	return s.addr
}

// Run listens on Config.HTTPAddr, opens the stores (the cluster state in
// cluster mode), builds the adapters, and starts serving: the HTTP server,
// the adapters, loading the store, then the digests and the feeds. It
// returns once the server listens, or why it could not start. The work
// runs until ctx ends or some of it fails (Done), then Close stops it.
func (s *Main) Run(ctx context.Context) error {
	ln, err := net.Listen("tcp", s.Config.HTTPAddr)
	if err != nil {
		return fmt.Errorf("listen on %s: %w", s.Config.HTTPAddr, err)
	}
	s.addrMu.Lock()
	s.addr = ln.Addr()
	s.addrMu.Unlock()
	if s.Config.DatabaseURL != "" {
		tune, err := s.tune.withEnv(s.getenv)
		if err != nil {
			ln.Close()
			return exitError{code: 2, msg: err.Error()}
		}
		if s.state, err = newClusterState(s.Config.DatabaseURL, s.log.With("component", "cluster"), tune); err != nil {
			ln.Close()
			return err
		}
		s.closers = append(s.closers, s.state.close)
		s.metrics.watchCluster(s.state.node, s.state.dedupe)
		if s.feeds != nil { // the feeds' state is shared too: the next leader continues it
			s.feeds.shared = cluster.NewFeedState(s.state.pool)
		}
	}
	s.digests, err = newDigestService(s.Config, s.search, s.log.With("component", "digest"), s.state)
	if err != nil {
		s.close(closeReserve)
		ln.Close()
		return err
	}
	adapters, closers, err := s.buildAdapters()
	s.closers = append(s.closers, closers...)
	if err != nil {
		s.close(closeReserve)
		ln.Close()
		return err
	}
	// What only some adapters do is probed for: webhooks and digests.
	s.posters = digest.Posters{}
	for _, ad := range adapters {
		s.api.Mount(ad)
		if p, ok := ad.(digest.AdapterPoster); ok {
			s.posters[ad.Name()] = digest.PosterOf(p)
		}
	}
	s.log.Info("serving", "addr", ln.Addr().String(), "data", s.Config.Data, "adapters", adapterNames(adapters))
	close(s.ready)

	context.AfterFunc(ctx, func() { s.interrupted.Store(true) })
	wctx, stop := context.WithCancel(ctx)
	g, gctx := errgroup.WithContext(wctx)
	s.g, s.gctx, s.stop = g, gctx, stop
	g.Go(func() error { return httpapi.Serve(gctx, ln, s.api, httpShutdownGrace, s.log) })
	g.Go(func() error {
		if err := s.load(gctx); err != nil {
			return err
		}
		s.background(gctx, g)
		if s.state != nil { // in a cluster, scheduled work runs on the leader
			if s.feeds != nil { // feed polls too: one replica polls, all follow the database
				g.Go(func() error {
					s.everyOnLeader(gctx, s.feeds.interval, func(ctx context.Context) { s.feeds.round(ctx) })
					return nil
				})
			}
			s.state.leaderWork(gctx, s)
			return nil
		}
		s.followFeeds(gctx, g)
		// Digests need the store: schedule them (and catch up the runs
		// missed while down) once it has loaded.
		return s.digests.Start(gctx, s.posters)
	})
	if s.state != nil {
		g.Go(func() error { return s.state.run(gctx) })
	}
	for _, ad := range adapters {
		g.Go(func() error {
			if err := ad.Run(gctx); err != nil {
				// One platform failing must not take the others down.
				s.log.Error("adapter stopped", "adapter", ad.Name(), "err", err)
			}
			return nil
		})
	}
	return nil
}

// Done is closed when the work stops on its own: Run's context ended (a
// signal) or some of it failed. Close is then due. Call it after a
// successful Run.
func (s *Main) Done() <-chan struct{} { return s.gctx.Done() }

// Close stops the work, waits for it until closeReserve before ctx's
// deadline (ShutdownBudget when ctx has none), then runs the closers with
// what is left minus exitReserve; work or closers still running then are
// abandoned (logged). It returns the error that stopped the work on its
// own (not a signal, not Close).
func (s *Main) Close(ctx context.Context) error {
	deadline, ok := ctx.Deadline()
	if !ok {
		deadline = time.Now().Add(ShutdownBudget)
	}
	var err error
	failed := false // the work stopped on its own, not by a signal or by Close
	if s.g != nil {
		failed = s.gctx.Err() != nil && !s.interrupted.Load()
		s.log.Info("shutting down", "budget", time.Until(deadline).Round(time.Millisecond).String())
		s.stop()
		err = waitWithin(s.gctx, s.g.Wait, time.Until(deadline)-closeReserve, s.log)
	}
	s.close(max(time.Until(deadline)-exitReserve, 0))
	if err != nil && failed {
		return err
	}
	s.log.Info("stopped")
	return nil
}

// close stops the digest service and runs the closers (the corpus
// database's too), in order, for at most budget; those still running then
// are abandoned (logged).
func (s *Main) close(budget time.Duration) {
	done, cancel := context.WithCancel(context.Background())
	cancel() // waitWithin's budget starts now
	cctx, ccancel := context.WithTimeout(context.Background(), budget)
	defer ccancel()
	_ = waitWithin(done, func() error {
		if s.digests != nil {
			if err := s.digests.Close(cctx); err != nil {
				s.log.Warn("close digest scheduler", "err", err)
			}
		}
		closers := s.closers
		s.corpusMu.Lock()
		if s.corpus != nil {
			closers = append(closers[:len(closers):len(closers)], s.corpus.close)
		}
		s.corpusMu.Unlock()
		for _, c := range closers {
			if err := c(); err != nil {
				s.log.Warn("close", "err", err)
			}
		}
		return nil
	}, budget, s.log)
}

// waitWithin returns wait's result, or nil once budget has passed since
// ctx was done (shutdown began): the work still running is logged and
// abandoned, so that shutdown keeps its promise.
func waitWithin(ctx context.Context, wait func() error, budget time.Duration, log *slog.Logger) error {
	result := make(chan error, 1)
	go func() { result <- wait() }()
	select {
	case err := <-result:
		return err
	case <-ctx.Done():
	}
	t := time.NewTimer(budget)
	defer t.Stop()
	select {
	case err := <-result:
		return err
	case <-t.C:
		log.Error("shutdown budget ran out; exiting with work still running", "budget", budget.String())
		return nil
	}
}

func adapterNames(ads []bot.Adapter) []string {
	names := make([]string, len(ads))
	for i, a := range ads {
		names[i] = a.Name()
	}
	return names
}

// load opens the store (or the seeds) and makes the bot ready.
func (s *Main) load(ctx context.Context) error {
	if s.Config.DatabaseURL != "" {
		return s.loadCluster(ctx)
	}
	start := time.Now()
	emb, err := embedderFor(s.Config.Embedder, s.getenv)
	if err != nil {
		return err
	}
	var e *engine.Engine
	if (len(s.Config.Watch) > 0 || len(s.Config.Feeds) > 0) && !store.Exists(s.Config.Data) {
		// Watched briefings or followed feeds are the corpus: start from an empty store.
		e, err = engine.NewMemory(ctx, engine.Options{Embedder: emb, Logger: s.log})
	} else {
		e, err = engine.Open(ctx, s.Config.Data, engine.Options{Embedder: emb, Logger: s.log})
	}
	if err != nil {
		return fmt.Errorf("load store: %w", err)
	}
	e.OnChange(setServeMemoryLimit)
	s.rememberSnapshot()
	s.search.e.Store(e)
	close(s.loaded)
	st := e.Stats()
	s.log.Info("store loaded", "articles", st.Articles, "chunks", st.Chunks, "embedder", st.Embedder, "seeds", st.Seeds,
		"ms", time.Since(start).Milliseconds())
	return nil
}

// health is /healthz: 503 while the store loads (and, in a cluster, while
// the database is unreachable or not migrated), else 200 with the store's
// size and, in a cluster, the replica, its leadership and the index's
// version and lag.
func (s *Main) health() httpapi.Health {
	if s.state != nil {
		if err := s.state.health(); errors.Is(err, errNotMigrated) {
			return httpapi.Health{Fields: map[string]any{"status": "loading", "database": "migrating"}}
		} else if err != nil {
			return httpapi.Health{Fields: map[string]any{"status": "database unreachable", "database": "unreachable"}}
		}
	}
	e, err := s.search.get()
	if err != nil {
		body := map[string]any{"status": "loading"}
		s.clusterHealth(body)
		return httpapi.Health{Fields: body}
	}
	st := e.Stats()
	body := map[string]any{"status": "ok", "articles": st.Articles, "chunks": st.Chunks, "embedder": st.Embedder, "seeds": st.Seeds}
	if s.state != nil {
		body["database"], body["replica"], body["leader"] = "ok", s.state.node.ID(), s.isLeader()
	}
	s.clusterHealth(body)
	return httpapi.Health{Up: true, Fields: body}
}

// snapshotStat identifies a snapshot file version.
type snapshotStat struct {
	size int64
	mod  time.Time
}

func statSnapshot(dir string) snapshotStat {
	fi, err := os.Stat(store.Path(dir))
	if err != nil {
		return snapshotStat{}
	}
	return snapshotStat{size: fi.Size(), mod: fi.ModTime()}
}

func (s *Main) rememberSnapshot() {
	s.snapMu.Lock()
	s.snapStat = statSnapshot(s.Config.Data)
	s.snapMu.Unlock()
}
