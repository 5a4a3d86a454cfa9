package main

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/philippgille/chromem-go"
	"github.com/spf13/cobra"

	"github.com/briefbot/briefbot/retrieval"
	"github.com/briefbot/briefbot/retrieval/engine"
	"github.com/briefbot/briefbot/retrieval/ingest"
	"github.com/briefbot/briefbot/retrieval/store"
)

// sizes are the named corpus sizes of gen --size: the factor that gives
// about that many chunks from the 4,872-article news corpus (75,140 chunks).
var sizes = map[string]float64{"25k": 0.333, "75k": 1, "200k": 2.65, "1m": 13.3}

func (a *app) benchGenCmd() *cobra.Command {
	var factor float64
	var out, size string
	cmd := &cobra.Command{
		Use:   "gen --factor F --out FILE CORPUS.jsonl",
		Short: "Write a scale corpus: the records of CORPUS replicated F times with distinct ids",
		Long: `Write a scale corpus: the JSON records of CORPUS repeated with distinct ids ("ID~2", "ID~3",
...) until F times as many records are written (F may be fractional or below 1: a prefix of the
next copy). No text is invented; every copy is a real article under another id.

  go run . gen --factor 2.65 --out /tmp/scale.jsonl corpus.jsonl   # about 200k chunks
  go run . gen --size 1m --out /tmp/scale1m.jsonl corpus.jsonl      # --factor 13.3: about 1M chunks

--size names a size (25k, 75k, 200k, 1m chunks of the news corpus) instead of a factor.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if size != "" {
				f, ok := sizes[strings.ToLower(size)]
				if !ok {
					return fmt.Errorf("bench gen: --size %q: use 25k, 75k, 200k or 1m", size)
				}
				factor = f
			}
			n, err := genScale(args[0], out, factor)
			if err != nil {
				return err
			}
			fmt.Fprintf(a.stdout, "wrote %d records to %s\n", n, out)
			return nil
		},
	}
	cmd.Flags().Float64Var(&factor, "factor", 2.65, "how many times the corpus")
	cmd.Flags().StringVar(&out, "out", "", "output JSONL file")
	cmd.Flags().StringVar(&size, "size", "", "a named size instead of --factor: 25k, 75k, 200k or 1m (chunks of the news corpus)")
	cmd.MarkFlagRequired("out")
	return cmd
}

// genScale replicates the records of in, factor times, into out.
func genScale(in, out string, factor float64) (int, error) {
	data, err := os.ReadFile(in)
	if err != nil {
		return 0, err
	}
	var recs []map[string]any
	for line := range strings.SplitSeq(string(data), "\n") {
		if strings.TrimSpace(line) == "" {
			continue
		}
		var r map[string]any
		if err := json.Unmarshal([]byte(line), &r); err != nil {
			return 0, fmt.Errorf("bench gen: %s: %w", in, err)
		}
		recs = append(recs, r)
	}
	want := int(math.Round(factor * float64(len(recs))))
	f, err := os.Create(out)
	if err != nil {
		return 0, err
	}
	w := bufio.NewWriter(f)
	enc := json.NewEncoder(w)
	for i := 0; i < want && len(recs) > 0; i++ {
		r, copyN := recs[i%len(recs)], i/len(recs)
		rc := make(map[string]any, len(r))
		for k, v := range r {
			rc[k] = v
		}
		if copyN > 0 {
			for _, k := range []string{"doc_id", "id"} {
				if id, ok := rc[k].(string); ok {
					rc[k] = id + "~" + strconv.Itoa(copyN+1)
				}
			}
		}
		if err := enc.Encode(rc); err != nil {
			f.Close()
			return 0, err
		}
	}
	if err := w.Flush(); err != nil {
		f.Close()
		return 0, err
	}
	return want, f.Close()
}

// benchResult is one corpus's row of the table; bench run --json appends it
// as a JSON line (cmd/benchplot draws them).
type benchResult struct {
	Corpus   string    `json:"corpus"`
	Date     time.Time `json:"date"`
	Machine  string    `json:"machine"`
	Articles int       `json:"articles"`
	Chunks   int       `json:"chunks"`
	IngestS  []float64 `json:"ingest_s"`
	StoreMB  float64   `json:"store_mb"`
	// IndexMB is the derived index file beside the snapshot (mapped by
	// serve and ask); IngestPeakMB the ingest command's peak RSS (median).
	IndexMB      float64   `json:"index_mb,omitempty"`
	IngestPeakMB float64   `json:"ingest_peak_rss_mb,omitempty"`
	ColdS        []float64 `json:"cold_start_s"`
	Requests     int       `json:"requests"`
	Errors       int       `json:"errors"`
	P50ms        float64   `json:"p50_ms"`
	P90ms        float64   `json:"p90_ms"`
	P99ms        float64   `json:"p99_ms"`
	RPS          float64   `json:"rps"`
	RSSMB        float64   `json:"rss_mb"`
	PeakRSSMB    float64   `json:"peak_rss_mb"`
	// Cold: every distinct question asked once (no cached answer), before
	// the timed load above, which repeats the questions (warm).
	ColdRequests int     `json:"cold_requests"`
	ColdErrors   int     `json:"cold_errors"`
	ColdP50ms    float64 `json:"cold_p50_ms"`
	ColdP90ms    float64 `json:"cold_p90_ms"`
	ColdP99ms    float64 `json:"cold_p99_ms"`
	ColdRPS      float64 `json:"cold_rps"`
	// Side by side, in one process, on the same collection.
	SearchMs     float64 `json:"search_ms"`       // Engine.Search, median
	BareQueryMs  float64 `json:"bare_query_ms"`   // chromem-go QueryEmbedding, median
	IngestInProc float64 `json:"ingest_inproc_s"` // Engine.Ingest + Save
	BareIngestS  float64 `json:"bare_ingest_s"`   // embed + chromem-go AddDocuments
}

func (a *app) benchRunCmd() *cobra.Command {
	var queriesPath, jsonOut, work, briefbot string
	var runs, clients int
	var duration time.Duration
	var skipIngestSide, skipQuerySide bool
	var storeDir string
	cmd := &cobra.Command{
		Use:   "run [flags] CORPUS.jsonl...",
		Short: "Run the whole performance table on each corpus",
		Long: `For each corpus: ingest it from nothing with 'briefbot ingest' (--runs times, median),
report the store size, start 'briefbot serve' (--runs times) and time it to /healthz 200,
then load GET /api/ask with --clients concurrent clients on loopback for --duration
(percentiles, errors) and read the server's resident memory from /proc. Then, in this
process and on the same store, time Engine.Search against chromem-go's bare
QueryEmbedding on the same questions, interleaved, and an in-process ingest against bare
embedding + AddDocuments of the same chunks.`,
		Example: `  go build -o /tmp/briefbot ../../cmd/briefbot
  go run . run --briefbot /tmp/briefbot --queries queries.dev.jsonl corpus.jsonl /tmp/scale.jsonl`,
		Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			bin, err := exec.LookPath(briefbot)
			if err != nil {
				return fmt.Errorf("bench: the briefbot binary to measure: %w (build it: go build -o /tmp/briefbot ./cmd/briefbot, then pass --briefbot /tmp/briefbot)", err)
			}
			if bin, err = filepath.Abs(bin); err != nil {
				return err
			}
			qs, err := readQuestions(queriesPath)
			if err != nil {
				return err
			}
			if work == "" {
				if work, err = os.MkdirTemp("", "briefbot-bench-"); err != nil {
					return err
				}
				defer os.RemoveAll(work)
			}
			var rows []benchResult
			for i, corpus := range args {
				dir := filepath.Join(work, strconv.Itoa(i))
				if storeDir != "" {
					if len(args) != 1 {
						return errors.New("bench: --store measures one corpus")
					}
					dir = storeDir
				}
				r, err := a.benchCorpus(cmd.Context(), bin, corpus, dir, qs, runs, clients, duration, benchSkips{ingest: storeDir != "", ingestSide: skipIngestSide, querySide: skipQuerySide})
				if err != nil {
					return err
				}
				rows = append(rows, r)
				if jsonOut != "" {
					if err := appendJSON(jsonOut, r); err != nil {
						return err
					}
				}
			}
			printBenchTable(a.stdout, rows, runs, clients, duration)
			return nil
		},
	}
	cmd.Flags().StringVar(&briefbot, "briefbot", "briefbot", "the briefbot binary whose ingest and serve are measured (a path, or a name looked up in PATH)")
	cmd.Flags().StringVar(&queriesPath, "queries", "", "JSONL file whose 'question' fields are asked")
	cmd.Flags().StringVar(&jsonOut, "json", "", "append each corpus's results to this JSONL file")
	cmd.Flags().StringVar(&work, "work", "", "working directory for the stores (default a temporary one, removed)")
	cmd.Flags().IntVar(&runs, "runs", 3, "runs of ingest and cold start (the median is reported)")
	cmd.Flags().IntVar(&clients, "clients", 8, "concurrent clients of /api/ask")
	cmd.Flags().DurationVar(&duration, "duration", 20*time.Second, "how long to load /api/ask")
	cmd.Flags().BoolVar(&skipIngestSide, "skip-ingest-side", false, "skip the in-process ingest vs bare AddDocuments comparison")
	cmd.Flags().BoolVar(&skipQuerySide, "skip-query-side", false, "skip the in-process Search vs bare QueryEmbedding comparison (it decodes the whole store in this process)")
	cmd.Flags().StringVar(&storeDir, "store", "", "measure serve on this existing data directory (CORPUS's store) instead of ingesting CORPUS first")
	cmd.MarkFlagRequired("queries")
	return cmd
}

func readQuestions(path string) ([]string, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var qs []string
	for line := range strings.SplitSeq(string(data), "\n") {
		var q struct{ Question string }
		if json.Unmarshal([]byte(line), &q) == nil && q.Question != "" {
			qs = append(qs, q.Question)
		}
	}
	if len(qs) == 0 {
		return nil, fmt.Errorf("bench: no questions in %s", path)
	}
	return qs, nil
}

func appendJSON(path string, v any) error {
	f, err := os.OpenFile(path, os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o644)
	if err != nil {
		return err
	}
	if err := json.NewEncoder(f).Encode(v); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// benchSkips says which parts of a corpus's measurement are skipped.
type benchSkips struct {
	ingest, ingestSide, querySide bool
}

func (a *app) benchCorpus(ctx context.Context, self, corpus, dir string, qs []string, runs, clients int, dur time.Duration, skip benchSkips) (benchResult, error) {
	r := benchResult{Corpus: corpus, Date: time.Now().UTC(), Machine: machine()}
	logf := func(format string, args ...any) { fmt.Fprintf(a.stderr, "bench: "+format+"\n", args...) }
	// 1. Ingest from nothing, through the real command.
	peaks := []float64{}
	for i := 0; i < runs && !skip.ingest; i++ {
		os.RemoveAll(dir)
		start := time.Now()
		c := exec.CommandContext(ctx, self, "ingest", "--data", dir, corpus)
		out, err := c.CombinedOutput()
		if err != nil {
			return r, fmt.Errorf("bench: ingest %s: %w\n%s", corpus, err, out)
		}
		r.IngestS = append(r.IngestS, time.Since(start).Seconds())
		peak := 0.0
		if ru, ok := c.ProcessState.SysUsage().(*syscall.Rusage); ok {
			peak = float64(ru.Maxrss) / 1024 // KiB on Linux
			peaks = append(peaks, peak)
		}
		logf("%s: ingest %.1fs, peak RSS %.0f MB", filepath.Base(corpus), r.IngestS[i], peak)
	}
	if len(peaks) > 0 {
		r.IngestPeakMB = pct(peaks, 50)
	}
	if fi, err := os.Stat(store.Path(dir)); err == nil {
		r.StoreMB = float64(fi.Size()) / 1e6
	}
	if fi, err := os.Stat(filepath.Join(dir, store.IndexName)); err == nil {
		r.IndexMB = float64(fi.Size()) / 1e6
	}
	// 2. Cold start to /healthz 200; the last server takes the load.
	var srv *benchServer
	for i := 0; i < runs; i++ {
		if srv != nil {
			srv.stop()
		}
		var err error
		srv, err = startServer(ctx, self, dir)
		if err != nil {
			return r, err
		}
		r.ColdS = append(r.ColdS, srv.ready.Seconds())
		logf("%s: cold start %.2fs", filepath.Base(corpus), r.ColdS[i])
	}
	// 3. Load /api/ask: first every distinct question once (cold: the
	// server has no answer cached), then the timed, repeating load (warm).
	coldLat, coldErrs, coldDur := loadCold(ctx, srv.base, qs, clients)
	r.ColdRequests, r.ColdErrors = len(coldLat)+coldErrs, coldErrs
	r.ColdP50ms, r.ColdP90ms, r.ColdP99ms = pct(coldLat, 50), pct(coldLat, 90), pct(coldLat, 99)
	r.ColdRPS = float64(len(coldLat)) / coldDur.Seconds()
	logf("%s: cold: %d requests, %d errors, p50 %.1f ms, p99 %.1f ms", filepath.Base(corpus), r.ColdRequests, r.ColdErrors, r.ColdP50ms, r.ColdP99ms)
	lat, errs := loadAsk(ctx, srv.base, qs, clients, dur)
	srv.stop()
	r.Requests, r.Errors = len(lat)+errs, errs
	r.P50ms, r.P90ms, r.P99ms = pct(lat, 50), pct(lat, 90), pct(lat, 99)
	r.RPS = float64(len(lat)) / dur.Seconds()
	r.RSSMB, r.PeakRSSMB = srv.rss, srv.peak
	logf("%s: %d requests, %d errors, p50 %.1f ms, p99 %.1f ms, rss %.0f MB", filepath.Base(corpus), r.Requests, r.Errors, r.P50ms, r.P99ms, r.RSSMB)
	// 4. Side by side in this process, on the same store.
	e, err := engine.Open(ctx, dir, engine.Options{})
	if err != nil {
		return r, err
	}
	st := e.Stats()
	r.Articles, r.Chunks = st.Articles, st.Chunks
	if !skip.querySide {
		r.SearchMs, r.BareQueryMs, err = sideBySideQuery(ctx, e, qs)
		if err != nil {
			return r, err
		}
		logf("%s: Search %.1f ms, bare QueryEmbedding %.1f ms", filepath.Base(corpus), r.SearchMs, r.BareQueryMs)
	}
	e = nil
	// engine.Open set a soft memory limit for serving that store; the
	// in-process ingest below must not run under it.
	debug.SetMemoryLimit(math.MaxInt64)
	runtime.GC()
	if !skip.ingestSide {
		if r.IngestInProc, r.BareIngestS, err = sideBySideIngest(ctx, corpus, dir+"-inproc"); err != nil {
			return r, err
		}
		logf("%s: in-process ingest %.1fs, bare embed+AddDocuments %.1fs", filepath.Base(corpus), r.IngestInProc, r.BareIngestS)
	}
	return r, nil
}

// sideBySideQuery times Search and the bare chromem-go query alternately on
// the same questions, so that both see the same machine load.
func sideBySideQuery(ctx context.Context, e *engine.Engine, qs []string) (searchMs, bareMs float64, err error) {
	var ts, tb []float64
	for _, q := range qs {
		v, err := e.Embedder().Embed(ctx, q)
		if err != nil {
			return 0, 0, err
		}
		start := time.Now()
		if _, err := e.Search(ctx, retrieval.Query{Text: q}); err != nil {
			return 0, 0, err
		}
		ts = append(ts, ms(time.Since(start)))
		start = time.Now()
		if err := e.Store().BareQueryEmbedding(ctx, v, 100); err != nil {
			return 0, 0, err
		}
		tb = append(tb, ms(time.Since(start)))
	}
	return pct(ts, 50), pct(tb, 50), nil
}

// sideBySideIngest times an in-process ingest (sentences, chunks, vectors,
// store, index, atomic save) and, on the chunks it made, bare embedding +
// chromem-go AddDocuments.
func sideBySideIngest(ctx context.Context, corpus, dir string) (ingestS, bareS float64, err error) {
	defer os.RemoveAll(dir)
	start := time.Now()
	var arts []retrieval.Article
	if _, err := ingest.ReadFile(ctx, corpus, func(a retrieval.Article) error {
		arts = append(arts, a)
		return nil
	}); err != nil {
		return 0, 0, err
	}
	e, err := engine.NewMemory(ctx, engine.Options{})
	if err != nil {
		return 0, 0, err
	}
	if _, err := e.Ingest(ctx, arts); err != nil {
		return 0, 0, err
	}
	if err := e.Save(dir); err != nil {
		return 0, 0, err
	}
	ingestS = time.Since(start).Seconds()
	var texts []string
	for _, a := range e.Store().Articles() {
		for i := range a.ChunkStarts {
			sp := a.Chunk(i)
			texts = append(texts, a.Body[sp.Start:sp.End])
		}
	}
	emb := e.Embedder()
	e, arts = nil, nil
	runtime.GC()
	start = time.Now()
	if err := bareAddDocuments(ctx, texts, emb.Embed); err != nil {
		return 0, 0, err
	}
	return ingestS, time.Since(start).Seconds(), nil
}

type benchServer struct {
	cmd        *exec.Cmd
	base       string
	ready      time.Duration
	rss, peak  float64
	stopOnce   sync.Once
	waitResult chan error
}

// startServer runs `briefbot serve` on a free loopback port and waits for
// /healthz to answer 200.
func startServer(ctx context.Context, self, dir string) (*benchServer, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	addr := l.Addr().String()
	l.Close()
	s := &benchServer{base: "http://" + addr, waitResult: make(chan error, 1)}
	s.cmd = exec.CommandContext(ctx, self, "serve")
	s.cmd.Env = append(os.Environ(), "BRIEFBOT_HTTP_ADDR="+addr, "BRIEFBOT_DATA="+dir, "BRIEFBOT_LOG_LEVEL=error")
	start := time.Now()
	if err := s.cmd.Start(); err != nil {
		return nil, err
	}
	go func() { s.waitResult <- s.cmd.Wait() }()
	client := &http.Client{Timeout: time.Second}
	for {
		select {
		case err := <-s.waitResult:
			return nil, fmt.Errorf("bench: serve exited before it was ready: %v", err)
		default:
		}
		if resp, err := client.Get(s.base + "/healthz"); err == nil {
			io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				s.ready = time.Since(start)
				return s, nil
			}
		}
		if time.Since(start) > 5*time.Minute {
			s.stop()
			return nil, errors.New("bench: serve not ready after 5 minutes")
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// stop reads the server's memory from /proc, then stops it.
func (s *benchServer) stop() {
	s.stopOnce.Do(func() {
		s.rss, s.peak = procMemMB(s.cmd.Process.Pid)
		s.cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-s.waitResult:
		case <-time.After(10 * time.Second):
			s.cmd.Process.Kill()
			<-s.waitResult
		}
	})
}

// procMemMB returns VmRSS and VmHWM (peak) of a process, in MB.
func procMemMB(pid int) (rss, peak float64) {
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0, 0
	}
	for line := range strings.SplitSeq(string(data), "\n") {
		f := strings.Fields(line)
		if len(f) < 2 {
			continue
		}
		kb, _ := strconv.ParseFloat(f[1], 64)
		switch f[0] {
		case "VmRSS:":
			rss = kb / 1024
		case "VmHWM:":
			peak = kb / 1024
		}
	}
	return rss, peak
}

// askFunc returns a client asking base's /api/ask, with its transport.
func askFunc(ctx context.Context, base string, clients int) (func(q string) (time.Duration, bool), *http.Transport) {
	tr := &http.Transport{MaxIdleConnsPerHost: clients}
	client := &http.Client{Transport: tr, Timeout: 30 * time.Second}
	return func(q string) (time.Duration, bool) {
		start := time.Now()
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, base+"/api/ask?q="+url.QueryEscape(q), nil)
		resp, err := client.Do(req)
		if err != nil {
			return 0, false
		}
		_, cerr := io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		return time.Since(start), cerr == nil && resp.StatusCode == http.StatusOK
	}, tr
}

// loadCold asks every distinct question of qs exactly once, from clients
// closed-loop clients sharing the list, on a server that has answered none
// of them: answers that no cache can serve. The connections are opened
// first with a question that is not in qs.
func loadCold(ctx context.Context, base string, qs []string, clients int) (lat []float64, errs int, took time.Duration) {
	ask, tr := askFunc(ctx, base, clients)
	defer tr.CloseIdleConnections()
	var wg sync.WaitGroup
	for range clients {
		wg.Go(func() { ask("connection warm-up, not a benchmark question") })
	}
	wg.Wait()
	distinct := make([]string, 0, len(qs))
	seen := map[string]bool{}
	for _, q := range qs {
		if !seen[q] {
			seen[q] = true
			distinct = append(distinct, q)
		}
	}
	var mu sync.Mutex
	next := 0
	start := time.Now()
	for range clients {
		wg.Go(func() {
			for {
				mu.Lock()
				i := next
				next++
				mu.Unlock()
				if i >= len(distinct) {
					return
				}
				d, ok := ask(distinct[i])
				mu.Lock()
				if ok {
					lat = append(lat, ms(d))
				} else {
					errs++
				}
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	return lat, errs, time.Since(start)
}

// loadAsk is the load generator: clients closed-loop clients asking the
// questions in turn for dur (after a short warm-up that is not counted).
// Any transport error or non-200 answer counts as an error.
func loadAsk(ctx context.Context, base string, qs []string, clients int, dur time.Duration) (lat []float64, errs int) {
	ask, tr := askFunc(ctx, base, clients)
	defer tr.CloseIdleConnections()
	for i := 0; i < 2*clients; i++ {
		ask(qs[i%len(qs)])
	}
	var mu sync.Mutex
	var wg sync.WaitGroup
	deadline := time.Now().Add(dur)
	for c := range clients {
		wg.Go(func() {
			var mine []float64
			bad := 0
			for i := c; time.Now().Before(deadline); i += clients {
				d, ok := ask(qs[i%len(qs)])
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

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }

// pct is the p-th percentile (nearest rank) of xs.
func pct(xs []float64, p float64) float64 {
	if len(xs) == 0 {
		return math.NaN()
	}
	s := slices.Clone(xs)
	slices.Sort(s)
	i := int(math.Ceil(p/100*float64(len(s)))) - 1
	return s[min(max(i, 0), len(s)-1)]
}

func medianOf(xs []float64) float64 { return pct(xs, 50) }

// machine names the CPU and its cores, as BENCHMARKS.md records them.
func machine() string {
	model := "unknown CPU"
	if data, err := os.ReadFile("/proc/cpuinfo"); err == nil {
		for line := range strings.SplitSeq(string(data), "\n") {
			if k, v, ok := strings.Cut(line, ":"); ok && strings.TrimSpace(k) == "model name" {
				model = strings.TrimSpace(v)
				break
			}
		}
	}
	return fmt.Sprintf("%s, nproc %d, %s", model, runtime.NumCPU(), runtime.Version())
}

func printBenchTable(w io.Writer, rows []benchResult, runs, clients int, dur time.Duration) {
	if len(rows) == 0 {
		return
	}
	fmt.Fprintf(w, "machine: %s; date %s; medians of %d runs; %d clients for %s\n\n", rows[0].Machine, rows[0].Date.Format(time.DateOnly), runs, clients, dur)
	fmt.Fprintf(w, "| corpus | articles | chunks | ingest s | ingest peak RSS MB | store MB (+ index MB) | cold start s | load | requests | errors | p50 ms | p90 ms | p99 ms | req/s | RSS MB (peak) |\n")
	fmt.Fprintf(w, "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|\n")
	for _, r := range rows {
		ingest := "- | -" // run --store: not ingested
		if len(r.IngestS) > 0 {
			ingest = fmt.Sprintf("%.1f | %.0f", medianOf(r.IngestS), r.IngestPeakMB)
		}
		fmt.Fprintf(w, "| %s | %d | %d | %s | %.0f (+ %.0f) | %.2f | cold (distinct questions) | %d | %d | %.1f | %.1f | %.1f | %.0f | |\n",
			filepath.Base(r.Corpus), r.Articles, r.Chunks, ingest, r.StoreMB, r.IndexMB, medianOf(r.ColdS),
			r.ColdRequests, r.ColdErrors, r.ColdP50ms, r.ColdP90ms, r.ColdP99ms, r.ColdRPS)
		fmt.Fprintf(w, "| | | | | | | | warm (repeated, %s) | %d | %d | %.1f | %.1f | %.1f | %.0f | %.0f (%.0f) |\n",
			dur, r.Requests, r.Errors, r.P50ms, r.P90ms, r.P99ms, r.RPS, r.RSSMB, r.PeakRSSMB)
	}
	fmt.Fprintf(w, "\nside by side, one process, same collection (medians over the questions):\n\n")
	fmt.Fprintf(w, "| corpus | Search ms | bare QueryEmbedding ms | Search / bare | ingest+save s | bare embed+AddDocuments s | ingest / bare |\n")
	fmt.Fprintf(w, "|---|---|---|---|---|---|---|\n")
	for _, r := range rows {
		if r.SearchMs == 0 && r.BareQueryMs == 0 {
			continue // --skip-query-side
		}
		ingestSide := "- | - | -" // --skip-ingest-side
		if r.BareIngestS > 0 {
			ingestSide = fmt.Sprintf("%.1f | %.1f | %.2fx", r.IngestInProc, r.BareIngestS, r.IngestInProc/r.BareIngestS)
		}
		fmt.Fprintf(w, "| %s | %.1f | %.1f | %.2fx | %s |\n", filepath.Base(r.Corpus),
			r.SearchMs, r.BareQueryMs, r.SearchMs/r.BareQueryMs, ingestSide)
	}
}

// bareAddDocuments is chromem-go alone doing the storage half of an ingest:
// a fresh in-memory collection whose embedding function is embed, and one
// AddDocuments call that embeds and adds texts GOMAXPROCS at a time, to
// measure an ingest side by side with it.
func bareAddDocuments(ctx context.Context, texts []string, embed func(context.Context, string) ([]float32, error)) error {
	c, err := chromem.NewDB().CreateCollection("bare", nil, chromem.EmbeddingFunc(embed))
	if err != nil {
		return fmt.Errorf("bare collection: %w", err)
	}
	docs := make([]chromem.Document, len(texts))
	for i, t := range texts {
		docs[i] = chromem.Document{ID: strconv.Itoa(i), Content: t}
	}
	if err := c.AddDocuments(ctx, docs, runtime.GOMAXPROCS(0)); err != nil {
		return fmt.Errorf("bare add: %w", err)
	}
	return nil
}
