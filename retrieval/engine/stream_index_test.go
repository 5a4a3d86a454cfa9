package engine

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/briefbot/briefbot/retrieval"
	"github.com/briefbot/briefbot/retrieval/store"
)

// scaleArticles makes n articles of varied sentences: numbers, capitals,
// months, questions, headings, a title or none, and one of stop words
// only (no tokens at all).
func scaleArticles(n int, seed uint64) []retrieval.Article {
	r := rand.New(rand.NewPCG(seed, 7))
	words := strings.Fields("harbour bridge council tram station budget rates inflation wildfire evacuation " +
		"election minister Paris Tuesday March seven dozen 42 1,200 river flood drought farmers export " +
		"strike union wages hospital vaccine drone missile ceasefire talks summit")
	stop := strings.Fields("the a of and to in it was is")
	var out []retrieval.Article
	for i := range n {
		var body strings.Builder
		if i == 3 {
			body.WriteString("And the of it. It was the a to.")
		} else {
			for s := range 3 + r.IntN(8) {
				if s > 0 {
					body.WriteString(" ")
				}
				for w := range 4 + r.IntN(12) {
					if w > 0 {
						body.WriteString(" ")
					}
					if r.IntN(3) == 0 {
						body.WriteString(stop[r.IntN(len(stop))])
					} else {
						body.WriteString(words[r.IntN(len(words))])
					}
				}
				body.WriteString([]string{".", ".", "?", "", "!"}[r.IntN(5)])
				if r.IntN(6) == 0 {
					body.WriteString("\n")
				}
			}
		}
		title := ""
		if i%4 != 0 {
			title = fmt.Sprintf("Briefing %d on %s", i, words[r.IntN(len(words))])
		}
		out = append(out, retrieval.Article{ID: fmt.Sprintf("a%04d", i), Title: title, Body: body.String(), Source: "test"})
	}
	return out
}

// scaleStore is an engine over ~1,500 chunks (two blocks of the int8
// copy), saved in dir.
func scaleStore(t *testing.T, dir string) *Engine {
	t.Helper()
	ctx := context.Background()
	e, err := OpenForWrite(ctx, dir, Options{ChunkWords: 12}, false)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.Ingest(ctx, scaleArticles(300, 1)); err != nil {
		t.Fatal(err)
	}
	if err := e.Save(dir); err != nil {
		t.Fatal(err)
	}
	if n := e.Stats().Chunks; n <= qBlock {
		t.Fatalf("%d chunks: the test needs more than one block", n)
	}
	return e
}

// TestIndexFromStoreIsTheSameFile checks that the index file written
// straight from the store is byte for byte the one written of the index
// built in memory, quantising in runs of one block or of many.
func TestIndexFromStoreIsTheSameFile(t *testing.T) {
	dir := t.TempDir()
	e := scaleStore(t, dir)
	st := e.Store()
	fp := st.Fingerprint()
	var want bytes.Buffer
	if err := encodeIndex(&want, buildIndex(st), fp); err != nil {
		t.Fatal(err)
	}
	orig := quantizeRun
	t.Cleanup(func() { quantizeRun = orig })
	for _, run := range []int{qBlock, 16 * qBlock} {
		quantizeRun = run
		spill, err := os.CreateTemp(t.TempDir(), "spill")
		if err != nil {
			t.Fatal(err)
		}
		var got bytes.Buffer
		si, err := tokeniseStore(st, spill)
		if err != nil {
			t.Fatal(err)
		}
		if err := si.encode(&got, fp); err != nil {
			t.Fatal(err)
		}
		spill.Close()
		if !bytes.Equal(got.Bytes(), want.Bytes()) {
			t.Fatalf("run %d: the streamed file (%d bytes) differs from the in-memory one (%d bytes)", run, got.Len(), want.Len())
		}
	}
}

