package boltstore_test

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/incidentbot/incidentbot/incident"
	"github.com/incidentbot/incidentbot/store"
	"github.com/incidentbot/incidentbot/store/boltstore"
	"github.com/incidentbot/incidentbot/store/boltstore/bolttest"
)

func TestCreateIncidentNumbersAndUUID(t *testing.T) {
	s := bolttest.Open(t)
	a := declare(t, s, "one")
	b := newIncident("two")
	b.UUID = "given-uuid"
	update(t, s, func(tx store.Tx) error { return tx.CreateIncident(b) })
	if a.Number != 1 || b.Number != 2 {
		t.Errorf("numbers = %d, %d; want 1, 2", a.Number, b.Number)
	}
	if a.UUID == "" || len(a.UUID) != 36 {
		t.Errorf("assigned UUID = %q", a.UUID)
	}
	if b.UUID != "given-uuid" {
		t.Errorf("UUID = %q, want the given one kept", b.UUID)
	}
	view(t, s, func(tx store.Tx) error {
		got, err := tx.Incident(1)
		if err != nil {
			return err
		}
		if got.UUID != a.UUID || got.Title != "one" || got.Number != 1 {
			t.Errorf("Incident(1) = %+v", got)
		}
		return nil
	})
}

func TestFailedUpdateKeepsNumbering(t *testing.T) {
	s := bolttest.Open(t)
	declare(t, s, "one")
	boom := errors.New("boom")
	err := s.Update(t.Context(), func(tx store.Tx) error {
		if err := tx.CreateIncident(newIncident("rolled back")); err != nil {
			return err
		}
		return boom
	})
	if !errors.Is(err, boom) {
		t.Fatalf("Update error = %v, want boom", err)
	}
	if next := declare(t, s, "two"); next.Number != 2 {
		t.Errorf("after a rolled-back create, next number = %d, want 2", next.Number)
	}
}

func TestIncidentNotFound(t *testing.T) {
	s := bolttest.Open(t)
	declare(t, s, "one")
	tests := []struct {
		name string
		do   func(tx store.Tx) error
	}{
		{"Incident", func(tx store.Tx) error { _, err := tx.Incident(7); return err }},
		{"IncidentByChannel", func(tx store.Tx) error { _, err := tx.IncidentByChannel("C404"); return err }},
		{"IncidentByChannel empty", func(tx store.Tx) error { _, err := tx.IncidentByChannel(""); return err }},
		{"PutIncident", func(tx store.Tx) error { inc := newIncident("x"); inc.Number = 7; return tx.PutIncident(inc) }},
		{"AppendEvent", func(tx store.Tx) error {
			_, err := tx.AppendEvent(7, incident.Event{Kind: incident.EventNote})
			return err
		}},
		{"Events", func(tx store.Tx) error { _, err := tx.Events(7); return err }},
		{"SetReminder", func(tx store.Tx) error { return tx.SetReminder(7, t0) }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := s.Update(t.Context(), tt.do)
			if !errors.Is(err, store.ErrNotFound) {
				t.Errorf("error = %v, want ErrNotFound", err)
			}
		})
	}
}

func TestPutIncidentRejectsNumberZero(t *testing.T) {
	s := bolttest.Open(t)
	err := s.Update(t.Context(), func(tx store.Tx) error { return tx.PutIncident(newIncident("x")) })
	if err == nil || !strings.Contains(err.Error(), "CreateIncident") {
		t.Errorf("PutIncident of an unnumbered incident: %v", err)
	}
}

func openNumbers(t *testing.T, s *boltstore.Store) []uint64 {
	t.Helper()
	var ns []uint64
	view(t, s, func(tx store.Tx) error {
		open, err := tx.OpenIncidents()
		for _, inc := range open {
			ns = append(ns, inc.Number)
		}
		return err
	})
	return ns
}

func TestOpenIndexFollowsStatus(t *testing.T) {
	s := bolttest.Open(t)
	for i := range 4 {
		declare(t, s, fmt.Sprint("incident ", i+1))
	}
	setStatus := func(n uint64, st incident.Status) {
		t.Helper()
		update(t, s, func(tx store.Tx) error {
			inc, err := tx.Incident(n)
			if err != nil {
				return err
			}
			inc.Status = st
			return tx.PutIncident(inc)
		})
	}
	steps := []struct {
		number uint64
		status incident.Status
		open   []uint64
	}{
		{2, incident.Identified, []uint64{1, 2, 3, 4}},
		{2, incident.Resolved, []uint64{1, 3, 4}},
		{4, incident.Resolved, []uint64{1, 3}},
		{1, incident.Monitoring, []uint64{1, 3}},
		{1, incident.Resolved, []uint64{3}},
	}
	for _, st := range steps {
		setStatus(st.number, st.status)
		if got := openNumbers(t, s); fmt.Sprint(got) != fmt.Sprint(st.open) {
			t.Errorf("after INC-%d → %s, open = %v, want %v", st.number, st.status, got, st.open)
		}
	}
}

