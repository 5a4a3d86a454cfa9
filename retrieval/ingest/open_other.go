//go:build !unix

package ingest

// openNonBlock is not needed where there are no FIFOs to block on.
const openNonBlock = 0
