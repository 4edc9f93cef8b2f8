package pgstore

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/incidentbot/incidentbot/incident"
	"github.com/incidentbot/incidentbot/store"
)

// SetReminder schedules the reminder of incident number at due, replacing
// any earlier one. OnSchedule runs once the transaction commits. The error
// wraps store.ErrNotFound if the incident does not exist.
func (tx *pgTx) SetReminder(number uint64, due time.Time) error {
	id := incident.FormatID(number)
	if due.IsZero() {
		return fmt.Errorf("set reminder of %s: zero due time; use ClearReminder to stop reminders", id)
	}
	if tx.created[number] == nil {
		if err := tx.requireIncident(number); err != nil {
			return fmt.Errorf("set reminder of %s: %w", id, err)
		}
	}
	if err := tx.later(`INSERT INTO reminders (incident, due_ns) VALUES ($1, $2)
		ON CONFLICT (incident) DO UPDATE SET due_ns = excluded.due_ns`, number, ns(due)); err != nil {
		return fmt.Errorf("set reminder of %s: %w", id, err)
	}
	tx.markSchedule()
	return nil
}

// ClearReminder stops the reminder of incident number; clearing when there
// is none is not an error.
func (tx *pgTx) ClearReminder(number uint64) error {
	tag, err := tx.exec("DELETE FROM reminders WHERE incident = $1", number)
	if err != nil {
		return fmt.Errorf("clear reminder of %s: %w", incident.FormatID(number), err)
	}
	if tag.RowsAffected() > 0 {
		tx.markSchedule()
	}
	return nil
}

// Reminder returns when the reminder of incident number is due, and false
// if none is set.
func (tx *pgTx) Reminder(number uint64) (time.Time, bool, error) {
	var due int64
	found, err := tx.scanRow("SELECT due_ns FROM reminders WHERE incident = $1", []any{number}, &due)
	if err != nil || !found {
		if err != nil {
			err = fmt.Errorf("reminder of %s: %w", incident.FormatID(number), err)
		}
		return time.Time{}, false, err
	}
	return fromNS(due), true, nil
}

// DueReminders returns the reminders due at or before now, earliest first.
func (tx *pgTx) DueReminders(now time.Time) ([]store.Reminder, error) {
	out, err := collect(tx, "SELECT incident, due_ns FROM reminders WHERE due_ns <= $1 ORDER BY due_ns, incident",
		[]any{ns(now)}, scanReminder)
	if err != nil {
		return nil, fmt.Errorf("due reminders: %w", err)
	}
	return out, nil
}

func scanReminder(row pgx.CollectableRow) (store.Reminder, error) {
	var r store.Reminder
	var due int64
	err := row.Scan(&r.Incident, &due)
	r.Due = fromNS(due)
	return r, err
}

// NextReminder returns the earliest reminder, and false if none is set.
func (s *Store) NextReminder() (store.Reminder, bool, error) {
	var (
		r   store.Reminder
		due int64
	)
	err := s.pool.QueryRow(context.Background(), "SELECT incident, due_ns FROM reminders ORDER BY due_ns, incident LIMIT 1").Scan(&r.Incident, &due)
	switch {
	case errors.Is(err, pgx.ErrNoRows):
		return store.Reminder{}, false, nil
	case err != nil:
		return store.Reminder{}, false, s.wrap(dbError{fmt.Errorf("next reminder: %w", err)})
	}
	r.Due = fromNS(due)
	return r, true, nil
}
