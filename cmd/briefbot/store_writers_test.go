package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"sync"
	"testing"

	"github.com/briefbot/briefbot/retrieval"
	"github.com/briefbot/briefbot/retrieval/engine"
	"github.com/briefbot/briefbot/retrieval/store"
)

// newWatchServer builds a serve runtime for data and watch and loads its
// store as serve does, without starting its loops: tests drive the watcher's
// scans themselves. Its log goes to the returned buffer.
func newWatchServer(t *testing.T, data, watch string) (*server, *bytes.Buffer) {
	t.Helper()
	env := map[string]string{"BRIEFBOT_DATA": data, "BRIEFBOT_WATCH": watch, "BRIEFBOT_HTTP_ADDR": "127.0.0.1:0"}
	getenv := func(k string) string { return env[k] }
	cfg, err := loadConfig("", getenv)
	if err != nil {
		t.Fatal(err)
	}
	var logs bytes.Buffer
	a := &app{stdout: &bytes.Buffer{}, stderr: &bytes.Buffer{}, getenv: getenv}
	s, err := newServer(cfg, a, newLogger(Config{LogFormat: "json"}, &syncWriter{w: &logs}))
	if err != nil {
		t.Fatal(err)
	}
	if err := s.load(context.Background()); err != nil {
		t.Fatal(err)
	}
	return s, &logs
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

// syncWriter serialises writes to w, so that a test reads logs written by
// other goroutines without a race.
type syncWriter struct {
	mu sync.Mutex
	w  *bytes.Buffer
}

func (s *syncWriter) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.w.Write(p)
}

func (s *syncWriter) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.w.String()
}