// TestCommitUnindexed checks the ingest path that never builds the index
// in memory: Commit leaves it unbuilt, Save writes the file from the store
// (leaving no scratch file), and searches afterwards read that file,
// mapped, answering as an engine with the index built in memory does.
func TestCommitUnindexed(t *testing.T) {
	ctx := context.Background()
	builds := countBuilds(t)
	arts := scaleArticles(300, 1)
	clock := func() time.Time { return time.Date(2026, 12, 7, 12, 0, 0, 0, time.UTC) }
	mem, err := NewMemory(ctx, Options{ChunkWords: 12, Now: clock})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := mem.Ingest(ctx, arts); err != nil {
		t.Fatal(err)
	}
	builds.Store(0)

	dir := t.TempDir()
	e, err := OpenForWrite(ctx, dir, Options{ChunkWords: 12, Now: clock}, false)
	if err != nil {
		t.Fatal(err)
	}
	b := e.Begin()
	for lo := 0; lo < len(arts); lo += 64 {
		if _, err := b.Add(ctx, arts[lo:min(lo+64, len(arts))]); err != nil {
			t.Fatal(err)
		}
	}
	b.CommitUnindexed()
	if got, want := e.Stats(), mem.Stats(); got != want {
		t.Fatalf("stats before the index is built: %+v, want %+v", got, want)
	}
	if err := e.Save(dir); err != nil {
		t.Fatal(err)
	}
	if n := builds.Load(); n != 0 {
		t.Fatalf("the index was built %d times in memory", n)
	}
	entries, _ := os.ReadDir(dir)
	for _, en := range entries {
		if !strings.HasPrefix(en.Name(), "briefbot.") {
			t.Errorf("left in the data directory: %s", en.Name())
		}
	}
	st := e.Store()
	fromFile, err := readIndex(dir, st, st.Fingerprint())
	if err != nil {
		t.Fatalf("the streamed index file is refused: %v", err)
	}
	sameIndex(t, fromFile, buildIndex(st))
	for _, q := range []string{"harbour bridge council", "What did the minister say about inflation?", "drone missile ceasefire talks in March", "1,200 farmers"} {
		want, err := mem.Search(ctx, retrieval.Query{Text: q})
		if err != nil {
			t.Fatal(err)
		}
		got, err := e.Search(ctx, retrieval.Query{Text: q})
		if err != nil {
			t.Fatal(err)
		}
		if len(want.Docs) == 0 || !reflect.DeepEqual(got, want) {
			t.Errorf("%q: the engine over the streamed file answers %+v, want %+v", q, got.Docs, want.Docs)
		}
	}
	if n := builds.Load(); n != 0 {
		t.Fatalf("searching after the save built the index in memory (%d)", n)
	}

	// Unsaved, a search builds the index in memory and sees the batch.
	b = e.Begin()
	if _, err := b.Add(ctx, []retrieval.Article{{ID: "late", Title: "Tidal power", Body: "A tidal power plant opened in Orkney on Friday."}}); err != nil {
		t.Fatal(err)
	}
	b.CommitUnindexed()
	res, err := e.Search(ctx, retrieval.Query{Text: "tidal power plant Orkney"})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Docs) == 0 || res.Docs[0].ID != "late" {
		t.Fatalf("a search after an unsaved CommitUnindexed missed the batch: %+v", res.Docs)
	}
}

const crashIndexDirEnv = "BRIEFBOT_TEST_INDEX_CRASH_DIR"

// TestKilledDuringIndexWrite kills (SIGKILL) a process half-way through
// writing the index file straight from the store, after it saved the new
// snapshot: the previous index file is left whole (stale), so the next
// Open rebuilds it from the new snapshot and answers as the saved store
// does, and no scratch file is left.
func TestKilledDuringIndexWrite(t *testing.T) {
	if dir := os.Getenv(crashIndexDirEnv); dir != "" {
		crashHelper(dir)
		return
	}
	ctx := context.Background()
	dir := t.TempDir()
	scaleStore(t, dir)
	oldIdx, err := os.ReadFile(filepath.Join(dir, IndexName))
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(os.Args[0], "-test.run=^TestKilledDuringIndexWrite$")
	cmd.Env = append(os.Environ(), crashIndexDirEnv+"="+dir)
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	sc := bufio.NewScanner(out)
	reached := false
	for sc.Scan() {
		if sc.Text() == "mid-index" {
			reached = true
			break
		}
	}
	cmd.Process.Signal(syscall.SIGKILL)
	cmd.Wait()
	if !reached {
		t.Fatal("the helper never reached the middle of the index write")
	}
	if now, _ := os.ReadFile(filepath.Join(dir, IndexName)); !bytes.Equal(now, oldIdx) {
		t.Fatal("the index file was changed by a killed write")
	}
	entries, _ := os.ReadDir(dir)
	for _, en := range entries {
		if strings.Contains(en.Name(), "tokens") {
			t.Errorf("scratch file left behind: %s", en.Name())
		}
	}
	e, err := Open(ctx, dir, Options{ChunkWords: 12})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.Document(ctx, "crash-extra"); err != nil {
		t.Fatalf("the snapshot saved before the kill lost its new article: %v", err)
	}
	want, err := store.Load(ctx, dir)
	if err != nil {
		t.Fatal(err)
	}
	sameIndex(t, e.state(), buildIndex(want))
}

// crashHelper ingests one more article into dir and saves it, stopping
// (for the parent to kill it) once the index file's vectors are written.
func crashHelper(dir string) {
	ctx := context.Background()
	e, err := OpenForWrite(ctx, dir, Options{ChunkWords: 12}, false)
	if err != nil {
		fmt.Println(err)
		os.Exit(1)
	}
	b := e.Begin()
	if _, err := b.Add(ctx, []retrieval.Article{{ID: "crash-extra", Body: "A late briefing about tidal power."}}); err != nil {
		fmt.Println(err)
		os.Exit(1)
	}
	b.CommitUnindexed()
	sectionWritten = func(sec int) {
		if sec == secVecs {
			fmt.Println("mid-index")
			select {} // killed here
		}
	}
	e.Save(dir)
	os.Exit(1)
}
