package main

import (
	"context"
	"encoding/json"
	"fmt"
	"text/tabwriter"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/spf13/cobra"

	"github.com/briefbot/briefbot/cluster"
	"github.com/briefbot/briefbot/cluster/pgdb"
)

// replicasRecent is how far back `db status` lists replicas.
const replicasRecent = 5 * time.Minute

// corpusTable is the corpus's articles table (cluster mode; a deleted
// article stays as a tombstone): `db status` counts it when it exists.
const corpusTable = "corpus_articles"

func (a *app) dbCmd() *cobra.Command {
	var configPath string
	cmd := &cobra.Command{
		Use:   "db migrate|status",
		Short: "Cluster mode: migrate the PostgreSQL schema, or show its state",
		Long: `Work on the PostgreSQL database of cluster mode (BRIEFBOT_DATABASE_URL, or
database_url in the YAML file given with --config).

  migrate   apply the embedded schema migrations not yet applied (serve also
            does at start; an advisory lock makes concurrent runs safe)
  status    the schema version applied and the newest this binary knows, the
            article count, and the replicas seen in the last 5 minutes`,
		Args: cobra.NoArgs,
	}
	cmd.PersistentFlags().StringVar(&configPath, "config", "", "YAML configuration file (environment variables override it)")
	open := func(ctx context.Context) (*pgxpool.Pool, string, error) {
		cfg, err := readConfig(configPath, a.getenv)
		if err != nil {
			return nil, "", exitError{code: 2, msg: err.Error()}
		}
		if cfg.DatabaseURL == "" {
			return nil, "", exitError{code: 2, msg: "set BRIEFBOT_DATABASE_URL (or database_url: in --config) to the PostgreSQL database"}
		}
		ctx, cancel := context.WithTimeout(ctx, 15*time.Second)
		defer cancel()
		pool, err := pgdb.Open(ctx, cfg.DatabaseURL)
		if err != nil {
			return nil, "", exitError{code: 1, msg: err.Error()}
		}
		return pool, pgdb.Redact(cfg.DatabaseURL), nil
	}
	cmd.AddCommand(&cobra.Command{
		Use:   "migrate",
		Short: "Apply the schema migrations not yet applied",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			pool, where, err := open(cmd.Context())
			if err != nil {
				return err
			}
			defer pool.Close()
			before, _, err := pgdb.Status(cmd.Context(), pool)
			if err != nil {
				return err
			}
			v, err := pgdb.Migrate(cmd.Context(), pool)
			if err != nil {
				return err
			}
			if v == before {
				fmt.Fprintf(a.stdout, "%s: schema version %d, up to date\n", where, v)
				return nil
			}
			fmt.Fprintf(a.stdout, "%s: schema migrated from version %d to %d\n", where, before, v)
			return nil
		},
	})
	var asJSON bool
	status := &cobra.Command{
		Use:   "status",
		Short: "Show the schema version, the article count and the replicas seen recently",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			pool, where, err := open(cmd.Context())
			if err != nil {
				return err
			}
			defer pool.Close()
			st, err := readDBStatus(cmd.Context(), pool, time.Now())
			if err != nil {
				return err
			}
			st.Database = where
			if asJSON {
				enc := json.NewEncoder(a.stdout)
				enc.SetIndent("", "  ")
				return enc.Encode(st)
			}
			return st.print(a)
		},
	}
	status.Flags().BoolVar(&asJSON, "json", false, "print the status as JSON")
	cmd.AddCommand(status)
	return cmd
}

// dbStatus is what `db status` reports.
type dbStatus struct {
	Database string `json:"database"`
	Schema   int64  `json:"schema_version"`
	Latest   int64  `json:"schema_latest"`
	// Articles is -1 when the corpus table does not exist (yet).
	Articles int64                 `json:"articles"`
	Replicas []cluster.ReplicaInfo `json:"replicas"`
}

func readDBStatus(ctx context.Context, pool *pgxpool.Pool, now time.Time) (dbStatus, error) {
	st := dbStatus{Articles: -1}
	var err error
	if st.Schema, st.Latest, err = pgdb.Status(ctx, pool); err != nil {
		return st, err
	}
	var exists bool
	if err := pool.QueryRow(ctx, `SELECT to_regclass($1) IS NOT NULL`, corpusTable).Scan(&exists); err != nil {
		return st, fmt.Errorf("database: %w", err)
	}
	if exists {
		if err := pool.QueryRow(ctx, `SELECT count(*) FROM `+corpusTable+` WHERE NOT deleted`).Scan(&st.Articles); err != nil {
			return st, fmt.Errorf("database: count articles: %w", err)
		}
	}
	if st.Schema >= 1 { // the replicas table exists from migration 1
		if st.Replicas, err = cluster.Replicas(ctx, pool, now.Add(-replicasRecent), now); err != nil {
			return st, err
		}
	}
	return st, nil
}

func (st dbStatus) print(a *app) error {
	w := a.stdout
	fmt.Fprintf(w, "database  %s\n", st.Database)
	switch {
	case st.Schema == st.Latest:
		fmt.Fprintf(w, "schema    version %d (up to date)\n", st.Schema)
	case st.Schema < st.Latest:
		fmt.Fprintf(w, "schema    version %d of %d: run `briefbot db migrate` (serve also migrates at start)\n", st.Schema, st.Latest)
	default:
		fmt.Fprintf(w, "schema    version %d, newer than this binary knows (%d): a newer briefbot migrated it\n", st.Schema, st.Latest)
	}
	if st.Articles < 0 {
		fmt.Fprintln(w, "articles  none (no corpus table yet)")
	} else {
		fmt.Fprintf(w, "articles  %d\n", st.Articles)
	}
	if len(st.Replicas) == 0 {
		fmt.Fprintf(w, "replicas  none seen in the last %s\n", replicasRecent)
		return nil
	}
	fmt.Fprintf(w, "replicas  %d seen in the last %s:\n", len(st.Replicas), replicasRecent)
	tw := tabwriter.NewWriter(w, 2, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "  REPLICA\tHOST\tVERSION\tSTARTED\tLAST SEEN\tLEADER")
	for _, r := range st.Replicas {
		leader := ""
		if r.Leader {
			leader = "yes"
		}
		fmt.Fprintf(tw, "  %s\t%s\t%s\t%s\t%s\t%s\n", r.ID, r.Hostname, r.Version, r.Started.UTC().Format(time.RFC3339),
			r.Seen.UTC().Format(time.RFC3339), leader)
	}
	return tw.Flush()
}
