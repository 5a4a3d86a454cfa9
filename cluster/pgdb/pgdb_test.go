package pgdb_test

import (
	"context"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/briefbot/briefbot/cluster/pgdb"
	"github.com/briefbot/briefbot/cluster/pgdb/pgdbtest"
)

// Replicas starting together migrate once: the advisory lock serialises
// them and the later ones find nothing left to apply.
func TestMigrateConcurrentlyAndStatus(t *testing.T) {
	d := pgdbtest.NewEmpty(t)
	ctx := context.Background()
	cur, latest, err := pgdb.Status(ctx, d.Pool)
	if err != nil || cur != 0 || latest < 1 {
		t.Fatalf("status before migrating: %d/%d %v", cur, latest, err)
	}
	var wg sync.WaitGroup
	errs := make([]error, 4)
	for i := range errs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			p, err := pgdb.Open(ctx, d.URL)
			if err != nil {
				errs[i] = err
				return
			}
			defer p.Close()
			_, errs[i] = pgdb.Migrate(ctx, p)
		}()
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	cur, latest, err = pgdb.Status(ctx, d.Pool)
	if err != nil || cur != latest {
		t.Fatalf("status after: %d/%d %v", cur, latest, err)
	}
	var n int
	if err := d.Pool.QueryRow(ctx, "SELECT count(*) FROM "+pgdb.VersionTable+" WHERE version_id > 0").Scan(&n); err != nil {
		t.Fatal(err)
	}
	// Numbers are allotted by area, so they have gaps: count the files.
	files, err := filepath.Glob("migrations/*.sql")
	if err != nil || len(files) == 0 {
		t.Fatalf("migrations: %v %v", files, err)
	}
	if n != len(files) {
		t.Fatalf("%d migrations recorded, want %d (each applied once)", n, len(files))
	}
}

func TestOpenNeverShowsThePassword(t *testing.T) {
	_, err := pgdb.Open(context.Background(), "postgres://u:s3cret@127.0.0.1:1/x?connect_timeout=1")
	if err == nil {
		t.Fatal("connected to port 1")
	}
	if strings.Contains(err.Error(), "s3cret") {
		t.Fatalf("error shows the password: %v", err)
	}
	_, err = pgdb.Open(context.Background(), "postgres://u:s3cret@[bad")
	if err == nil || strings.Contains(err.Error(), "s3cret") {
		t.Fatalf("bad URL: %v", err)
	}
}
