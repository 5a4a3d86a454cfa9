package main

import (
	"os"
	"testing"
)

// FuzzBuild feeds arbitrary noun index and data files, next to the mini
// WordNet's other files, to the generator: it builds a table or returns an
// error, and never panics.
func FuzzBuild(f *testing.F) {
	index, err := os.ReadFile("testdata/mini/index.noun")
	if err != nil {
		f.Fatal(err)
	}
	data, err := os.ReadFile("testdata/mini/data.noun")
	if err != nil {
		f.Fatal(err)
	}
	f.Add(string(index), string(data))
	f.Add("home n 2 0 2 2 00000001 00000077\n", "00000001 15 n 01 home 0 001 @ 00000002 n 0000 | x\n")
	f.Add("home n 1 0 1 1 00000001\n", "00000001 15 n 01 home 0 001 + 00000011 v 09ff | x\n")
	f.Fuzz(func(t *testing.T, index, data string) {
		fsys := miniWith(t, map[string]string{"index.noun": index, "data.noun": data})
		table, _, err := build(fsys, options{})
		if err == nil && len(table) == 0 {
			t.Error("build returned neither a table nor an error")
		}
	})
}
