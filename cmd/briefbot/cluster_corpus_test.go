package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/briefbot/briefbot/cluster/pgdb/pgdbtest"
	"github.com/briefbot/briefbot/retrieval/pgcorpus"
)

const clusterStory = `---
title: Harbour bridge reopens
date: 2025-12-07
---
The Quillback harbour bridge reopened on Sunday after eleven weeks of repairs. Engineers replaced 412 cables.
`

const clusterQuestion = "How many cables did engineers replace on the Quillback bridge?"

// ccRun runs briefbot with env and returns its exit code and stdout.
func ccRun(t *testing.T, env map[string]string, args ...string) (int, string) {
	t.Helper()
	var out, errb bytes.Buffer
	code := run(context.Background(), args, &out, &errb, func(k string) string { return env[k] })
	if errb.Len() > 0 {
		t.Logf("briefbot %s: stderr: %s", strings.Join(args, " "), errb.String())
	}
	return code, out.String()
}

// ccGetJSON fetches url and decodes its JSON body.
func ccGetJSON(t *testing.T, u string) (int, map[string]any) {
	t.Helper()
	resp, err := http.Get(u)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var m map[string]any
	if err := json.NewDecoder(resp.Body).Decode(&m); err != nil {
		t.Fatalf("%s: %v", u, err)
	}
	return resp.StatusCode, m
}

func ccAsk(t *testing.T, base, q string) string {
	t.Helper()
	_, m := ccGetJSON(t, base+"/api/ask?q="+url.QueryEscape(q))
	b, _ := json.Marshal(m)
	return string(b)
}

// ccWaitVersion waits up to d for serve s to serve corpus version v.
func ccWaitVersion(t *testing.T, s *Main, v int64, d time.Duration) {
	t.Helper()
	s.corpusMu.Lock()
	cc := s.corpus
	s.corpusMu.Unlock()
	if cc == nil {
		t.Fatal("serve has no corpus database")
	}
	ctx, cancel := context.WithTimeout(context.Background(), d)
	defer cancel()
	if err := cc.follower.Wait(ctx, func(st pgcorpus.Status) bool { return st.Version >= v }); err != nil {
		t.Fatalf("replica not at version %d within %s: %+v", v, d, cc.follower.Status())
	}
}

// ccWaitLoaded waits up to d for /healthz to answer 200.
func ccWaitLoaded(t *testing.T, s *Main, d time.Duration) {
	t.Helper()
	timeout := time.After(d)
	select {
	case <-s.loaded:
	case <-timeout:
		t.Fatalf("serve not loaded within %s", d)
	}
	if s.state != nil { // and the shared state migrated (healthz is 503 until then)
		select {
		case <-s.state.ready:
		case <-timeout:
			t.Fatalf("serve's shared state not ready within %s", d)
		}
	}
}

