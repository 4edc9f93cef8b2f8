package boltstore

import (
	"fmt"
	"path/filepath"
	"testing"

	"github.com/incidentbot/incidentbot/incident"
	"github.com/incidentbot/incidentbot/store"
)

// TestOpenIncidentsReadsOnlyOpenRecords proves that start-up never decodes a
// resolved incident: it overwrites every resolved record with bytes that are
// not JSON, and OpenIncidents must still succeed.
func TestOpenIncidentsReadsOnlyOpenRecords(t *testing.T) {
	s, err := Open(filepath.Join(t.TempDir(), "bot.db"), Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	const total = 1000
	var open []uint64
	err = s.Update(t.Context(), func(tx store.Tx) error {
		for i := range total {
			inc := &incident.Incident{Title: fmt.Sprint(i), Severity: "SEV3", Status: incident.Resolved}
			if i%100 == 0 {
				inc.Status = incident.Investigating
			}
			if err := tx.CreateIncident(inc); err != nil {
				return err
			}
			if inc.Open() {
				open = append(open, inc.Number)
				continue
			}
			if err := tx.(*boltTx).btx.Bucket(bucketIncidents).Put(u64Key(inc.Number), []byte("garbage")); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	err = s.View(func(tx store.Tx) error {
		incs, err := tx.OpenIncidents()
		if err != nil {
			return err
		}
		if len(incs) != len(open) {
			return fmt.Errorf("got %d open incidents, want %d", len(incs), len(open))
		}
		for i, inc := range incs {
			if inc.Number != open[i] {
				return fmt.Errorf("open[%d] = %s, want %s", i, inc.ID(), incident.FormatID(open[i]))
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	// The same records do break a full scan, so the test would notice if
	// OpenIncidents fell back to one.
	err = s.View(func(tx store.Tx) error {
		return tx.ForEachIncident(func(*incident.Incident) error { return nil })
	})
	if err == nil {
		t.Fatal("ForEachIncident decoded garbage records without error; the test proves nothing")
	}
}
