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

func archiveList(t *testing.T, s *boltstore.Store, by time.Time, limit int) string {
	t.Helper()
	var out []string
	view(t, s, func(tx store.Tx) error {
		ns, err := tx.ArchivesDue(by, limit)
		for _, n := range ns {
			out = append(out, fmt.Sprintf("INC-%d@%s", n.Incident, n.Resolved.Sub(t0)))
		}
		return err
	})
	return fmt.Sprint(out)
}

// Every resolution enters the archive index once, keyed by its time; the
// index is read in time order up to a bound, and an entry dropped is gone.
func TestResolutionEntersArchiveIndexOnce(t *testing.T) {
	s := bolttest.OpenWith(t, boltstore.Options{IndexArchives: true})
	for range 3 {
		declare(t, s, "x")
	}
	if _, ok, err := s.NextArchive(); ok || err != nil {
		t.Fatalf("NextArchive with nothing resolved = %v, %v", ok, err)
	}
	resolve(t, s, 2, time.Hour)
	resolve(t, s, 1, 2*time.Hour)
	update(t, s, func(tx store.Tx) error { // editing a resolved incident adds nothing
		inc, err := tx.Incident(1)
		if err != nil {
			return err
		}
		inc.Actions = append(inc.Actions, incident.ActionItem{Text: "follow up"})
		return tx.PutIncident(inc)
	})
	if got, want := archiveList(t, s, t0.Add(3*time.Hour), 0), "[INC-2@1h0m0s INC-1@2h0m0s]"; got != want {
		t.Fatalf("index = %s, want %s", got, want)
	}
	if got, want := archiveList(t, s, t0.Add(90*time.Minute), 0), "[INC-2@1h0m0s]"; got != want {
		t.Fatalf("index up to 1h30 = %s, want %s", got, want)
	}
	if got, want := archiveList(t, s, t0.Add(3*time.Hour), 1), "[INC-2@1h0m0s]"; got != want {
		t.Fatalf("index limited to 1 = %s, want %s", got, want)
	}
	n, ok, err := s.NextArchive()
	if err != nil || !ok || n.Incident != 2 {
		t.Fatalf("NextArchive = %+v, %v, %v", n, ok, err)
	}
	update(t, s, func(tx store.Tx) error { return tx.DropArchive(n) })
	if got, want := archiveList(t, s, t0.Add(3*time.Hour), 0), "[INC-1@2h0m0s]"; got != want {
		t.Fatalf("after drop = %s, want %s", got, want)
	}
}

// Without IndexArchives (auto-archive off) resolutions are not indexed.
func TestResolutionNotIndexedWithArchivesOff(t *testing.T) {
	s := bolttest.Open(t)
	declare(t, s, "x")
	resolve(t, s, 1, time.Hour)
	if _, ok, err := s.NextArchive(); ok || err != nil {
		t.Fatalf("NextArchive = %v, %v; want nothing indexed", ok, err)
	}
}
