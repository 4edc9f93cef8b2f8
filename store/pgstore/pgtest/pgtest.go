// Package pgtest starts throwaway PostgreSQL clusters for tests: Debian's
// initdb and pg_ctl, a data directory in a temporary directory, a free
// loopback port, no fsync. Nothing is mocked: the tests talk to a real
// server.
//
// One cluster per test binary is cheap enough (initdb takes a second or
// two); one per test is not. A package whose tests need PostgreSQL shares
// one cluster by calling Main from TestMain, and each test gets a fresh
// database from DSN:
//
//	func TestMain(m *testing.M) { pgtest.Main(m) }
//
//	func TestX(t *testing.T) {
//		dsn := pgtest.DSN(t) // skips when PostgreSQL is not installed
//		...
//	}
//
// Without Main, DSN starts a private cluster for the test and stops it when
// the test ends.
//
// # Running as root
//
// initdb refuses to run as root, and tests often do (containers, CI). As
// root, the helper runs initdb and the server as the "postgres" user that
// Debian's package creates, and hands it the data and socket directories;
// the test itself stays root and connects over TCP. Without that user it
// skips with a line that says so.
package pgtest

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"

	"github.com/jackc/pgx/v5"
)

// shared is the cluster of a test binary whose TestMain called Main. It is
// package state because TestMain and the tests have nothing else in
// common; it is started on first use, so a run that selects no PostgreSQL
// test never pays for initdb.
var shared struct {
	enabled bool
	once    sync.Once
	cluster *Cluster
	err     error
	// skip is why the cluster cannot exist on this machine; it makes the
	// tests skip rather than fail.
	skip string
	dbs  atomic.Int64
	// stop stops the cluster once, at the end or on a signal.
	stop    sync.Once
	stopErr error
}

// Main runs the tests of m sharing one cluster, stops it afterwards, and
// exits with the tests' status.
//
// The server is not a child of the test binary (pg_ctl detaches it), so a
// test binary that is interrupted or killed must stop it on the way out:
// Main does on SIGINT and SIGTERM. (A binary killed with SIGKILL, or one
// that panics, leaves it running; pg_ctl stop -D on the directory ends it.)
func Main(m *testing.M) {
	shared.enabled = true
	sigs := make(chan os.Signal, 1)
	signal.Notify(sigs, os.Interrupt, syscall.SIGTERM)
	go func() {
		if _, ok := <-sigs; ok {
			stopShared()
			os.Exit(1)
		}
	}()
	code := m.Run()
	signal.Stop(sigs)
	close(sigs)
	if err := stopShared(); err != nil {
		fmt.Fprintf(os.Stderr, "pgtest: %v\n", err)
		if code == 0 {
			code = 1
		}
	}
	os.Exit(code)
}

// stopShared stops the shared cluster if it started; it waits for a start
// in progress, so a signal during initdb still stops what it starts.
func stopShared() error {
	shared.stop.Do(func() {
		shared.once.Do(func() {}) // a start in progress finishes first; none starts after
		if shared.cluster != nil {
			shared.stopErr = shared.cluster.Stop()
		}
	})
	return shared.stopErr
}

// DSN returns the connection string of a new, empty database that is
// dropped when the test ends, and skips the test when PostgreSQL is not
// installed here.
func DSN(tb testing.TB) string {
	tb.Helper()
	c := cluster(tb)
	name := fmt.Sprintf("t%d", shared.dbs.Add(1))
	ctx := context.Background()
	if err := c.exec(ctx, "CREATE DATABASE "+name); err != nil {
		tb.Fatalf("pgtest: %v", err)
	}
	tb.Cleanup(func() {
		// FORCE ends the connections a failed test left open.
		if err := c.exec(ctx, "DROP DATABASE IF EXISTS "+name+" WITH (FORCE)"); err != nil {
			tb.Errorf("pgtest: %v", err)
		}
	})
	return c.DSN(name)
}

// cluster returns the shared cluster, or a private one when Main is not in
// use.
func cluster(tb testing.TB) *Cluster {
	tb.Helper()
	if !shared.enabled {
		return Private(tb)
	}
	shared.once.Do(func() {
		dir, err := os.MkdirTemp("", "pgtest")
		if err != nil {
			shared.err = err
			return
		}
		shared.cluster, shared.skip, shared.err = Start(dir)
		if shared.cluster == nil {
			_ = os.RemoveAll(dir)
			return
		}
		shared.cluster.removeDir = true
	})
	switch {
	case shared.skip != "":
		tb.Skip(shared.skip)
	case shared.err != nil:
		tb.Fatalf("pgtest: %v", shared.err)
	case shared.cluster == nil:
		tb.Fatal("pgtest: the shared cluster was stopped (the test binary is exiting)")
	}
	return shared.cluster
}

// Private starts a cluster of the test's own, stopped when it ends, for a
// test that stops or restarts the server; it skips the test when
// PostgreSQL is not installed here. Its database "postgres" is the test's.
func Private(tb testing.TB) *Cluster {
	tb.Helper()
	c, skip, err := Start(tb.TempDir())
	switch {
	case skip != "":
		tb.Skip(skip)
	case err != nil:
		tb.Fatalf("pgtest: %v", err)
	}
	tb.Cleanup(func() {
		if err := c.Stop(); err != nil {
			tb.Errorf("pgtest: %v", err)
		}
	})
	return c
}

// exec runs one statement as the superuser on the maintenance database.
func (c *Cluster) exec(ctx context.Context, sql string) error {
	conn, err := pgx.Connect(ctx, c.DSN("postgres"))
	if err != nil {
		return fmt.Errorf("connect to the test cluster: %w", err)
	}
	defer conn.Close(ctx)
	if _, err := conn.Exec(ctx, sql); err != nil {
		return fmt.Errorf("%s: %w", sql, err)
	}
	return nil
}
