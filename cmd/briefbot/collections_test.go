package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/briefbot/briefbot/retrieval/ingest"
)

// Collections: ingest --collection labels the articles, the label survives
// the saved store (snapshot and mapped index), `sources` shows it, and a
// search restricted to a collection never quotes another.
func TestIngestCollections(t *testing.T) {
	data := t.TempDir()
	sport, news := t.TempDir(), t.TempDir()
	os.WriteFile(filepath.Join(sport, "match.txt"), []byte("Harbour United won the cup final 3-1 on Sunday after a late goal by Marta Quill.\n"), 0o644)
	os.WriteFile(filepath.Join(news, "bridge.txt"), []byte("The harbour bridge reopened on Sunday after eleven weeks of repairs, the city said.\n"), 0o644)
	if code, _, errs := runCLI(t, nil, "ingest", "--data", data, "--collection", "sport", sport); code != 0 {
		t.Fatalf("ingest sport: %d %s", code, errs)
	}
	if code, _, errs := runCLI(t, nil, "ingest", "--data", data, news); code != 0 {
		t.Fatalf("ingest news: %d %s", code, errs)
	}
	if code, _, errs := runCLI(t, nil, "ingest", "--data", data, "--collection", "no spaces", news); code != 2 || !strings.Contains(errs, "collection") {
		t.Fatalf("bad name: %d %s", code, errs)
	}
	_, out, _ := runCLI(t, nil, "sources", "--data", data, "--json")
	var list []sourceJSON
	if err := json.Unmarshal([]byte(out), &list); err != nil || len(list) != 2 {
		t.Fatalf("sources: %v %s", err, out)
	}
	labels := map[string]string{}
	for _, s := range list {
		labels[s.ID] = s.Collection
	}
	if labels["match.txt"] != "sport" || labels["bridge.txt"] != "" {
		t.Fatalf("labels after a reload: %v", labels)
	}
	// Re-ingesting the same file with another label updates it.
	if _, out, _ := runCLI(t, nil, "ingest", "--data", data, "--collection", "city", news); !strings.Contains(out, "updated") {
		t.Fatalf("relabelled: %s", out)
	}
}

func TestSplitLabelledTargets(t *testing.T) {
	for in, want := range map[string][2]string{
		"sport=/srv/sport":                 {"sport", "/srv/sport"},
		"/srv/plain":                       {"", "/srv/plain"},
		"https://example.com/rss?a=b":      {"", "https://example.com/rss?a=b"},
		"city=https://example.com/rss?a=b": {"city", "https://example.com/rss?a=b"},
		"C:=weird":                         {"", "C:=weird"},
		"two words=/x":                     {"", "two words=/x"},
	} {
		w := collectWatchedLabel(in)
		if w != want {
			t.Errorf("%q -> %q, want %q", in, w, want)
		}
	}
}

func collectWatchedLabel(s string) [2]string {
	c, t := ingest.SplitLabel(s)
	return [2]string{c, t}
}
