package boltstore_test

import (
	"testing"

	"github.com/incidentbot/incidentbot/incident"
	"github.com/incidentbot/incidentbot/store"
	"github.com/incidentbot/incidentbot/store/boltstore/bolttest"
)

// TestOpenHeadlinesSharedUntilACommit: reads that see the same commit get
// one answer (no read of the index each), and the first read after any
// commit reads afresh: a declaration, a resolution, or a write that
// touches no incident at all.
func TestOpenHeadlinesSharedUntilACommit(t *testing.T) {
	s := bolttest.Open(t)
	read := func() []incident.Headline {
		t.Helper()
		var got []incident.Headline
		if err := s.View(func(tx store.Tx) error {
			var err error
			got, err = tx.OpenHeadlines()
			return err
		}); err != nil {
			t.Fatal(err)
		}
		return got
	}
	write := func(fn func(tx store.Tx) error) {
		t.Helper()
		if err := s.Update(t.Context(), fn); err != nil {
			t.Fatal(err)
		}
	}
	same := func(a, b []incident.Headline) bool { return len(a) > 0 && len(a) == len(b) && &a[0] == &b[0] }
	titles := func(hs []incident.Headline) []string {
		var out []string
		for _, h := range hs {
			out = append(out, h.Title)
		}
		return out
	}

	var first *incident.Incident
	write(func(tx store.Tx) error {
		first = newIncident("checkout 500s")
		return tx.CreateIncident(first)
	})
	a, b := read(), read()
	if !same(a, b) {
		t.Errorf("two reads of one commit read the index twice")
	}

	write(func(tx store.Tx) error { return tx.CreateIncident(newIncident("search slow")) })
	c := read()
	if got := titles(c); len(got) != 2 || got[1] != "search slow" {
		t.Fatalf("after a declaration: %q, want both incidents", got)
	}
	if same(b, c) {
		t.Errorf("the read after a declaration shared the answer of the commit before")
	}

	write(func(tx store.Tx) error {
		_, err := tx.MarkSeen("unrelated", t0)
		return err
	})
	if d := read(); same(c, d) || len(d) != 2 {
		t.Errorf("the read after an unrelated commit shared the answer of the commit before (or lost incidents: %q)", titles(d))
	}

	write(func(tx store.Tx) error {
		inc, err := tx.Incident(first.Number)
		if err != nil {
			return err
		}
		inc.Status = incident.Resolved
		inc.ResolvedAt = t0
		return tx.PutIncident(inc)
	})
	if got := titles(read()); len(got) != 1 || got[0] != "search slow" {
		t.Errorf("after a resolution: %q, want only the open one", got)
	}
}
