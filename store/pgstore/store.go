// Package pgstore keeps incidents in PostgreSQL: the same records, indexes
// and transaction semantics as the bbolt store, so the bot can run as
// several replicas sharing one database.
//
// # Transactions
//
// Update runs its function in a SERIALIZABLE transaction and runs it again
// when PostgreSQL reports a serialization failure or a deadlock. The
// use-cases were written against bbolt, whose single writer makes every
// transaction serial: a use-case reads an incident, changes it and puts it
// back. Serializable isolation keeps that read-modify-write correct across
// replicas without each use-case taking row locks it would have to know
// about; the price is that a function may run more than once, which the
// bbolt store's batching already demands of it. An incident number comes
// from a sequence, which no declaration waits for (see nextNumber). Two
// counters are taken under locks, because their order matters, not only
// their uniqueness: an event's seq is the incident row's last_seq + 1 (the
// row lock makes seqs gapless, in commit order, and a rollback gives its
// seq back), and an outbox ID is taken under a transaction-level advisory
// lock (so IDs are handed out in commit order and a reader that has seen
// ID n never later finds a lower one committed). Writes whose answers
// nothing waits for travel in batches (see batch.go).
//
// View runs in a REPEATABLE READ, READ ONLY transaction: one consistent
// snapshot, never blocking writers, and every write refused.
//
// # Failures
//
// A request that cannot reach the database (refused, reset, timed out) is
// answered with an error wrapping incident.ErrNotSaved, as a bbolt store
// that cannot write is, so the user hears "Not saved". Unlike bbolt's, the
// failure is not sticky: the pool reconnects and the next request may
// succeed. A connection lost during COMMIT leaves the outcome unknown; it
// is reported as not saved, and the use-cases' idempotency keys make the
// user's retry harmless if it was saved after all.
//
// The DSN is a secret: it never appears in an error this package returns
// (see internal/dsn).
package pgstore

import (
	"context"
	"errors"
	"fmt"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/incidentbot/incidentbot/incident"
	"github.com/incidentbot/incidentbot/internal/dsn"
	"github.com/incidentbot/incidentbot/store"
)

// Options tunes Open; the zero value is ready to use. The hooks mean what
// they mean for the bbolt store.
type Options struct {
	// Now is the clock for default timestamps; default time.Now.
	Now func() time.Time
	// OnEnqueue is called after a commit that enqueued outbox jobs, and
	// OnSchedule after one that changed reminders or resolution indexes,
	// on the committing goroutine.
	OnEnqueue, OnSchedule func()
	// OnIncident hears of every incident a committed transaction created
	// (before nil) or changed.
	OnIncident func(before, after *incident.Incident)
	// IndexArchives enters every resolution into archives_due.
	IndexArchives bool
	// MaxConns caps the pool; default pgxpool's (4 or the CPU count).
	MaxConns int32

	// tracer sees every statement; tests count round trips with it.
	tracer pgx.QueryTracer
}

// maxAttempts bounds Update's retries of serialization failures. Each
// failure means another transaction committed, so the system progresses;
// the bound only stops a pathological livelock from hanging a command.
const maxAttempts = 30

// maxReconnects bounds how often Update starts over on a broken
// connection: enough to get past the pool's connections a database restart
// killed, few enough that a database that is down fails the request fast.
const maxReconnects = 3

// Store is a PostgreSQL-backed store. Its methods are safe for concurrent
// use.
type Store struct {
	pool       *pgxpool.Pool
	dsn        string
	now        func() time.Time
	onEnqueue  func()
	onSchedule func()
	onIncident func(before, after *incident.Incident)
	archives   bool

	// For /metrics (see Collector).
	retries, claims, takeovers atomic.Int64
}

// Open connects to the database at dsnString, migrates it to the current
// schema (under an advisory lock, so replicas starting together are
// safe), and returns the store.
func Open(ctx context.Context, dsnString string, opts Options) (*Store, error) {
	s, err := connect(ctx, dsnString, opts)
	if err != nil {
		return nil, err
	}
	if _, err := Migrate(ctx, s.pool, false); err != nil {
		s.pool.Close()
		return nil, s.wrap(fmt.Errorf("open store: %w", err))
	}
	return s, nil
}

// MigrateDSN connects to the database, brings it to the current schema as
// Open does, and returns what it applied; with dryRun it returns what it
// would apply and changes nothing. It is `incidentbot migrate [--dry-run]`.
func MigrateDSN(ctx context.Context, dsnString string, dryRun bool) ([]Migration, error) {
	s, err := connect(ctx, dsnString, Options{})
	if err != nil {
		return nil, err
	}
	defer s.pool.Close()
	m, err := Migrate(ctx, s.pool, dryRun)
	return m, s.wrap(err)
}

func connect(ctx context.Context, dsnString string, opts Options) (*Store, error) {
	if dsnString == "" {
		return nil, errors.New("open store: no database given; set store.dsn")
	}
	s := &Store{dsn: dsnString, now: opts.Now, onEnqueue: opts.OnEnqueue, onSchedule: opts.OnSchedule, onIncident: opts.OnIncident, archives: opts.IndexArchives}
	if s.now == nil {
		s.now = time.Now
	}
	cfg, err := pgxpool.ParseConfig(dsnString)
	if err != nil {
		return nil, s.wrap(fmt.Errorf("open store: store.dsn: %w", err))
	}
	if opts.MaxConns > 0 {
		cfg.MaxConns = opts.MaxConns
	}
	if opts.tracer != nil {
		cfg.ConnConfig.Tracer = opts.tracer
	}
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, s.wrap(dbError{fmt.Errorf("open store: %w", err)})
	}
	s.pool = pool
	if err := pool.Ping(ctx); err != nil {
		pool.Close()
		return nil, s.wrap(dbError{fmt.Errorf("open store %s: %w", s.Path(), err)})
	}
	return s, nil
}

