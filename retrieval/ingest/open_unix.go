//go:build unix

package ingest

import "syscall"

// openNonBlock keeps open(2) of a FIFO from blocking until a writer comes.
const openNonBlock = syscall.O_NONBLOCK
