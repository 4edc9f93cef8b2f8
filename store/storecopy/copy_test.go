package storecopy_test

import (
	"errors"
	"path/filepath"
	"strings"
	"testing"

	"github.com/incidentbot/incidentbot/incident"
	"github.com/incidentbot/incidentbot/store"
	"github.com/incidentbot/incidentbot/store/boltstore"
	"github.com/incidentbot/incidentbot/store/boltstore/bolttest"
	"github.com/incidentbot/incidentbot/store/pgstore"
	"github.com/incidentbot/incidentbot/store/pgstore/pgtest"
	"github.com/incidentbot/incidentbot/store/storecopy"
)

func TestMain(m *testing.M) { pgtest.Main(m) }

// backends open a new, empty store of each kind, as the copy command
// opens them (archives indexed, so archive entries can be recreated).
var backends = map[string]func(t *testing.T) storecopy.Store{
	"bbolt": func(t *testing.T) storecopy.Store {
		return bolttest.OpenPath(t, filepath.Join(t.TempDir(), "incidents.db"), boltstore.Options{IndexArchives: true})
	},
	"postgres": func(t *testing.T) storecopy.Store {
		st, err := pgstore.Open(t.Context(), pgtest.DSN(t), pgstore.Options{IndexArchives: true})
		if err != nil {
			t.Fatalf("open: %v", err)
		}
		t.Cleanup(func() { st.Close() })
		return st
	},
}

// Every hop of a chain of copies holds exactly what the first store held,
// and a bot started on the last one carries on where the first stopped.
func TestCopyKeepsEverything(t *testing.T) {
	for _, chain := range [][]string{
		{"bbolt", "bbolt"},
		{"bbolt", "postgres", "bbolt"},
		{"postgres", "bbolt"},
		{"postgres", "postgres"},
	} {
		t.Run(strings.Join(chain, "→"), func(t *testing.T) {
			src := backends[chain[0]](t)
			fill(t, src)
			want := read(t, src)
			if len(want.Incidents) != 7 || len(want.Jobs) != 8 || len(want.Nudges) != 2 || len(want.Archives) != 3 || len(want.Reminders) != 2 || len(want.Keys) != 6 {
				t.Fatalf("the data set is not what the test means: %d incidents, %d jobs, %d nudges, %d archives, %d reminders, %d keys",
					len(want.Incidents), len(want.Jobs), len(want.Nudges), len(want.Archives), len(want.Reminders), len(want.Keys))
			}
			if len(want.Groups) != 3 || len(want.Groups[0].Firing) != 2 || len(want.Notes) != 3 || len(want.Requests) != 2 {
				t.Fatalf("the data set's integrations are not what the test means: %d alert groups, %d declarations, %d API requests",
					len(want.Groups), len(want.Notes), len(want.Requests))
			}
			for _, kind := range chain[1:] {
				dst := backends[kind](t)
				tally, err := storecopy.Copy(t.Context(), src, dst)
				if err != nil {
					t.Fatalf("Copy to %s: %v", kind, err)
				}
				if tally.Incidents != 7 || tally.EventCount() != 21 || tally.Jobs != 8 || tally.RememberedKeys != 3 ||
					tally.AlertGroups != 3 || tally.FiringAlerts != 3 || tally.AlertDeclarations != 3 || tally.APIRequests != 2 {
					t.Errorf("Copy to %s reported %s", kind, tally)
				}
				if !strings.Contains(tally.String(), "(3 remembered), 3 alert groups (3 firing alerts), 3 alert declarations, 2 API idempotency keys; next incident INC-8") {
					t.Errorf("Copy to %s summarised %q", kind, tally)
				}
				sameSnapshot(t, read(t, dst), want)
				src = dst
			}
			// The bot carries on: the next incident is INC-8, the next job
			// ID follows the last one the source handed out (a completed
			// one), and INC-4's queue still comes first.
			var inc incident.Incident
			var j store.Job
			update(t, src, func(tx store.Tx) error {
				inc = incident.Incident{Title: "next", Severity: "SEV3", Status: incident.Investigating, DeclaredAt: t0}
				if err := tx.CreateIncident(&inc); err != nil {
					return err
				}
				var err error
				j, err = tx.Enqueue(store.Job{Incident: 4, Kind: "post"})
				return err
			})
			if inc.Number != 8 || j.ID != want.Counters.Job+1 {
				t.Errorf("after the copy: INC-%d and job %d, want INC-8 and job %d", inc.Number, j.ID, want.Counters.Job+1)
			}
		})
	}
}

