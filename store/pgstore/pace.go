package pgstore

import (
	"context"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"
)

// Slack allows a workspace, not a replica, so many posts a minute: once
// that limit binds, the replicas must share one schedule of posts (when
// the next may go, what urgent posts owe), or each would pace at the
// workspace's rate and together send several times what Slack takes. The
// schedule is one row per limit, which each replica reads and replaces
// under the row's lock. Its content is the bot's (the store keeps it as
// given). Like the holds, these statements run outside the serializable
// transactions: one row under its lock needs no more isolation, and a
// post must never wait behind a use-case's retries.

// SlackPace returns the pacer's state for the limit key as last stored,
// read without a lock; nil when none was stored.
func (s *Store) SlackPace(ctx context.Context, key string) ([]byte, error) {
	var state []byte
	err := s.pool.QueryRow(ctx, `SELECT state FROM slack_pace WHERE key = $1`, key).Scan(&state)
	switch {
	case errors.Is(err, pgx.ErrNoRows):
		return nil, nil
	case err != nil:
		return nil, s.wrap(fmt.Errorf("slack pace %s: %w", key, err))
	case string(state) == "null":
		return nil, nil
	}
	return state, nil
}

// PaceSlack replaces the pacer's state for the limit key with what change
// makes of it (nil: none stored yet), atomically: no other replica reads
// it under PaceSlack or changes it in between. When change fails, nothing
// changes and its error is returned.
func (s *Store) PaceSlack(ctx context.Context, key string, change func(state []byte) ([]byte, error)) error {
	if key == "" {
		return errors.New("pace slack: no limit key")
	}
	err := pgx.BeginTxFunc(ctx, s.pool, pgx.TxOptions{IsoLevel: pgx.ReadCommitted}, func(tx pgx.Tx) error {
		var state []byte
		err := tx.QueryRow(ctx, `SELECT state FROM slack_pace WHERE key = $1 FOR UPDATE`, key).Scan(&state)
		if errors.Is(err, pgx.ErrNoRows) {
			// The first change ever: create the row, or, if another
			// replica just did, wait for its lock and read what it wrote.
			err = tx.QueryRow(ctx, `INSERT INTO slack_pace (key, state) VALUES ($1, 'null')
				ON CONFLICT (key) DO UPDATE SET key = EXCLUDED.key RETURNING state`, key).Scan(&state)
		}
		if err != nil {
			return err
		}
		if string(state) == "null" {
			state = nil
		}
		next, err := change(state)
		if err != nil {
			return &changeError{err}
		}
		if next == nil {
			next = []byte("null")
		}
		_, err = tx.Exec(ctx, `UPDATE slack_pace SET state = $2 WHERE key = $1`, key, string(next))
		return err
	})
	if ce, ok := errors.AsType[*changeError](err); ok {
		return ce.err
	}
	if err != nil {
		return s.wrap(fmt.Errorf("pace slack %s: %w", key, err))
	}
	return nil
}

// changeError carries the error of PaceSlack's change through the
// transaction, so that it is returned as it was.
type changeError struct{ err error }

func (e *changeError) Error() string { return e.err.Error() }
