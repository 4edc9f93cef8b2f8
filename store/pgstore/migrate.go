package pgstore

import (
	"context"
	"embed"
	"fmt"
	"io/fs"
	"sort"
	"strconv"
	"strings"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
)

// migrationFiles are the schema's history, NNNN_name.sql, applied in order.
// Append only: never edit a file that has shipped, since databases in the
// field record which versions they have had.
//
//go:embed migrations/*.sql
var migrationFiles embed.FS

// migrationLock is the advisory lock key held while migrating, so that
// replicas starting together migrate once, one after the other.
const migrationLock int64 = 0x696e636964656e74 // "incident"

// Migration is one versioned schema change.
type Migration struct {
	Version int
	Name    string
	sql     string
}

// Migrations returns every migration this binary knows, in order.
func Migrations() ([]Migration, error) {
	entries, err := fs.ReadDir(migrationFiles, "migrations")
	if err != nil {
		return nil, err
	}
	var out []Migration
	for _, e := range entries {
		base, ok := strings.CutSuffix(e.Name(), ".sql")
		num, name, ok2 := strings.Cut(base, "_")
		v, err := strconv.Atoi(num)
		if !ok || !ok2 || err != nil {
			return nil, fmt.Errorf("migration file %s: want NNNN_name.sql", e.Name())
		}
		body, err := fs.ReadFile(migrationFiles, "migrations/"+e.Name())
		if err != nil {
			return nil, err
		}
		out = append(out, Migration{Version: v, Name: strings.ReplaceAll(name, "_", " "), sql: string(body)})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Version < out[j].Version })
	for i, m := range out {
		if m.Version != i+1 {
			return nil, fmt.Errorf("migration %04d: versions must run 1, 2, 3… without gaps", m.Version)
		}
	}
	return out, nil
}

// Migrate brings the database to the current schema, each migration in its
// own transaction recorded in schema_migrations, under an advisory lock so
// that replicas starting together do not race. It returns what it applied
// (or, with dryRun, what it would apply, changing nothing). A database from
// a newer incidentbot is refused with an error wrapping ErrNewerSchema.
func Migrate(ctx context.Context, pool *pgxpool.Pool, dryRun bool) ([]Migration, error) {
	all, err := Migrations()
	if err != nil {
		return nil, err
	}
	conn, err := pool.Acquire(ctx)
	if err != nil {
		return nil, dbError{fmt.Errorf("migrate: %w", err)}
	}
	defer conn.Release()
	// A session lock, held across the per-migration transactions.
	if _, err := conn.Exec(ctx, "SELECT pg_advisory_lock($1)", migrationLock); err != nil {
		return nil, dbError{fmt.Errorf("migrate: take the migration lock: %w", err)}
	}
	defer conn.Exec(context.WithoutCancel(ctx), "SELECT pg_advisory_unlock($1)", migrationLock) //nolint:errcheck // the session ends with the connection anyway
	if !dryRun {
		if _, err := conn.Exec(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (
			version    integer PRIMARY KEY,
			name       text NOT NULL,
			applied_at timestamptz NOT NULL DEFAULT now())`); err != nil {
			return nil, dbError{fmt.Errorf("migrate: %w", err)}
		}
	}
	have, err := appliedVersion(ctx, conn.Conn())
	if err != nil {
		return nil, err
	}
	if have > len(all) {
		return nil, fmt.Errorf("database has schema version %d, this binary knows %d: %w", have, len(all), ErrNewerSchema)
	}
	pending := all[have:]
	if dryRun {
		return pending, nil
	}
	for _, m := range pending {
		err := pgx.BeginFunc(ctx, conn, func(tx pgx.Tx) error {
			if _, err := tx.Exec(ctx, m.sql); err != nil {
				return err
			}
			_, err := tx.Exec(ctx, "INSERT INTO schema_migrations (version, name) VALUES ($1, $2)", m.Version, m.Name)
			return err
		})
		if err != nil {
			return nil, dbError{fmt.Errorf("migration %04d (%s): %w", m.Version, m.Name, err)}
		}
	}
	return pending, nil
}

// appliedVersion is the highest migration recorded, 0 for a new database.
func appliedVersion(ctx context.Context, conn *pgx.Conn) (int, error) {
	var exists bool
	if err := conn.QueryRow(ctx, "SELECT to_regclass('schema_migrations') IS NOT NULL").Scan(&exists); err != nil {
		return 0, dbError{fmt.Errorf("migrate: %w", err)}
	}
	if !exists {
		return 0, nil
	}
	var v int
	if err := conn.QueryRow(ctx, "SELECT coalesce(max(version), 0) FROM schema_migrations").Scan(&v); err != nil {
		return 0, dbError{fmt.Errorf("migrate: read schema_migrations: %w", err)}
	}
	return v, nil
}

// SchemaVersion is how many migrations the database has had.
func (s *Store) SchemaVersion() (int, error) {
	conn, err := s.pool.Acquire(context.Background())
	if err != nil {
		return 0, s.wrap(dbError{fmt.Errorf("schema version: %w", err)})
	}
	defer conn.Release()
	v, err := appliedVersion(context.Background(), conn.Conn())
	return v, s.wrap(err)
}
