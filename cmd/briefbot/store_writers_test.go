package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/briefbot/briefbot/bot"
	"github.com/briefbot/briefbot/internal/syncbuf"
	"github.com/briefbot/briefbot/retrieval"
	"github.com/briefbot/briefbot/retrieval/engine"
	"github.com/briefbot/briefbot/retrieval/store"
)

// newWatchServer builds a serve runtime for data and watch and loads its
// store as serve does, without starting its loops: tests drive the watcher's
// scans themselves. Its log goes to the returned buffer.
func newWatchServer(t *testing.T, data, watch string) (*Main, *syncbuf.Buffer) {
	t.Helper()
	env := map[string]string{"BRIEFBOT_DATA": data, "BRIEFBOT_WATCH": watch, "BRIEFBOT_HTTP_ADDR": "127.0.0.1:0"}
	getenv := func(k string) string { return env[k] }
	cfg, err := loadConfig("", getenv)
	if err != nil {
		t.Fatal(err)
	}
	logs := &syncbuf.Buffer{}
	a := &app{stdout: &bytes.Buffer{}, stderr: &bytes.Buffer{}, getenv: getenv}
	s := newMain(cfg, a.getenv, newLogger(Config{LogFormat: "json"}, logs))
	if err := s.load(context.Background()); err != nil {
		t.Fatal(err)
	}
	return s, logs
}

// storedIDs lists the article ids `briefbot sources` reports for data.
func storedIDs(t *testing.T, data string) []string {
	t.Helper()
	code, out, errOut := runCLI(t, map[string]string{}, "sources", "--data", data, "--json")
	if code != 0 {
		t.Fatalf("sources: %d %s", code, errOut)
	}
	var list []sourceJSON
	if err := json.Unmarshal([]byte(out), &list); err != nil {
		t.Fatalf("sources --json: %v: %s", err, out)
	}
	ids := make([]string, len(list))
	for i, s := range list {
		ids[i] = s.ID
	}
	sort.Strings(ids)
	return ids
}

