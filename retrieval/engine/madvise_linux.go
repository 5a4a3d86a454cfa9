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

func advise(m []byte, off, n, how int) {
	if n <= 0 {
		return
	}
	// The range must start on a page: widen it to the page it starts in.
	lo := off - off%os.Getpagesize()
	_ = syscall.Madvise(m[lo:off+n], how) // advice only: an error changes nothing
}
