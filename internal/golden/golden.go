// Package golden compares test output with files under testdata/, and
// rewrites them when the tests run with -update: the one golden-file helper
// of the packages' tests.
package golden

import (
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"testing"
)

var update = flag.Bool("update", false, "rewrite testdata/*.golden from the current output")

// Text compares got with testdata/name.golden, or rewrites the file under
// -update.
func Text(t testing.TB, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name+".golden")
	if *update {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s differs from the golden file (go test -update rewrites it):\n--- got\n%s\n--- want\n%s", path, got, want)
	}
}

// JSON compares v, encoded as `briefbot ask --json` and the adapters'
// payloads are (indented two spaces, HTML characters unescaped), with
// testdata/name.golden.
func JSON(t testing.TB, name string, v any) {
	t.Helper()
	Text(t, name, Encode(t, v))
}

// Encode is v as JSON, indented two spaces with HTML characters unescaped
// and a final newline.
func Encode(t testing.TB, v any) []byte {
	t.Helper()
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(v); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// Contract pins both encodings of a JSON contract in testdata/name.golden:
// as JSON (indented, HTML characters unescaped, as the CLI and the API
// write it), then as json.Marshal writes it (compact, HTML characters
// escaped), each ending with a newline.
func Contract(t testing.TB, name string, v any) {
	t.Helper()
	compact, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	Text(t, name, append(append(Encode(t, v), compact...), '\n'))
}
