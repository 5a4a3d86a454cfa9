package main

import (
	"bytes"
	"compress/gzip"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func gunzip(t *testing.T, path string) string {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	zr, err := gzip.NewReader(f)
	if err != nil {
		t.Fatal(err)
	}
	b, err := io.ReadAll(zr)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func TestRunMini(t *testing.T) {
	out := filepath.Join(t.TempDir(), "wn.txt.gz")
	if _, err := run("testdata/mini", out, options{}); err != nil {
		t.Fatal(err)
	}
	got := gunzip(t, out)
	for _, line := range []string{
		// The hypernym of the first noun sense (the derivation, home the
		// verb, is home itself and left out).
		"home abode residence\n",
		"residence abode\n",
		// cease-fire is joined as news writes it; re-creation is not.
		"ceasefire truce\n",
		"truce ceasefire\n",
		// An irregular form and a participle point to their base.
		"went =go\n",
		"agreed =agree settled\n",
		"agree concur\n",
	} {
		if !strings.Contains(got, line) {
			t.Errorf("table lacks %q:\n%s", line, got)
		}
	}
	if strings.Contains(got, "recreation") {
		t.Errorf("table joins re-creation:\n%s", got)
	}
}

func TestRunIsDeterministic(t *testing.T) {
	tmp := t.TempDir()
	var outs [][]byte
	for _, name := range []string{"a.gz", "b.gz", "c.gz"} {
		out := filepath.Join(tmp, name)
		if _, err := run("testdata/mini", out, options{}); err != nil {
			t.Fatal(err)
		}
		b, err := os.ReadFile(out)
		if err != nil {
			t.Fatal(err)
		}
		outs = append(outs, b)
	}
	if !bytes.Equal(outs[0], outs[1]) || !bytes.Equal(outs[0], outs[2]) {
		t.Error("runs of the generator on the same WordNet wrote different bytes")
	}
}

func TestRunWithout(t *testing.T) {
	out := filepath.Join(t.TempDir(), "wn.txt.gz")
	if _, err := run("testdata/mini", out, options{without: map[string]bool{"hypernym": true, "synonym": true}}); err != nil {
		t.Fatal(err)
	}
	got := gunzip(t, out)
	for _, gone := range []string{"home abode residence", "truce ceasefire", "agree concur"} {
		if strings.Contains(got, gone) {
			t.Errorf("table without hypernyms and synonyms holds %q:\n%s", gone, got)
		}
	}
}

func TestRunRejectsMalformedData(t *testing.T) {
	dir := t.TempDir()
	files, err := os.ReadDir("testdata/mini")
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range files {
		b, err := os.ReadFile(filepath.Join("testdata/mini", f.Name()))
		if err != nil {
			t.Fatal(err)
		}
		if f.Name() == "data.noun" {
			b = append(b, "00000099 15 n 0z home 0 000 | broken word count\n"...)
		}
		if err := os.WriteFile(filepath.Join(dir, f.Name()), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := run(dir, filepath.Join(dir, "out.gz"), options{}); err == nil || !strings.Contains(err.Error(), "data.noun") {
		t.Errorf("run = %v, want an error naming data.noun", err)
	}
	if _, err := run(filepath.Join(dir, "missing"), filepath.Join(dir, "out.gz"), options{}); err == nil {
		t.Error("run on a missing directory succeeded")
	}
}

// TestEmbeddedTableIsCurrent regenerates the table from the installed
// WordNet (Debian's wordnet-base) and checks that it is byte for byte the
// one the lexicon embeds, written by an earlier run: the generator is
// deterministic (no map order or time leaks into its output) and nobody
// edited the table by hand.
func TestEmbeddedTableIsCurrent(t *testing.T) {
	const dir = "/usr/share/wordnet"
	if _, err := os.Stat(filepath.Join(dir, "data.noun")); err != nil {
		t.Skip("WordNet is not installed (apt-get install wordnet-base)")
	}
	if testing.Short() || raceEnabled {
		t.Skip("reads all of WordNet")
	}
	a := filepath.Join(t.TempDir(), "a.gz")
	if _, err := run(dir, a, options{}); err != nil {
		t.Fatal(err)
	}
	ab, err := os.ReadFile(a)
	if err != nil {
		t.Fatal(err)
	}
	embedded, err := os.ReadFile("../../wordnet.txt.gz")
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(ab, embedded) {
		t.Error("wordnet.txt.gz is not what the generator writes: run go generate ./retrieval/text/lexicon")
	}
}
