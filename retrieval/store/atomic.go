package store

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"math/rand/v2"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"syscall"
)

// IndexName is the file beside the snapshot that holds the index derived from
// it (the engine writes it). The store knows its name so that a writer
// removes the temporary files an interrupted index write left, too.
const IndexName = SnapshotName + ".idx"

// tempInfix joins a file's name and the random digits of its temporary
// file: "briefbot.store.tmp-2316571404". It is os.CreateTemp's pattern, so
// that temporary files left by earlier versions are recognised as well.
const tempInfix = ".tmp-"

// atomicNames are the files of the data directory written through a
// temporary file.
var atomicNames = []string{SnapshotName, IndexName}

// createTemp creates a new temporary file for name in dir.
func createTemp(dir, name string) (*os.File, error) {
	for range 1000 {
		p := filepath.Join(dir, name+tempInfix+strconv.FormatUint(uint64(rand.Uint32()), 10))
		f, err := os.OpenFile(p, os.O_RDWR|os.O_CREATE|os.O_EXCL, 0o600)
		if errors.Is(err, fs.ErrExist) {
			continue
		}
		return f, err
	}
	return nil, &fs.PathError{Op: "createtemp", Path: filepath.Join(dir, name+tempInfix+"*"), Err: fs.ErrExist}
}

// isTempName reports whether a file name is one of createTemp's: one of
// atomicNames, tempInfix, and 1 to 10 ASCII digits (a uint32), nothing else.
func isTempName(n string) bool {
	for _, name := range atomicNames {
		digits, ok := strings.CutPrefix(n, name+tempInfix)
		if !ok || len(digits) == 0 || len(digits) > 10 {
			continue
		}
		if strings.Trim(digits, "0123456789") == "" {
			return true
		}
	}
	return false
}

// WriteFile replaces dir/name atomically with what write writes: into a
// temporary file in dir (name.tmp-DIGITS), synced to disk and closed, then
// renamed over name, and the directory synced so that the rename survives a
// power cut too. On failure the temporary file is removed and name is left
// as it was (unless only the directory sync failed: the rename happened).
func WriteFile(dir, name string, write func(io.Writer) error) error {
	tmp, err := createTemp(dir, name)
	if err != nil {
		return err
	}
	tmpName := tmp.Name()
	renamed := false
	defer func() {
		if !renamed {
			tmp.Close()
			os.Remove(tmpName)
		}
	}()
	if err := write(tmp); err != nil {
		return err
	}
	if err := tmp.Sync(); err != nil {
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	if err := os.Rename(tmpName, filepath.Join(dir, name)); err != nil {
		return err
	}
	renamed = true
	return syncDir(dir)
}

// syncDir makes a rename in dir durable. Windows cannot sync a directory
// (and needs not), and some file systems refuse to: both are not errors.
func syncDir(dir string) error {
	if runtime.GOOS == "windows" {
		return nil
	}
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	if err := d.Sync(); err != nil && !errors.Is(err, errors.ErrUnsupported) && !errors.Is(err, syscall.EINVAL) {
		return fmt.Errorf("sync directory %s: %w", dir, err)
	}
	return nil
}

// RemoveOrphans removes the temporary files that an interrupted save left in
// dir (a process killed while writing the snapshot or its index) and returns
// their names. Only regular files named exactly as the store names its
// temporary files (briefbot.store.tmp-DIGITS, briefbot.store.idx.tmp-DIGITS)
// are removed, nothing else. Call it holding the directory's lock (LockDir
// does), so that no save in progress loses its file.
func RemoveOrphans(dir string) ([]string, error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, fmt.Errorf("store: remove temporary files: %w", err)
	}
	var removed []string
	var errs []error
	for _, e := range entries {
		if !isTempName(e.Name()) || !e.Type().IsRegular() {
			continue
		}
		if err := os.Remove(filepath.Join(dir, e.Name())); err != nil {
			if !errors.Is(err, fs.ErrNotExist) {
				errs = append(errs, err)
			}
			continue
		}
		removed = append(removed, e.Name())
	}
	if err := errors.Join(errs...); err != nil {
		return removed, fmt.Errorf("store: remove temporary files: %w", err)
	}
	return removed, nil
}

// Unchanged reports whether the snapshot in dir is still the one a store was
// loaded from or saved to: fingerprint is that store's Fingerprint then, ""
// for no snapshot. It compares the file's size and, when that matches, the
// checksum of its content (read in full: it costs a fraction of the save a
// writer makes after it). A snapshot that cannot be read is an error.
func Unchanged(dir, fingerprint string) (bool, error) {
	f, err := os.Open(Path(dir))
	if errors.Is(err, fs.ErrNotExist) {
		return fingerprint == "", nil
	}
	if err != nil {
		return false, fmt.Errorf("store: read snapshot: %w", err)
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return false, fmt.Errorf("store: read snapshot: %w", err)
	}
	if !fi.Mode().IsRegular() {
		return false, fmt.Errorf("store: snapshot %s is not a regular file", Path(dir))
	}
	if fingerprint == "" {
		return false, nil
	}
	if n, ok := fingerprintSize(fingerprint); ok && n != fi.Size() {
		return false, nil
	}
	sum := newSummer()
	if _, err := io.CopyBuffer(sum, f, make([]byte, 1<<20)); err != nil {
		return false, fmt.Errorf("store: read snapshot %s: %w", Path(dir), err)
	}
	return sum.String() == fingerprint, nil
}

// fingerprintSize is the file size a fingerprint records (see summer.String).
func fingerprintSize(fp string) (int64, bool) {
	parts := strings.Split(fp, "-")
	if len(parts) != 3 {
		return 0, false
	}
	n, err := strconv.ParseInt(parts[1], 10, 64)
	return n, err == nil
}
