package store_test

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/briefbot/briefbot/retrieval/store"
)

// Environment switches that turn this test binary into a helper process.
const (
	crashDirEnv   = "BRIEFBOT_TEST_CRASH_DIR"
	fsizeDirEnv   = "BRIEFBOT_TEST_FSIZE_DIR"
	fsizeLimitEnv = "BRIEFBOT_TEST_FSIZE_LIMIT"
)

// bigStore is what the helper processes write: far larger than smallStore,
// so that a Save of it takes long enough to be caught in the middle.
func bigStore(t testing.TB) *store.Store {
	t.Helper()
	s := newStore(t, 64)
	when := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	for i := 0; i < 400; i++ {
		put(t, s, makeArticle(fmt.Sprintf("big%04d", i), 50, when))
	}
	return s
}

// smallStore is the snapshot that must survive.
func smallStore(t testing.TB) (*store.Store, []*store.StoredArticle) {
	t.Helper()
	s := newStore(t, 64)
	when := time.Date(2025, 12, 6, 0, 0, 0, 0, time.UTC)
	arts := []*store.StoredArticle{makeArticle("keep-a", 3, when), makeArticle("keep-b", 2, when.Add(time.Hour))}
	for _, a := range arts {
		put(t, s, a)
	}
	return s, arts
}

func tempFiles(t *testing.T, dir string) []string {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, e := range entries {
		if strings.HasPrefix(e.Name(), store.SnapshotName+".tmp-") {
			out = append(out, e.Name())
		}
	}
	return out
}

// checkSmall asserts that dir's snapshot loads and is exactly smallStore.
func checkSmall(t *testing.T, dir string, want []*store.StoredArticle) {
	t.Helper()
	got, err := store.Load(context.Background(), dir)
	if err != nil {
		t.Fatalf("Load after the failed save: %v", err)
	}
	if got.Len() != len(want) || got.ChunkCount() != 5 {
		t.Fatalf("loaded %d articles, %d chunks; want %d, 5", got.Len(), got.ChunkCount(), len(want))
	}
	for _, w := range want {
		a, ok := got.Article(w.ID)
		if !ok {
			t.Fatalf("article %s lost", w.ID)
		}
		sameArticle(t, a, w)
		for i := range w.ChunkStarts {
			if !findChunk(t, got, w.ID, i, 2) {
				t.Errorf("%s chunk %d not found by its vector", w.ID, i)
			}
		}
	}
}

// helperCommand re-runs this test binary as the named helper test.
func helperCommand(t *testing.T, name string, env ...string) *exec.Cmd {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^"+name+"$", "-test.count=1", "-test.v")
	cmd.Env = append(os.Environ(), env...)
	return cmd
}

// TestCrashHelper is not a test: run by TestCrashDuringSave as a child
// process, it saves a large store into a directory over and over until it
// is killed.
func TestCrashHelper(t *testing.T) {
	dir := os.Getenv(crashDirEnv)
	if dir == "" {
		t.Skip("helper process for TestCrashDuringSave")
	}
	s := bigStore(t)
	for {
		if err := s.Save(dir); err != nil {
			t.Fatalf("Save: %v", err)
		}
	}
}

// tempFileOver returns the first temporary snapshot in dir larger than
// minSize bytes, or "".
func tempFileOver(t *testing.T, dir string, minSize int64) string {
	t.Helper()
	for _, name := range tempFiles(t, dir) {
		fi, err := os.Stat(filepath.Join(dir, name))
		if err == nil && fi.Size() > minSize {
			return name
		}
		if err == nil && minSize < 0 {
			return name
		}
	}
	return ""
}

// checkBig asserts that dir's snapshot loads and is exactly bigStore.
func checkBig(t *testing.T, dir string) {
	t.Helper()
	got, err := store.Load(context.Background(), dir)
	if err != nil {
		t.Fatalf("Load: %v", err)
	}
	if got.Len() != 400 || got.ChunkCount() != 400*50 {
		t.Fatalf("loaded %d articles, %d chunks; want 400, 20000", got.Len(), got.ChunkCount())
	}
	when := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	for i := 0; i < 400; i += 37 {
		w := makeArticle(fmt.Sprintf("big%04d", i), 50, when)
		a, ok := got.Article(w.ID)
		if !ok {
			t.Fatalf("article %s lost", w.ID)
		}
		sameArticle(t, a, w)
		if !findChunk(t, got, w.ID, i%50, 3) {
			t.Errorf("%s chunk %d not found by its vector", w.ID, i%50)
		}
	}
}

