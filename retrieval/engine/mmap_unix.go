//go:build unix

package engine

import (
	"os"
	"syscall"
)

// mapFile maps the first size bytes of f read-only (shared: the kernel's
// page cache, not the process's heap, holds them).
func mapFile(f *os.File, size int) ([]byte, error) {
	if size == 0 {
		return nil, nil
	}
	return syscall.Mmap(int(f.Fd()), 0, size, syscall.PROT_READ, syscall.MAP_SHARED)
}
