package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"runtime/debug"
	"sync"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus/promhttp"
	"github.com/spf13/cobra"
	"golang.org/x/sync/errgroup"

	"github.com/briefbot/briefbot/bot"
	"github.com/briefbot/briefbot/bot/digest"
	"github.com/briefbot/briefbot/cluster"
	"github.com/briefbot/briefbot/retrieval"
	"github.com/briefbot/briefbot/retrieval/dates"
	"github.com/briefbot/briefbot/retrieval/engine"
	"github.com/briefbot/briefbot/retrieval/store"
)

// The shutdown budget: from SIGTERM to exit, serve takes at most
// shutdownBudget. Adapters finish answers in flight for up to 8 s (then
// cancel the rest, logged and counted as dropped, within a second), the
// HTTP server drains its requests for up to httpShutdownGrace, and
// whatever still runs after shutdownBudget-closeReserve is abandoned
// (logged) so that the closers and the exit fit in the budget.
const (
	shutdownBudget    = 10 * time.Second
	httpShutdownGrace = 9 * time.Second
	closeReserve      = 500 * time.Millisecond
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
			logger := newLogger(cfg, a.stderr)
			s, err := newServer(cfg, a, logger)
			if err != nil {
				return err
			}
			return s.Run(cmd.Context())
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

// server is the `briefbot serve` runtime.
type server struct {
	cfg     Config
	app     *app
	log     *slog.Logger
	metrics *metrics
	search  *lazySearcher
	bot     *bot.Bot
	mux     *http.ServeMux

	addrMu sync.Mutex
	addr   net.Addr
	// ready is closed once the HTTP server listens (tests wait on it).
	ready chan struct{}
	// loaded is closed once the store has loaded and the bot can answer.
	loaded chan struct{}

	snapMu   sync.Mutex
	snapStat snapshotStat

	// digests schedules and previews digests; posters are the adapters'
	// digest posters, filled by buildAdapters.
	digests *digestService
	posters digest.Posters

	// dedupe is the adapters' delivery log (dedupe.jsonl, or the
	// database's deliveries in cluster mode), nil without adapters.
	dedupe bot.Dedupe
	// convs are the Slack threads and Discord follow-up chains answered
	// (conversations.json, or the database's in cluster mode), nil
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

	// closers run after every adapter has stopped.
	closers []func() error

	// corpus is the corpus database in cluster mode (cluster_corpus.go).
	corpusMu sync.Mutex
	corpus   *clusterCorpus
}

// lazySearcher is the bot's Searcher before and after the store loads.
type lazySearcher struct {
	e atomic.Pointer[engine.Engine]
}

// errNotReady reports a question asked before the store is loaded.
var errNotReady = errors.New("the store is still loading")

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

func newServer(cfg Config, a *app, logger *slog.Logger) (*server, error) {
	s := &server{cfg: cfg, app: a, log: logger, search: &lazySearcher{}, mux: http.NewServeMux(), ready: make(chan struct{}),
		loaded: make(chan struct{})}
	s.metrics = newMetrics(func() (int, int) {
		if e, err := s.search.get(); err == nil {
			st := e.Stats()
			return st.Articles, st.Chunks
		}
		return 0, 0
	})
	s.bot = bot.New(s.search, bot.Options{Observer: s.metrics, Logger: logger.With("component", "bot")})
	s.mux.HandleFunc("GET /healthz", s.handleHealth)
	s.mux.Handle("GET /metrics", promhttp.HandlerFor(s.metrics.reg, promhttp.HandlerOpts{}))
	s.mux.HandleFunc("GET /api/ask", s.handleAsk)
	if len(cfg.Feeds) > 0 {
		s.feeds = newFeedFollower(cfg, s)
	}
	return s, nil
}

// Addr returns the HTTP server's address once it listens.
func (s *server) Addr() net.Addr {
	s.addrMu.Lock()
	defer s.addrMu.Unlock()
	return s.addr
}

// Run serves until ctx is done, then shuts down gracefully and returns nil.
func (s *server) Run(ctx context.Context) error {
	ln, err := net.Listen("tcp", s.cfg.HTTPAddr)
	if err != nil {
		return fmt.Errorf("listen on %s: %w", s.cfg.HTTPAddr, err)
	}
	s.addrMu.Lock()
	s.addr = ln.Addr()
	s.addrMu.Unlock()
	if s.cfg.DatabaseURL != "" {
		tune, err := s.tune.withEnv(s.app.getenv)
		if err != nil {
			ln.Close()
			return exitError{code: 2, msg: err.Error()}
		}
		if s.state, err = newClusterState(s.cfg.DatabaseURL, s.log.With("component", "cluster"), tune); err != nil {
			ln.Close()
			return err
		}
		s.closers = append(s.closers, s.state.close)
		s.metrics.watchCluster(s.state.node, s.state.dedupe)
		if s.feeds != nil { // the feeds' state is shared too: the next leader continues it
			s.feeds.shared = cluster.NewFeedState(s.state.pool)
		}
	}
	s.digests, err = newDigestService(s.cfg, s.search, s.log.With("component", "digest"))
	if err != nil {
		ln.Close()
		return err
	}
	if s.state != nil {
		s.digests.ledger, s.digests.subs = s.state.ledger, s.state.subs
	}
	s.posters = digest.Posters{}
	adapters, err := s.buildAdapters()
	if err != nil {
		ln.Close()
		return err
	}
	for _, ad := range adapters {
		ad.Routes(s.mux)
	}
	httpSrv := &http.Server{
		Handler:           s.logRequests(s.mux),
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       30 * time.Second,
		WriteTimeout:      60 * time.Second,
		IdleTimeout:       2 * time.Minute,
		ErrorLog:          slog.NewLogLogger(s.log.Handler(), slog.LevelWarn),
	}
	s.log.Info("serving", "addr", ln.Addr().String(), "data", s.cfg.Data, "adapters", adapterNames(adapters))
	close(s.ready)

	g, gctx := errgroup.WithContext(ctx)
	g.Go(func() error {
		if err := httpSrv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			return fmt.Errorf("http server: %w", err)
		}
		return nil
	})
	g.Go(func() error {
		<-gctx.Done()
		sctx, cancel := context.WithTimeout(context.Background(), httpShutdownGrace)
		defer cancel()
		s.log.Info("shutting down", "budget", shutdownBudget.String())
		if err := httpSrv.Shutdown(sctx); err != nil {
			s.log.Warn("http requests still running at the end of their grace were cut", "err", err)
			httpSrv.Close()
		}
		return nil
	})
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
		return s.digests.start(gctx, s.posters)
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
	err = waitWithin(gctx, g.Wait, shutdownBudget-closeReserve, s.log)
	if cerr := s.digests.close(); cerr != nil {
		s.log.Warn("close digest scheduler", "err", cerr)
	}
	for _, c := range s.closers {
		if cerr := c(); cerr != nil {
			s.log.Warn("close", "err", cerr)
		}
	}
	if err != nil && ctx.Err() == nil {
		return err
	}
	s.log.Info("stopped")
	return nil
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
func (s *server) load(ctx context.Context) error {
	if s.cfg.DatabaseURL != "" {
		return s.loadCluster(ctx)
	}
	start := time.Now()
	emb, err := s.app.embedderFor(s.cfg.Embedder)
	if err != nil {
		return err
	}
	var e *engine.Engine
	if (len(s.cfg.Watch) > 0 || len(s.cfg.Feeds) > 0) && !store.Exists(s.cfg.Data) {
		// Watched briefings or followed feeds are the corpus: start from an empty store.
		e, err = engine.NewMemory(ctx, engine.Options{Embedder: emb, Logger: s.log})
	} else {
		e, err = engine.Open(ctx, s.cfg.Data, engine.Options{Embedder: emb, Logger: s.log})
	}
	if err != nil {
		return fmt.Errorf("load store: %w", err)
	}
	s.rememberSnapshot()
	s.search.e.Store(e)
	close(s.loaded)
	st := e.Stats()
	s.log.Info("store loaded", "articles", st.Articles, "chunks", st.Chunks, "embedder", st.Embedder, "seeds", st.Seeds,
		"ms", time.Since(start).Milliseconds())
	return nil
}

func (s *server) handleHealth(w http.ResponseWriter, r *http.Request) {
	if s.state != nil {
		if err := s.state.health(); errors.Is(err, errNotMigrated) {
			writeJSON(w, http.StatusServiceUnavailable, map[string]any{"status": "loading", "database": "migrating"})
			return
		} else if err != nil {
			writeJSON(w, http.StatusServiceUnavailable, map[string]any{"status": "database unreachable", "database": "unreachable"})
			return
		}
	}
	e, err := s.search.get()
	if err != nil {
		body := map[string]any{"status": "loading"}
		s.clusterHealth(body)
		writeJSON(w, http.StatusServiceUnavailable, body)
		return
	}
	st := e.Stats()
	body := map[string]any{"status": "ok", "articles": st.Articles, "chunks": st.Chunks, "embedder": st.Embedder, "seeds": st.Seeds}
	if s.state != nil {
		body["database"], body["replica"], body["leader"] = "ok", s.state.node.ID(), s.isLeader()
	}
	s.clusterHealth(body)
	writeJSON(w, http.StatusOK, body)
}

func (s *server) handleAsk(w http.ResponseWriter, r *http.Request) {
	q := bot.Question{Text: r.URL.Query().Get("q"), Platform: bot.PlatformHTTP}
	if asOf := r.URL.Query().Get("as_of"); asOf != "" {
		t, err := dates.Parse(asOf)
		if err != nil {
			writeJSON(w, http.StatusBadRequest, map[string]string{"error": "as_of is not a date (use YYYY-MM-DD)"})
			return
		}
		q.AsOf = t
	}
	if _, err := bot.CleanQuestion(q.Text); err != nil {
		writeJSON(w, http.StatusBadRequest, map[string]string{"error": errorText(err)})
		return
	}
	if _, err := s.search.get(); err != nil {
		writeJSON(w, http.StatusServiceUnavailable, map[string]string{"error": err.Error()})
		return
	}
	ans, err := s.bot.Ask(r.Context(), q)
	if err != nil {
		writeJSON(w, http.StatusInternalServerError, map[string]string{"error": "the answer failed; see the server log"})
		return
	}
	writeJSON(w, http.StatusOK, ans)
}

func errorText(err error) string {
	switch {
	case errors.Is(err, bot.ErrEmptyQuestion):
		return "the question is empty: pass it as ?q=..."
	case errors.Is(err, bot.ErrQuestionTooLong):
		return fmt.Sprintf("the question is longer than %d characters", bot.MaxQuestionLen)
	}
	return err.Error()
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	enc.Encode(v)
}

// statusRecorder captures a response status for the access log. It passes
// Flush and Unwrap through, so that handlers can flush (a deferred Discord
// reply) and set deadlines with http.ResponseController.
type statusRecorder struct {
	http.ResponseWriter
	status int
	wrote  bool
}

func (r *statusRecorder) WriteHeader(code int) {
	if !r.wrote {
		r.status, r.wrote = code, true
	}
	r.ResponseWriter.WriteHeader(code)
}

func (r *statusRecorder) Write(b []byte) (int, error) {
	r.wrote = true
	return r.ResponseWriter.Write(b)
}

// Flush implements http.Flusher.
func (r *statusRecorder) Flush() {
	r.wrote = true
	_ = http.NewResponseController(r.ResponseWriter).Flush()
}

// Unwrap lets http.ResponseController reach the connection.
func (r *statusRecorder) Unwrap() http.ResponseWriter { return r.ResponseWriter }

// logRequests logs method, path (never the query: it holds questions),
// status and duration, and turns a panic in a handler into a 500 and an
// error log (never a dropped connection or a crash).
func (s *server) logRequests(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		rec := &statusRecorder{ResponseWriter: w, status: http.StatusOK}
		defer func() {
			if p := recover(); p != nil {
				if p == http.ErrAbortHandler {
					panic(p) // the handler asked for the connection to be cut
				}
				s.metrics.panics.Inc()
				s.log.Error("http handler panicked", "method", r.Method, "path", r.URL.Path, "panic", fmt.Sprint(p),
					"stack", string(debug.Stack()))
				if !rec.wrote {
					writeJSON(rec, http.StatusInternalServerError, map[string]string{"error": "internal error; see the server log"})
				}
			}
			s.log.Debug("http", "method", r.Method, "path", r.URL.Path, "status", rec.status, "ms", time.Since(start).Milliseconds())
		}()
		h.ServeHTTP(rec, r)
	})
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

func (s *server) rememberSnapshot() {
	s.snapMu.Lock()
	s.snapStat = statSnapshot(s.cfg.Data)
	s.snapMu.Unlock()
}
