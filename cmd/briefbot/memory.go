package main

import (
	"math"
	"os"
	"runtime/debug"
	rtmetrics "runtime/metrics"
)

// The process's memory policy is decided here, per command; the engine
// library sets none.

// An ingest holds the whole store in memory (chromem-go's collections)
// until it is saved (the derived index is not: engine.Batch.CommitUnindexed);
// with the default GOGC the heap grows to twice that before a collection.
// Unless GOGC or GOMEMLIMIT say otherwise, an ingest collects at 25% growth
// instead and has a soft memory limit of 2.5 GiB, so that a store of a
// million chunks (~2.1 GB live at its save) ingests in under 3 GB: soft, so
// a larger store still ingests (the runtime goes over it, spending at most
// half the CPU on collection, rather than fail).
const (
	ingestGCPercent   = 25
	ingestMemoryLimit = 5 << 29 // 2.5 GiB
)

func setIngestMemoryLimit() {
	if os.Getenv("GOGC") == "" {
		debug.SetGCPercent(ingestGCPercent)
	}
	if os.Getenv("GOMEMLIMIT") == "" {
		debug.SetMemoryLimit(ingestMemoryLimit)
	}
}

// While an ingest saves, the live heap grows by what writing the snapshot
// and then the index needs (a listing of the store, then the postings:
// 5-10% of it) and little else is allocated: the pages freed during the
// ingest go back to the OS, and collecting at 10% growth under a soft
// limit of the live heap plus a sixth (and 64 MiB) keeps that phase's peak
// at about the ingest's own (a 200 MB JSONL file: 0.7 GB live, 0.97 GB
// peak RSS; 1.01 GB without this).
const saveGCPercent = 10

func setSaveMemoryLimit() {
	debug.FreeOSMemory()
	if os.Getenv("GOGC") == "" {
		debug.SetGCPercent(saveGCPercent)
	}
	if os.Getenv("GOMEMLIMIT") == "" {
		live := liveHeap()
		debug.SetMemoryLimit(min(ingestMemoryLimit, live+live/6+64<<20))
	}
}

// setServeMemoryLimit is serve's policy, run after the store is loaded and
// whenever it changes (engine.OnChange): hand the garbage of loading back
// to the OS rather than serve with it resident, and, unless GOMEMLIMIT is
// set, make the soft memory limit follow the store: the live heap plus a
// half, and at least serveHeadroom. With the default GOGC alone a serving
// process's heap grows to twice the loaded store under load; the limit
// makes the GC collect sooner instead (it is soft: the runtime goes over it
// rather than fail). The headroom must hold what questions in flight use
// besides the store (BM25 and pre-scan scratch, a few MB each at 1M chunks,
// eight at a time) and their garbage: with a third (~120 MiB at 1M chunks)
// the heap sat at the limit under load and the collector ran back to back,
// 21 ms of CPU a cold question against 15 with this (BENCHMARKS.md).
func setServeMemoryLimit() {
	debug.FreeOSMemory()
	if os.Getenv("GOMEMLIMIT") == "" {
		debug.SetMemoryLimit(serveMemoryLimit(liveHeap()))
	}
}

// serveHeadroom is the least room above the live heap serve allows.
const serveHeadroom = 192 << 20

// serveMemoryLimit is serve's soft memory limit for a live heap of live bytes.
func serveMemoryLimit(live int64) int64 { return live + max(live/2, serveHeadroom) }

// liveHeap is the live heap at the last collection.
func liveHeap() int64 {
	s := []rtmetrics.Sample{{Name: "/gc/heap/live:bytes"}}
	rtmetrics.Read(s)
	if s[0].Value.Kind() != rtmetrics.KindUint64 {
		return 0
	}
	return int64(min(s[0].Value.Uint64(), math.MaxInt64/2))
}
