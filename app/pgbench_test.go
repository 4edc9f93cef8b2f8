package app_test

import (
	"testing"

	"github.com/incidentbot/incidentbot/config"
	"github.com/incidentbot/incidentbot/store/pgstore/pgtest"
)

// BenchmarkAckLatency200ConcurrentPostgres is BenchmarkAckLatency200Concurrent
// on the PostgreSQL store (one replica, a local throwaway server with fsync
// off): the cost of a serializable commit over the network per declaration.
func BenchmarkAckLatency200ConcurrentPostgres(b *testing.B) {
	dsn := pgtest.Private(b).DSN("postgres")
	emu, a, user, announce := benchBot(b, func(c *config.Config) {
		c.Store.Driver, c.Store.DSN = config.DriverPostgres, config.Secret(dsn)
	})
	ackLatency200(b, emu, a, user, announce)
}

// BenchmarkDeclarationOnSlowSlackPostgres is BenchmarkDeclarationOnSlowSlack
// on the PostgreSQL store (one replica, a throwaway server of its own per
// latency): the worker claims a declaration's jobs as their dependencies
// finish, as it runs them over bbolt.
func BenchmarkDeclarationOnSlowSlackPostgres(b *testing.B) {
	declarationOnSlowSlack(b, func(b *testing.B, c *config.Config) {
		c.Store.Driver, c.Store.DSN = config.DriverPostgres, config.Secret(pgtest.Private(b).DSN("postgres"))
	})
}
