package pgstore_test

import (
	"fmt"
	"slices"
	"sync"
	"testing"

	"github.com/incidentbot/incidentbot/incident"
	"github.com/incidentbot/incidentbot/store"
	"github.com/incidentbot/incidentbot/store/pgstore"
	"github.com/incidentbot/incidentbot/store/pgstore/pgtest"
)

// declareAtOnce runs each of n Updates on the stores in turn, all at once,
// each creating one incident (and doing more, if more is given), and
// returns the numbers they got, sorted, and how many transactions the
// stores ran again.
func declareAtOnce(t *testing.T, stores []*pgstore.Store, n int, more func(tx store.Tx) error) ([]uint64, int64) {
	t.Helper()
	var before int64
	for _, s := range stores {
		before += s.Retries()
	}
	got := make([]uint64, n)
	var wg sync.WaitGroup
	for i := range n {
		s := stores[i%len(stores)]
		wg.Go(func() {
			inc := newIncident(fmt.Sprintf("outage %d", i))
			err := s.Update(t.Context(), func(tx store.Tx) error {
				if err := tx.CreateIncident(inc); err != nil {
					return err
				}
				if more != nil {
					return more(tx)
				}
				return nil
			})
			if err != nil {
				t.Errorf("declare: %v", err)
			}
			got[i] = inc.Number
		})
	}
	wg.Wait()
	var retries int64
	for _, s := range stores {
		retries += s.Retries()
	}
	slices.Sort(got)
	return got, retries - before
}

// span is first, first+1, … first+n-1.
func span(first uint64, n int) []uint64 {
	out := make([]uint64, n)
	for i := range out {
		out[i] = first + uint64(i)
	}
	return out
}

// Declarations on three replicas at once do not wait for one another: the
// number comes from a sequence, not a row that each declaration locks to
// its commit (and that, under SERIALIZABLE, made every declaration that
// found it changed fail and run again).
func TestDeclarationsAtOnceTakeNumbersWithoutRetries(t *testing.T) {
	dsn := pgtest.DSN(t)
	stores := []*pgstore.Store{open(t, dsn, pgstore.Options{}), open(t, dsn, pgstore.Options{}), open(t, dsn, pgstore.Options{})}
	const n = 90
	got, retries := declareAtOnce(t, stores, n, nil)
	if want := span(1, n); !slices.Equal(got, want) {
		t.Errorf("numbers = %v, want 1…%d, each once", got, n)
	}
	if retries != 0 {
		t.Errorf("%d declarations ran again; taking a number must not conflict", retries)
	}
}

// A declaration that conflicts with another transaction and runs again
// keeps the number its first attempt took: contention leaves no gap.
func TestARetriedDeclarationKeepsItsNumber(t *testing.T) {
	dsn := pgtest.DSN(t)
	stores := []*pgstore.Store{open(t, dsn, pgstore.Options{}), open(t, dsn, pgstore.Options{})}
	busy := declare(t, stores[0], "busy")
	const n = 40
	// Each declaration also changes incident busy: a read-modify-write that
	// conflicts with every other, so most run more than once.
	got, retries := declareAtOnce(t, stores, n, func(tx store.Tx) error {
		inc, err := tx.Incident(busy.Number)
		if err != nil {
			return err
		}
		inc.Summary += "x"
		return tx.PutIncident(inc)
	})
	if retries == 0 {
		t.Fatal("no declaration ran again; the test needs contention")
	}
	if want := span(busy.Number+1, n); !slices.Equal(got, want) {
		t.Errorf("numbers after %d retries = %v, want %d…%d, each once", retries, got, busy.Number+1, busy.Number+n)
	}
	var summary string
	if err := stores[1].View(func(tx store.Tx) error {
		inc, err := tx.Incident(busy.Number)
		summary = inc.Summary
		return err
	}); err != nil {
		t.Fatal(err)
	}
	if len(summary) != n {
		t.Errorf("incident %s changed %d times, want %d", incident.FormatID(busy.Number), len(summary), n)
	}
	if next := declare(t, stores[1], "after").Number; next != busy.Number+n+1 {
		t.Errorf("the next declaration got %s, want %s", incident.FormatID(next), incident.FormatID(busy.Number+n+1))
	}
}
