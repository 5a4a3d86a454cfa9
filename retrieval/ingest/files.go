package ingest

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/briefbot/briefbot/retrieval"
)

// Input is a file to ingest, or one that was passed over and why.
type Input struct {
	Path string
	// Skip is set when the file will not be read (unsupported type, unreadable).
	Skip error
}

// Collect expands paths (files and directories, walked recursively in name
// order, hidden entries skipped) into the files to ingest. Files of other
// types inside directories are skipped silently; named explicitly, they are
// reported.
func Collect(paths []string) []Input {
	var out []Input
	for _, p := range paths {
		info, err := os.Stat(p)
		if err != nil {
			out = append(out, Input{Path: p, Skip: skip(ReasonUnreadable, errText(err))})
			continue
		}
		if !info.IsDir() {
			in := Input{Path: p}
			if !Supported(p) {
				in.Skip = skip(ReasonUnsupported, filepath.Ext(p))
			}
			out = append(out, in)
			continue
		}
		var files []Input
		err = filepath.WalkDir(p, func(path string, d fs.DirEntry, err error) error {
			if err != nil {
				files = append(files, Input{Path: path, Skip: skip(ReasonUnreadable, errText(err))})
				if d != nil && d.IsDir() {
					return filepath.SkipDir
				}
				return nil
			}
			name := d.Name()
			if path != p && strings.HasPrefix(name, ".") {
				if d.IsDir() {
					return filepath.SkipDir
				}
				return nil
			}
			if d.IsDir() || !Supported(name) {
				return nil
			}
			files = append(files, Input{Path: path})
			return nil
		})
		if err != nil {
			files = append(files, Input{Path: p, Skip: skip(ReasonUnreadable, errText(err))})
		}
		sort.Slice(files, func(i, j int) bool { return files[i].Path < files[j].Path })
		out = append(out, files...)
	}
	return out
}

func errText(err error) string {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err.Error()
	}
	return err.Error()
}

// ReadFile parses the file at path and calls emit for each article in it.
// Skipped records of a JSON file are returned; an error means the whole file
// was skipped (a *SkipError says why) or emit failed.
func ReadFile(path string, emit func(retrieval.Article) error) ([]RecordError, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, skip(ReasonUnreadable, errText(err))
	}
	defer f.Close()
	info, err := f.Stat()
	if err != nil {
		return nil, skip(ReasonUnreadable, errText(err))
	}
	if info.IsDir() {
		return nil, skip(ReasonUnreadable, "is a directory")
	}
	if IsRecords(path) {
		if info.Size() > MaxRecordsBytes {
			return nil, skip(ReasonTooLarge, fmt.Sprintf("%d bytes, limit %d", info.Size(), int64(MaxRecordsBytes)))
		}
		return ParseRecords(path, f, emit)
	}
	if info.Size() > MaxTextBytes {
		return nil, skip(ReasonTooLarge, fmt.Sprintf("%d bytes, limit %d", info.Size(), MaxTextBytes))
	}
	data, err := io.ReadAll(io.LimitReader(f, MaxTextBytes+1))
	if err != nil {
		return nil, skip(ReasonUnreadable, errText(err))
	}
	a, err := ParseDocument(path, data)
	if err != nil {
		return nil, err
	}
	return nil, emit(a)
}

// ReadFS parses every supported file at the root of fsys (the embedded
// seeds), in name order.
func ReadFS(fsys fs.FS, emit func(retrieval.Article) error) error {
	entries, err := fs.ReadDir(fsys, ".")
	if err != nil {
		return fmt.Errorf("ingest: read seeds: %w", err)
	}
	for _, e := range entries {
		if e.IsDir() || !Supported(e.Name()) || IsRecords(e.Name()) {
			continue
		}
		data, err := fs.ReadFile(fsys, e.Name())
		if err != nil {
			return fmt.Errorf("ingest: read %s: %w", e.Name(), err)
		}
		a, err := ParseDocument(e.Name(), data)
		if err != nil {
			return fmt.Errorf("ingest: %s: %w", e.Name(), err)
		}
		if err := emit(a); err != nil {
			return err
		}
	}
	return nil
}
