package engine

import (
	"os"
	"syscall"
)

// adviseRandom tells the kernel that a mapping (page-aligned, as mapFile
// returns it) is read at random: a page fault then maps the page it needs,
// not the 64 KiB around it, so that a question's scattered reads (a few
// vectors, a few articles' tokens) do not make neighbouring pages part of
// the process.
func adviseRandom(m []byte) { advise(m, 0, len(m), syscall.MADV_RANDOM) }

// adviseNormal restores read-ahead and fault-around for m[off:off+n]: the
// int8 vectors every question scans in full.
func adviseNormal(m []byte, off, n int) { advise(m, off, n, syscall.MADV_NORMAL) }

// adviseDone tells the kernel that this process is done with m[off:off+n]
// for now: its pages leave the process's resident set (the file's page
// cache keeps them, and a later read maps them back). The int8 vectors,
// once the sign pre-scan's sketch is derived from them, are read only by a
// save of the index.
func adviseDone(m []byte, off, n int) {
	// Only whole pages inside the range: a neighbouring section's page stays.
	page := os.Getpagesize()
	lo := (off + page - 1) / page * page
	hi := (off + n) / page * page
	if hi > lo {
		_ = syscall.Madvise(m[lo:hi], syscall.MADV_DONTNEED) // advice only
	}
}

func advise(m []byte, off, n, how int) {
	if n <= 0 {
		return
	}
	// The range must start on a page: widen it to the page it starts in.
	lo := off - off%os.Getpagesize()
	_ = syscall.Madvise(m[lo:off+n], how) // advice only: an error changes nothing
}
