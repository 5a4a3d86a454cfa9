// Package pgdb opens briefbot's PostgreSQL database (cluster mode) and
// applies its schema.
//
// The schema is a set of goose migrations embedded in the binary
// (migrations/*.sql), applied in order by [Migrate] at every start and by
// `briefbot db migrate`, under a PostgreSQL advisory lock so that replicas
// starting together apply each migration once. The lock id is derived from
// the current schema, so that independent deployments (or tests) sharing a
// server in separate schemas do not wait for each other.
//
// Migration numbers are allotted by area, so that work on one area never
// renumbers another's: 1-9 replicas and shared state (claims, leases,
// digests, feedback), 10-19 the corpus (articles, chunks, vectors, change
// sequence), 20-29 feeds, 30-39 conversations and channel settings.
package pgdb

import (
	"context"
	"database/sql"
	"embed"
	"errors"
	"fmt"
	"hash/fnv"
	"io/fs"
	"strings"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/jackc/pgx/v5/stdlib"
	"github.com/pressly/goose/v3"
	"github.com/pressly/goose/v3/lock"
)

//go:embed migrations/*.sql
var migrations embed.FS

// VersionTable is the table, in the current schema, where goose records
// the applied migrations.
const VersionTable = "briefbot_schema_version"

// Open connects to the database at url (a postgres:// URL or a key=value
// DSN; a search_path parameter selects the schema) and checks that it
// answers. It does not migrate: see [Migrate].
func Open(ctx context.Context, url string) (*pgxpool.Pool, error) {
	cfg, err := pgxpool.ParseConfig(url)
	if err != nil {
		// pgx's message can quote the URL, password included: never show it.
		return nil, errors.New("database: the database URL cannot be parsed (check BRIEFBOT_DATABASE_URL)")
	}
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("database: %w", err)
	}
	if err := pool.Ping(ctx); err != nil {
		pool.Close()
		return nil, fmt.Errorf("database: cannot reach %s: %w", Redact(url), err)
	}
	return pool, nil
}

// OpenMigrated is Open then Migrate, for a one-shot command: the pool is
// closed again when migrating fails.
func OpenMigrated(ctx context.Context, url string) (*pgxpool.Pool, error) {
	pool, err := Open(ctx, url)
	if err != nil {
		return nil, err
	}
	if _, err := Migrate(ctx, pool); err != nil {
		pool.Close()
		return nil, err
	}
	return pool, nil
}

// Redact returns url without its password, for messages and logs.
func Redact(url string) string {
	cfg, err := pgxpool.ParseConfig(url)
	if err != nil {
		return "(unparsable database URL)"
	}
	c := cfg.ConnConfig
	s := fmt.Sprintf("postgres://%s@%s:%d/%s", c.User, c.Host, c.Port, c.Database)
	if sp := c.RuntimeParams["search_path"]; sp != "" {
		s += "?search_path=" + sp
	}
	return s
}

func provider(ctx context.Context, pool *pgxpool.Pool) (*goose.Provider, *sql.DB, error) {
	var schema string
	if err := pool.QueryRow(ctx, "SELECT current_schema()").Scan(&schema); err != nil {
		return nil, nil, fmt.Errorf("database: %w", err)
	}
	if schema == "" {
		return nil, nil, errors.New("database: no current schema (the search_path names no existing schema)")
	}
	h := fnv.New64a()
	h.Write([]byte("briefbot-migrate\x00" + schema))
	locker, err := lock.NewPostgresSessionLocker(lock.WithLockID(int64(h.Sum64()>>1)), lock.WithLockTimeout(1, 600))
	if err != nil {
		return nil, nil, err
	}
	sub, err := fs.Sub(migrations, "migrations")
	if err != nil {
		return nil, nil, err
	}
	db := stdlib.OpenDBFromPool(pool)
	p, err := goose.NewProvider(goose.DialectPostgres, db, sub,
		goose.WithSessionLocker(locker), goose.WithTableName(VersionTable),
		goose.WithDisableGlobalRegistry(true))
	if err != nil {
		db.Close()
		return nil, nil, fmt.Errorf("database: migrations: %w", err)
	}
	return p, db, nil
}

// Migrate applies every embedded migration not yet applied, under an
// advisory lock, and returns the schema version reached.
func Migrate(ctx context.Context, pool *pgxpool.Pool) (int64, error) {
	p, db, err := provider(ctx, pool)
	if err != nil {
		return 0, err
	}
	defer db.Close()
	if _, err := p.Up(ctx); err != nil {
		return 0, fmt.Errorf("database: migrate: %w", err)
	}
	return p.GetDBVersion(ctx)
}

// Status reports the schema version applied and the newest this binary
// knows. An applied version above the newest means a newer briefbot
// migrated the database.
func Status(ctx context.Context, pool *pgxpool.Pool) (current, latest int64, err error) {
	p, db, err := provider(ctx, pool)
	if err != nil {
		return 0, 0, err
	}
	defer db.Close()
	for _, s := range p.ListSources() {
		latest = max(latest, s.Version)
	}
	current, err = p.GetDBVersion(ctx)
	if err != nil && strings.Contains(err.Error(), "does not exist") {
		return 0, latest, nil
	}
	return current, latest, err
}
