package pgstore

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5"

	"github.com/incidentbot/incidentbot/store"
)

// ForEachJob calls fn for every pending outbox job in ID order, as stored,
// stopping at and returning fn's first error. It reads a page at a time,
// so fn may use tx to read.
func (tx *pgTx) ForEachJob(fn func(store.Job) error) error {
	var after uint64
	for {
		page, err := collect(tx, "SELECT body FROM outbox WHERE id > $1 ORDER BY id LIMIT $2",
			[]any{after, pageSize}, scanJob)
		if err != nil {
			return fmt.Errorf("each job: %w", err)
		}
		for _, j := range page {
			if err := fn(j); err != nil {
				return err
			}
			after = j.ID
		}
		if len(page) < pageSize {
			return nil
		}
	}
}

// ForEachDeliveryKey calls fn for every key held by MarkSeen or Remember,
// in key order (byte order, as bbolt keeps them); a remembered key is the
// one whose at_ns is NULL.
func (tx *pgTx) ForEachDeliveryKey(fn func(store.DeliveryKey) error) error {
	after := ""
	for {
		page, err := collect(tx, `SELECT key, at_ns FROM seen WHERE key COLLATE "C" > $1 ORDER BY key COLLATE "C" LIMIT $2`,
			[]any{after, pageSize}, scanDeliveryKey)
		if err != nil {
			return fmt.Errorf("each delivery key: %w", err)
		}
		for _, k := range page {
			if err := fn(k); err != nil {
				return err
			}
			after = k.Key
		}
		if len(page) < pageSize {
			return nil
		}
	}
}

func scanDeliveryKey(row pgx.CollectableRow) (store.DeliveryKey, error) {
	var (
		k  store.DeliveryKey
		at *int64
	)
	if err := row.Scan(&k.Key, &at); err != nil {
		return k, err
	}
	if at == nil {
		k.Remembered = true
	} else {
		k.At = fromNS(*at)
	}
	return k, nil
}

// Counters reads the sequences incident_numbers and outbox_ids.
func (tx *pgTx) Counters() (store.Counters, error) {
	var c store.Counters
	var err error
	if c.Incident, err = tx.lastOf("incident_numbers"); err != nil {
		return c, fmt.Errorf("counters: %w", err)
	}
	if c.Job, err = tx.lastOf("outbox_ids"); err != nil {
		return c, fmt.Errorf("counters: %w", err)
	}
	return c, nil
}

// lastOf is the last value sequence seq handed out. A sequence not yet
// called (or just restarted) holds the value its next call returns, so the
// last one handed out is one less. seq is one of this package's names.
func (tx *pgTx) lastOf(seq string) (uint64, error) {
	var last int64
	var called bool
	if _, err := tx.scanRow("SELECT last_value, is_called FROM "+seq, nil, &last, &called); err != nil {
		return 0, err
	}
	if !called {
		last--
	}
	return uint64(max(last, 0)), nil
}

// RaiseCounters raises the sequences incident_numbers and outbox_ids to c,
// never lowering either. They are moved with ALTER SEQUENCE … RESTART, not
// setval: RESTART is transactional, so a copy that rolls back leaves the
// sequences where they were and can be run again.
func (tx *pgTx) RaiseCounters(c store.Counters) error {
	if tx.readOnly {
		return fmt.Errorf("raise counters: %w", errReadOnly)
	}
	cur, err := tx.Counters()
	if err != nil {
		return fmt.Errorf("raise counters: %w", err)
	}
	if cur.Incident < c.Incident {
		// DDL takes no parameters; c.Incident+1 is a number formatted here.
		if _, err := tx.exec(fmt.Sprintf("ALTER SEQUENCE incident_numbers RESTART WITH %d", c.Incident+1)); err != nil {
			return fmt.Errorf("raise the incident counter to %d: %w", c.Incident, err)
		}
		// Numbers left by an earlier attempt are below the restart, and
		// those this one takes are given back by its rollback.
		tx.restarted = true
		tx.reserved = tx.reserved[:min(len(tx.reserved), len(tx.numbers))]
	}
	if cur.Job < c.Job {
		if _, err := tx.exec(fmt.Sprintf("ALTER SEQUENCE outbox_ids RESTART WITH %d", c.Job+1)); err != nil {
			return fmt.Errorf("raise the job counter to %d: %w", c.Job, err)
		}
		// The next Enqueue asks the sequence again.
		tx.lastJob, tx.jobSent = 0, 0
	}
	return nil
}

// OtherSessions connects to the database at dsnString and counts the
// client sessions connected to the same database besides its own: a
// running incidentbot replica holds at least one (its pool keeps idle
// connections open). Unlike bbolt's file lock this is a snapshot of one
// moment, for a copy that must not read from or write to a database a bot
// is using.
func OtherSessions(ctx context.Context, dsnString string) (int, error) {
	s := &Store{dsn: dsnString}
	conn, err := pgx.Connect(ctx, dsnString)
	if err != nil {
		// Not an UnavailableError: no user's request is at stake here.
		return 0, &scrubbed{err: fmt.Errorf("cannot reach %s: %w", s.Path(), err), dsn: dsnString}
	}
	defer conn.Close(context.WithoutCancel(ctx))
	var n int
	err = conn.QueryRow(ctx, `SELECT count(*) FROM pg_stat_activity
		WHERE datname = current_database() AND pid <> pg_backend_pid() AND backend_type = 'client backend'`).Scan(&n)
	if err != nil {
		return 0, &scrubbed{err: fmt.Errorf("sessions of %s: %w", s.Path(), err), dsn: dsnString}
	}
	return n, nil
}
