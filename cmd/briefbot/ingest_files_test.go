//go:build unix

package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"testing"

	"github.com/briefbot/briefbot/retrieval/ingest"
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

// setIngestTuning shrinks the ingest pipeline's groups for a test.
func setIngestTuning(t *testing.T, group int, stream int64) {
	t.Helper()
	g, s := ingestGroupArticles, streamAbove
	ingestGroupArticles, streamAbove = group, stream
	t.Cleanup(func() {
		ingestGroupArticles, streamAbove = g, s
		afterGroup, heldArticles = nil, nil
	})
}

// reportLines is the per-file part of ingest's output (the summary line,
// which carries a timing, left out).
func reportLines(out string) []string {
	lines := strings.Split(strings.TrimRight(out, "\n"), "\n")
	return lines[:len(lines)-1]
}

// A folder whose files span several groups is reported file by file in
// the walk's order, whatever the grouping, duplicate-id claims included.
func TestIngestFolderReportsInInputOrderAcrossGroups(t *testing.T) {
	src := t.TempDir()
	for i := range 23 {
		writeFile(t, filepath.Join(src, fmt.Sprintf("day%02d.txt", i)), fmt.Sprintf("Ferry timetable %d\nThe ferry to the island ran %d crossings on Monday.\n", i, i+1))
	}
	writeFile(t, filepath.Join(src, "a/story.txt"), "Bridge works\nThe bridge closed for repairs on Tuesday.\n")
	writeFile(t, filepath.Join(src, "b/story.txt"), "Bridge reopens\nThe bridge reopened to traffic on Friday.\n")
	writeFile(t, filepath.Join(src, "m1.jsonl"), `{"id":"wire-1","text":"The port authority raised fees."}`+"\n"+`{"id":"wire-2","text":"Dock workers voted to strike."}`+"\n")
	writeFile(t, filepath.Join(src, "m2.jsonl"), `{"id":"wire-2","text":"A second copy of the strike story."}`+"\n"+`{"id":"wire-3","text":"The strike ended on Sunday."}`+"\n")
	writeFile(t, filepath.Join(src, "scan.pdf"), "%PDF-1.4")
	var want []string
	for _, in := range ingest.Collect([]string{src}) {
		want = append(want, in.Path)
	}
	var outputs []string
	for _, group := range []int{1000, 4, 1} {
		setIngestTuning(t, group, 4<<20)
		data := t.TempDir()
		code, out, errOut := runCLI(t, map[string]string{}, "ingest", "--data", data, src)
		if code != 0 {
			t.Fatalf("group %d: exit %d: %s %s", group, code, out, errOut)
		}
		lines := reportLines(out)
		outputs = append(outputs, strings.Join(lines, "\n"))
		// Each file's line, in the walk's order (continuation lines, which
		// start with spaces, belong to the file above).
		var got []string
		for _, l := range lines {
			if strings.HasPrefix(l, " ") {
				continue
			}
			f := strings.Fields(l)[1]
			got = append(got, strings.TrimSuffix(f, ":"))
		}
		if strings.Join(got, "\n") != strings.Join(want, "\n") {
			t.Errorf("group %d: files reported in the order\n%s\nwant\n%s", group, strings.Join(got, "\n"), strings.Join(want, "\n"))
		}
		if !strings.Contains(out, "skipped record wire-2: ") || !strings.Contains(out, "m1.jsonl") {
			t.Errorf("group %d: the duplicate claim of wire-2 is not reported:\n%s", group, out)
		}
		if n := len(storedIDs(t, data)); n != 23+2+3 {
			t.Errorf("group %d: %d articles stored, want 28", group, n)
		}
	}
	for i := 1; i < len(outputs); i++ {
		if outputs[i] != outputs[0] {
			t.Errorf("the report depends on the grouping:\n%s\n---\n%s", outputs[0], outputs[i])
		}
	}
}

// Ctrl-C in the middle of a batch: what was stored is saved, the command
// says how far it got and exits 130, and running it again completes it.
func TestIngestInterruptedSavesTheFinishedPartAndARerunCompletes(t *testing.T) {
	src := t.TempDir()
	for i := range 20 {
		writeFile(t, filepath.Join(src, fmt.Sprintf("note%02d.txt", i)), fmt.Sprintf("Council note %d\nThe council approved budget line %d on Wednesday.\n", i, i))
	}
	setIngestTuning(t, 3, 4<<20)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	afterGroup = func(groups int) {
		if groups == 2 {
			cancel() // as the signal handler of main does
		}
	}
	data := t.TempDir()
	var out, errOut strings.Builder
	code := run(ctx, []string{"ingest", "--data", data, src}, &out, &errOut, func(string) string { return "" })
	afterGroup = nil
	if code != 130 {
		t.Fatalf("exit %d after an interrupt, want 130: %s %s", code, out.String(), errOut.String())
	}
	if want := "interrupted: 6 of 20 files (6 articles) saved; run the same command again to continue"; !strings.Contains(errOut.String(), want) {
		t.Errorf("stderr lacks %q:\n%s", want, errOut.String())
	}
	var reported []string
	for _, l := range reportLines(out.String()) {
		f := strings.Fields(l)
		reported = append(reported, strings.Trim(f[len(f)-1], "()"))
	}
	sort.Strings(reported)
	if got := storedIDs(t, data); strings.Join(got, ",") != strings.Join(reported, ",") || len(got) != 6 {
		t.Errorf("saved store holds %v, reported %v; want the 6 of the two finished groups", got, reported)
	}
	code, rerun, errText := runCLI(t, map[string]string{}, "ingest", "--data", data, src)
	if code != 0 {
		t.Fatalf("rerun: exit %d: %s", code, errText)
	}
	if !strings.Contains(rerun, "14 added, 0 updated, 6 unchanged, 0 skipped; store: 20 articles") {
		t.Errorf("rerun did not continue where the interrupted run stopped:\n%s", rerun)
	}
}

// A large JSONL file is streamed into the batch: the command never holds
// more than about two groups of parsed articles, however long the file.
func TestIngestStreamsALargeJSONLInBoundedGroups(t *testing.T) {
	const records, group = 500, 8
	var b strings.Builder
	for i := range records {
		fmt.Fprintf(&b, `{"id":"r%03d","title":"Dispatch %d","text":"The ferry made crossing number %d before the storm closed the harbour."}`+"\n", i, i, i)
	}
	src := filepath.Join(t.TempDir(), "wire.jsonl")
	writeFile(t, src, b.String())
	setIngestTuning(t, group, 0)
	var most int64
	heldArticles = func(n int64) { most = max(most, n) }
	groups := 0
	afterGroup = func(g int) { groups = g }
	data := t.TempDir()
	code, out, errOut := runCLI(t, map[string]string{}, "ingest", "--data", data, src)
	if code != 0 {
		t.Fatalf("exit %d: %s %s", code, out, errOut)
	}
	if most > 2*group+1 || most == 0 {
		t.Errorf("up to %d parsed articles held at once, want at most %d (two groups and the one being read)", most, 2*group+1)
	}
	if groups < records/group {
		t.Errorf("%d groups stored, want at least %d", groups, records/group)
	}
	if !strings.Contains(out, "500 articles: 500 added") || len(storedIDs(t, data)) != records {
		t.Errorf("not every record was stored:\n%s", out)
	}
}
