package app

import (
	"context"
	"fmt"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/incidentbot/incidentbot/config"
	"github.com/incidentbot/incidentbot/outbox"
	"github.com/incidentbot/incidentbot/store"
	"github.com/incidentbot/incidentbot/store/boltstore"
	"github.com/incidentbot/incidentbot/store/pgstore"
)

// Store is what the program needs of its store, whichever driver keeps it
// (store.driver): the transactions, the workers' reads, and the state the
// operator sees.
type Store interface {
	store.Backend
	// Warnings are what the start-up check found and survived.
	Warnings() []string
}

var (
	_ Store = (*boltstore.Store)(nil)
	_ Store = (*pgstore.Store)(nil)
)

// connectTimeout bounds how long start-up waits for the database: one that
// cannot be reached fails start-up with its error rather than hanging.
const connectTimeout = 30 * time.Second

// openStore opens the store cfg.Store.Driver names. opts carries the hooks
// and the clock; a postgres store takes the ones it has (the disk-failure
// hooks are bbolt's alone: a database that cannot be reached fails each
// request instead, see pgstore).
func openStore(cfg *config.Config, opts boltstore.Options) (Store, error) {
	switch cfg.Store.Driver {
	case config.DriverPostgres:
		ctx, cancel := context.WithTimeout(context.Background(), connectTimeout)
		defer cancel()
		return pgstore.Open(ctx, cfg.Store.DSN.Reveal(), pgstore.Options{
			Now:           opts.Now,
			OnEnqueue:     opts.OnEnqueue,
			OnSchedule:    opts.OnSchedule,
			OnIncident:    opts.OnIncident,
			IndexArchives: opts.IndexArchives,
		})
	case config.DriverBbolt, "":
		return boltstore.Open(cfg.Store.Path, opts)
	}
	return nil, fmt.Errorf("store.driver %q is not a store: use bbolt or postgres", cfg.Store.Driver)
}

// storeMetrics registers the store's own metrics when it has some (the
// PostgreSQL store: its connection pool, retries and outbox claims).
func storeMetrics(reg prometheus.Registerer, st Store) {
	if c, ok := st.(interface{ Collector() prometheus.Collector }); ok {
		reg.MustRegister(c.Collector())
	}
}

// schedulerPoll is how often the scheduler looks at the schedule even when
// nothing it knows of is due: over a store that replicas share (one the
// outbox claims from), other replicas' commits do not wake it.
func schedulerPoll(st Store) time.Duration {
	if _, shared := st.(outbox.Claimer); shared {
		return outbox.DefaultPoll
	}
	return 0
}

// pinger is a store whose server can be asked whether it answers.
type pinger interface {
	Ping(ctx context.Context) error
}

// storeReady is the store's part of /readyz: not ready once it cannot
// write for good, nor while its database does not answer.
func storeReady(st Store) error {
	if err := st.WriteFailure(); err != nil {
		return err
	}
	if p, ok := st.(pinger); ok {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		return p.Ping(ctx)
	}
	return nil
}
