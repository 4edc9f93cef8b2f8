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
// bbolt store's batching already demands of it. The counters are taken
// with locks besides, because their order matters, not only their
// uniqueness: an incident number is the incident_counter row's last + 1
// and an event's seq the incident row's last_seq + 1 (the row locks make
// them gapless, in commit order, and a rollback gives its number back),
// and an outbox ID is taken under a transaction-level advisory lock (so
// IDs are handed out in commit order and a reader that has seen ID n never
// later finds a lower one committed).
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
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/incidentbot/incidentbot/incident"
	"github.com/incidentbot/incidentbot/internal/dsn"
	"github.com/incidentbot/incidentbot/store"
)

// ErrNewerSchema is wrapped by Open when the database was migrated by a
// newer incidentbot whose schema this binary does not know.
var ErrNewerSchema = errors.New("from a newer incidentbot")

// Options tunes Open; the zero value is ready to use. The hooks mean what
// they mean for the bbolt store.
type Options struct {
	// Now is the clock for default timestamps; default time.Now.
	Now func() time.Time
	// OnEnqueue is called after a commit that enqueued outbox jobs or
	// changed reminders or resolution indexes, on the committing goroutine.
	OnEnqueue func()
	// OnIncident hears of every incident a committed transaction created
	// (before nil) or changed.
	OnIncident func(before, after *incident.Incident)
	// IndexArchives enters every resolution into archives_due.
	IndexArchives bool
	// MaxConns caps the pool; default pgxpool's (4 or the CPU count).
	MaxConns int32
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
	onIncident func(before, after *incident.Incident)
	archives   bool
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
	s := &Store{dsn: dsnString, now: opts.Now, onEnqueue: opts.OnEnqueue, onIncident: opts.OnIncident, archives: opts.IndexArchives}
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
	lost, declares := 0, false
	for attempt := 1; ; attempt++ {
		if err := ctx.Err(); err != nil {
			return err
		}
		hooks, declared, err := s.attempt(ctx, fn, declares)
		declares = declares || declared
		if err == nil {
			for _, h := range hooks {
				h()
			}
			return nil
		}
		if retryable(err) && attempt < maxAttempts {
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
// whether fn took an incident number.
//
// Declarations contend for the one incident_counter row, and a
// serializable transaction that finds the row changed since its snapshot
// fails and starts over: under a burst of declarations each would fail
// again and again. So a declaration that failed once starts over with the
// table locked before its first read (lockCounter): it waits its turn, and
// its snapshot, taken after the wait, already holds the latest number.
func (s *Store) attempt(ctx context.Context, fn func(tx store.Tx) error, lockCounter bool) (hooks []func(), declared bool, err error) {
	ptx, err := s.pool.BeginTx(ctx, pgx.TxOptions{IsoLevel: pgx.Serializable})
	if err != nil {
		return nil, false, dbError{fmt.Errorf("begin: %w", err)}
	}
	defer func() {
		if r := recover(); r != nil {
			err = fnError{fmt.Errorf("panic: %v", r)}
		}
		if err != nil {
			_ = ptx.Rollback(context.WithoutCancel(ctx))
		}
	}()
	if lockCounter {
		// LOCK TABLE takes no snapshot; the first SELECT after it does.
		if _, err := ptx.Exec(ctx, "LOCK TABLE incident_counter IN EXCLUSIVE MODE"); err != nil {
			return nil, false, dbError{fmt.Errorf("lock the incident counter: %w", err)}
		}
	}
	tx := &pgTx{ctx: ctx, tx: ptx, s: s}
	defer func() { declared = tx.declares }()
	if err := fn(tx); err != nil {
		return nil, false, fnError{err}
	}
	if err := ptx.Commit(ctx); err != nil {
		return nil, false, commitError{dbError{fmt.Errorf("commit: %w", err)}}
	}
	return tx.hooks(), false, nil
}

// View runs fn in a read-only snapshot. Never start another transaction
// inside fn.
func (s *Store) View(fn func(tx store.Tx) error) error {
	return s.view(func(tx *pgTx) error { return fn(tx) })
}

func (s *Store) view(fn func(tx *pgTx) error) error {
	ctx := context.Background()
	ptx, err := s.pool.BeginTx(ctx, pgx.TxOptions{IsoLevel: pgx.RepeatableRead, AccessMode: pgx.ReadOnly})
	if err != nil {
		return s.wrap(dbError{fmt.Errorf("begin: %w", err)})
	}
	defer ptx.Rollback(ctx) //nolint:errcheck // read-only: nothing to keep
	if err := fn(&pgTx{ctx: ctx, tx: ptx, s: s, readOnly: true}); err != nil {
		if isDB(err) {
			return s.wrap(err)
		}
		return err
	}
	return nil
}

// fnError marks an error returned by Update's function, telling it apart
// from an error of beginning or committing.
type fnError struct{ err error }

func (e fnError) Error() string { return e.err.Error() }
func (e fnError) Unwrap() error { return e.err }

// retryable reports a serialization failure or deadlock: PostgreSQL rolled
// the transaction back, and running it again may succeed.
func retryable(err error) bool {
	var pe *pgconn.PgError
	return errors.As(err, &pe) && (pe.Code == "40001" || pe.Code == "40P01")
}

// UnavailableError is the error of a request that could not reach the
// database. It wraps incident.ErrNotSaved, so the user is told the request
// was not saved.
type UnavailableError struct {
	Err error
}

func (e *UnavailableError) Error() string {
	return "store cannot reach the database, so the request was not saved: " + e.Err.Error()
}

// The user's answer comes from the first *incident.Error in the chain:
// errNotReached says what happened; ErrNotSaved stays in the chain for
// errors.Is.
func (e *UnavailableError) Unwrap() []error {
	return []error{e.Err, errNotReached, incident.ErrNotSaved}
}

// errNotReached is what a user is told when the database cannot be
// reached: ErrNotSaved's code, and a reason that is true for a database
// (the bbolt store's speaks of a disk).
var errNotReached = &incident.Error{Code: incident.EUNAVAILABLE, Message: "Not saved: the bot cannot reach its database. Please try again in a minute."}

// wrap scrubs the DSN's password from err's message and marks a lost or
// refused connection as UnavailableError. errors.Is and As still see the
// original chain.
func (s *Store) wrap(err error) error {
	if err == nil {
		return nil
	}
	err = &scrubbed{err: err, dsn: s.dsn}
	if connectionLost(err) {
		return &UnavailableError{Err: err}
	}
	return err
}

// connectionLost reports an error of reaching the server rather than the
// server's answer to a statement: no connection, a connection broken
// mid-request, the server shutting down, a commit whose answer never came.
func connectionLost(err error) bool {
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		// 08: connection exception; 57P01-03: the server is shutting down
		// or not accepting connections.
		return pe.Code[:2] == "08" || pe.Code == "57P01" || pe.Code == "57P02" || pe.Code == "57P03"
	}
	if errors.Is(err, pgx.ErrNoRows) || errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return false
	}
	// Not the server's answer, from a call to the database: the
	// connection failed (refused, reset, EOF, timed out, pool closed).
	return isDB(err)
}

// commitError marks an error of COMMIT, whose outcome may be unknown.
type commitError struct{ dbError }

func (e commitError) Unwrap() error { return e.dbError }

// dbError marks an error returned by a call to the database (as opposed
// to a rule of the store, like a refused channel).
type dbError struct{ err error }

func (e dbError) Error() string { return e.err.Error() }
func (e dbError) Unwrap() error { return e.err }

func isDB(err error) bool {
	var de dbError
	return errors.As(err, &de)
}

// scrubbed is an error whose message has the DSN's password masked.
type scrubbed struct {
	err error
	dsn string
}

func (e *scrubbed) Error() string { return dsn.Scrub(e.err.Error(), e.dsn) }
func (e *scrubbed) Unwrap() error { return e.err }
