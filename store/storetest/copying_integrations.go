package storetest

import (
	"fmt"
	"reflect"
	"slices"
	"testing"
	"time"

	"github.com/incidentbot/incidentbot/store"
)

// The integrations' records enumerated for a copy (package storecopy): a
// copy that dropped them would let the next notification of a known alert
// group declare a second incident, and a retried API request declare twice.

// testForEachAlertGroup: every group, whole and as last stored, in key
// byte order; fn may read through tx; fn's error stops the walk.
func testForEachAlertGroup(t *testing.T, b Backend) {
	firing := store.AlertGroup{
		Key: `{}:{alertname="Down"}`, ID: "ag-down", Incident: 4, Mode: "declare", Title: "Down", Summary: "web is down",
		Severity: "SEV1", Service: "web", FirstSeen: t0.Add(5 * time.Nanosecond),
		Firing: map[string]store.FiringAlert{
			"fp1": {StartsAt: t0.Add(-time.Minute + 7*time.Nanosecond), Name: "Down instance=a", Link: "http://prom/graph?g0"},
			"fp2": {StartsAt: t0, Name: "Down instance=b"},
		},
	}
	// "Z" sorts before "a" in byte order, after it in most locales.
	suggested := store.AlertGroup{Key: "Zeta", ID: "ag-zeta", Mode: "suggest", Title: "Zeta", Suggested: true, FirstSeen: t0}
	resolved := store.AlertGroup{Key: "alpha", ID: "ag-alpha", Incident: 2, Mode: "declare", Title: "Alpha", ResolveOffered: true, FirstSeen: t0}
	update(t, b, func(tx store.Tx) error {
		for _, g := range []store.AlertGroup{resolved, firing, suggested} {
			if err := tx.PutAlertGroup(g); err != nil {
				return err
			}
		}
		return nil
	})
	// Replaced: the walk sees the last state only.
	resolved.Firing = map[string]store.FiringAlert{"fp9": {StartsAt: t0.Add(time.Second), Name: "Alpha job=x"}}
	update(t, b, func(tx store.Tx) error { return tx.PutAlertGroup(resolved) })

	want := []store.AlertGroup{suggested, resolved, firing} // "Z" < "a" < "{"
	var got []store.AlertGroup
	view(t, b, func(tx store.Tx) error {
		return tx.ForEachAlertGroup(func(g store.AlertGroup) error {
			got = append(got, g)
			if _, ok, err := tx.AlertGroup(g.Key); err != nil || !ok {
				t.Errorf("AlertGroup(%q) inside ForEachAlertGroup: %v, %v", g.Key, ok, err)
			}
			return nil
		})
	})
	if !reflect.DeepEqual(got, want) {
		t.Errorf("ForEachAlertGroup:\n got %+v\nwant %+v", got, want)
	}
	calls := 0
	view(t, b, func(tx store.Tx) error {
		if err := tx.ForEachAlertGroup(func(store.AlertGroup) error { calls++; return errStop }); err != errStop {
			t.Errorf("ForEachAlertGroup returned %v, want fn's error", err)
		}
		return nil
	})
	if calls != 1 {
		t.Errorf("ForEachAlertGroup went on after fn's error: %d calls", calls)
	}
}

type declaration struct {
	At     time.Time
	Number uint64
}

// testForEachAlertDeclaration: the notes not yet forgotten, to the
// nanosecond, by time and then number; fn's error stops the walk.
func testForEachAlertDeclaration(t *testing.T, b Backend) {
	for _, d := range []declaration{
		{t0.Add(-2 * time.Hour), 1}, // forgotten by the last record below
		{t0.Add(30*time.Second + 3*time.Nanosecond), 5},
		{t0, 3},
		{t0, 2},
		{t0.Add(-time.Minute), 4},
	} {
		update(t, b, func(tx store.Tx) error { return tx.RecordAlertDeclaration(d.At, d.Number, t0.Add(-3*time.Hour)) })
	}
	update(t, b, func(tx store.Tx) error {
		return tx.RecordAlertDeclaration(t0.Add(40*time.Second), 6, t0.Add(-time.Hour))
	})
	want := []declaration{
		{t0.Add(-time.Minute), 4},
		{t0, 2},
		{t0, 3},
		{t0.Add(30*time.Second + 3*time.Nanosecond), 5},
		{t0.Add(40 * time.Second), 6},
	}
	var got []declaration
	view(t, b, func(tx store.Tx) error {
		return tx.ForEachAlertDeclaration(func(at time.Time, n uint64) error {
			got = append(got, declaration{at, n})
			return nil
		})
	})
	if len(got) != len(want) {
		t.Fatalf("ForEachAlertDeclaration: %v\nwant %v", got, want)
	}
	for i := range want {
		if !got[i].At.Equal(want[i].At) || got[i].Number != want[i].Number {
			t.Errorf("note %d: %v, want %v", i, got[i], want[i])
		}
	}
	calls := 0
	view(t, b, func(tx store.Tx) error {
		if err := tx.ForEachAlertDeclaration(func(time.Time, uint64) error { calls++; return errStop }); err != errStop {
			t.Errorf("ForEachAlertDeclaration returned %v, want fn's error", err)
		}
		return nil
	})
	if calls != 1 {
		t.Errorf("ForEachAlertDeclaration went on after fn's error: %d calls", calls)
	}
}