// TestCrashDuringSave kills a process in the middle of Save (SIGKILL: no
// deferred cleanup runs) and checks that the previous snapshot still loads
// with its exact content.
func TestCrashDuringSave(t *testing.T) {
	if testing.Short() {
		t.Skip("runs a helper process")
	}
	tests := []struct {
		name string
		// The helper is killed once a temporary file is larger than this.
		minSize int64
	}{
		{"as the temporary file is created", -1},
		{"while the temporary file holds data", 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			small, want := smallStore(t)
			if err := small.Save(dir); err != nil {
				t.Fatal(err)
			}
			before, err := os.ReadFile(store.Path(dir))
			if err != nil {
				t.Fatal(err)
			}

			cmd := helperCommand(t, "TestCrashHelper", crashDirEnv+"="+dir)
			var out bytes.Buffer
			cmd.Stdout, cmd.Stderr = &out, &out
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			exited := make(chan error, 1)
			go func() { exited <- cmd.Wait() }()

			// Poll for the temporary file; kill the helper the moment it
			// is there. The helper saves in a loop, so there are many tries.
			tick := time.NewTicker(200 * time.Microsecond)
			defer tick.Stop()
			deadline := time.After(90 * time.Second)
			for tempFileOver(t, dir, tt.minSize) == "" {
				select {
				case err := <-exited:
					t.Fatalf("helper exited (%v):\n%s", err, out.String())
				case <-deadline:
					cmd.Process.Kill()
					<-exited
					t.Skipf("never caught a temporary snapshot over %d bytes", tt.minSize)
				case <-tick.C:
				}
			}
			if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
				t.Fatal(err)
			}
			<-exited
			for _, name := range tempFiles(t, dir) {
				if fi, err := os.Stat(filepath.Join(dir, name)); err == nil {
					t.Logf("killed with %s at %d bytes", name, fi.Size())
				}
			}

			after, err := os.ReadFile(store.Path(dir))
			if err != nil {
				t.Fatal(err)
			}
			if bytes.Equal(before, after) {
				checkSmall(t, dir, want)
			} else {
				// A save of the helper completed before: its snapshot is the
				// previous one, and it must be whole.
				t.Logf("previous snapshot is the helper's (%d bytes)", len(after))
				checkBig(t, dir)
			}

			// The next writer removes what the killed save left, taking the
			// lock, and only that.
			left := tempFiles(t, dir)
			if len(left) == 0 {
				// Killed between a rename and the next save's create.
				t.Log("the killed save left no temporary file")
			}
			l, err := store.LockDir(context.Background(), dir)
			if err != nil {
				t.Fatal(err)
			}
			if got := l.Orphans(); fmt.Sprint(got) != fmt.Sprint(left) {
				t.Errorf("the lock removed %v, want %v", got, left)
			}
			l.Unlock()
			if still := tempFiles(t, dir); len(still) != 0 {
				t.Errorf("temporary files left after the next writer took the lock: %v", still)
			}
			if now, err := os.ReadFile(store.Path(dir)); err != nil || !bytes.Equal(now, after) {
				t.Errorf("removing temporary files touched the snapshot (%v)", err)
			}

			// The store stays writable after the crash.
			if err := small.Save(dir); err != nil {
				t.Fatalf("Save after the crash: %v", err)
			}
			checkSmall(t, dir, want)
		})
	}
}

// TestSaveFailureHelper is not a test: run by TestSaveFailureKeepsSnapshot
// as a child process under a file-size limit, it tries to save a store too
// large for the limit and reports whether Save failed.
func TestSaveFailureHelper(t *testing.T) {
	dir := os.Getenv(fsizeDirEnv)
	if dir == "" {
		t.Skip("helper process for TestSaveFailureKeepsSnapshot")
	}
	limit, err := strconv.ParseUint(os.Getenv(fsizeLimitEnv), 10, 64)
	if err != nil {
		t.Fatal(err)
	}
	s := bigStore(t)
	// Past the limit a write fails with EFBIG instead of raising SIGXFSZ.
	signal.Ignore(syscall.SIGXFSZ)
	if err := syscall.Setrlimit(syscall.RLIMIT_FSIZE, &syscall.Rlimit{Cur: limit, Max: limit}); err != nil {
		t.Skipf("setrlimit: %v", err)
	}
	err = s.Save(dir)
	if err == nil {
		t.Fatal("Save succeeded beyond the file-size limit")
	}
	fmt.Printf("SAVE-FAILED: %v\n", err)
}

// TestSaveFailureKeepsSnapshot makes Save fail while writing (a file-size
// limit: EFBIG from the writer) and checks that the old snapshot is intact
// and no temporary file is left behind.
func TestSaveFailureKeepsSnapshot(t *testing.T) {
	if testing.Short() {
		t.Skip("runs a helper process")
	}
	dir := t.TempDir()
	small, want := smallStore(t)
	if err := small.Save(dir); err != nil {
		t.Fatal(err)
	}
	before, err := os.ReadFile(store.Path(dir))
	if err != nil {
		t.Fatal(err)
	}
	limit := 4 * len(before) // the small store fits; the big one does not
	out, err := helperCommand(t, "TestSaveFailureHelper", fsizeDirEnv+"="+dir, fmt.Sprintf("%s=%d", fsizeLimitEnv, limit)).CombinedOutput()
	if err != nil {
		t.Fatalf("helper: %v\n%s", err, out)
	}
	if !bytes.Contains(out, []byte("SAVE-FAILED: ")) {
		t.Skipf("helper could not set a file-size limit:\n%s", out)
	}
	t.Logf("%s", bytes.TrimSpace(out[bytes.Index(out, []byte("SAVE-FAILED: ")):]))
	after, err := os.ReadFile(store.Path(dir))
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(before, after) {
		t.Fatal("the snapshot changed although Save failed")
	}
	if tmp := tempFiles(t, dir); len(tmp) != 0 {
		t.Errorf("a failed Save left %v behind", tmp)
	}
	checkSmall(t, dir, want)
}

// TestSaveIntoUnusableDir checks the error paths that need no helper: the
// data directory is a file, or the snapshot name is taken by a directory.
func TestSaveIntoUnusableDir(t *testing.T) {
	small, _ := smallStore(t)
	t.Run("dir is a file", func(t *testing.T) {
		f := filepath.Join(t.TempDir(), "file")
		if err := os.WriteFile(f, []byte("x"), 0o644); err != nil {
			t.Fatal(err)
		}
		if err := small.Save(f); err == nil {
			t.Error("Save into a file succeeded")
		}
	})
	t.Run("snapshot name is a directory", func(t *testing.T) {
		dir := t.TempDir()
		if err := os.MkdirAll(filepath.Join(store.Path(dir), "occupied"), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := small.Save(dir); err == nil {
			t.Error("Save over a non-empty directory succeeded")
		}
		if tmp := tempFiles(t, dir); len(tmp) != 0 {
			t.Errorf("a failed Save left %v behind", tmp)
		}
	})
}
