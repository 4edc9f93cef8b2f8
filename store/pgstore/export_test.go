package pgstore

import (
	"context"
	"sync/atomic"

	"github.com/jackc/pgx/v5"

	"github.com/incidentbot/incidentbot/store"
)

// CountRoundTrips makes a store opened with opts add one to n for every
// request it sends the server and waits for: a statement (BEGIN and COMMIT
// included) or a batch of them.
func CountRoundTrips(opts *Options, n *atomic.Int64) { opts.tracer = roundTrips{n} }

// BackendPIDs are the server processes connected to tx's database.
func BackendPIDs(tx store.Tx) ([]int, error) {
	return collect(tx.(*pgTx), "SELECT pid FROM pg_stat_activity WHERE datname = current_database()", nil, pgx.RowTo[int])
}

// Retries is how many transactions the store ran again.
func (s *Store) Retries() int64 { return s.retries.Load() }

type roundTrips struct{ n *atomic.Int64 }

func (r roundTrips) TraceQueryStart(ctx context.Context, _ *pgx.Conn, _ pgx.TraceQueryStartData) context.Context {
	r.n.Add(1)
	return ctx
}

func (roundTrips) TraceQueryEnd(context.Context, *pgx.Conn, pgx.TraceQueryEndData) {}

func (r roundTrips) TraceBatchStart(ctx context.Context, _ *pgx.Conn, _ pgx.TraceBatchStartData) context.Context {
	r.n.Add(1)
	return ctx
}

func (roundTrips) TraceBatchQuery(context.Context, *pgx.Conn, pgx.TraceBatchQueryData) {}
func (roundTrips) TraceBatchEnd(context.Context, *pgx.Conn, pgx.TraceBatchEndData)     {}