// A target that holds anything is refused and left as it was.
func TestCopyRefusesNonEmptyTarget(t *testing.T) {
	for _, kind := range []string{"bbolt", "postgres"} {
		for _, tc := range []struct {
			name, holds string
			put         func(tx store.Tx) error
		}{
			{"incident", "incidents", func(tx store.Tx) error {
				return tx.CreateIncident(&incident.Incident{Title: "mine", Status: incident.Investigating, DeclaredAt: t0})
			}},
			{"job", "outbox jobs", func(tx store.Tx) error { _, err := tx.Enqueue(store.Job{Kind: "post"}); return err }},
			{"remembered key", "delivery keys", func(tx store.Tx) error { _, err := tx.Remember("capture:C1:1"); return err }},
			{"alert group", "alert groups", func(tx store.Tx) error {
				return tx.PutAlertGroup(store.AlertGroup{Key: "{}:{}", ID: "ag-1", Mode: "suggest", FirstSeen: t0})
			}},
			{"alert declaration", "alert declarations", func(tx store.Tx) error { return tx.RecordAlertDeclaration(t0, 1, t0) }},
			{"API request", "API idempotency keys", func(tx store.Tx) error {
				return tx.PutAPIRequest("key-1", store.APIRequest{Digest: "d", Incident: 1, At: t0})
			}},
		} {
			t.Run(kind+"/"+tc.name, func(t *testing.T) {
				src := backends["bbolt"](t)
				fill(t, src)
				dst := backends[kind](t)
				update(t, dst, tc.put)
				before := read(t, dst)
				_, err := storecopy.Copy(t.Context(), src, dst)
				if !errors.Is(err, storecopy.ErrNotEmpty) || !strings.Contains(err.Error(), "it holds "+tc.holds) {
					t.Fatalf("Copy into a store holding %s: %v, want ErrNotEmpty naming them", tc.holds, err)
				}
				sameSnapshot(t, read(t, dst), before)
			})
		}
	}
}

// Numbers are kept across a gap in the source's numbers (none that the bot
// makes today, but a store may hold one: a hand-repaired file, a future
// deletion), and the counters continue from the source's.
func TestCopyKeepsNumbersAcrossGaps(t *testing.T) {
	for _, kind := range []string{"bbolt", "postgres"} {
		t.Run(kind, func(t *testing.T) {
			src := backends["bbolt"](t)
			update(t, src, func(tx store.Tx) error {
				for _, n := range []uint64{1, 5, 6} {
					if err := tx.RaiseCounters(store.Counters{Incident: n - 1, Job: 10 * n}); err != nil {
						return err
					}
					inc := &incident.Incident{Title: "gap", Status: incident.Investigating, DeclaredAt: t0}
					if err := tx.CreateIncident(inc); err != nil {
						return err
					}
					if _, err := tx.Enqueue(store.Job{Incident: inc.Number, Kind: "post"}); err != nil {
						return err
					}
				}
				return tx.RaiseCounters(store.Counters{Incident: 8, Job: 99})
			})
			want := read(t, src)
			dst := backends[kind](t)
			if _, err := storecopy.Copy(t.Context(), src, dst); err != nil {
				t.Fatalf("Copy: %v", err)
			}
			sameSnapshot(t, read(t, dst), want)
			if want.Counters != (store.Counters{Incident: 8, Job: 99}) || len(want.Jobs) != 3 || want.Jobs[2].ID != 61 {
				t.Errorf("the source is not what the test means: %+v", want)
			}
		})
	}
}
