package pgstore

import (
	"context"
	"errors"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/incidentbot/incidentbot/incident"
	"github.com/incidentbot/incidentbot/internal/dsn"
)

// ErrNewerSchema is wrapped by Open when the database was migrated by a
// newer incidentbot whose schema this binary does not know.
var ErrNewerSchema = errors.New("from a newer incidentbot")

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