// Close closes the pool. Closing twice is harmless.
func (s *Store) Close() error {
	s.pool.Close()
	return nil
}

// Path names the database for messages: the DSN with its password masked.
func (s *Store) Path() string { return dsn.Redact(s.dsn) }

// Ping checks that the database answers, for /readyz.
func (s *Store) Ping(ctx context.Context) error {
	if err := s.pool.Ping(ctx); err != nil {
		return s.wrap(dbError{fmt.Errorf("store %s: %w", s.Path(), err)})
	}
	return nil
}

// WriteFailure is always nil: a database that cannot be reached fails each
// request on its own (see the package comment), nothing is sticky.
func (s *Store) WriteFailure() error { return nil }

// Warnings is always empty; it exists for the bbolt store's start-up check.
func (s *Store) Warnings() []string { return nil }

// Update runs fn in a serializable transaction and commits it if fn returns
// nil; if fn returns an error nothing it did is kept and that error is
// returned. fn may run more than once (see the package comment), so it
// must have no effects outside tx. Never start another transaction inside
// fn.
func (s *Store) Update(ctx context.Context, fn func(tx store.Tx) error) error {
	lost := 0
	var reserved []uint64
	for attempt := 1; ; attempt++ {
		if err := ctx.Err(); err != nil {
			return err
		}
		hooks, numbers, err := s.attempt(ctx, fn, reserved)
		if err == nil {
			for _, h := range hooks {
				h()
			}
			return nil
		}
		// An attempt that is run again hands the incident numbers it took
		// to the next: rolled back, it committed none, and nextval never
		// hands them out again, so contention costs no gap.
		reserved = numbers
		if retryable(err) && attempt < maxAttempts {
			s.retries.Add(1)
			continue
		}
		// A connection found broken before COMMIT (the pool may hand out
		// one a database restart killed) lost nothing: fn's work died
		// with it, and fn may run again. A broken COMMIT is not retried:
		// it may have been applied.
		if connectionLost(err) && !errors.As(err, new(commitError)) && lost < maxReconnects {
			lost++
			continue
		}
		var fe fnError
		if errors.As(err, &fe) && !isDB(fe.err) {
			return fe.err // fn's own error, exactly as it returned it
		}
		return s.wrap(err)
	}
}

// attempt runs fn once and returns the hooks to run after its commit, and
// the incident numbers a failed attempt leaves to the next (see
// pgTx.nextNumber): reserved are those an earlier attempt left.
func (s *Store) attempt(ctx context.Context, fn func(tx store.Tx) error, reserved []uint64) (hooks []func(), numbers []uint64, err error) {
	conn, err := s.pool.Acquire(ctx)
	if err != nil {
		return nil, reserved, dbError{fmt.Errorf("begin: %w", err)}
	}
	// A connection released inside a transaction (one whose ROLLBACK
	// failed) is closed by the pool, never reused.
	defer conn.Release()
	tx := &pgTx{ctx: ctx, conn: conn, begin: "BEGIN ISOLATION LEVEL SERIALIZABLE", s: s, reserved: reserved}
	defer func() {
		if r := recover(); r != nil {
			err = fnError{fmt.Errorf("panic: %v", r)}
		}
		if err != nil {
			tx.end()
			numbers = tx.leftNumbers()
		}
	}()
	if err := fn(tx); err != nil {
		return nil, nil, fnError{err}
	}
	if err := tx.commit(); err != nil {
		return nil, nil, err
	}
	return tx.hooks(), nil, nil
}

// View runs fn in a read-only snapshot. Never start another transaction
// inside fn.
//
// View takes no context: it is the backend-neutral read that the
// use-cases, the workers and the contract suite share with bbolt
// (commands.Store, storetest.Backend), whose reads wait on nothing outside
// the process, and adding one changes every reader of every package. Its
// reads are short (one incident, the open ones, a page of jobs) and end
// with the connection if the server goes away. A caller that holds a
// context and may read long, such as a copy of the whole store, uses
// ViewContext.
func (s *Store) View(fn func(tx store.Tx) error) error {
	return s.ViewContext(context.Background(), fn)
}

// ViewContext is View ending with ctx: waiting for a connection, starting
// the snapshot and every query fn makes through tx stop once ctx is done,
// and fn's reads then fail with ctx's error.
func (s *Store) ViewContext(ctx context.Context, fn func(tx store.Tx) error) error {
	return s.view(ctx, func(tx *pgTx) error { return fn(tx) })
}

func (s *Store) view(ctx context.Context, fn func(tx *pgTx) error) error {
	conn, err := s.pool.Acquire(ctx)
	if err != nil {
		return s.wrap(dbError{fmt.Errorf("begin: %w", err)})
	}
	// A connection that a done ctx interrupted is closed by pgx, and one
	// left inside a transaction is closed by the pool on release: no
	// half-read connection returns to the pool.
	defer conn.Release()
	tx := &pgTx{ctx: ctx, conn: conn, begin: "BEGIN ISOLATION LEVEL REPEATABLE READ, READ ONLY", s: s, readOnly: true}
	defer tx.end() // read-only: nothing to keep
	if err := fn(tx); err != nil {
		if isDB(err) {
			return s.wrap(err)
		}
		return err
	}
	return nil
}
