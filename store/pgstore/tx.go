package pgstore

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/incidentbot/incidentbot/incident"
	"github.com/incidentbot/incidentbot/store"
)

// pgTx is one transaction, the store.Tx handed to the functions given to
// Update and View and valid only inside them. Everything its methods
// return is a copy.
type pgTx struct {
	ctx context.Context
	// conn is the connection the transaction runs on; begin, when not
	// "", is the BEGIN statement still to send with the first request,
	// and begun says it has gone (see batch.go).
	conn     querier
	begin    string
	begun    bool
	s        *Store
	readOnly bool
	// wake: the commit must call OnEnqueue (jobs were enqueued);
	// schedule: OnSchedule (reminders or resolution indexes changed);
	// changed: what OnIncident hears.
	wake, schedule bool
	changed        []func()
	// reserved are the incident numbers an earlier attempt of the same
	// Update took, numbers those this attempt took (see nextNumber);
	// restarted: RaiseCounters moved the number sequence, which a
	// rollback moves back, so the numbers taken are not this Update's to
	// keep.
	reserved, numbers []uint64
	restarted         bool
	// queued writes go with the next request (see batch.go); created are
	// the incidents this transaction created; lastJob is the last outbox
	// ID it handed out under the enqueue lock (0: none since taking it or
	// since a restart), jobSent the sequence's value on the server.
	queued           []queuedWrite
	created          map[uint64]*created
	lastJob, jobSent uint64
}

// errReadOnly refuses a write inside View that PostgreSQL would not refuse
// itself (because it would change nothing).
var errReadOnly = errors.New("read-only transaction (View)")

// querier is what a pgTx sends its statements through: a pooled
// connection, or a pgx.Tx.
type querier interface {
	Exec(ctx context.Context, sql string, args ...any) (pgconn.CommandTag, error)
	QueryRow(ctx context.Context, sql string, args ...any) pgx.Row
	Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error)
	SendBatch(ctx context.Context, b *pgx.Batch) pgx.BatchResults
}

// pgTx must keep the whole contract.
var _ store.Tx = (*pgTx)(nil)

// hooks are what to call once the transaction has committed.
func (tx *pgTx) hooks() []func() {
	out := tx.changed
	if tx.wake && tx.s.onEnqueue != nil {
		out = append(out, tx.s.onEnqueue)
	}
	if tx.schedule && tx.s.onSchedule != nil {
		out = append(out, tx.s.onSchedule)
	}
	return out
}

func (tx *pgTx) markWake()     { tx.wake = true }
func (tx *pgTx) markSchedule() { tx.schedule = true }

// incidentChanged arranges for OnIncident to hear of the change after the
// commit; after is copied now, as the caller may go on changing it.
func (tx *pgTx) incidentChanged(before, after *incident.Incident) {
	if tx.s.onIncident == nil {
		return
	}
	cp := *after
	tx.changed = append(tx.changed, func() { tx.s.onIncident(before, &cp) })
}

// decodeError is a stored value that does not decode: damage, not a lost
// connection.
type decodeError struct{ err error }

func (e decodeError) Error() string { return "decode stored value: " + e.err.Error() }
func (e decodeError) Unwrap() error { return e.err }

func decode(data []byte, v any) error {
	if err := json.Unmarshal(data, v); err != nil {
		return decodeError{err}
	}
	return nil
}

// ns is an instant as stored in key columns; fromNS reads it back as bbolt
// does, in UTC.
func ns(t time.Time) int64 { return t.UnixNano() }

func fromNS(n int64) time.Time { return time.Unix(0, n).UTC() }

// Size is how many bytes the database takes on the server.
func (tx *pgTx) Size() int64 {
	var n int64
	if _, err := tx.scanRow("SELECT pg_database_size(current_database())", nil, &n); err != nil {
		return 0
	}
	return n
}

// SeenCount is how many keys are held: delivery keys not pruned yet and
// remembered facts.
func (tx *pgTx) SeenCount() (int, error) {
	var n int
	if _, err := tx.scanRow("SELECT count(*) FROM seen", nil, &n); err != nil {
		return 0, fmt.Errorf("seen count: %w", err)
	}
	return n, nil
}
