package main

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/spf13/cobra"
)

// benchClusterCmd measures cluster mode (issue 14): ingest into
// PostgreSQL, a replica's cold start from it, and /api/ask against one
// replica and against two.
func (a *app) benchClusterCmd() *cobra.Command {
	var (
		briefbot, database, queriesPath   string
		runs, coldRuns, loadRuns, clients int
		duration                          time.Duration
		skipLoad                          bool
	)
	cmd := &cobra.Command{
		Use:   "cluster [flags] CORPUS.jsonl...",
		Short: "Measure cluster mode: ingest into PostgreSQL, replica cold start, /api/ask on one and two replicas",
		Long: `For each corpus, in a fresh schema of --database (made and dropped with psql):
ingest it with 'briefbot ingest' and BRIEFBOT_DATABASE_URL (--runs times, each into an
empty schema, median), start 'briefbot serve' on that database --runs times and time it
to /healthz 200 (the cold start: migrate, read every article and vector, build the
index), then load /api/ask with --clients closed-loop clients against one replica and
against two (requests alternate between them, as a round-robin balancer would): every
distinct question once (cold), then repeatedly for --duration (warm).`,
		Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			var qs []string
			if !skipLoad {
				var err error
				if qs, err = readQuestions(queriesPath); err != nil {
					return err
				}
			}
			fmt.Fprintf(a.stdout, "machine: %s; date %s; %d clients, warm load %s\n\n", machine(), time.Now().UTC().Format(time.DateOnly), clients, duration)
			for _, corpus := range args {
				if err := a.benchCluster(cmd.Context(), briefbot, database, corpus, qs, runs, coldRuns, loadRuns, clients, duration, skipLoad); err != nil {
					return err
				}
			}
			return nil
		},
	}
	cmd.Flags().StringVar(&briefbot, "briefbot", "briefbot", "the briefbot binary measured")
	cmd.Flags().StringVar(&database, "database", "postgres://127.0.0.1:5432/test?sslmode=disable", "PostgreSQL server URL (a schema bench_cluster is made in it)")
	cmd.Flags().StringVar(&queriesPath, "queries", "", "JSONL file whose 'question' fields are asked")
	cmd.Flags().IntVar(&runs, "runs", 3, "runs of ingest (the median is reported)")
	cmd.Flags().IntVar(&coldRuns, "cold-runs", 3, "runs of the cold start (the median is reported)")
	cmd.Flags().IntVar(&loadRuns, "load-runs", 1, "rounds of the load, each on one fresh replica then on two")
	cmd.Flags().IntVar(&clients, "clients", 8, "concurrent clients of /api/ask")
	cmd.Flags().DurationVar(&duration, "duration", 20*time.Second, "how long to load /api/ask (warm)")
	cmd.Flags().BoolVar(&skipLoad, "skip-load", false, "measure ingest and cold start only")
	return cmd
}

const clusterSchema = "bench_cluster"

func psql(ctx context.Context, database, sql string) error {
	out, err := exec.CommandContext(ctx, "psql", "-X", "-q", "-v", "ON_ERROR_STOP=1", database, "-c", sql).CombinedOutput()
	if err != nil {
		return fmt.Errorf("bench: psql: %w\n%s", err, out)
	}
	return nil
}

func withSearchPath(database, schema string) (string, error) {
	u, err := url.Parse(database)
	if err != nil {
		return "", err
	}
	q := u.Query()
	q.Set("search_path", schema)
	u.RawQuery = q.Encode()
	return u.String(), nil
}