// testForEachAPIRequest: every Idempotency-Key with what it produced, as
// last recorded, in key byte order; fn may read through tx; fn's error
// stops the walk.
func testForEachAPIRequest(t *testing.T, b Backend) {
	recs := map[string]store.APIRequest{
		"b-retry":  {Digest: "d2", Incident: 2, At: t0.Add(9 * time.Nanosecond)},
		"A-first":  {Digest: "d1", Incident: 1, At: t0},
		"a-second": {Digest: "d0", Incident: 7, At: t0.Add(time.Minute)},
	}
	update(t, b, func(tx store.Tx) error {
		for _, k := range []string{"b-retry", "a-second", "A-first"} {
			if err := tx.PutAPIRequest(k, store.APIRequest{Digest: "old"}); err != nil {
				return err
			}
			if err := tx.PutAPIRequest(k, recs[k]); err != nil {
				return err
			}
		}
		return nil
	})
	wantKeys := []string{"A-first", "a-second", "b-retry"}
	var keys []string
	view(t, b, func(tx store.Tx) error {
		return tx.ForEachAPIRequest(func(key string, r store.APIRequest) error {
			keys = append(keys, key)
			if !reflect.DeepEqual(r, recs[key]) {
				t.Errorf("ForEachAPIRequest: %q = %+v, want %+v", key, r, recs[key])
			}
			if _, ok, err := tx.APIRequest(key); err != nil || !ok {
				t.Errorf("APIRequest(%q) inside ForEachAPIRequest: %v, %v", key, ok, err)
			}
			return nil
		})
	})
	if !reflect.DeepEqual(keys, wantKeys) {
		t.Errorf("ForEachAPIRequest keys: %q, want %q", keys, wantKeys)
	}
	calls := 0
	view(t, b, func(tx store.Tx) error {
		if err := tx.ForEachAPIRequest(func(string, store.APIRequest) error { calls++; return errStop }); err != errStop {
			t.Errorf("ForEachAPIRequest returned %v, want fn's error", err)
		}
		return nil
	})
	if calls != 1 {
		t.Errorf("ForEachAPIRequest went on after fn's error: %d calls", calls)
	}
}

// testForEachIntegrationsAcrossPages: more records than a backend may read
// in one page (PostgreSQL reads 256 at a time), many declarations sharing
// an instant: each is handed out once, in order.
func testForEachIntegrationsAcrossPages(t *testing.T, b Backend) {
	const n = 600
	update(t, b, func(tx store.Tx) error {
		for i := range n {
			key := fmt.Sprintf("k%04d", i)
			if err := tx.PutAlertGroup(store.AlertGroup{Key: key, ID: "ag-" + key, Mode: "suggest", FirstSeen: t0}); err != nil {
				return err
			}
			if err := tx.PutAPIRequest(key, store.APIRequest{Digest: key, Incident: uint64(i), At: t0}); err != nil {
				return err
			}
			// Three instants, 200 numbers each: a page ends inside one.
			if err := tx.RecordAlertDeclaration(t0.Add(time.Duration(i/200)*time.Second), uint64(n-i), t0.Add(-time.Hour)); err != nil {
				return err
			}
		}
		return nil
	})
	var groups, requests []string
	var notes []declaration
	view(t, b, func(tx store.Tx) error {
		if err := tx.ForEachAlertGroup(func(g store.AlertGroup) error { groups = append(groups, g.Key); return nil }); err != nil {
			return err
		}
		if err := tx.ForEachAPIRequest(func(k string, _ store.APIRequest) error { requests = append(requests, k); return nil }); err != nil {
			return err
		}
		return tx.ForEachAlertDeclaration(func(at time.Time, num uint64) error { notes = append(notes, declaration{at, num}); return nil })
	})
	for _, keys := range []struct {
		what string
		got  []string
	}{{"ForEachAlertGroup", groups}, {"ForEachAPIRequest", requests}} {
		if len(keys.got) != n || !slices.IsSorted(keys.got) || len(slices.Compact(slices.Clone(keys.got))) != n {
			t.Errorf("%s handed out %d keys (want %d, each once, in order)", keys.what, len(keys.got), n)
		}
	}
	if len(notes) != n {
		t.Fatalf("ForEachAlertDeclaration handed out %d notes, want %d", len(notes), n)
	}
	for i := 1; i < n; i++ {
		prev, cur := notes[i-1], notes[i]
		if cur.At.Before(prev.At) || cur.At.Equal(prev.At) && cur.Number <= prev.Number {
			t.Fatalf("notes %d and %d out of order or repeated: %v, %v", i-1, i, prev, cur)
		}
	}
}
