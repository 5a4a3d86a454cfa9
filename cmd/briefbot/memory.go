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
// third (at least 96 MiB). With the default GOGC alone a serving process's
// heap grows to twice the loaded store under load; the limit makes the GC
// collect sooner instead (it is soft: the runtime goes over it rather than
// thrash).
func setServeMemoryLimit() {
	debug.FreeOSMemory()
	if os.Getenv("GOMEMLIMIT") == "" {
		live := liveHeap()
		debug.SetMemoryLimit(live + max(live/3, 96<<20))
	}
}

// liveHeap is the live heap at the last collection.
func liveHeap() int64 {
	s := []rtmetrics.Sample{{Name: "/gc/heap/live:bytes"}}
	rtmetrics.Read(s)
	if s[0].Value.Kind() != rtmetrics.KindUint64 {
		return 0
	}
	return int64(min(s[0].Value.Uint64(), math.MaxInt64/2))
}
