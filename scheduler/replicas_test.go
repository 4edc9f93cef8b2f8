package scheduler_test

import (
	"context"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/incidentbot/incidentbot/commands"
	"github.com/incidentbot/incidentbot/incident"
	"github.com/incidentbot/incidentbot/internal/clock"
	"github.com/incidentbot/incidentbot/scheduler"
	"github.com/incidentbot/incidentbot/store"
	"github.com/incidentbot/incidentbot/store/pgstore"
	"github.com/incidentbot/incidentbot/store/pgstore/pgtest"
)

// Replica a schedules a reminder and dies before firing it; its commit
// woke only itself. Replica b's scheduler, which had nothing due, still
// fires it when it falls due, because it polls a shared store.
func TestAReminderAnotherReplicaScheduledFires(t *testing.T) {
	dsn := pgtest.DSN(t)
	clk := clock.NewFake(time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC))
	service := func() *commands.Service {
		st, err := pgstore.Open(t.Context(), dsn, pgstore.Options{Now: clk.Now})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { st.Close() })
		return &commands.Service{Store: st, Settings: incident.DefaultSettings(), ChannelPrefix: "inc", Clock: clk}
	}
	a, b := service(), service()
	sched := scheduler.New(scheduler.Options{Reminders: b, Clock: clk, Log: zerolog.Nop(), Poll: time.Second})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); _ = sched.Run(ctx) }()
	t.Cleanup(func() { cancel(); <-done })

	// A guard against hanging, not a wait: asleep is asserted, not hoped for.
	guard, stopGuard := context.WithTimeout(context.Background(), 10*time.Second)
	defer stopGuard()
	if !clk.WaitForTimers(1, guard.Done()) {
		t.Fatal("b's scheduler went to sleep with no timer: it would never see a reminder another replica schedules")
	}
	res, err := a.Declare(t.Context(), commands.DeclareInput{Title: "db down", Severity: "SEV1", DeclaredBy: "U1"})
	if err != nil {
		t.Fatal(err)
	}
	n := res.Incident.Number
	var due time.Time
	if err := b.Store.View(func(tx store.Tx) error {
		var err error
		due, _, err = tx.Reminder(n)
		return err
	}); err != nil {
		t.Fatal(err)
	}

	clk.Advance(due.Sub(clk.Now()))
	// The timer fired and was removed; b sets the next only after its cycle.
	if !clk.WaitForTimers(1, guard.Done()) {
		t.Fatal("b's scheduler did not go back to sleep")
	}
	if err := b.Store.View(func(tx store.Tx) error {
		evs, err := tx.Events(n)
		for _, ev := range evs {
			if ev.Kind == incident.EventReminder {
				return err
			}
		}
		t.Errorf("%s was not reminded at %s: events %+v", incident.FormatID(n), due, evs)
		return err
	}); err != nil {
		t.Fatal(err)
	}
}
