package pgtest_test

import (
	"context"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/incidentbot/incidentbot/store/pgstore/pgtest"
)

func TestMain(m *testing.M) { pgtest.Main(m) }

// query connects to dsn and returns the text of one value.
func query(t *testing.T, dsn, sql string) string {
	t.Helper()
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, dsn)
	if err != nil {
		t.Fatalf("connect: %v", err)
	}
	defer conn.Close(ctx)
	var out string
	if err := conn.QueryRow(ctx, sql).Scan(&out); err != nil {
		t.Fatalf("%s: %v", sql, err)
	}
	return out
}

func TestEachTestHasItsOwnEmptyDatabase(t *testing.T) {
	a, b := pgtest.DSN(t), pgtest.DSN(t)
	if a == b {
		t.Fatalf("two calls gave the same database %s", a)
	}
	if got := query(t, a, "SELECT current_setting('fsync')"); got != "off" {
		t.Errorf("fsync = %s, want off: the throwaway cluster trades durability for speed", got)
	}
	if got := query(t, b, "SELECT count(*)::text FROM pg_tables WHERE schemaname = 'public'"); got != "0" {
		t.Errorf("a fresh database has %s tables", got)
	}
}

func TestAPrivateClusterRestarts(t *testing.T) {
	c := pgtest.Private(t)
	dsn := c.DSN("postgres")
	conn, err := pgx.Connect(context.Background(), dsn)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := conn.Exec(context.Background(), "CREATE TABLE kept (v text)"); err != nil {
		t.Fatal(err)
	}
	conn.Close(context.Background())
	if err := c.Restart(); err != nil {
		t.Fatal(err)
	}
	if got := query(t, dsn, "SELECT count(*)::text FROM kept"); got != "0" {
		t.Errorf("after the restart the table has %s rows", got)
	}
	if err := c.Stop(); err != nil {
		t.Fatal(err)
	}
	if _, err := pgx.Connect(context.Background(), dsn); err == nil {
		t.Fatal("connected to a stopped cluster")
	}
	if err := c.StartAgain(); err != nil {
		t.Fatal(err)
	}
	query(t, dsn, "SELECT 'up again'")
}
