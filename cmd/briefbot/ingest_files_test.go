//go:build unix

package main

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
)

// Hostile files in a folder: each is reported on one line and the batch is
// saved.
func TestIngestReportsHostileFilesAndCompletes(t *testing.T) {
	src := t.TempDir()
	write := func(name, body string) {
		t.Helper()
		if err := os.WriteFile(filepath.Join(src, name), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("good.txt", "Bridge reopens\nThe harbour bridge reopened to traffic on Monday after repairs.\n")
	write("date.md", "---\ntitle: Council vote\ndate: 0  0000 11111,0000111111\nurl: javascript:alert(1)\n---\nThe council voted to expand the tram network.\n")
	write("new\nskipped   forged.txt", "The name of this file tries to forge a report line.\n")
	write("records.jsonl", `{"id":"r1","text":"Dock workers began a strike.","published":"0  0000 11111,0000111111"}`+"\n"+
		"{\"id\":\"r2\",\"text\":\"caf\xe9\"}\n")
	if err := syscall.Mkfifo(filepath.Join(src, "pipe.txt"), 0o644); err != nil {
		t.Skipf("mkfifo: %v", err)
	}
	data := t.TempDir()
	code, out, errOut := runCLI(t, map[string]string{}, "ingest", "--data", data, src)
	if code != 0 {
		t.Fatalf("exit %d: %s %s", code, out, errOut)
	}
	for _, want := range []string{
		"added     " + filepath.Join(src, "good.txt"),
		"added     " + filepath.Join(src, "date.md"),
		"added     " + strconv.Quote(filepath.Join(src, "new\nskipped   forged.txt")),
		"skipped   " + filepath.Join(src, "pipe.txt") + ": not a regular file",
		"1 added, 0 updated, 0 unchanged, 1 records skipped",
		"record 2: not UTF-8",
		"4 added, 0 updated, 0 unchanged, 1 skipped",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("ingest output lacks %q:\n%s", want, out)
		}
	}
	for _, line := range strings.Split(out, "\n") {
		if strings.HasPrefix(line, "skipped   forged") {
			t.Errorf("a file name split a report line: %q", line)
		}
	}
	_, out, _ = runCLI(t, map[string]string{}, "sources", "--data", data, "--json")
	if strings.Contains(out, "javascript:") {
		t.Errorf("a javascript: URL was stored:\n%s", out)
	}
}
