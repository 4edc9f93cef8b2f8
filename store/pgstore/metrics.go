package pgstore

import (
	"github.com/prometheus/client_golang/prometheus"
)

// The counters a Store keeps for /metrics, beside the pool's own numbers.
// They are fields of the Store (atomics), not globals: a test process may
// hold several stores.

var (
	poolConnsDesc = prometheus.NewDesc("incidentbot_store_pool_connections",
		"Connections in the PostgreSQL pool, by state (acquired: in use; idle; max: the cap).", []string{"state"}, nil)
	poolWaitsDesc = prometheus.NewDesc("incidentbot_store_pool_acquire_waits_total",
		"Times a request waited for a pooled connection because all were in use.", nil, nil)
	poolWaitDesc = prometheus.NewDesc("incidentbot_store_pool_acquire_wait_seconds_total",
		"Time requests spent waiting for a pooled connection.", nil, nil)
	retriesDesc = prometheus.NewDesc("incidentbot_store_serialization_retries_total",
		"Transactions run again because a concurrent one (another replica's) conflicted.", nil, nil)
	claimsDesc = prometheus.NewDesc("incidentbot_outbox_claims_total",
		"Outbox jobs this replica claimed to run.", nil, nil)
	takeoversDesc = prometheus.NewDesc("incidentbot_outbox_takeovers_total",
		"Outbox jobs this replica claimed after another's lease ran out (a replica died or stalled).", nil, nil)
)

// Collector returns the store's metrics for a Prometheus registry: the
// connection pool, serialization retries, and outbox claims.
func (s *Store) Collector() prometheus.Collector { return collector{s} }

type collector struct{ s *Store }

func (c collector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{poolConnsDesc, poolWaitsDesc, poolWaitDesc, retriesDesc, claimsDesc, takeoversDesc} {
		ch <- d
	}
}

func (c collector) Collect(ch chan<- prometheus.Metric) {
	st := c.s.pool.Stat()
	ch <- prometheus.MustNewConstMetric(poolConnsDesc, prometheus.GaugeValue, float64(st.AcquiredConns()), "acquired")
	ch <- prometheus.MustNewConstMetric(poolConnsDesc, prometheus.GaugeValue, float64(st.IdleConns()), "idle")
	ch <- prometheus.MustNewConstMetric(poolConnsDesc, prometheus.GaugeValue, float64(st.MaxConns()), "max")
	ch <- prometheus.MustNewConstMetric(poolWaitsDesc, prometheus.CounterValue, float64(st.EmptyAcquireCount()))
	ch <- prometheus.MustNewConstMetric(poolWaitDesc, prometheus.CounterValue, st.AcquireDuration().Seconds())
	ch <- prometheus.MustNewConstMetric(retriesDesc, prometheus.CounterValue, float64(c.s.retries.Load()))
	ch <- prometheus.MustNewConstMetric(claimsDesc, prometheus.CounterValue, float64(c.s.claims.Load()))
	ch <- prometheus.MustNewConstMetric(takeoversDesc, prometheus.CounterValue, float64(c.s.takeovers.Load()))
}
