package storetest

import (
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/incidentbot/incidentbot/incident"
	"github.com/incidentbot/incidentbot/store"
)

// testOpenHeadlines: OpenHeadlines lists exactly the open incidents, in number
// order, each with the title, service, declaration time (to the
// nanosecond) and drill flag its record has now: after a change of title
// or service, never one from before; a resolved incident not at all; and
// a change rolled back leaves the title it had.
func testOpenHeadlines(t *testing.T, b Backend) {
	declared := t0.Add(123456789 * time.Nanosecond).In(time.FixedZone("UTC+2", 2*3600))
	plain := create(t, b, newIncident("checkout returning 500s", "", declared))
	drill := newIncident("practice: search is slow", "", declared.Add(time.Minute))
	drill.Drill, drill.Service = true, "search"
	create(t, b, drill)
	resolvedLater := create(t, b, newIncident("login errors", "", declared.Add(2*time.Minute)))
	bornResolved := newIncident("already over", "", declared.Add(3*time.Minute))
	bornResolved.Status = incident.Resolved
	create(t, b, bornResolved)
	renamed := create(t, b, newIncident("db slow", "", declared.Add(4*time.Minute)))

	resolve(t, b, resolvedLater, t0.Add(time.Hour))
	update(t, b, func(tx store.Tx) error {
		inc, err := tx.Incident(renamed)
		if err != nil {
			return err
		}
		inc.Title, inc.Service, inc.Status = "db-7 replication lag", "postgres", incident.Identified
		return tx.PutIncident(inc)
	})
	// A rename that rolls back leaves no trace in the titles.
	err := b.Update(t.Context(), func(tx store.Tx) error {
		inc, err := tx.Incident(plain)
		if err != nil {
			return err
		}
		inc.Title = "rolled back"
		if err := tx.PutIncident(inc); err != nil {
			return err
		}
		return errStop
	})
	if !errors.Is(err, errStop) {
		t.Fatalf("Update that fails: %v, want errStop", err)
	}

	var got []incident.Headline
	var open []*incident.Incident
	view(t, b, func(tx store.Tx) error {
		var err error
		if got, err = tx.OpenHeadlines(); err != nil {
			return err
		}
		open, err = tx.OpenIncidents()
		return err
	})
	want := []incident.Headline{
		{Number: plain, Title: "checkout returning 500s", DeclaredAt: declared},
		{Number: drill.Number, Title: "practice: search is slow", Service: "search", DeclaredAt: declared.Add(time.Minute), Drill: true},
		{Number: renamed, Title: "db-7 replication lag", Service: "postgres", DeclaredAt: declared.Add(4 * time.Minute)},
	}
	same := func(a, b incident.Headline) bool {
		return a.Number == b.Number && a.Title == b.Title && a.Service == b.Service && a.DeclaredAt.Equal(b.DeclaredAt) && a.Drill == b.Drill
	}
	if !slices.EqualFunc(got, want, same) {
		t.Errorf("OpenHeadlines =\n%+v\nwant\n%+v", got, want)
	}
	// The same as the open incidents' records say.
	var fromRecords []incident.Headline
	for _, inc := range open {
		fromRecords = append(fromRecords, incident.Headline{Number: inc.Number, Title: inc.Title, Service: inc.Service, DeclaredAt: inc.DeclaredAt, Drill: inc.Drill})
	}
	if !slices.EqualFunc(got, fromRecords, same) {
		t.Errorf("OpenHeadlines =\n%+v\nbut OpenIncidents says\n%+v", got, fromRecords)
	}

	// An empty store has none.
	empty := 0
	resolve(t, b, plain, t0.Add(time.Hour))
	resolve(t, b, drill.Number, t0.Add(time.Hour))
	resolve(t, b, renamed, t0.Add(time.Hour))
	view(t, b, func(tx store.Tx) error {
		titles, err := tx.OpenHeadlines()
		empty = len(titles)
		return err
	})
	if empty != 0 {
		t.Errorf("OpenHeadlines with every incident resolved: %d, want none", empty)
	}
}
