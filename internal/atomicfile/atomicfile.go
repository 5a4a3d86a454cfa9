// Package atomicfile replaces small files whole, so that a crash leaves
// the old content or the new, never a torn file.
package atomicfile

import (
	"os"
	"path/filepath"
)

// Write replaces path with data: written to a temporary file in
// the same directory, synced, then renamed over path (and the directory
// synced, best effort), so that a crash leaves the old file or the new
// one, never a torn one. The bot's state files that are rewritten whole go
// through it: channel settings, the compactions of the conversation and
// delivery logs, digest subscriptions and ledger. (The store's snapshot
// and index have their own, store.WriteFile, which also recognises and
// removes the temporary files an interrupted write left.)
func Write(path string, data []byte) error {
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+"-*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name()) // after the rename: nothing to remove
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return err
	}
	if dir, err := os.Open(filepath.Dir(path)); err == nil {
		_ = dir.Sync() // best effort: not every file system syncs directories
		dir.Close()
	}
	return nil
}