// Acceptance (issue 14): an article ingested through the CLI, or through a
// replica's watched folder, is answered by the other replicas within 5 s;
// a delete through the CLI reaches them too. /healthz reports the version.
func TestClusterIngestAnsweredByOtherReplicas(t *testing.T) {
	db := pgdbtest.New(t)
	watch := t.TempDir()
	envA := map[string]string{"BRIEFBOT_DATABASE_URL": db.URL, "BRIEFBOT_WATCH": watch, "BRIEFBOT_WATCH_INTERVAL": "100ms"}
	envC := map[string]string{"BRIEFBOT_DATABASE_URL": db.URL}
	a, baseA, _ := launchServe(t, envA)
	c, baseC, _ := launchServe(t, envC)
	ccWaitLoaded(t, a, 30*time.Second)
	ccWaitLoaded(t, c, 30*time.Second)
	if code, h := ccGetJSON(t, baseC+"/healthz"); code != 200 || h["index_version"] != float64(0) {
		t.Fatalf("healthz of an empty corpus: %d %v", code, h)
	}
	if strings.Contains(ccAsk(t, baseC, clusterQuestion), "412 cables") {
		t.Fatal("answered before the ingest")
	}

	dir := t.TempDir()
	story := filepath.Join(dir, "bridge.txt")
	if err := os.WriteFile(story, []byte(clusterStory), 0o644); err != nil {
		t.Fatal(err)
	}
	cli := map[string]string{"BRIEFBOT_DATABASE_URL": db.URL, "BRIEFBOT_DATA": t.TempDir()}
	code, out := ccRun(t, cli, "ingest", story)
	if code != 0 || !strings.Contains(out, "1 added") || !strings.Contains(out, "at version 1") {
		t.Fatalf("ingest: %d %s", code, out)
	}
	committed := time.Now()
	ccWaitVersion(t, c, 1, 5*time.Second)
	ccWaitVersion(t, a, 1, 5*time.Second)
	t.Logf("replica C at version 1 %s after the ingest returned", time.Since(committed))
	if !strings.Contains(ccAsk(t, baseC, clusterQuestion), "412 cables") {
		t.Fatal("replica C does not answer from the ingested article")
	}
	if _, h := ccGetJSON(t, baseC+"/healthz"); h["index_version"] != float64(1) || h["articles"] != float64(1) {
		t.Fatalf("healthz: %v", h)
	}
	// The CLI reads the database too.
	if code, out := ccRun(t, cli, "sources"); code != 0 || !strings.Contains(out, "Harbour bridge reopens") {
		t.Fatalf("sources: %d %s", code, out)
	}
	// Unchanged content is a no-op: the version stays.
	if code, out := ccRun(t, cli, "ingest", story); code != 0 || !strings.Contains(out, "1 unchanged") || !strings.Contains(out, "at version 1") {
		t.Fatalf("second ingest: %d %s", code, out)
	}

	// Replica A's watched folder writes to the database; C answers.
	if err := os.WriteFile(filepath.Join(watch, "port.txt"), []byte("Port record\n\nThe port of Velmora handled 3.1 million containers in November, a record.\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	ccWaitVersion(t, c, 2, 5*time.Second)
	if !strings.Contains(ccAsk(t, baseC, "How many containers did the port of Velmora handle?"), "3.1 million") {
		t.Fatal("replica C does not answer from the watched file")
	}

	id := ""
	_, list := ccRun(t, cli, "sources", "--json")
	var srcs []sourceJSON
	if err := json.Unmarshal([]byte(list), &srcs); err != nil {
		t.Fatalf("sources --json: %v", err)
	}
	for _, src := range srcs {
		if src.Title == "Harbour bridge reopens" {
			id = src.ID
		}
	}
	if code, out := ccRun(t, cli, "delete", id); code != 0 || !strings.Contains(out, "1 deleted") {
		t.Fatalf("delete: %d %s", code, out)
	}
	ccWaitVersion(t, c, 3, 5*time.Second)
	ccWaitVersion(t, a, 3, 5*time.Second)
	if strings.Contains(ccAsk(t, baseA, clusterQuestion), "412 cables") {
		t.Fatal("replica A still answers from the deleted article")
	}
	resp, err := http.Get(baseC + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	m, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	for _, want := range []string{"briefbot_index_version 3", "briefbot_index_lag_versions 0", "briefbot_index_lag_seconds 0"} {
		if !strings.Contains(string(m), want) {
			t.Errorf("/metrics lacks %q", want)
		}
	}
}

// Acceptance (issue 14): a replica started while the database is down
// answers /healthz 503 and loads by itself once the database is back.
func TestClusterServeDatabaseDownAtStart(t *testing.T) {
	db := pgdbtest.New(t)
	cli := map[string]string{"BRIEFBOT_DATABASE_URL": db.URL, "BRIEFBOT_DATA": t.TempDir()}
	story := filepath.Join(t.TempDir(), "bridge.txt")
	if err := os.WriteFile(story, []byte(clusterStory), 0o644); err != nil {
		t.Fatal(err)
	}
	if code, out := ccRun(t, cli, "ingest", story); code != 0 {
		t.Fatalf("ingest: %d %s", code, out)
	}

	u, err := url.Parse(db.URL)
	if err != nil {
		t.Fatal(err)
	}
	g := pgdbtest.NewProxy(t, u.Host)
	u.Host = g.Addr()
	q := u.Query()
	q.Set("connect_timeout", "2")
	u.RawQuery = q.Encode()
	s, base, _ := launchServe(t, map[string]string{"BRIEFBOT_DATABASE_URL": u.String()})
	for range 3 {
		if code, h := ccGetJSON(t, base+"/healthz"); code != http.StatusServiceUnavailable || (h["status"] != "loading" && h["status"] != "database unreachable") {
			t.Fatalf("healthz with the database down: %d %v", code, h)
		}
		if code, _ := ccGetJSON(t, base+"/api/ask?q=bridge"); code != http.StatusServiceUnavailable {
			t.Fatalf("ask with the database down: %d", code)
		}
	}
	g.Set(true)
	ccWaitLoaded(t, s, 30*time.Second)
	// The corpus and the replica's heartbeat recover each on its own
	// schedule: healthz is 200 once both have.
	deadline := time.Now().Add(30 * time.Second)
	for {
		code, h := ccGetJSON(t, base+"/healthz")
		if code == 200 && h["index_version"] == float64(1) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("healthz after the database came back: %d %v", code, h)
		}
		time.Sleep(50 * time.Millisecond)
	}
	if !strings.Contains(ccAsk(t, base, clusterQuestion), "412 cables") {
		t.Fatal("not answered after the database came back")
	}
}
