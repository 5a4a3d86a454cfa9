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

// keyedLog persists a map as an append-only file of JSON lines, one a
// change: {"k":KEY,"v":VALUE} sets KEY (the last line for a key wins). A
// change costs one appended, fsynced line instead of rewriting the file;
// the file is compacted (rewritten atomically with the live values) at
// open and by its owner when it has grown (see grown). A torn last line (a
// crash mid-append) is ignored with a warning; a damaged line elsewhere is
// an error, so that a damaged file is never silently emptied. The owner
// serialises calls.
type keyedLog struct {
	path  string
	log   *slog.Logger
	f     *os.File // open for appending
	lines int      // lines in the file
}

// logLine is one line of a keyedLog.
type logLine struct {
	K string          `json:"k"`
	V json.RawMessage `json:"v"`
}

// minCompactLines is the smallest file compacted when it has grown: below
// it, rewriting costs more than the lines it drops.
const minCompactLines = 64

// readKeyedLog reads the values in path, the last line for a key winning
// (nil map and no error when the file does not exist).
func readKeyedLog(path string, log *slog.Logger) (map[string]json.RawMessage, error) {
	data, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	m := map[string]json.RawMessage{}
	for n := 1; len(data) > 0; n++ {
		line, rest, complete := bytes.Cut(data, []byte{'\n'})
		data = rest
		if len(bytes.TrimSpace(line)) == 0 {
			continue
		}
		var l logLine
		if err := json.Unmarshal(line, &l); err != nil || l.K == "" || len(l.V) == 0 {
			if !complete || len(bytes.TrimSpace(rest)) == 0 {
				log.Warn("ignoring a torn last line (a crash while writing it?)", "file", path, "line", n)
				break
			}
			if err == nil {
				err = errors.New("no key or value")
			}
			return nil, fmt.Errorf("%s is damaged at line %d (%v); move it away to start afresh", path, n, err)
		}
		m[l.K] = l.V
	}
	return m, nil
}

// openKeyedLog compacts path to live (writing it atomically) and opens it
// for appending.
func openKeyedLog(path string, log *slog.Logger, live map[string]json.RawMessage) (*keyedLog, error) {
	l := &keyedLog{path: path, log: log}
	if err := l.compact(live); err != nil {
		return nil, err
	}
	return l, nil
}

// append adds a line setting key to v, synced before it returns.
func (l *keyedLog) append(key string, v any) error {
	raw, err := json.Marshal(v)
	if err != nil {
		return err
	}
	line, err := json.Marshal(logLine{K: key, V: raw})
	if err != nil {
		return err
	}
	if _, err := l.f.Write(append(line, '\n')); err != nil {
		return err
	}
	l.lines++
	return l.f.Sync()
}

// grown reports whether the file holds more than twice the live lines
// (and enough lines to be worth compacting).
func (l *keyedLog) grown(live int) bool {
	return l.lines >= minCompactLines && l.lines > 2*live
}

// compact rewrites the file with one line per live value, atomically, and
// reopens it for appending.
func (l *keyedLog) compact(live map[string]json.RawMessage) error {
	var buf bytes.Buffer
	for _, k := range sortedKeys(live) {
		line, err := json.Marshal(logLine{K: k, V: live[k]})
		if err != nil {
			return err
		}
		buf.Write(line)
		buf.WriteByte('\n')
	}
	if err := atomicfile.Write(l.path, buf.Bytes()); err != nil {
		return err
	}
	f, err := os.OpenFile(l.path, os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		return err
	}
	if l.f != nil {
		l.f.Close()
	}
	l.f, l.lines = f, len(live)
	return nil
}

// close closes the file.
func (l *keyedLog) close() error {
	if l.f == nil {
		return nil
	}
	err := l.f.Close()
	l.f = nil
	return err
}

// sortedKeys returns m's keys in order: a compacted file is stable.
func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}
