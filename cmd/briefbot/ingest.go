package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/schollz/progressbar/v3"
	"github.com/spf13/cobra"
	"golang.org/x/sync/semaphore"

	"github.com/briefbot/briefbot/retrieval"
	"github.com/briefbot/briefbot/retrieval/engine"
	"github.com/briefbot/briefbot/retrieval/ingest"
	"github.com/briefbot/briefbot/retrieval/ingest/feed"
)

func (a *app) ingestCmd() *cobra.Command {
	var reembed, fetch bool
	var collection string
	cmd := &cobra.Command{
		Use:   "ingest [flags] PATH...",
		Short: "Add briefings (files or directories) to the store",
		Long: `Add briefings to the store in the data directory. PATH may be a file or a directory
(walked recursively; hidden entries skipped). Formats:

  .txt, .md     plain text; optional YAML front matter (title, date/published, source, url);
                a headline first line, a leading "date YYYY-MM-DD" line and newsletter,
                byline and wire sign-off boilerplate are recognised
  .html         title, published-time meta and the article's main text
  .json/.jsonl  one article per record: id (or doc_id), title, text (or body), url,
                published (or publish_date), source
  .rss .atom .xml, a JSON Feed .json
                one article per feed item, id FILE#guid (or link); items with only a
                summary are ingested as it, or fetched with --fetch (see README)

Each file is reported as added, updated, unchanged or skipped with its reason, in the
walk's order. A bad file never stops the batch. Files are parsed and embedded on every core
and the index is built once; a large JSON/JSONL file is streamed in groups of records. The
store is saved atomically once at the end. Ctrl-C (or SIGTERM) saves what is finished and
exits 130: run the same command again to continue.`,
		Example: `  briefbot ingest --data ./data ./briefings
  briefbot ingest --data ./data corpus.jsonl
  briefbot ingest --data ./data --embedder ollama:nomic-embed-text --reembed`,
		RunE: func(cmd *cobra.Command, args []string) error {
			if len(args) == 0 && !reembed {
				return exitError{code: 2, msg: "ingest needs at least one PATH (or --reembed)"}
			}
			if collection != "" {
				if err := ingest.CheckCollection(collection); err != nil {
					return exitError{code: 2, msg: "--collection: " + err.Error()}
				}
				cmd.SetContext(ingest.WithCollection(cmd.Context(), collection))
			}
			if url := a.corpusDatabaseURL(); url != "" {
				return a.ingestCluster(cmd, url, args, reembed) // cluster mode: cluster_corpus.go
			}
			start := time.Now()
			setIngestMemoryLimit()
			if fetch { // feeds.go: pages of summary-only feed items
				cmd.SetContext(ingest.WithFetcher(cmd.Context(), feed.NewClient(feed.ClientOptions{})))
			}
			e, dir, unlock, err := a.openWriter(cmd.Context(), reembed)
			if err != nil {
				return err
			}
			defer unlock()
			sum, err := ingestPaths(cmd.Context(), e, args, a.stdout, a.stderr)
			// What is finished is saved even when the batch stopped early
			// (Ctrl-C, an embedder failure): running the command again
			// continues from it, unchanged articles being no-ops.
			if sum.changed() || reembed || e.Unsaved() {
				setSaveMemoryLimit()
				serr := e.Save(dir)
				if errors.Is(serr, engine.ErrIndexNotSaved) {
					// The snapshot, the source of truth, is saved: the index
					// only speeds up loading, and is rebuilt when missing.
					fmt.Fprintf(a.stderr, "warning: %v; the next start rebuilds it\n", serr)
				} else if serr != nil {
					if err != nil {
						return fmt.Errorf("%w; saving what was finished failed too: %v", err, serr)
					}
					return serr
				}
			}
			st := e.Stats()
			fmt.Fprintf(a.stdout, "%d added, %d updated, %d unchanged, %d skipped; store: %d articles, %d chunks (%s) in %s [%.1fs]\n",
				sum.added, sum.updated, sum.unchanged, sum.skipped, st.Articles, st.Chunks, st.Embedder, dir, time.Since(start).Seconds())
			if sum.filesDone < sum.files {
				verb := "interrupted"
				if cmd.Context().Err() == nil {
					verb = "stopped" // by an error, reported below
				}
				fmt.Fprintf(a.stderr, "%s: %d of %d files (%d articles) saved; run the same command again to continue\n",
					verb, sum.filesDone, sum.files, sum.stored())
			}
			if err != nil {
				if ctxErr := cmd.Context().Err(); ctxErr != nil && errors.Is(err, ctxErr) {
					return exitError{code: interruptCode(cmd.Context())}
				}
				return err
			}
			if sum.skipped > 0 && sum.added+sum.updated+sum.unchanged == 0 {
				return exitError{code: 1}
			}
			return nil
		},
	}
	cmd.Flags().BoolVar(&reembed, "reembed", false, "rebuild every stored vector with the configured embedder")
	cmd.Flags().StringVar(&collection, "collection", "", "label every article with this collection (channels can be restricted to collections)")
	cmd.Flags().BoolVar(&fetch, "fetch", false, "fetch the page of each feed item that has only a summary and a link (http/https, 30s, 10 MiB, 1s between requests to a host)")
	return cmd
}

