package pgstore

import (
	"context"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
)

// Round trips. A declaration's transaction used to send some thirty-five
// statements one at a time (an incident, two events, eight jobs, a
// reminder), each waiting for its answer, while holding the outbox's
// advisory lock for most of them: the lock made declarations commit one at
// a time, so the round trips of each added up across all of them. Now a
// write whose answer nothing waits for is queued (later) and sent in one
// batch with the next statement that needs an answer, or before COMMIT;
// and what only this transaction can know is counted here instead of asked
// of the server: the seqs of an incident it created (no one else can see
// the row) and the outbox IDs after its first (no one else takes one while
// it holds the lock). BEGIN goes with the first statement and COMMIT with
// the last writes: a one-line declaration is four round trips.

// queuedWrite is a statement whose answer nothing waits for.
type queuedWrite struct {
	sql  string
	args []any
}

// created is the bookkeeping of an incident this transaction created: the
// last seq it handed out, and the last one the row on the server holds.
type created struct{ seq, sent uint64 }

// later queues a write whose answer nothing waits for. Its error (a
// serialization failure, a lost connection) comes back from the request it
// is sent with. In a View it is sent at once, for the server to refuse.
func (tx *pgTx) later(sql string, args ...any) error {
	if tx.readOnly {
		_, err := tx.exec(sql, args...)
		return err
	}
	tx.queued = append(tx.queued, queuedWrite{sql, args})
	return nil
}

// takeQueued returns the queued writes, after BEGIN if the transaction has
// not begun yet and with the writes the bookkeeping owes the server added,
// and empties the queue; nil if there are none.
func (tx *pgTx) takeQueued() []queuedWrite {
	if !tx.begun && tx.begin != "" {
		tx.queued = append([]queuedWrite{{sql: tx.begin}}, tx.queued...)
		tx.begun = true
	}
	for n, c := range tx.created {
		if c.seq != c.sent {
			tx.queued = append(tx.queued, queuedWrite{"UPDATE incidents SET last_seq = $2 WHERE number = $1", []any{n, c.seq}})
			c.sent = c.seq
		}
	}
	if tx.lastJob != tx.jobSent {
		tx.queued = append(tx.queued, queuedWrite{"SELECT setval('outbox_ids', $1)", []any{tx.lastJob}})
		tx.jobSent = tx.lastJob
	}
	q := tx.queued
	tx.queued = nil
	return q
}

// sendWith sends the queued writes and then sql in one batch, reads the
// writes' answers, and returns the results positioned at sql's, for the
// caller to read and close. With nothing queued it returns nil.
func (tx *pgTx) sendWith(sql string, args []any) (pgx.BatchResults, error) {
	q := tx.takeQueued()
	if len(q) == 0 {
		return nil, nil
	}
	b := &pgx.Batch{}
	for _, w := range q {
		b.Queue(w.sql, w.args...)
	}
	if sql != "" {
		b.Queue(sql, args...)
	}
	br := tx.conn.SendBatch(tx.ctx, b)
	for _, w := range q {
		if _, err := br.Exec(); err != nil {
			_ = br.Close()
			return nil, dbError{fmt.Errorf("%s: %w", w.sql, err)}
		}
	}
	return br, nil
}

// commit sends the queued writes and COMMIT in one batch. Nothing is sent
// for a transaction that never began (it sent nothing). A connection lost
// on the way is a commitError: COMMIT may have been applied.
func (tx *pgTx) commit() error {
	if !tx.begun && len(tx.queued) == 0 {
		return nil
	}
	tag, err := tx.exec("COMMIT")
	switch {
	case err != nil && connectionLost(err):
		return commitError{dbError{fmt.Errorf("commit: %w", err)}}
	case err != nil:
		return fmt.Errorf("commit: %w", err)
	case tag.String() == "ROLLBACK":
		// The transaction had failed, and fn carried on past the error.
		return dbError{fmt.Errorf("commit: %w", pgx.ErrTxCommitRollback)}
	}
	return nil
}

// end rolls back a transaction that began; Update and View call it when
// they do not commit.
func (tx *pgTx) end() {
	if tx.begun {
		_, _ = tx.conn.Exec(context.WithoutCancel(tx.ctx), "ROLLBACK")
	}
}

// exec, scanRow and collect send the queued writes first, in the same
// round trip, and mark the database's errors as such (dbError), so that
// Update can tell a lost connection from a rule of the store.
func (tx *pgTx) exec(sql string, args ...any) (pgconn.CommandTag, error) {
	br, err := tx.sendWith(sql, args)
	if err != nil {
		return pgconn.CommandTag{}, err
	}
	var tag pgconn.CommandTag
	if br == nil {
		tag, err = tx.conn.Exec(tx.ctx, sql, args...)
	} else {
		tag, err = br.Exec()
		err = errors.Join(err, br.Close())
	}
	if err != nil {
		return tag, dbError{err}
	}
	return tag, nil
}

// scanRow runs a one-row query into dest and reports whether there was a
// row.
func (tx *pgTx) scanRow(sql string, args []any, dest ...any) (bool, error) {
	br, err := tx.sendWith(sql, args)
	if err != nil {
		return false, err
	}
	if br == nil {
		err = tx.conn.QueryRow(tx.ctx, sql, args...).Scan(dest...)
	} else {
		err = br.QueryRow().Scan(dest...)
		if cerr := br.Close(); err == nil || errors.Is(err, pgx.ErrNoRows) && cerr != nil {
			err = cerr
		}
	}
	switch {
	case errors.Is(err, pgx.ErrNoRows):
		return false, nil
	case err != nil:
		return false, dbError{err}
	}
	return true, nil
}

// collect runs a query and scans every row with scan.
func collect[T any](tx *pgTx, sql string, args []any, scan func(pgx.CollectableRow) (T, error)) ([]T, error) {
	br, err := tx.sendWith(sql, args)
	if err != nil {
		return nil, err
	}
	var rows pgx.Rows
	if br == nil {
		rows, err = tx.conn.Query(tx.ctx, sql, args...)
	} else {
		defer br.Close()
		rows, err = br.Query()
	}
	if err != nil {
		return nil, dbError{err}
	}
	out, err := pgx.CollectRows(rows, scan)
	if err != nil {
		var de decodeError
		if errors.As(err, &de) {
			return nil, err
		}
		return nil, dbError{err}
	}
	if br != nil {
		if err := br.Close(); err != nil {
			return nil, dbError{err}
		}
	}
	return out, nil
}
