package main

import "testing"

// TestServeMemoryLimitLeavesRoom: the limit leaves room for the questions in
// flight above the live heap: at least serveHeadroom for a small store,
// half the live heap for a large one (a third kept the 1M-chunk heap at the
// limit under load, collecting back to back).
func TestServeMemoryLimitLeavesRoom(t *testing.T) {
	const mib = 1 << 20
	for _, c := range []struct{ live, want int64 }{
		{0, 192 * mib},
		{40 * mib, 232 * mib},
		{384 * mib, 576 * mib},
		{2048 * mib, 3072 * mib},
	} {
		if got := serveMemoryLimit(c.live); got != c.want {
			t.Errorf("serveMemoryLimit(%d MiB) = %d MiB, want %d MiB", c.live/mib, got/mib, c.want/mib)
		}
	}
}
