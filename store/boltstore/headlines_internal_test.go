package boltstore

import (
	"encoding/json"
	"errors"
	"path/filepath"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/incidentbot/incidentbot/incident"
	"github.com/incidentbot/incidentbot/store"
)

// TestOpenHeadlinesReadsOnlyTheIndex: OpenHeadlines answers from the open
// index's entries alone (every record overwritten with bytes that are not
// JSON), reads the record for an entry an earlier version left empty, and
// refuses a damaged entry instead of inventing a title.
func TestOpenHeadlinesReadsOnlyTheIndex(t *testing.T) {
	s, err := Open(filepath.Join(t.TempDir(), "bot.db"), Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	at := time.Date(2026, 3, 1, 12, 0, 0, 5, time.UTC)
	err = s.Update(t.Context(), func(tx store.Tx) error {
		for _, inc := range []*incident.Incident{
			{Title: "checkout 500s", Service: "payments", Severity: "SEV2", Status: incident.Investigating, DeclaredAt: at},
			{Title: "search slow", Severity: "SEV3", Status: incident.Investigating, DeclaredAt: at.Add(time.Minute), Drill: true},
		} {
			if err := tx.CreateIncident(inc); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	want := []incident.Headline{
		{Number: 1, Title: "checkout 500s", Service: "payments", DeclaredAt: at},
		{Number: 2, Title: "search slow", DeclaredAt: at.Add(time.Minute), Drill: true},
	}
	check := func(what string) {
		t.Helper()
		var got []incident.Headline
		if err := s.View(func(tx store.Tx) error {
			var err error
			got, err = tx.OpenHeadlines()
			return err
		}); err != nil {
			t.Fatalf("%s: %v", what, err)
		}
		if len(got) != len(want) {
			t.Fatalf("%s: OpenHeadlines = %+v, want %+v", what, got, want)
		}
		for i := range want {
			if g, w := got[i], want[i]; g.Number != w.Number || g.Title != w.Title || g.Service != w.Service || !g.DeclaredAt.Equal(w.DeclaredAt) || g.Drill != w.Drill {
				t.Errorf("%s: OpenHeadlines[%d] = %+v, want %+v", what, i, g, w)
			}
		}
	}
	raw := func(bucket []byte, key uint64, value []byte) {
		t.Helper()
		if err := s.db.Update(func(btx *bolt.Tx) error { return btx.Bucket(bucket).Put(u64Key(key), value) }); err != nil {
			t.Fatal(err)
		}
	}

	raw(bucketIncidents, 1, []byte("garbage"))
	raw(bucketIncidents, 2, []byte("garbage"))
	check("records unreadable")

	rec1, err := json.Marshal(&incident.Incident{Number: 1, Title: "checkout 500s", Service: "payments", Severity: "SEV2", Status: incident.Investigating, DeclaredAt: at})
	if err != nil {
		t.Fatal(err)
	}
	raw(bucketIncidents, 1, rec1)
	raw(bucketIncidentsOpen, 1, []byte{})
	check("entry left empty by an earlier version")

	raw(bucketIncidentsOpen, 2, []byte{headlineFormat, 0, 200})
	err = s.View(func(tx store.Tx) error {
		_, err := tx.OpenHeadlines()
		return err
	})
	if !errors.Is(err, errHeadlineEntry) {
		t.Errorf("OpenHeadlines over a damaged entry: %v, want errHeadlineEntry", err)
	}
}
