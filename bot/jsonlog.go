package bot

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"slices"

	"github.com/briefbot/briefbot/internal/atomicfile"
)

// jsonLines is an append-only file of JSON lines, the one append log under
// the deduper's, the conversations' and the answer records' files: an
// append writes one line and fsyncs it before it returns; a rewrite
// (compaction) replaces the whole file atomically (temp, fsync, rename,
// directory fsync) and reopens it for appending. Each owner decides what a
// line holds, when to compact, and how strictly to read (see
// readJSONLines). The owner serialises calls.
type jsonLines struct {
	path  string
	f     *os.File // open for appending; nil before the first rewrite or after a failed one
	lines int      // lines in the file: those of the last rewrite and those appended since
}

// append writes v as one line, synced before it returns. When the file is
// not open (a rewrite failed) it is opened for appending: appending may
// still work where a rewrite does not.
func (l *jsonLines) append(v any) error {
	line, err := json.Marshal(v)
	if err != nil {
		return err
	}
	if l.f == nil {
		f, err := os.OpenFile(l.path, os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o644)
		if err != nil {
			return err
		}
		l.f = f
	}
	if _, err := l.f.Write(append(line, '\n')); err != nil {
		return err
	}
	l.lines++
	return l.f.Sync()
}

// rewrite replaces the file with one line per value of vs, atomically, and
// reopens it for appending.
func (l *jsonLines) rewrite(vs []any) error {
	var buf bytes.Buffer
	for _, v := range vs {
		line, err := json.Marshal(v)
		if err != nil {
			return err
		}
		buf.Write(line)
		buf.WriteByte('\n')
	}
	if err := atomicfile.Write(l.path, buf.Bytes()); err != nil {
		return err
	}
	if l.f != nil {
		_ = l.f.Close() // the replaced file: nothing more goes there
		l.f = nil
	}
	f, err := os.OpenFile(l.path, os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return err
	}
	l.f, l.lines = f, len(vs)
	return nil
}

// grown reports whether the file holds more than twice live lines and at
// least least lines: below that, rewriting costs more than it drops.
func (l *jsonLines) grown(live, least int) bool {
	return l.lines >= least && l.lines > 2*live
}

// close closes the file; appending after close reopens it.
func (l *jsonLines) close() error {
	if l.f == nil {
		return nil
	}
	err := l.f.Close()
	l.f = nil
	return err
}

// readJSONLines calls fn with each non-blank line of path, its number
// (from 1) and whether it is the file's last line (where a crash
// mid-append leaves a torn line). A missing file is no line; an error of
// fn stops the reading and is returned.
func readJSONLines(path string, fn func(n int, line []byte, last bool) error) error {
	data, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err != nil {
		return err
	}
	for n := 1; len(data) > 0; n++ {
		line, rest, complete := bytes.Cut(data, []byte{'\n'})
		data = rest
		if len(bytes.TrimSpace(line)) == 0 {
			continue
		}
		if err := fn(n, line, !complete || len(bytes.TrimSpace(rest)) == 0); err != nil {
			return err
		}
	}
	return nil
}

// keyedLog persists a map in a jsonLines file, one line a change:
// {"k":KEY,"v":VALUE} sets KEY (the last line for a key wins). A change
// costs one appended, fsynced line instead of rewriting the file; the file
// is compacted (rewritten with the live values) at open and by its owner
// when it has grown. A torn last line (a crash mid-append) is ignored with
// a warning; a damaged line elsewhere is an error, so that a damaged file
// is never silently emptied. The owner serialises calls.
type keyedLog struct {
	jsonLines
	log *slog.Logger
}

// logLine is one line of a keyedLog.
type logLine struct {
	K string          `json:"k"`
	V json.RawMessage `json:"v"`
}

// minCompactLines is the smallest keyedLog file compacted when it has
// grown: below it, rewriting costs more than the lines it drops.
const minCompactLines = 64

// errTornTail stops reading at a torn last line.
var errTornTail = errors.New("torn last line")

// readKeyedLog reads the values in path, the last line for a key winning
// (nil map and no error when the file does not exist).
func readKeyedLog(path string, log *slog.Logger) (map[string]json.RawMessage, error) {
	if _, err := os.Stat(path); errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	m := map[string]json.RawMessage{}
	err := readJSONLines(path, func(n int, line []byte, last bool) error {
		var l logLine
		if err := json.Unmarshal(line, &l); err != nil || l.K == "" || len(l.V) == 0 {
			if last {
				log.Warn("ignoring a torn last line (a crash while writing it?)", "file", path, "line", n)
				return errTornTail
			}
			if err == nil {
				err = errors.New("no key or value")
			}
			return fmt.Errorf("%s is damaged at line %d (%v); move it away to start afresh", path, n, err)
		}
		m[l.K] = l.V
		return nil
	})
	if err != nil && !errors.Is(err, errTornTail) {
		return nil, err
	}
	return m, nil
}

// openKeyedLog compacts path to live (writing it atomically) and opens it
// for appending.
func openKeyedLog(path string, log *slog.Logger, live map[string]json.RawMessage) (*keyedLog, error) {
	l := &keyedLog{jsonLines: jsonLines{path: path}, log: log}
	if err := l.compact(live); err != nil {
		return nil, err
	}
	return l, nil
}

// set appends a line setting key to v.
func (l *keyedLog) set(key string, v any) error {
	raw, err := json.Marshal(v)
	if err != nil {
		return err
	}
	return l.jsonLines.append(logLine{K: key, V: raw})
}

// grown reports whether the file holds more than twice the live lines
// (and enough lines to be worth compacting).
func (l *keyedLog) grown(live int) bool { return l.jsonLines.grown(live, minCompactLines) }

// compact rewrites the file with one line per live value, in key order (a
// compacted file is stable).
func (l *keyedLog) compact(live map[string]json.RawMessage) error {
	lines := make([]any, 0, len(live))
	for _, k := range sortedKeys(live) {
		lines = append(lines, logLine{K: k, V: live[k]})
	}
	return l.rewrite(lines)
}

// sortedKeys returns m's keys in order.
func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}
