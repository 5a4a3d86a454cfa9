package main

import (
	"bytes"
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/briefbot/briefbot/cluster"
	"github.com/briefbot/briefbot/cluster/pgdb/pgdbtest"
)

func runDB(t *testing.T, url string, args ...string) (string, string, int) {
	t.Helper()
	var out, errb bytes.Buffer
	code := run(context.Background(), append([]string{"db"}, args...), &out, &errb, func(k string) string {
		if k == "BRIEFBOT_DATABASE_URL" {
			return url
		}
		return ""
	})
	return out.String(), errb.String(), code
}

// db status on an empty schema says to migrate; db migrate brings it up
// to date (and again is a no-op); status then counts the articles and
// lists the replicas seen in the last 5 minutes, the leader marked.
func TestDBMigrateAndStatus(t *testing.T) {
	d := pgdbtest.NewEmpty(t)
	out, errs, code := runDB(t, d.URL, "status")
	if code != 0 || !strings.Contains(out, "run `briefbot db migrate`") || !strings.Contains(out, "replicas  none") {
		t.Fatalf("status before migrate: %d %q %q", code, out, errs)
	}
	if strings.Contains(out, "password") {
		t.Fatal(out)
	}
	out, errs, code = runDB(t, d.URL, "migrate")
	if code != 0 || !strings.Contains(out, "schema migrated from version 0 to") {
		t.Fatalf("migrate: %d %q %q", code, out, errs)
	}
	if out, _, _ = runDB(t, d.URL, "migrate"); !strings.Contains(out, "up to date") {
		t.Fatalf("second migrate: %q", out)
	}
	ctx := context.Background()
	var exists bool
	if err := d.Pool.QueryRow(ctx, `SELECT to_regclass('corpus_articles') IS NOT NULL`).Scan(&exists); err != nil {
		t.Fatal(err)
	}
	wantArticles := "articles  0"
	if !exists { // the corpus migrations are not in this build: stand one in
		if _, err := d.Pool.Exec(ctx, `CREATE TABLE corpus_articles (id text, deleted boolean); INSERT INTO corpus_articles VALUES ('a', false), ('b', false), ('c', true)`); err != nil {
			t.Fatal(err)
		}
		wantArticles = "articles  2"
	}
	now := time.Now()
	for i, id := range []string{"r1", "r2", "old"} {
		n := cluster.NewNode(d.Pool, cluster.Options{ID: id, Hostname: "host" + id, Now: func() time.Time {
			if i == 2 {
				return now.Add(-time.Hour)
			}
			return now
		}})
		if err := n.Step(ctx); err != nil {
			t.Fatal(err)
		}
	}
	out, errs, code = runDB(t, d.URL, "status")
	if code != 0 || !strings.Contains(out, "(up to date)") || !strings.Contains(out, wantArticles) ||
		!strings.Contains(out, "replicas  2 seen") || strings.Contains(out, "old") {
		t.Fatalf("status: %d %q %q", code, out, errs)
	}
	out, _, code = runDB(t, d.URL, "status", "--json")
	var st dbStatus
	if code != 0 || json.Unmarshal([]byte(out), &st) != nil || len(st.Replicas) != 2 || st.Schema != st.Latest {
		t.Fatalf("status --json: %d %q", code, out)
	}
	leaders := 0
	for _, r := range st.Replicas {
		if r.Leader {
			leaders++
		}
	}
	if leaders != 1 {
		t.Fatalf("%d leaders in %+v", leaders, st.Replicas)
	}
}

func TestDBNeedsTheURL(t *testing.T) {
	_, errs, code := runDB(t, "", "status")
	if code != 2 || !strings.Contains(errs, "BRIEFBOT_DATABASE_URL") {
		t.Fatalf("%d %q", code, errs)
	}
	_, errs, code = runDB(t, "postgres://u:s3cret@127.0.0.1:1/x?connect_timeout=1", "status")
	if code != 1 || strings.Contains(errs, "s3cret") || !strings.Contains(errs, "cannot reach") {
		t.Fatalf("%d %q", code, errs)
	}
}

// `briefbot digest --post` with the database URL uses the replicas'
// ledger: a second post of the same day is refused there too.
func TestDigestPostUsesTheClusterLedger(t *testing.T) {
	d := pgdbtest.New(t)
	fake, apiURL := newFakeSlack(t)
	env := map[string]string{"BRIEFBOT_DATABASE_URL": d.URL, "SLACK_BOT_TOKEN": "xoxb-test", "SLACK_API_URL": apiURL,
		"BRIEFBOT_DATA": t.TempDir()}
	code, _, errs := runCLI(t, env, "digest", "--all", "--post", "slack:C7")
	if code != 0 || fake.postsTo("C7") != 1 || !strings.Contains(errs, "posted the digest") {
		t.Fatalf("first post: %d %q, %d posts", code, errs, fake.postsTo("C7"))
	}
	code, _, errs = runCLI(t, env, "digest", "--all", "--post", "slack:C7")
	if code != 0 || fake.postsTo("C7") != 1 || !strings.Contains(errs, "already posted") {
		t.Fatalf("second post: %d %q, %d posts", code, errs, fake.postsTo("C7"))
	}
	var id string
	if err := d.Pool.QueryRow(context.Background(), `SELECT message_id FROM digest_runs WHERE target = 'slack:C7'`).Scan(&id); err != nil || id == "" {
		t.Fatalf("message id %q %v", id, err)
	}
}
