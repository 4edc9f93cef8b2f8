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
