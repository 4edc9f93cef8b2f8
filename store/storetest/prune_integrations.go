package storetest

import (
	"slices"
	"testing"
	"time"

	"github.com/incidentbot/incidentbot/incident"
	"github.com/incidentbot/incidentbot/store"
)

// testPruneAlertGroups: the groups with nothing firing whose incident was
// resolved before the cut-off, and the suggestions first seen before it,
// are forgotten, at most limit at a time; a group still firing, of an open
// incident, of one resolved since, or of a missing one is kept.
func testPruneAlertGroups(t *testing.T, b Backend) {
	cut := t0
	longAgo := t0.Add(-30 * 24 * time.Hour)
	open := create(t, b, newIncident("open", "C1", longAgo))
	resolved := func(title, channel string, at time.Time) uint64 {
		inc := newIncident(title, channel, longAgo)
		n := create(t, b, inc)
		inc.Status, inc.ResolvedAt = incident.Resolved, at
		update(t, b, func(tx store.Tx) error { return tx.PutIncident(inc) })
		return n
	}
	old := resolved("resolved long ago", "C2", cut.Add(-time.Nanosecond))
	recent := resolved("resolved since", "C3", cut)
	firing := map[string]store.FiringAlert{"fp": {StartsAt: longAgo, Name: "Down"}}
	groups := []store.AlertGroup{
		{Key: "old-quiet", Incident: old},
		{Key: "old-quiet-too", Incident: old},
		{Key: "old-firing", Incident: old, Firing: firing},
		{Key: "recent", Incident: recent},
		{Key: "open", Incident: open},
		{Key: "missing", Incident: 99},
		{Key: "suggested-long-ago"},
		{Key: "suggested-firing", Firing: firing},
		{Key: "suggested-since", FirstSeen: cut},
	}
	update(t, b, func(tx store.Tx) error {
		for _, g := range groups {
			g.ID, g.Mode = "id-"+g.Key, "declare"
			if g.FirstSeen.IsZero() {
				g.FirstSeen = longAgo
			}
			if err := tx.PutAlertGroup(g); err != nil {
				return err
			}
		}
		return nil
	})
	prune := func(limit int) int {
		var n int
		update(t, b, func(tx store.Tx) (err error) { n, err = tx.PruneAlertGroups(cut, limit); return err })
		return n
	}
	if n := prune(2); n != 2 {
		t.Errorf("PruneAlertGroups(limit 2) = %d, want 2", n)
	}
	if n := prune(0); n != 1 {
		t.Errorf("PruneAlertGroups(no limit) after = %d, want the 1 left", n)
	}
	if n := prune(0); n != 0 {
		t.Errorf("PruneAlertGroups again = %d, want 0", n)
	}
	var kept []string
	view(t, b, func(tx store.Tx) error {
		return tx.ForEachAlertGroup(func(g store.AlertGroup) error { kept = append(kept, g.Key); return nil })
	})
	want := []string{"missing", "old-firing", "open", "recent", "suggested-firing", "suggested-since"}
	if !slices.Equal(kept, want) {
		t.Errorf("kept %v, want %v", kept, want)
	}
	view(t, b, func(tx store.Tx) error {
		if _, ok, err := tx.AlertGroupByID("id-old-quiet"); ok || err != nil {
			t.Errorf("AlertGroupByID of a pruned group = %v, %v; want none", ok, err)
		}
		return nil
	})
}

// testPruneAPIRequests: the Idempotency-Keys recorded before the cut-off
// are forgotten, oldest first and at most limit at a time; one recorded at
// the cut-off is kept, to the nanosecond.
func testPruneAPIRequests(t *testing.T, b Backend) {
	cut := t0.Add(123456789 * time.Nanosecond)
	recs := map[string]time.Time{
		"second-oldest": cut.Add(-time.Hour),
		"oldest":        cut.Add(-2 * time.Hour),
		"just-before":   cut.Add(-time.Nanosecond),
		"at-the-cut":    cut,
		"after":         cut.Add(time.Hour),
	}
	update(t, b, func(tx store.Tx) error {
		for k, at := range recs {
			if err := tx.PutAPIRequest(k, store.APIRequest{Digest: "d-" + k, Incident: 1, At: at}); err != nil {
				return err
			}
		}
		return nil
	})
	prune := func(limit int) int {
		var n int
		update(t, b, func(tx store.Tx) (err error) { n, err = tx.PruneAPIRequests(cut, limit); return err })
		return n
	}
	has := func(key string) bool {
		var ok bool
		view(t, b, func(tx store.Tx) (err error) { _, ok, err = tx.APIRequest(key); return err })
		return ok
	}
	if n := prune(1); n != 1 || has("oldest") || !has("second-oldest") {
		t.Errorf("PruneAPIRequests(limit 1) = %d, oldest kept %v, second oldest kept %v; want 1, the oldest gone", n, has("oldest"), has("second-oldest"))
	}
	if n := prune(0); n != 2 {
		t.Errorf("PruneAPIRequests(no limit) = %d, want the 2 left before the cut", n)
	}
	for k := range recs {
		if want := !recs[k].Before(cut); has(k) != want {
			t.Errorf("%s (at cut %+v) kept = %v, want %v", k, recs[k].Sub(cut), has(k), want)
		}
	}
}