// interruptCode is the exit code of a command stopped by a signal: 130 for
// SIGINT (Ctrl-C), 143 for SIGTERM, as shells report them.
func interruptCode(ctx context.Context) int {
	if c := context.Cause(ctx); c != nil && strings.Contains(c.Error(), syscall.SIGTERM.String()) {
		return 143
	}
	return 130
}

// Tuning of the ingest pipeline; variables so that tests can shrink them.
var (
	// ingestGroupArticles and ingestGroupBytes bound a group: the articles
	// (and their bytes of text) handed to the engine at once. Memory holds
	// at most about two groups of parsed articles beyond the store.
	ingestGroupArticles = 256
	ingestGroupBytes    = 32 << 20
	// streamAbove: a .json/.jsonl file larger than this is streamed into
	// the batch record by record; smaller files are parsed ahead, in
	// parallel, within the window below.
	streamAbove int64 = 4 << 20
	// ahead bounds the files parsed ahead of the one being stored: their
	// number and their total size.
	aheadFiles       = 256
	aheadBytes int64 = 64 << 20
	// afterGroup, when set (tests), is called after each group is stored
	// with the number of groups stored so far.
	afterGroup func(groups int)
	// heldArticles, when set (tests), is called whenever the number of
	// parsed articles held in memory (read, not yet stored) grows.
	heldArticles func(n int64)
)

type ingestSummary struct {
	added, updated, unchanged, skipped int
	// files is how many inputs there were; filesDone how many were
	// reported (finished, or skipped) before the batch stopped.
	files, filesDone int
}

func (s ingestSummary) changed() bool { return s.added+s.updated > 0 }

func (s ingestSummary) stored() int { return s.added + s.updated + s.unchanged }

// parsed is a file read ahead of its turn: its articles, or why not.
type parsed struct {
	arts  []retrieval.Article
	bad   []ingest.RecordError
	warns []string
	err   error
}

// fileEnd closes a file's items: what its report needs besides the
// outcomes of its articles.
type fileEnd struct {
	bad   []ingest.RecordError
	dups  []error
	warns []string
	err   error
}

// item is what the reader hands the writer, in input order: an article of
// file k (with the bytes of the file read since the previous one), or the
// end of file k.
type item struct {
	file  int
	art   retrieval.Article
	bytes int64
	end   *fileEnd
}

