package storetest

import (
	"reflect"
	"testing"
	"time"

	"github.com/incidentbot/incidentbot/store"
)

// testAlertGroups: a group is stored whole under its key and found by its
// ID; storing it again replaces it.
func testAlertGroups(t *testing.T, b Backend) {
	g := store.AlertGroup{
		Key: `{}:{alertname="Down"}`, ID: "ag-1", Mode: "declare", Title: "Down", Severity: "SEV1",
		Firing:    map[string]store.FiringAlert{"fp1": {StartsAt: t0, Name: "Down instance=a", Link: "http://prom/graph"}},
		FirstSeen: t0,
	}
	other := store.AlertGroup{Key: "other", ID: "ag-2", Mode: "suggest", FirstSeen: t0}
	update(t, b, func(tx store.Tx) error {
		if err := tx.PutAlertGroup(g); err != nil {
			return err
		}
		return tx.PutAlertGroup(other)
	})
	g.Incident, g.ResolveOffered, g.Firing = 7, true, nil
	update(t, b, func(tx store.Tx) error { return tx.PutAlertGroup(g) })
	view(t, b, func(tx store.Tx) error {
		got, ok, err := tx.AlertGroup(g.Key)
		if err != nil || !ok || !reflect.DeepEqual(got, g) {
			t.Errorf("AlertGroup = %+v, %v, %v; want %+v", got, ok, err, g)
		}
		byID, ok, err := tx.AlertGroupByID("ag-2")
		if err != nil || !ok || byID.Key != "other" {
			t.Errorf("AlertGroupByID(ag-2) = %+v, %v, %v", byID, ok, err)
		}
		if _, ok, err := tx.AlertGroupByID("ag-9"); ok || err != nil {
			t.Errorf("AlertGroupByID(ag-9) = %v, %v; want none", ok, err)
		}
		if _, ok, err := tx.AlertGroup("nope"); ok || err != nil {
			t.Errorf("AlertGroup(nope) = %v, %v; want none", ok, err)
		}
		return nil
	})
}

// testAlertDeclarations: the rate limit's notes count from a time, and
// recording one forgets those before the given time.
func testAlertDeclarations(t *testing.T, b Backend) {
	for i, at := range []time.Duration{0, 10 * time.Second, 50 * time.Second} {
		update(t, b, func(tx store.Tx) error { return tx.RecordAlertDeclaration(t0.Add(at), uint64(i+1), t0.Add(-time.Hour)) })
	}
	count := func(since time.Time) int {
		var n int
		view(t, b, func(tx store.Tx) error {
			var err error
			n, err = tx.AlertDeclarationsSince(since)
			return err
		})
		return n
	}
	if n := count(t0); n != 3 {
		t.Errorf("since t0: %d, want 3", n)
	}
	if n := count(t0.Add(10 * time.Second)); n != 2 {
		t.Errorf("since t0+10s: %d, want 2", n)
	}
	update(t, b, func(tx store.Tx) error {
		return tx.RecordAlertDeclaration(t0.Add(70*time.Second), 4, t0.Add(10*time.Second))
	})
	if n := count(time.Time{}); n != 3 {
		t.Errorf("after forgetting before t0+10s: %d notes, want 3", n)
	}
}

// testAPIRequests: an Idempotency-Key's record reads back as stored.
func testAPIRequests(t *testing.T, b Backend) {
	r := store.APIRequest{Digest: "abc", Incident: 3, At: t0}
	update(t, b, func(tx store.Tx) error { return tx.PutAPIRequest("key-1", r) })
	view(t, b, func(tx store.Tx) error {
		got, ok, err := tx.APIRequest("key-1")
		if err != nil || !ok || !reflect.DeepEqual(got, r) {
			t.Errorf("APIRequest = %+v, %v, %v; want %+v", got, ok, err, r)
		}
		if _, ok, err := tx.APIRequest("key-2"); ok || err != nil {
			t.Errorf("APIRequest(key-2) = %v, %v; want none", ok, err)
		}
		return nil
	})
}
