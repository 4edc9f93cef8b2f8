package boltstore_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/incidentbot/incidentbot/incident"
	"github.com/incidentbot/incidentbot/store"
	"github.com/incidentbot/incidentbot/store/boltstore"
	"github.com/incidentbot/incidentbot/store/boltstore/bolttest"
)

func dueList(t *testing.T, s *boltstore.Store, now time.Time) string {
	t.Helper()
	var out []string
	view(t, s, func(tx store.Tx) error {
		rs, err := tx.DueReminders(now)
		for _, r := range rs {
			out = append(out, fmt.Sprintf("INC-%d@%s", r.Incident, r.Due.Sub(t0)))
		}
		return err
	})
	return fmt.Sprint(out)
}

func TestReminders(t *testing.T) {
	s := bolttest.Open(t)
	for range 4 {
		declare(t, s, "x")
	}
	if _, ok, err := s.NextReminder(); ok || err != nil {
		t.Errorf("NextReminder on an empty schedule = %v, %v", ok, err)
	}
	update(t, s, func(tx store.Tx) error {
		for n, d := range map[uint64]time.Duration{1: 30 * time.Minute, 2: 15 * time.Minute, 3: 45 * time.Minute, 4: 15 * time.Minute} {
			if err := tx.SetReminder(n, t0.Add(d)); err != nil {
				return err
			}
		}
		return nil
	})
	tests := []struct {
		now  time.Duration
		want string
	}{
		{0, "[]"},
		{15*time.Minute - 1, "[]"},
		{15 * time.Minute, "[INC-2@15m0s INC-4@15m0s]"},
		{time.Hour, "[INC-2@15m0s INC-4@15m0s INC-1@30m0s INC-3@45m0s]"},
	}
	for _, tt := range tests {
		if got := dueList(t, s, t0.Add(tt.now)); got != tt.want {
			t.Errorf("DueReminders(t0+%v) = %s, want %s", tt.now, got, tt.want)
		}
	}
	if r, ok, err := s.NextReminder(); err != nil || !ok || r.Incident != 2 || !r.Due.Equal(t0.Add(15*time.Minute)) {
		t.Errorf("NextReminder = %+v, %v, %v; want INC-2 at t0+15m", r, ok, err)
	}

	// An update restarts the clock: setting replaces, never adds.
	update(t, s, func(tx store.Tx) error { return tx.SetReminder(2, t0.Add(time.Hour)) })
	if got, want := dueList(t, s, t0.Add(2*time.Hour)), "[INC-4@15m0s INC-1@30m0s INC-3@45m0s INC-2@1h0m0s]"; got != want {
		t.Errorf("after moving INC-2: %s, want %s", got, want)
	}
	update(t, s, func(tx store.Tx) error { return tx.ClearReminder(4) })
	if r, _, _ := s.NextReminder(); r.Incident != 1 {
		t.Errorf("after clearing INC-4, next reminder is INC-%d, want INC-1", r.Incident)
	}
	view(t, s, func(tx store.Tx) error {
		if _, ok, err := tx.Reminder(4); ok || err != nil {
			t.Errorf("Reminder(4) after clear = %v, %v", ok, err)
		}
		due, ok, err := tx.Reminder(2)
		if !ok || err != nil || !due.Equal(t0.Add(time.Hour)) {
			t.Errorf("Reminder(2) = %v, %v, %v; want t0+1h", due, ok, err)
		}
		return nil
	})

	// Resolution stops reminders.
	update(t, s, func(tx store.Tx) error {
		inc, err := tx.Incident(1)
		if err != nil {
			return err
		}
		if err := inc.SetStatus(incident.Resolved, t0); err != nil {
			return err
		}
		return tx.PutIncident(inc)
	})
	if got, want := dueList(t, s, t0.Add(2*time.Hour)), "[INC-3@45m0s INC-2@1h0m0s]"; got != want {
		t.Errorf("after resolving INC-1: %s, want %s", got, want)
	}

	if err := s.Update(t.Context(), func(tx store.Tx) error { return tx.SetReminder(2, time.Time{}) }); err == nil {
		t.Error("SetReminder with a zero time succeeded")
	}
}

func TestReminderTimesKeepOrderAcrossZones(t *testing.T) {
	s := bolttest.Open(t)
	declare(t, s, "a")
	declare(t, s, "b")
	tokyo := time.FixedZone("JST", 9*3600)
	update(t, s, func(tx store.Tx) error {
		// 10:00 in Tokyo is 01:00 UTC: earlier than 02:00 UTC.
		if err := tx.SetReminder(1, time.Date(2025, 1, 1, 2, 0, 0, 0, time.UTC)); err != nil {
			return err
		}
		return tx.SetReminder(2, time.Date(2025, 1, 1, 10, 0, 0, 0, tokyo))
	})
	r, _, err := s.NextReminder()
	if err != nil || r.Incident != 2 {
		t.Errorf("NextReminder = %+v, %v; want INC-2", r, err)
	}
}