// ingestPaths reads every file, ingests its articles in one engine batch
// and reports each file, in input order. Files are parsed ahead in
// parallel (bounded by aheadFiles and aheadBytes), large record files are
// streamed, and articles go to the engine in groups of ingestGroupArticles,
// so memory holds the store plus a bounded window whatever the input's size.
// The batch is committed (the index built once) whether it finished or not:
// when ctx is cancelled, what was stored so far stays, and the error is
// ctx's.
func ingestPaths(ctx context.Context, e *engine.Engine, paths []string, stdout, stderr io.Writer) (ingestSummary, error) {
	inputs := ingest.Collect(paths)
	sum := ingestSummary{files: len(inputs)}
	sizes := make([]int64, len(inputs))
	var total int64
	for k, in := range inputs {
		if in.Skip != nil {
			continue
		}
		if fi, err := os.Stat(in.Path); err == nil {
			sizes[k] = fi.Size()
			total += fi.Size()
		}
	}
	var bar *progressbar.ProgressBar
	if isTerminal(stderr) {
		bar = progressbar.NewOptions64(total, progressbar.OptionSetWriter(stderr),
			progressbar.OptionSetDescription("ingesting"), progressbar.OptionShowBytes(true),
			progressbar.OptionShowCount(), progressbar.OptionShowTotalBytes(true), progressbar.OptionSetPredictTime(true),
			progressbar.OptionClearOnFinish(), progressbar.OptionThrottle(100*time.Millisecond))
	}
	w := &ingestWriter{sum: &sum, inputs: inputs, sizes: sizes, bar: bar, stdout: stdout}
	rctx, stop := context.WithCancel(ctx)
	r := &ingestReader{inputs: inputs, sizes: sizes, items: make(chan item, ingestGroupArticles), held: &w.held}
	rerr := make(chan error, 1)
	go func() { rerr <- r.run(rctx) }()
	b := e.Begin()
	err := w.run(ctx, b, r.items)
	stop()
	for range r.items {
		// Let the reader end; its articles are not stored.
	}
	readErr := <-rerr
	// The index is not built in memory: Save writes it from the store.
	b.CommitUnindexed()
	if bar != nil {
		if err == nil && readErr == nil {
			bar.Finish()
		} else {
			bar.Clear()
		}
	}
	if err == nil && readErr != nil && !errors.Is(readErr, context.Canceled) {
		err = readErr
	}
	if err == nil && ctx.Err() != nil && sum.filesDone < sum.files {
		err = ctx.Err()
	}
	return sum, err
}

// ingestReader parses the inputs and hands their articles on in input
// order, claiming each article's id for its file.
type ingestReader struct {
	inputs []ingest.Input
	sizes  []int64
	items  chan item
	held   *atomic.Int64
	claims ingest.Claims
}

func (r *ingestReader) hold(n int) {
	if v := r.held.Add(int64(n)); heldArticles != nil && n > 0 {
		heldArticles(v)
	}
}

