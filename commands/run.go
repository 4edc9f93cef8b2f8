package commands

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/incidentbot/incidentbot/incident"
	"github.com/incidentbot/incidentbot/store"
)

// run is the transaction of every use-case that writes. It reads the clock
// once, so everything the use-case records happens at one instant; it
// records the delivery's key, and for a delivery handled before (dup) does
// nothing more, so a redelivered envelope cannot act twice; it runs body
// and commits; and it names the use-case op in an error, which keeps its
// code: the user still hears why, and a failed write is still
// incident.ErrNotSaved. key "" is a delivery that is never seen twice.
//
// The store may run body more than once, so body sets what it reports
// afresh each time.
func (s *Service) run(ctx context.Context, op, key string, body func(tx store.Tx, now time.Time) error) (dup bool, err error) {
	now := s.now()
	err = s.Store.Update(ctx, func(tx store.Tx) error {
		dup = false
		if key != "" {
			seen, err := tx.MarkSeen(key, now)
			if err != nil || seen {
				dup = seen
				return err
			}
		}
		return body(tx, now)
	})
	if err != nil {
		return false, fmt.Errorf("%s: %w", op, err)
	}
	return dup, nil
}

// runFor is run for a use-case that reports an R: body fills in res, which
// starts from R's zero each time the store runs body, and a delivery
// handled before reports dup (the result that says so) instead; with key
// "" there is none, and dup is never reported. On an error the result is
// R's zero.
func runFor[R any](ctx context.Context, s *Service, op, key string, dup R, body func(tx store.Tx, now time.Time, res *R) error) (R, error) {
	var res R
	seen, err := s.run(ctx, op, key, func(tx store.Tx, now time.Time) error {
		res = *new(R)
		return body(tx, now, &res)
	})
	switch {
	case err != nil:
		return *new(R), err
	case seen:
		return dup, nil
	}
	return res, nil
}

// runInFor is runFor about the incident whose channel is channel, as runIn.
func runInFor[R any](ctx context.Context, s *Service, op, key, channel string, dup R, body func(tx store.Tx, inc *incident.Incident, now time.Time, res *R) error) (R, error) {
	return runFor(ctx, s, op, key, dup, func(tx store.Tx, now time.Time, res *R) error {
		inc, err := s.incidentIn(tx, channel)
		if err != nil {
			return err
		}
		return body(tx, inc, now, res)
	})
}

// deliveryKey is the key run records for a delivery of kind identified by
// key (a trigger_id, a view ID, a click), "" when the delivery has none.
func deliveryKey(kind, key string) string {
	if key == "" {
		return ""
	}
	return kind + ":" + key
}

// withHint adds what the user can do next, in words that name the
// configured command, to the domain's refusal of a change to a resolved
// incident (ECONFLICT); any other error is returned as it is.
func withHint(err error, format string, args ...any) error {
	var e *incident.Error
	if !errors.As(err, &e) || e.Code != incident.ECONFLICT {
		return err
	}
	return incident.Errorf(e.Code, "%s %s", e.Message, fmt.Sprintf(format, args...))
}

// runIn is run for a use-case about the incident whose channel is channel
// (where the command was typed, the button clicked): body gets it, read in
// the transaction. Outside an incident channel it is an EINVALID error.
func (s *Service) runIn(ctx context.Context, op, key, channel string, body func(tx store.Tx, inc *incident.Incident, now time.Time) error) (dup bool, err error) {
	return s.run(ctx, op, key, func(tx store.Tx, now time.Time) error {
		inc, err := s.incidentIn(tx, channel)
		if err != nil {
			return err
		}
		return body(tx, inc, now)
	})
}
