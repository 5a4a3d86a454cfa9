// Package pgdbtest gives tests their own PostgreSQL schema.
//
// The server is BRIEFBOT_TEST_DATABASE_URL, else postgres://127.0.0.1:5432/test
// (trust auth, as this project's machines and CI run). When none answers
// the test is skipped with a message saying so, unless
// BRIEFBOT_REQUIRE_DATABASE=1 (set by .ci/run), which makes it fail.
package pgdbtest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"net/url"
	"os"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/briefbot/briefbot/cluster/pgdb"
)

// DefaultURL is the server tried when BRIEFBOT_TEST_DATABASE_URL is not set.
const DefaultURL = "postgres://127.0.0.1:5432/test?sslmode=disable"

// ServerURL returns the test server's URL.
func ServerURL() string {
	if u := os.Getenv("BRIEFBOT_TEST_DATABASE_URL"); u != "" {
		return u
	}
	return DefaultURL
}

// DB is a fresh schema on the test server.
type DB struct {
	// Pool is connected with search_path set to Schema.
	Pool *pgxpool.Pool
	// URL connects to the same schema (for a briefbot process a test starts).
	URL string
	// Schema is the schema's name, dropped when the test ends.
	Schema string
}

// New creates a schema for t, migrated to the newest version, and drops it
// when t ends. It skips t (or fails it when BRIEFBOT_REQUIRE_DATABASE=1)
// when no server answers.
func New(t testing.TB) *DB {
	t.Helper()
	d := NewEmpty(t)
	if _, err := pgdb.Migrate(context.Background(), d.Pool); err != nil {
		t.Fatalf("migrate: %v", err)
	}
	return d
}

// NewEmpty is New without the migrations.
func NewEmpty(t testing.TB) *DB {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	server := ServerURL()
	admin, err := pgx.Connect(ctx, server)
	if err != nil {
		if os.Getenv("BRIEFBOT_REQUIRE_DATABASE") == "1" {
			t.Fatalf("PostgreSQL required (BRIEFBOT_REQUIRE_DATABASE=1) but %s does not answer: %v", pgdb.Redact(server), err)
		}
		t.Skipf("no PostgreSQL at %s (set BRIEFBOT_TEST_DATABASE_URL to run the cluster tests): %v", pgdb.Redact(server), err)
	}
	b := make([]byte, 6)
	rand.Read(b)
	schema := "bbtest_" + hex.EncodeToString(b)
	if _, err := admin.Exec(ctx, "CREATE SCHEMA "+schema); err != nil {
		admin.Close(ctx)
		t.Fatalf("create schema: %v", err)
	}
	admin.Close(context.Background())
	u, err := withSearchPath(server, schema)
	if err != nil {
		t.Fatal(err)
	}
	pool, err := pgdb.Open(ctx, u)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		pool.Close()
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		c, err := pgx.Connect(ctx, server)
		if err != nil {
			t.Errorf("drop schema %s: %v", schema, err)
			return
		}
		defer c.Close(ctx)
		if _, err := c.Exec(ctx, "DROP SCHEMA "+schema+" CASCADE"); err != nil {
			t.Errorf("drop schema %s: %v", schema, err)
		}
	})
	return &DB{Pool: pool, URL: u, Schema: schema}
}

// withSearchPath adds search_path=schema to a postgres:// URL.
func withSearchPath(server, schema string) (string, error) {
	u, err := url.Parse(server)
	if err != nil || (u.Scheme != "postgres" && u.Scheme != "postgresql") {
		return "", &url.Error{Op: "parse", URL: "BRIEFBOT_TEST_DATABASE_URL", Err: errNotURL}
	}
	q := u.Query()
	q.Set("search_path", schema)
	u.RawQuery = q.Encode()
	return u.String(), nil
}

type notURLError struct{}

func (notURLError) Error() string { return "must be a postgres:// URL" }

var errNotURL error = notURLError{}