func (r *ingestReader) send(ctx context.Context, it item) error {
	select {
	case r.items <- it:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// streamed reports whether input k is read record by record as the batch
// takes them rather than parsed ahead.
func (r *ingestReader) streamed(k int) bool {
	return ingest.IsRecords(r.inputs[k].Path) && r.sizes[k] > streamAbove
}

func (r *ingestReader) run(ctx context.Context) error {
	defer close(r.items)
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	// Parse ahead: a dispatcher hands the files to parse, in order, to one
	// worker per core, within the window; slots[k] receives file k's parse.
	slots := make([]chan parsed, len(r.inputs))
	for k, in := range r.inputs {
		if in.Skip == nil && !r.streamed(k) {
			slots[k] = make(chan parsed, 1)
		}
	}
	files := semaphore.NewWeighted(int64(aheadFiles))
	bytes := semaphore.NewWeighted(aheadBytes)
	weight := func(k int) int64 { return min(r.sizes[k]+1, aheadBytes) }
	work := make(chan int)
	var wg sync.WaitGroup
	wg.Go(func() {
		defer close(work)
		for k := range r.inputs {
			if slots[k] == nil {
				continue
			}
			if files.Acquire(ctx, 1) != nil {
				return
			}
			if bytes.Acquire(ctx, weight(k)) != nil {
				return
			}
			select {
			case work <- k:
			case <-ctx.Done():
				return
			}
		}
	})
	for range runtime.GOMAXPROCS(0) {
		wg.Go(func() {
			for k := range work {
				slots[k] <- r.parse(ctx, k)
			}
		})
	}
	defer wg.Wait()
	defer cancel()
	for k, in := range r.inputs {
		if in.Skip != nil {
			if err := r.send(ctx, item{file: k, end: &fileEnd{err: in.Skip}}); err != nil {
				return err
			}
			continue
		}
		var err error
		if r.streamed(k) {
			err = r.stream(ctx, k)
		} else {
			var p parsed
			select {
			case p = <-slots[k]:
			case <-ctx.Done():
				return ctx.Err()
			}
			files.Release(1)
			bytes.Release(weight(k))
			err = r.handOn(ctx, k, p)
		}
		if err != nil {
			return err
		}
	}
	return nil
}

// parse reads file k whole (it is small): run by the parse-ahead workers.
func (r *ingestReader) parse(ctx context.Context, k int) parsed {
	var p parsed
	in := r.inputs[k]
	in.Warn = func(msg string) { p.warns = append(p.warns, msg) }
	p.bad, p.err = ingest.ReadInput(ctx, in, func(a retrieval.Article) error {
		p.arts = append(p.arts, a)
		return nil
	})
	r.hold(len(p.arts))
	return p
}

// handOn claims and hands on the articles of a file parsed ahead.
func (r *ingestReader) handOn(ctx context.Context, k int, p parsed) error {
	path := r.inputs[k].Path
	var se *ingest.SkipError
	if p.err != nil && !errors.As(p.err, &se) {
		r.hold(-len(p.arts))
		return p.err
	}
	end := &fileEnd{bad: p.bad, warns: p.warns, err: p.err}
	if p.err != nil {
		// A file skipped is skipped whole, records read before the
		// failure included.
		r.hold(-len(p.arts))
		p.arts = nil
	}
	for i, a := range p.arts {
		if err := r.claim(a.ID, path, end); err != nil {
			r.hold(-1)
			continue
		}
		if err := r.send(ctx, item{file: k, art: a}); err != nil {
			r.hold(-(len(p.arts) - i))
			return err
		}
	}
	return r.send(ctx, item{file: k, end: end})
}

// claim claims id for the file at path, noting a duplicate in end.
func (r *ingestReader) claim(id, path string, end *fileEnd) error {
	if err := r.claims.Claim(id, path); err != nil {
		end.dups = append(end.dups, fmt.Errorf("%s: %w", ingest.DisplayPath(id), err))
		return err
	}
	return nil
}

// stream reads a large record file, handing each record on as it is read:
// the writer's groups pace the reading.
func (r *ingestReader) stream(ctx context.Context, k int) error {
	in := r.inputs[k]
	end := &fileEnd{}
	var read, counted int64
	in.Warn = func(msg string) { end.warns = append(end.warns, msg) }
	in.Progress = func(n int64) { read = n }
	bad, err := ingest.ReadInput(ctx, in, func(a retrieval.Article) error {
		r.hold(1)
		if r.claim(a.ID, in.Path, end) != nil {
			r.hold(-1)
			return nil
		}
		it := item{file: k, art: a, bytes: read - counted}
		counted = read
		if err := r.send(ctx, it); err != nil {
			r.hold(-1)
			return err
		}
		return nil
	})
	var se *ingest.SkipError
	if err != nil && !errors.As(err, &se) {
		return err
	}
	end.bad, end.err = bad, err
	return r.send(ctx, item{file: k, end: end})
}

// ingestWriter groups the reader's articles, stores each group through the
// batch, and reports every file once all its articles are stored, in input
// order.
type ingestWriter struct {
	sum    *ingestSummary
	inputs []ingest.Input
	sizes  []int64
	bar    *progressbar.ProgressBar
	stdout io.Writer
	held   atomic.Int64

	group      []retrieval.Article
	groupFiles []*fileState
	groupBytes []int64
	groupSize  int
	groups     int
	// open lists the files not yet reported, in input order.
	open []*fileState
}

// fileState is a file being stored.
type fileState struct {
	k          int
	id         string // its first article's id
	end        *fileEnd
	left       int // articles handed on and not yet stored
	counted    int64
	fa, fu, fn int
	lost       int // articles a cancelled group did not store
}

func (w *ingestWriter) run(ctx context.Context, b *engine.Batch, items <-chan item) error {
	for it := range items {
		var fs *fileState
		if n := len(w.open); n > 0 && w.open[n-1].k == it.file {
			fs = w.open[n-1]
		} else {
			fs = &fileState{k: it.file}
			w.open = append(w.open, fs)
		}
		if it.end != nil {
			fs.end = it.end
			w.report()
			continue
		}
		fs.left++
		if fs.id == "" {
			fs.id = it.art.ID
		}
		w.group = append(w.group, it.art)
		w.groupFiles = append(w.groupFiles, fs)
		w.groupBytes = append(w.groupBytes, it.bytes)
		w.groupSize += len(it.art.Body)
		if len(w.group) >= ingestGroupArticles || w.groupSize >= ingestGroupBytes {
			if err := w.flush(ctx, b); err != nil {
				return err
			}
		}
	}
	return w.flush(ctx, b)
}

// flush stores the group and reports the files it finished.
func (w *ingestWriter) flush(ctx context.Context, b *engine.Batch) error {
	if len(w.group) == 0 {
		return nil
	}
	outs, err := b.Add(ctx, w.group)
	if err != nil && outs == nil {
		return err
	}
	for i, o := range outs {
		fs := w.groupFiles[i]
		fs.left--
		switch o.Status {
		case engine.Added:
			fs.fa++
		case engine.Updated:
			fs.fu++
		case engine.Interrupted:
			fs.lost++
			continue
		default:
			fs.fn++
		}
		fs.counted += w.groupBytes[i]
		if w.bar != nil {
			w.bar.Add64(w.groupBytes[i])
		}
	}
	w.held.Add(-int64(len(w.group)))
	clear(w.group)
	w.group, w.groupFiles, w.groupBytes, w.groupSize = w.group[:0], w.groupFiles[:0], w.groupBytes[:0], 0
	w.groups++
	w.report()
	if afterGroup != nil {
		afterGroup(w.groups)
	}
	return err
}

// report reports the files at the head of the queue whose articles are all
// stored.
func (w *ingestWriter) report() {
	for len(w.open) > 0 {
		fs := w.open[0]
		if fs.end == nil || fs.left > 0 || fs.lost > 0 {
			return
		}
		w.open = w.open[1:]
		w.reportFile(fs)
		w.sum.filesDone++
		if w.bar != nil {
			w.bar.Add64(max(w.sizes[fs.k]-fs.counted, 0))
		}
	}
}

func (w *ingestWriter) line(format string, args ...any) {
	if w.bar != nil {
		w.bar.Clear()
	}
	fmt.Fprintf(w.stdout, format+"\n", args...)
}

// reportFile writes a file's lines: its warnings, then what became of it.
func (w *ingestWriter) reportFile(fs *fileState) {
	in, end, sum := w.inputs[fs.k], fs.end, w.sum
	path := ingest.DisplayPath(in.Path)
	for _, msg := range end.warns {
		w.line("warning   %s: %s", path, msg)
	}
	n := fs.fa + fs.fu + fs.fn
	sum.added += fs.fa
	sum.updated += fs.fu
	sum.unchanged += fs.fn
	var se *ingest.SkipError
	switch {
	case end.err != nil && n == 0:
		sum.skipped++
		w.line("skipped   %s: %v", path, end.err)
		return
	case end.err == nil && n == 0 && len(end.dups) > 0 && !ingest.IsRecords(in.Path):
		sum.skipped++
		w.line("skipped   %s: %v", path, errors.Unwrap(end.dups[0]))
		return
	case !ingest.IsRecords(in.Path) && n == 1 && end.err == nil:
		status := engine.Added
		switch {
		case fs.fu == 1:
			status = engine.Updated
		case fs.fn == 1:
			status = engine.Unchanged
		}
		w.line("%-9s %s (%s)", status, path, ingest.DisplayPath(fs.id))
		return
	}
	w.line("read      %s: %d articles: %d added, %d updated, %d unchanged, %d records skipped", path, n, fs.fa, fs.fu, fs.fn, len(end.bad)+len(end.dups))
	for i, d := range end.dups {
		if i == 10 {
			w.line("          ... and %d more records with a duplicate id", len(end.dups)-10)
			break
		}
		w.line("          skipped record %v", d)
	}
	for i, b := range end.bad {
		if i == 10 {
			w.line("          ... and %d more skipped records", len(end.bad)-10)
			break
		}
		w.line("          skipped %v", b)
	}
	if errors.As(end.err, &se) {
		// A streamed file that failed part-way: what was read is stored.
		w.line("          rest of the file skipped: %v", se)
	}
}