func writeBriefing(t *testing.T, dir, name, headline, body string) {
	t.Helper()
	if err := os.WriteFile(filepath.Join(dir, name), []byte(headline+"\n"+body+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
}

// handCorpus writes n briefings into a fresh directory and returns it.
func handCorpus(t *testing.T, n int) (string, []string) {
	t.Helper()
	dir := t.TempDir()
	var ids []string
	for i := range n {
		name := fmt.Sprintf("hand%02d.txt", i)
		writeBriefing(t, dir, name, fmt.Sprintf("Council vote %d", i), fmt.Sprintf("The council voted on motion %d after a long debate about the ferry timetable.", i))
		ids = append(ids, name)
	}
	return dir, ids
}

// TestWatchNeverOverwritesAHandRunIngest reproduces the lost update of issue
// 10: serve's watcher, holding an in-memory store loaded before a hand-run
// `briefbot ingest` saved, took the lock after that ingest and saved its
// stale store over the fresh one, so that `sources` listed only the watched
// articles. Every writer must build on the store on disk under the lock.
func TestWatchNeverOverwritesAHandRunIngest(t *testing.T) {
	tests := []struct {
		name string
		// handIngest runs a hand ingest of corpus into data while the
		// watcher's scan (scan) is due.
		run func(t *testing.T, data, corpus string, scan func())
	}{
		{"watcher waits on the lock while the ingest saves", func(t *testing.T, data, corpus string, scan func()) {
			// The ingest holds the lock from start to save; the watcher
			// scans meanwhile and must wait for it.
			ctx := context.Background()
			lock, err := store.LockDir(ctx, data)
			if err != nil {
				t.Fatal(err)
			}
			done := make(chan struct{})
			go func() { defer close(done); scan() }()
			e, err := engine.OpenForWrite(ctx, data, engine.Options{}, false)
			if err != nil {
				t.Fatal(err)
			}
			var arts []retrieval.Article
			entries, _ := os.ReadDir(corpus)
			for _, en := range entries {
				b, err := os.ReadFile(filepath.Join(corpus, en.Name()))
				if err != nil {
					t.Fatal(err)
				}
				arts = append(arts, retrieval.Article{ID: en.Name(), Body: string(b)})
			}
			if _, err := e.Ingest(ctx, arts); err != nil {
				t.Fatal(err)
			}
			if err := e.Save(data); err != nil {
				t.Fatal(err)
			}
			lock.Unlock()
			<-done
		}},
		{"watcher scans after the ingest, before serve reloads", func(t *testing.T, data, corpus string, scan func()) {
			if code, out, errOut := runCLI(t, map[string]string{}, "ingest", "--data", data, corpus); code != 0 {
				t.Fatalf("ingest: %d %s %s", code, out, errOut)
			}
			scan()
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			data, watch := t.TempDir(), t.TempDir()
			writeBriefing(t, watch, "w1.txt", "Harbour bridge reopens", "The harbour bridge reopened to traffic on Monday after storm repairs.")
			s, _ := newWatchServer(t, data, watch)
			w := newWatchState()
			s.scanWatched(context.Background(), w)
			if got := storedIDs(t, data); fmt.Sprint(got) != "[w1.txt]" {
				t.Fatalf("after the first scan the store holds %v", got)
			}
			corpus, hand := handCorpus(t, 12)
			writeBriefing(t, watch, "w2.txt", "Tram extension approved", "The city council approved a tram extension with four new stations.")
			tt.run(t, data, corpus, func() { s.scanWatched(context.Background(), w) })
			want := append(append([]string{}, hand...), "w1.txt", "w2.txt")
			sort.Strings(want)
			if got := storedIDs(t, data); fmt.Sprint(got) != fmt.Sprint(want) {
				t.Errorf("the store holds %v\nwant %v (the hand-run ingest's articles and both watched ones)", got, want)
			}
			// The serving engine serves what was saved.
			e, err := s.search.get()
			if err != nil {
				t.Fatal(err)
			}
			if n := e.Stats().Articles; n != len(want) {
				t.Errorf("serve holds %d articles, want %d", n, len(want))
			}
		})
	}
}

// TestIngestRefusesAnUnreadableStore: `ingest` and `ingest --reembed` over a
// damaged store fail naming the file and the reason, and leave it as it was
// (they used to save a store holding only the new files).
func TestIngestRefusesAnUnreadableStore(t *testing.T) {
	corpus, _ := handCorpus(t, 2)
	for _, args := range [][]string{{"ingest"}, {"ingest", "--reembed"}} {
		t.Run(fmt.Sprint(args), func(t *testing.T) {
			data := t.TempDir()
			if code, _, errOut := runCLI(t, map[string]string{}, "ingest", "--data", data, corpus); code != 0 {
				t.Fatal(errOut)
			}
			snap, err := os.ReadFile(store.Path(data))
			if err != nil {
				t.Fatal(err)
			}
			damaged := snap[:len(snap)/2]
			if err := os.WriteFile(store.Path(data), damaged, 0o644); err != nil {
				t.Fatal(err)
			}
			extra := t.TempDir()
			writeBriefing(t, extra, "new.txt", "Ferry strike ends", "The ferry strike ended on Friday after a pay deal.")
			code, _, errOut := runCLI(t, map[string]string{}, append(args, "--data", data, extra)...)
			if code != 1 || !strings.Contains(errOut, store.Path(data)) || !strings.Contains(errOut, "EOF") || !strings.Contains(errOut, "cannot be read") {
				t.Errorf("exit %d, stderr %q; want 1 and a message naming the file and the reason", code, errOut)
			}
			if got, _ := os.ReadFile(store.Path(data)); !bytes.Equal(got, damaged) {
				t.Error("the damaged store was replaced")
			}
		})
	}
}

// TestIngestRemovesOrphanedTemporaryFiles: what saves killed mid-way left in
// the data directory is removed by the next ingest, and nothing else.
func TestIngestRemovesOrphanedTemporaryFiles(t *testing.T) {
	data := t.TempDir()
	corpus, _ := handCorpus(t, 1)
	orphans := []string{"briefbot.store.tmp-123456", "briefbot.store.idx.tmp-42"}
	keep := []string{"briefbot.store.tmp-123456.mine", "my.tmp-1"}
	for _, n := range append(slices.Clone(orphans), keep...) {
		if err := os.WriteFile(filepath.Join(data, n), bytes.Repeat([]byte("x"), 1000), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	code, _, errOut := runCLI(t, map[string]string{}, "ingest", "--data", data, corpus)
	if code != 0 || !strings.Contains(errOut, "removed 2 temporary file(s)") {
		t.Fatalf("exit %d, stderr %q", code, errOut)
	}
	for _, n := range orphans {
		if _, err := os.Stat(filepath.Join(data, n)); !errors.Is(err, fs.ErrNotExist) {
			t.Errorf("%s: %v, want removed", n, err)
		}
	}
	for _, n := range keep {
		if _, err := os.Stat(filepath.Join(data, n)); err != nil {
			t.Errorf("%s: %v, want kept", n, err)
		}
	}
}

// TestIngestWarnsWhenTheIndexIsNotSaved: a store that is saved while its
// derived index cannot be (its path is taken by a directory here) is a
// success with a warning that says so, not a silent one.
func TestIngestWarnsWhenTheIndexIsNotSaved(t *testing.T) {
	data := t.TempDir()
	if err := os.MkdirAll(filepath.Join(data, engine.IndexName, "x"), 0o755); err != nil {
		t.Fatal(err)
	}
	corpus, ids := handCorpus(t, 2)
	code, _, errOut := runCLI(t, map[string]string{}, "ingest", "--data", data, corpus)
	if code != 0 || !strings.Contains(errOut, "warning: engine: the store is saved, but its derived index could not be written") ||
		!strings.Contains(errOut, filepath.Join(data, engine.IndexName)) {
		t.Fatalf("exit %d, stderr %q; want 0 and a warning naming the index", code, errOut)
	}
	if got := storedIDs(t, data); fmt.Sprint(got) != fmt.Sprint(ids) {
		t.Errorf("store holds %v, want %v", got, ids)
	}
}

// TestWatchRetriesAFailedSave: a watched file whose save failed is not
// marked as seen: the failure is logged with its cause (never an article's
// text), and the next scan saves it.
func TestWatchRetriesAFailedSave(t *testing.T) {
	data, watch := t.TempDir(), t.TempDir()
	body := "The harbour bridge reopened to traffic on Monday after storm repairs."
	writeBriefing(t, watch, "w1.txt", "Harbour bridge reopens", body)
	s, logs := newWatchServer(t, data, watch)
	w := newWatchState()
	saves := 0
	w.save = func(e *engine.Engine, dir string) error {
		saves++
		if saves == 1 {
			return fmt.Errorf("store: save %s: write: no space left on device", store.Path(dir))
		}
		return e.Save(dir)
	}
	ctx := context.Background()
	s.scanWatched(ctx, w)
	if store.Exists(data) {
		t.Fatal("a store was saved although the save failed")
	}
	out := logs.String()
	if !strings.Contains(out, `"level":"ERROR"`) || !strings.Contains(out, "no space left on device") || !strings.Contains(out, "retrying") {
		t.Errorf("the failed save is not logged with its cause:\n%s", out)
	}
	// Nothing changed on disk or in the folder: the next scan saves anyway.
	s.scanWatched(ctx, w)
	if saves != 2 {
		t.Fatalf("%d saves, want the failed one retried", saves)
	}
	if got := storedIDs(t, data); fmt.Sprint(got) != "[w1.txt]" {
		t.Errorf("store holds %v after the retry", got)
	}
	// Saved now: a third scan has nothing to do.
	s.scanWatched(ctx, w)
	if saves != 2 {
		t.Errorf("%d saves; the saved file was saved again", saves)
	}
	if strings.Contains(logs.String(), "storm repairs") {
		t.Error("the log holds article text")
	}
}

// TestServeKeepsAHandRunIngestAndWatchedFiles runs the whole serve (reload
// and watch loops) while hand-run ingests and new watched files alternate:
// the store ends up with every article, and serve answers from all of them.
func TestServeKeepsAHandRunIngestAndWatchedFiles(t *testing.T) {
	data, watch := t.TempDir(), t.TempDir()
	writeBriefing(t, watch, "w0.txt", "Harbour bridge reopens", "The harbour bridge reopened to traffic on Monday after storm repairs.")
	base := startServe(t, map[string]string{"BRIEFBOT_DATA": data, "BRIEFBOT_WATCH": watch, "BRIEFBOT_WATCH_INTERVAL": "50ms"})
	want := []string{"w0.txt"}
	for round := range 3 {
		corpus := t.TempDir()
		name := fmt.Sprintf("hand-%d.txt", round)
		writeBriefing(t, corpus, name, fmt.Sprintf("Budget round %d", round), fmt.Sprintf("The council passed budget round %d after a vote on Thursday.", round))
		w := fmt.Sprintf("w%d.txt", round+1)
		writeBriefing(t, watch, w, fmt.Sprintf("Ferry timetable %d", round), fmt.Sprintf("The ferry timetable changed for the %d time this year.", round+2))
		if code, out, errOut := runCLI(t, map[string]string{}, "ingest", "--data", data, corpus); code != 0 {
			t.Fatalf("ingest: %d %s %s", code, out, errOut)
		}
		want = append(want, name, w)
	}
	sort.Strings(want)
	deadline := time.Now().Add(20 * time.Second)
	for {
		got := storedIDs(t, data)
		if fmt.Sprint(got) == fmt.Sprint(want) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the store holds %v, want %v", got, want)
		}
		time.Sleep(50 * time.Millisecond)
	}
	askUntil(t, base, "Which budget round did the council pass after a vote on Thursday?", 10*time.Second, func(a bot.Answer) bool {
		return a.Found && a.Searched.Articles == len(want)
	})
}
