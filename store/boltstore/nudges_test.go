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

func nudgeList(t *testing.T, s *boltstore.Store, by time.Time) string {
	t.Helper()
	var out []string
	view(t, s, func(tx store.Tx) error {
		ns, err := tx.PostmortemNudges(by)
		for _, n := range ns {
			out = append(out, fmt.Sprintf("INC-%d@%s", n.Incident, n.Resolved.Sub(t0)))
		}
		return err
	})
	return fmt.Sprint(out)
}

// resolve marks incident n resolved at t0+after through PutIncident, as any
// use-case would.
func resolve(t *testing.T, s *boltstore.Store, n uint64, after time.Duration) {
	t.Helper()
	update(t, s, func(tx store.Tx) error {
		inc, err := tx.Incident(n)
		if err != nil {
			return err
		}
		if err := inc.SetStatus(incident.Resolved, t0.Add(after)); err != nil {
			return err
		}
		return tx.PutIncident(inc)
	})
}

func TestResolutionEntersPostmortemNudgeIndexOnce(t *testing.T) {
	s := bolttest.Open(t)
	for range 3 {
		declare(t, s, "x")
	}
	if _, ok, err := s.NextPostmortemNudge(); ok || err != nil {
		t.Fatalf("NextPostmortemNudge with nothing resolved = %v, %v", ok, err)
	}
	resolve(t, s, 2, time.Hour)
	resolve(t, s, 1, 2*time.Hour)
	// Editing an open or an already resolved incident adds nothing.
	for _, n := range []uint64{1, 3} {
		update(t, s, func(tx store.Tx) error {
			inc, err := tx.Incident(n)
			if err != nil {
				return err
			}
			inc.Actions = append(inc.Actions, incident.ActionItem{Text: "follow up"})
			return tx.PutIncident(inc)
		})
	}
	tests := []struct {
		by   time.Duration
		want string
	}{
		{time.Hour - 1, "[]"},
		{time.Hour, "[INC-2@1h0m0s]"},
		{3 * time.Hour, "[INC-2@1h0m0s INC-1@2h0m0s]"},
	}
	for _, tt := range tests {
		if got := nudgeList(t, s, t0.Add(tt.by)); got != tt.want {
			t.Errorf("PostmortemNudges(t0+%v) = %s, want %s", tt.by, got, tt.want)
		}
	}
	if n, ok, err := s.NextPostmortemNudge(); err != nil || !ok || n.Incident != 2 || !n.Resolved.Equal(t0.Add(time.Hour)) {
		t.Errorf("NextPostmortemNudge = %+v, %v, %v; want INC-2 resolved at t0+1h", n, ok, err)
	}
	update(t, s, func(tx store.Tx) error {
		if err := tx.DropPostmortemNudge(store.Nudge{Incident: 2, Resolved: t0.Add(time.Hour)}); err != nil {
			return err
		}
		return tx.DropPostmortemNudge(store.Nudge{Incident: 9, Resolved: t0}) // absent: fine
	})
	if got, want := nudgeList(t, s, t0.Add(3*time.Hour)), "[INC-1@2h0m0s]"; got != want {
		t.Errorf("after dropping INC-2: %s, want %s", got, want)
	}
	// The entry survives later edits of the resolved incident.
	if _, ok, _ := s.NextPostmortemNudge(); !ok {
		t.Error("INC-1's entry was lost")
	}
}

func TestResolutionWakesScheduler(t *testing.T) {
	woke := make(chan struct{}, 10)
	s := bolttest.OpenWith(t, boltstore.Options{OnEnqueue: func() { woke <- struct{}{} }})
	declare(t, s, "x") // SEV2 without a reminder set: resolving clears nothing
	for len(woke) > 0 {
		<-woke
	}
	resolve(t, s, 1, time.Minute)
	if len(woke) != 1 {
		t.Errorf("OnEnqueue ran %d times after a resolution, want 1", len(woke))
	}
}
