package ingest_test

import (
	"context"
	"os"
	"runtime"
	"strings"
	"testing"

	"github.com/briefbot/briefbot/retrieval"
	"github.com/briefbot/briefbot/retrieval/ingest"
)

// TestReadFileMemory measures the parse path alone: it reads the file named
// by BRIEFBOT_INGEST_MEM_FILE through ReadFile, keeping nothing of the
// articles, and logs the peak RSS and heap. Skipped without the variable;
// BENCHMARKS.md gives the command and the figures.
func TestReadFileMemory(t *testing.T) {
	path := os.Getenv("BRIEFBOT_INGEST_MEM_FILE")
	if path == "" {
		t.Skip("set BRIEFBOT_INGEST_MEM_FILE to a large .jsonl or .json file")
	}
	var n, size int
	bad, err := ingest.ReadFile(context.Background(), path, func(a retrieval.Article) error {
		n++
		size += len(a.Body)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	t.Logf("%d articles (%d MB of body text), %d records skipped; peak RSS %s; heap high-water (sys) %d MB",
		n, size>>20, len(bad), peakRSS(), ms.HeapSys>>20)
}

func peakRSS() string {
	data, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return "unknown"
	}
	for _, line := range strings.Split(string(data), "\n") {
		if strings.HasPrefix(line, "VmHWM:") {
			return strings.TrimSpace(strings.TrimPrefix(line, "VmHWM:"))
		}
	}
	return "unknown"
}