func TestOpenIncidentsAmongMany(t *testing.T) {
	s := bolttest.Open(t)
	const total = 2000
	var want []uint64
	update(t, s, func(tx store.Tx) error {
		for i := range total {
			inc := newIncident(fmt.Sprint("incident ", i))
			if i%97 != 0 {
				inc.Status = incident.Resolved
			}
			if err := tx.CreateIncident(inc); err != nil {
				return err
			}
			if inc.Open() {
				want = append(want, inc.Number)
			}
		}
		return nil
	})
	if got := openNumbers(t, s); fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("open = %v, want %v", got, want)
	}
	n := 0
	view(t, s, func(tx store.Tx) error {
		return tx.ForEachIncident(func(inc *incident.Incident) error {
			n++
			if inc.Number != uint64(n) {
				return fmt.Errorf("ForEachIncident out of order: got %s at position %d", inc.ID(), n)
			}
			return nil
		})
	})
	if n != total {
		t.Errorf("ForEachIncident visited %d, want %d", n, total)
	}
}

func TestForEachIncidentStopsAtError(t *testing.T) {
	s := bolttest.Open(t)
	for range 3 {
		declare(t, s, "x")
	}
	stop := errors.New("stop")
	calls := 0
	err := s.View(func(tx store.Tx) error {
		return tx.ForEachIncident(func(*incident.Incident) error { calls++; return stop })
	})
	if !errors.Is(err, stop) || calls != 1 {
		t.Errorf("err = %v after %d calls, want stop after 1", err, calls)
	}
}

func TestChannelIndex(t *testing.T) {
	s := bolttest.Open(t)
	withChannel := newIncident("born with a channel")
	withChannel.ChannelID = "C1"
	update(t, s, func(tx store.Tx) error { return tx.CreateIncident(withChannel) })
	later := declare(t, s, "channel comes later")

	setChannel := func(n uint64, ch string) error {
		return s.Update(t.Context(), func(tx store.Tx) error {
			inc, err := tx.Incident(n)
			if err != nil {
				return err
			}
			inc.ChannelID = ch
			return tx.PutIncident(inc)
		})
	}
	lookup := func(ch string) (uint64, error) {
		var n uint64
		err := s.View(func(tx store.Tx) error {
			inc, err := tx.IncidentByChannel(ch)
			if err == nil {
				n = inc.Number
			}
			return err
		})
		return n, err
	}

	steps := []struct {
		name    string
		number  uint64
		channel string
		wantErr string
		lookups map[string]uint64 // channel → incident; 0 = not found
	}{
		{"created with channel", 0, "", "", map[string]uint64{"C1": 1, "C2": 0}},
		{"channel set later", later.Number, "C2", "", map[string]uint64{"C1": 1, "C2": 2}},
		{"channel taken by another incident", later.Number, "C1", "already belongs to INC-1", map[string]uint64{"C1": 1, "C2": 2}},
		{"channel changed", later.Number, "C3", "", map[string]uint64{"C1": 1, "C2": 0, "C3": 2}},
		{"channel cleared", later.Number, "", "", map[string]uint64{"C1": 1, "C3": 0}},
	}
	for _, st := range steps {
		if st.number != 0 {
			err := setChannel(st.number, st.channel)
			if st.wantErr == "" && err != nil || st.wantErr != "" && (err == nil || !strings.Contains(err.Error(), st.wantErr)) {
				t.Errorf("%s: error = %v, want %q", st.name, err, st.wantErr)
			}
		}
		for ch, want := range st.lookups {
			got, err := lookup(ch)
			switch {
			case want == 0 && !errors.Is(err, store.ErrNotFound):
				t.Errorf("%s: IncidentByChannel(%s) = INC-%d, %v; want ErrNotFound", st.name, ch, got, err)
			case want != 0 && (err != nil || got != want):
				t.Errorf("%s: IncidentByChannel(%s) = INC-%d, %v; want INC-%d", st.name, ch, got, err, want)
			}
		}
	}

	// A resolved incident's channel still leads to it (postmortem, notes).
	update(t, s, func(tx store.Tx) error {
		inc, err := tx.Incident(1)
		if err != nil {
			return err
		}
		inc.Status = incident.Resolved
		return tx.PutIncident(inc)
	})
	if n, err := lookup("C1"); err != nil || n != 1 {
		t.Errorf("resolved incident by channel = INC-%d, %v; want INC-1", n, err)
	}
}
