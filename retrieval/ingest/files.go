package ingest

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"sort"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/briefbot/briefbot/retrieval"
)

// Input is a file to ingest, or one that was passed over and why.
type Input struct {
	Path string
	// ID is the id the file's article takes (and the prefix of the ids of
	// its records that carry none): the path relative to the directory
	// named on the command line, with "/" separators, or the base name of
	// a file named directly. "" means the base name.
	ID string
	// Warn, when set, is told of what in the file was read other than as
	// written but did not stop it being read: front matter that is not
	// valid YAML (the file is read as plain text), text that is not UTF-8
	// and declares no charset (read as windows-1252).
	Warn func(msg string)
	// Skip is set when the file will not be read (unsupported type, not a
	// regular file, unreadable, a file name that is not UTF-8).
	Skip error
	// Progress, when set, is told how many bytes of the file have been
	// read so far, after every read (a progress bar over a large JSONL
	// file). It is called on the goroutine that calls ReadInput.
	Progress func(read int64)
	// Collection labels every article read from the file ("" none).
	Collection string
}

// Collect expands paths (files and directories, walked recursively in name
// order, hidden entries skipped) into the files to ingest, each with its ID.
// Every other file met is returned with its reason to skip (files of
// unsupported types included), so that a report can account for every
// input. Nothing is opened: FIFOs, devices and sockets are reported as
// skipped, and symbolic links to directories inside a walked directory are
// not followed, so a link loop cannot hang the walk.
func Collect(paths []string) []Input {
	var out []Input
	for _, p := range paths {
		info, err := os.Stat(p)
		if err != nil {
			out = append(out, Input{Path: p, Skip: skip(ReasonUnreadable, errText(err))})
			continue
		}
		if !info.IsDir() {
			in := Input{Path: p, ID: filepath.Base(p)}
			switch {
			case !info.Mode().IsRegular():
				in.Skip = skip(ReasonNotRegular, fileKind(info.Mode()))
			case !Supported(p):
				in.Skip = skip(ReasonUnsupported, filepath.Ext(p))
			case !utf8.ValidString(filepath.Base(p)):
				in.Skip = skip(ReasonBadName, "")
			}
			out = append(out, in)
			continue
		}
		root := p
		if li, err := os.Lstat(p); err == nil && li.Mode()&fs.ModeSymlink != 0 {
			// WalkDir does not follow a root that is a link; a trailing
			// separator makes the system resolve it.
			root = p + string(filepath.Separator)
		}
		var files []Input
		err = filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
			if err != nil {
				files = append(files, Input{Path: path, Skip: skip(ReasonUnreadable, errText(err))})
				if d != nil && d.IsDir() {
					return filepath.SkipDir
				}
				return nil
			}
			name := d.Name()
			if path != root && strings.HasPrefix(name, ".") {
				if d.IsDir() {
					return filepath.SkipDir
				}
				return nil
			}
			if d.IsDir() {
				return nil
			}
			in, ok := walkedFile(path, d)
			if !ok {
				return nil
			}
			if rel, err := filepath.Rel(root, path); err == nil {
				in.ID = filepath.ToSlash(rel)
			}
			if in.Skip == nil && !Supported(name) {
				in.Skip = skip(ReasonUnsupported, filepath.Ext(name))
			}
			files = append(files, in)
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

// walkedFile decides what to do with a supported name met in a walk: a
// regular file (or a link to one) is read, a link to a directory is not
// followed, anything else is reported.
func walkedFile(path string, d fs.DirEntry) (Input, bool) {
	in := Input{Path: path}
	if !utf8.ValidString(d.Name()) {
		in.Skip = skip(ReasonBadName, "")
		return in, true
	}
	mode := d.Type()
	if mode&fs.ModeSymlink != 0 {
		info, err := os.Stat(path)
		if err != nil {
			in.Skip = skip(ReasonUnreadable, errText(err))
			return in, true
		}
		if info.IsDir() {
			return in, false
		}
		mode = info.Mode()
	}
	if !mode.IsRegular() {
		in.Skip = skip(ReasonNotRegular, fileKind(mode))
	}
	return in, true
}

// fileKind names what a non-regular file is, for a skip report.
func fileKind(m fs.FileMode) string {
	switch {
	case m&fs.ModeNamedPipe != 0:
		return "named pipe"
	case m&fs.ModeSocket != 0:
		return "socket"
	case m&fs.ModeCharDevice != 0:
		return "character device"
	case m&fs.ModeDevice != 0:
		return "device"
	case m&fs.ModeSymlink != 0:
		return "symbolic link"
	case m.IsDir():
		return "directory"
	}
	return "irregular file"
}

func errText(err error) string {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err.Error()
	}
	return err.Error()
}

// DisplayPath is how a report shows a file name: as is when it is plain
// printable text, quoted (Go syntax) when it holds a newline, another
// control character or bytes that are not UTF-8, so a name can never split
// or forge a report line.
func DisplayPath(p string) string {
	if !utf8.ValidString(p) || strings.ContainsFunc(p, func(r rune) bool { return !unicode.IsPrint(r) && r != ' ' }) {
		return strconv.Quote(p)
	}
	return p
}

// ReadFile parses the file at path and calls emit for each article in it.
// Skipped records of a JSON file are returned; an error means the whole file
// was skipped (a *SkipError says why), ctx was cancelled, or emit failed.
//
// Only regular files are opened; the read is bounded (MaxTextBytes,
// MaxRecordsBytes) and stops when ctx is cancelled. A panic while parsing
// the file is recovered and reported as a skip with ReasonInternal.
func ReadFile(ctx context.Context, path string, emit func(retrieval.Article) error) (bad []RecordError, err error) {
	return ReadInput(ctx, Input{Path: path}, emit)
}

// ReadInput is [ReadFile] for an input of [Collect]: the article takes
// in.ID (the base name when it is empty).
func ReadInput(ctx context.Context, in Input, emit func(retrieval.Article) error) (bad []RecordError, err error) {
	path := in.Path
	id := in.ID
	if id == "" {
		id = filepath.Base(path)
	}
	if in.Collection == "" {
		in.Collection = collectionFrom(ctx)
	}
	if in.Collection != "" {
		label := emit
		emit = func(a retrieval.Article) error {
			a.Collection = in.Collection
			return label(a)
		}
	}
	defer func() {
		if r := recover(); r != nil {
			bad, err = nil, skip(ReasonInternal, panicDetail(r))
		}
	}()
	if !utf8.ValidString(filepath.Base(path)) {
		return nil, skip(ReasonBadName, "")
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	info, err := os.Stat(path)
	if err != nil {
		return nil, skip(ReasonUnreadable, errText(err))
	}
	if info.IsDir() {
		return nil, skip(ReasonUnreadable, "is a directory")
	}
	if !info.Mode().IsRegular() {
		return nil, skip(ReasonNotRegular, fileKind(info.Mode()))
	}
	// Non-blocking, so that a file swapped for a FIFO after the Stat above
	// cannot block the open; the mode of what was opened is checked again.
	f, err := os.OpenFile(path, os.O_RDONLY|openNonBlock, 0)
	if err != nil {
		return nil, skip(ReasonUnreadable, errText(err))
	}
	defer f.Close()
	info, err = f.Stat()
	if err != nil {
		return nil, skip(ReasonUnreadable, errText(err))
	}
	if !info.Mode().IsRegular() {
		return nil, skip(ReasonNotRegular, fileKind(info.Mode()))
	}
	limit := int64(MaxTextBytes)
	if IsRecords(path) {
		limit = MaxRecordsBytes
	}
	if info.Size() > limit {
		return nil, skip(ReasonTooLarge, fmt.Sprintf("%d bytes, limit %d", info.Size(), limit))
	}
	r := &boundedReader{ctx: ctx, r: f, left: limit, limit: limit, progress: in.Progress}
	if isFeedFile(path, f) { // feeds.go: RSS, Atom, JSON Feed
		return readFeed(ctx, in, id, r, emit)
	}
	if IsRecords(path) {
		return parseRecords(ctx, path, id, r, emit)
	}
	data, err := io.ReadAll(r)
	if err != nil {
		return nil, readFailure(err)
	}
	a, warnings, err := parseDocument(path, id, data)
	if err != nil {
		return nil, err
	}
	if in.Warn != nil {
		for _, w := range warnings {
			in.Warn(w)
		}
	}
	return nil, emit(a)
}

// panicDetail describes a recovered panic without quoting the input: the
// message of a runtime error, else only the type of the value.
func panicDetail(r any) string {
	if re, ok := r.(runtime.Error); ok {
		return "panic: " + re.Error()
	}
	return fmt.Sprintf("panic (%T)", r)
}

// boundedReader stops at limit bytes (a file that grew past its cap while
// being read is too large) and when ctx is cancelled.
type boundedReader struct {
	ctx      context.Context
	r        io.Reader
	left     int64
	limit    int64
	progress func(read int64)
}

func (b *boundedReader) Read(p []byte) (int, error) {
	if err := b.ctx.Err(); err != nil {
		return 0, err
	}
	if b.left <= 0 {
		var one [1]byte
		if n, err := b.r.Read(one[:]); n > 0 {
			return 0, skip(ReasonTooLarge, fmt.Sprintf("grew past the limit of %d bytes while read", b.limit))
		} else if err != nil {
			return 0, err
		}
		return 0, io.EOF
	}
	if int64(len(p)) > b.left {
		p = p[:b.left]
	}
	n, err := b.r.Read(p)
	b.left -= int64(n)
	if b.progress != nil && n > 0 {
		b.progress(b.limit - b.left)
	}
	return n, err
}

// readFailure classifies an error met while reading: cancellation and skips
// pass through, anything else makes the file unreadable.
func readFailure(err error) error {
	var se *SkipError
	if errors.As(err, &se) || errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return err
	}
	return skip(ReasonUnreadable, errText(err))
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

// Claims records which input of a batch gave each article id, so that two
// inputs claiming one id are reported instead of one silently replacing the
// other. The zero value is ready to use; it is not safe for concurrent use.
type Claims struct {
	by map[string]string
}

// Claim claims id for the input at path. When another input already
// claimed it (records of one file repeating an id are left to the store, as
// before), Claim returns a *SkipError with ReasonDuplicateID naming that
// input, and the id stays with the first.
func (c *Claims) Claim(id, path string) error {
	if c.by == nil {
		c.by = make(map[string]string)
	}
	if first, ok := c.by[id]; ok && first != path {
		return skip(ReasonDuplicateID, DisplayPath(first))
	}
	c.by[id] = path
	return nil
}
