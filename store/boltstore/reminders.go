package boltstore

import (
	"bytes"
	"fmt"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/incidentbot/incidentbot/incident"
)

// SetReminder schedules the reminder of incident number at due, replacing
// any earlier one: an incident has at most one. OnSchedule runs once the
// transaction commits, so the scheduler can recompute its next wake-up. The
// error wraps ErrNotFound if the incident does not exist.
func (tx *boltTx) SetReminder(number uint64, due time.Time) error {
	id := incident.FormatID(number)
	if due.IsZero() {
		return fmt.Errorf("set reminder of %s: zero due time; use ClearReminder to stop reminders", id)
	}
	if err := tx.requireIncident(number); err != nil {
		return fmt.Errorf("set reminder of %w", err)
	}
	byDue, err := tx.bucket(bucketReminders)
	if err != nil {
		return fmt.Errorf("set reminder of %s: %w", id, err)
	}
	byIncident, err := tx.bucket(bucketRemindersByIncident)
	if err != nil {
		return fmt.Errorf("set reminder of %s: %w", id, err)
	}
	n, tk := u64Key(number), timeKey(due)
	// The incident's entry is overwritten below; only the due-time index
	// loses the old one. concat copies it out of bbolt's memory first.
	if old := byIncident.Get(n); old != nil {
		if err := byDue.Delete(concat(old, n)); err != nil {
			return fmt.Errorf("set reminder of %s: %w", id, err)
		}
	}
	if err := byDue.Put(concat(tk, n), n); err != nil {
		return fmt.Errorf("set reminder of %s: %w", id, err)
	}
	if err := byIncident.Put(n, tk); err != nil {
		return fmt.Errorf("set reminder of %s: %w", id, err)
	}
	tx.s.scheduled.arm(tx.btx)
	return nil
}

// ClearReminder stops the reminder of incident number; clearing when there
// is none is not an error. PutIncident does this itself on resolution.
func (tx *boltTx) ClearReminder(number uint64) error {
	cleared, err := tx.clearReminder(number)
	if err != nil {
		return fmt.Errorf("clear reminder of %s: %w", incident.FormatID(number), err)
	}
	if cleared {
		tx.s.scheduled.arm(tx.btx)
	}
	return nil
}

func (tx *boltTx) clearReminder(number uint64) (bool, error) {
	byIncident, err := tx.bucket(bucketRemindersByIncident)
	if err != nil {
		return false, err
	}
	n := u64Key(number)
	tk := byIncident.Get(n)
	if tk == nil {
		return false, nil
	}
	byDue, err := tx.bucket(bucketReminders)
	if err != nil {
		return false, err
	}
	// concat copies tk out of bbolt's memory before the deletes below.
	if err := byDue.Delete(concat(tk, n)); err != nil {
		return false, err
	}
	if err := byIncident.Delete(n); err != nil {
		return false, err
	}
	return true, nil
}

// Reminder returns when the reminder of incident number is due, and false if
// none is set.
func (tx *boltTx) Reminder(number uint64) (time.Time, bool, error) {
	byIncident, err := tx.bucket(bucketRemindersByIncident)
	if err != nil {
		return time.Time{}, false, fmt.Errorf("reminder of %s: %w", incident.FormatID(number), err)
	}
	tk := byIncident.Get(u64Key(number))
	if tk == nil {
		return time.Time{}, false, nil
	}
	due, err := parseTimeKey(tk)
	if err != nil {
		return time.Time{}, false, fmt.Errorf("reminder of %s: %w", incident.FormatID(number), err)
	}
	return due, true, nil
}

// DueReminders returns the reminders due at or before now, earliest first.
// It seeks the due-time index, so it reads only what it returns.
func (tx *boltTx) DueReminders(now time.Time) ([]Reminder, error) {
	byDue, err := tx.bucket(bucketReminders)
	if err != nil {
		return nil, fmt.Errorf("due reminders: %w", err)
	}
	byIncident, err := tx.bucket(bucketRemindersByIncident)
	if err != nil {
		return nil, fmt.Errorf("due reminders: %w", err)
	}
	limit := timeKey(now)
	var out []Reminder
	c := byDue.Cursor()
	for k, _ := c.First(); k != nil; k, _ = c.Next() {
		// The bound first: the scheduler asks every cycle, and an entry
		// not yet due needs no look at reminders_by_incident.
		if len(k) == 16 && bytes.Compare(k[:8], limit) > 0 {
			break
		}
		if r, ok := tx.readReminder(byIncident, k); ok {
			out = append(out, r)
		}
	}
	return out, nil
}

// readReminder reads due-time index key k, false when it cannot be read
// or is not the reminder reminders_by_incident holds for its incident:
// that one is never fired (the firing re-checks it), so kept as due it
// would be due again at once, forever.
func (tx *boltTx) readReminder(byIncident *bolt.Bucket, k []byte) (Reminder, bool) {
	r, err := parseReminderKey(k)
	if err != nil {
		tx.s.unreadable.report(bucketReminders, k)
		return Reminder{}, false
	}
	if !bytes.Equal(byIncident.Get(k[8:]), k[:8]) {
		tx.s.unreadable.reportAs(bucketReminders, k, "is not the reminder set for its incident")
		return Reminder{}, false
	}
	return r, true
}

// NextReminder returns the earliest reminder, and false if none is set.
func (s *Store) NextReminder() (Reminder, bool, error) {
	var (
		r  Reminder
		ok bool
	)
	err := s.view(func(tx *boltTx) error {
		byDue, err := tx.bucket(bucketReminders)
		if err != nil {
			return err
		}
		byIncident, err := tx.bucket(bucketRemindersByIncident)
		if err != nil {
			return err
		}
		c := byDue.Cursor()
		for k, _ := c.First(); k != nil; k, _ = c.Next() {
			if r, ok = tx.readReminder(byIncident, k); ok {
				return nil
			}
		}
		return nil
	})
	if err != nil {
		return Reminder{}, false, fmt.Errorf("next reminder: %w", err)
	}
	return r, ok, nil
}

// parseReminderKey reads due-time ‖ incident number.
func parseReminderKey(k []byte) (Reminder, error) {
	if len(k) != 16 {
		return Reminder{}, fmt.Errorf("corrupt reminder key %x", k)
	}
	due, err := parseTimeKey(k[:8])
	if err != nil {
		return Reminder{}, err
	}
	n, err := parseU64(k[8:])
	if err != nil {
		return Reminder{}, err
	}
	return Reminder{Incident: n, Due: due}, nil
}
