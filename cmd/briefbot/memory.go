package main

import (
	"os"
	"runtime/debug"

	"github.com/briefbot/briefbot/retrieval/engine"
)

// The process's memory policy is decided here, per command; the engine
// library sets none (it only suggests a limit: engine.SuggestMemoryLimit).

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

// setServeMemoryLimit is serve's policy, run after the store is loaded and
// whenever it changes (engine.OnChange): hand the garbage of loading back
// to the OS rather than serve with it resident, and, unless GOMEMLIMIT is
// set, make the soft memory limit follow the store (the live heap plus a
// third, see engine.SuggestMemoryLimit).
func setServeMemoryLimit() {
	debug.FreeOSMemory()
	if os.Getenv("GOMEMLIMIT") == "" {
		debug.SetMemoryLimit(engine.SuggestMemoryLimit())
	}
}
