package boltstore_test

import (
	"errors"
	"path/filepath"
	"sync"
	"testing"

	"github.com/incidentbot/incidentbot/incident"
	"github.com/incidentbot/incidentbot/store"
	"github.com/incidentbot/incidentbot/store/boltstore"
)

// OnIncident hears of committed changes only, with the value as stored.
func TestOnIncidentAfterCommit(t *testing.T) {
	type change struct {
		before, after string // status, "" for none
	}
	var (
		mu  sync.Mutex
		got []change
	)
	s, err := boltstore.Open(filepath.Join(t.TempDir(), "bot.db"), boltstore.Options{OnIncident: func(before, after *incident.Incident) {
		mu.Lock()
		defer mu.Unlock()
		c := change{after: string(after.Status)}
		if before != nil {
			c.before = string(before.Status)
		}
		got = append(got, c)
	}})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	inc := declare(t, s, "one")
	boom := errors.New("boom")
	err = s.Update(t.Context(), func(tx store.Tx) error {
		inc.Status = incident.Monitoring
		if err := tx.PutIncident(inc); err != nil {
			return err
		}
		return boom // rolled back: nobody hears of it
	})
	if !errors.Is(err, boom) {
		t.Fatalf("Update = %v", err)
	}
	update(t, s, func(tx store.Tx) error {
		inc.Status = incident.Identified
		if err := tx.PutIncident(inc); err != nil {
			return err
		}
		inc.Status = incident.Resolved
		if err := tx.PutIncident(inc); err != nil {
			return err
		}
		inc.Status = "mutated after the put"
		return nil
	})
	mu.Lock()
	defer mu.Unlock()
	want := []change{{"", "investigating"}, {"investigating", "identified"}, {"identified", "resolved"}}
	if len(got) != len(want) {
		t.Fatalf("heard %v, want %v", got, want)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("change %d = %v, want %v", i, got[i], want[i])
		}
	}
}

// The "before" OnIncident hears is the record as stored, however the
// caller changed the incident it read in the same transaction, and a
// second put in that transaction replaces the first one's "after".
func TestOnIncidentBeforeIsTheStoredRecord(t *testing.T) {
	type heard struct{ before, after *incident.Incident }
	var (
		mu  sync.Mutex
		got []heard
	)
	s, err := boltstore.Open(filepath.Join(t.TempDir(), "bot.db"), boltstore.Options{OnIncident: func(before, after *incident.Incident) {
		mu.Lock()
		defer mu.Unlock()
		got = append(got, heard{before, after})
	}})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	n := declare(t, s, "one").Number
	update(t, s, func(tx store.Tx) error {
		inc, err := tx.Incident(n)
		if err != nil {
			return err
		}
		inc.Roles = map[string]string{"commander": "U1"}
		inc.MissedUpdates = 1
		if err := tx.PutIncident(inc); err != nil {
			return err
		}
		inc.Roles["commander"], inc.MissedUpdates = "U2", 2
		return tx.PutIncident(inc)
	})
	mu.Lock()
	defer mu.Unlock()
	if len(got) != 3 {
		t.Fatalf("heard %d changes, want 3", len(got))
	}
	first, second := got[1], got[2]
	if first.before.MissedUpdates != 0 || first.before.Roles["commander"] != "" {
		t.Errorf("first put's before = %d missed, commander %q; want the stored 0, none", first.before.MissedUpdates, first.before.Roles["commander"])
	}
	if second.before.MissedUpdates != 1 || second.before.Roles["commander"] != "U1" {
		t.Errorf("second put's before = %d missed, commander %q; want the first put's 1, U1", second.before.MissedUpdates, second.before.Roles["commander"])
	}
}