func (a *app) benchCluster(ctx context.Context, self, database, corpus string, qs []string, runs, coldRuns, loadRuns, clients int, dur time.Duration, skipLoad bool) error {
	logf := func(format string, args ...any) { fmt.Fprintf(a.stderr, "bench: "+format+"\n", args...) }
	name := filepath.Base(corpus)
	dbURL, err := withSearchPath(database, clusterSchema)
	if err != nil {
		return err
	}
	defer psql(context.Background(), database, "DROP SCHEMA IF EXISTS "+clusterSchema+" CASCADE")
	env := append(os.Environ(), "BRIEFBOT_DATABASE_URL="+dbURL)
	// 1. Ingest into an empty schema, through the real command.
	var ingestS []float64
	var summary string
	for i := 0; i < runs; i++ {
		if err := psql(ctx, database, "DROP SCHEMA IF EXISTS "+clusterSchema+" CASCADE; CREATE SCHEMA "+clusterSchema); err != nil {
			return err
		}
		start := time.Now()
		c := exec.CommandContext(ctx, self, "ingest", corpus)
		c.Env = env
		out, err := c.CombinedOutput()
		if err != nil {
			return fmt.Errorf("bench: ingest %s: %w\n%s", corpus, err, out)
		}
		ingestS = append(ingestS, time.Since(start).Seconds())
		lines := strings.Split(strings.TrimSpace(string(out)), "\n")
		summary = lines[len(lines)-1]
		logf("%s: ingest into PostgreSQL %.1fs: %s", name, ingestS[i], summary)
	}
	// 2. Cold start from the database to /healthz 200.
	os.Setenv("BRIEFBOT_DATABASE_URL", dbURL)
	defer os.Unsetenv("BRIEFBOT_DATABASE_URL")
	var coldS []float64
	for i := 0; i < coldRuns; i++ {
		srv, err := startServer(ctx, self, filepath.Join(os.TempDir(), "bench-cluster-data"))
		if err != nil {
			return err
		}
		coldS = append(coldS, srv.ready.Seconds())
		logf("%s: replica cold start %.2fs", name, coldS[i])
		srv.stop()
	}
	fmt.Fprintf(a.stdout, "%s: %s\n", name, summary)
	fmt.Fprintf(a.stdout, "%s: ingest into PostgreSQL %.1f s (runs %s); replica cold start %.2f s (runs %s)\n",
		name, medianOf(ingestS), fmtRuns(ingestS, 1), medianOf(coldS), fmtRuns(coldS, 2))
	if skipLoad {
		return nil
	}
	var servers []*benchServer
	defer func() {
		for _, s := range servers {
			s.stop()
		}
	}()
	// 3. /api/ask on one fresh replica, then on two fresh ones (no answer
	// cached anywhere before the cold load).
	for round := 0; round < loadRuns; round++ {
		for n := 1; n <= 2; n++ {
			for _, s := range servers {
				s.stop()
			}
			servers = servers[:0]
			for range n {
				srv, err := startServer(ctx, self, filepath.Join(os.TempDir(), "bench-cluster-data"))
				if err != nil {
					return err
				}
				servers = append(servers, srv)
			}
			bases := make([]string, n)
			for i := range bases {
				bases[i] = servers[i].base
			}
			cold, coldErrs := loadRoundRobin(ctx, bases, qs, clients, 0)
			warm, warmErrs := loadRoundRobin(ctx, bases, qs, clients, dur)
			var rss []string
			for _, s := range servers {
				r, peak := procMemMB(s.cmd.Process.Pid)
				rss = append(rss, fmt.Sprintf("%.0f (peak %.0f)", r, peak))
			}
			fmt.Fprintf(a.stdout, "%s: %d replica(s), %d clients: cold %d requests, %d errors, p50 %.1f ms, p99 %.1f ms; warm %d requests (%.0f/s), %d errors, p50 %.1f ms, p99 %.1f ms; RSS MB %s\n",
				name, n, clients, len(cold)+coldErrs, coldErrs, pct(cold, 50), pct(cold, 99),
				len(warm)+warmErrs, float64(len(warm))/dur.Seconds(), warmErrs, pct(warm, 50), pct(warm, 99), strings.Join(rss, ", "))
		}
	}
	return nil
}

func fmtRuns(xs []float64, prec int) string {
	parts := make([]string, len(xs))
	for i, x := range xs {
		parts[i] = fmt.Sprintf("%.*f", prec, x)
	}
	return strings.Join(parts, " / ")
}

// loadRoundRobin asks /api/ask of the bases in turn from clients
// closed-loop clients: with dur 0, every distinct question once (cold: no
// replica has any answer cached, each question goes to one replica); else
// the questions over and over for dur (after an uncounted warm-up).
func loadRoundRobin(ctx context.Context, bases, qs []string, clients int, dur time.Duration) (lat []float64, errs int) {
	tr := &http.Transport{MaxIdleConnsPerHost: clients}
	defer tr.CloseIdleConnections()
	client := &http.Client{Transport: tr, Timeout: 30 * time.Second}
	var turn atomic.Uint64
	ask := func(q string) (time.Duration, bool) {
		base := bases[turn.Add(1)%uint64(len(bases))]
		start := time.Now()
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, base+"/api/ask?q="+url.QueryEscape(q), nil)
		resp, err := client.Do(req)
		if err != nil {
			return 0, false
		}
		_, cerr := io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		return time.Since(start), cerr == nil && resp.StatusCode == http.StatusOK
	}
	var work []string
	if dur == 0 {
		seen := map[string]bool{}
		for _, q := range qs {
			if !seen[q] {
				seen[q] = true
				work = append(work, q)
			}
		}
		var wg sync.WaitGroup
		for range clients * len(bases) {
			wg.Go(func() { ask("connection warm-up, not a benchmark question") })
		}
		wg.Wait()
	} else {
		for i := 0; i < 2*clients; i++ {
			ask(qs[i%len(qs)])
		}
	}
	var mu sync.Mutex
	var wg sync.WaitGroup
	var next atomic.Int64
	deadline := time.Now().Add(dur)
	for c := range clients {
		wg.Go(func() {
			var mine []float64
			bad := 0
			for i := c; ; i += clients {
				var q string
				if dur == 0 {
					k := int(next.Add(1) - 1)
					if k >= len(work) {
						break
					}
					q = work[k]
				} else {
					if !time.Now().Before(deadline) {
						break
					}
					q = qs[i%len(qs)]
				}
				d, ok := ask(q)
				if !ok {
					bad++
					continue
				}
				mine = append(mine, ms(d))
			}
			mu.Lock()
			lat = append(lat, mine...)
			errs += bad
			mu.Unlock()
		})
	}
	wg.Wait()
	return lat, errs
}
