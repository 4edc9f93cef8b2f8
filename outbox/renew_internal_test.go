package outbox

import (
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/incidentbot/incidentbot/incident"
	"github.com/incidentbot/incidentbot/internal/clock"
	"github.com/incidentbot/incidentbot/store"
	"github.com/incidentbot/incidentbot/store/pgstore"
	"github.com/incidentbot/incidentbot/store/pgstore/pgtest"
)

// The renewal keeps alive only the claims the worker is going to run. A
// claim queued here that did not start with nothing of its lane in flight
// (a state the Run loop must never reach: it once did, and its replica
// kept the claim of a job it never ran) is forgotten, not renewed: its
// lease runs out and another replica claims it, while the job in flight,
// and the one queued behind it in its lane, stay this worker's.
func TestTheRenewalKeepsOnlyClaimsTheWorkerIsGoingToRun(t *testing.T) {
	t0 := time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)
	st, err := pgstore.Open(t.Context(), pgtest.DSN(t), pgstore.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	// INC-1 has two jobs, INC-2 one.
	err = st.Update(t.Context(), func(tx store.Tx) error {
		for _, jobs := range []int{2, 1} {
			inc := &incident.Incident{Title: "t", Severity: "SEV1", Status: incident.Investigating}
			if err := tx.CreateIncident(inc); err != nil {
				return err
			}
			for range jobs {
				if _, err := tx.Enqueue(store.Job{Incident: inc.Number, Kind: "k"}); err != nil {
					return err
				}
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	clk := clock.NewFake(t0)
	w := New(Options{Store: st, Performer: PerformerFunc(nil), Clock: clk, Log: zerolog.Nop(), Owner: "a"})
	claim := func(owner string, now time.Time) []store.Job {
		t.Helper()
		jobs, err := st.ClaimJobs(t.Context(), owner, now, w.opt.Lease, 10)
		if err != nil {
			t.Fatal(err)
		}
		return jobs
	}
	heads := claim("a", t0)
	if len(heads) != 2 {
		t.Fatalf("claimed %v, want the two incidents' first jobs", heads)
	}
	running, stuck := heads[0], heads[1]
	q := newQueue()
	q.add(heads)
	inflight := map[uint64]string{running.ID: laneOf(running)}
	// The running job completes; before the loop hears of it, INC-1's
	// next job is claimed and queued behind it: it is going to run.
	if err := st.Update(t.Context(), func(tx store.Tx) error { return tx.CompleteJob(running.ID) }); err != nil {
		t.Fatal(err)
	}
	next := claim("a", t0)
	if len(next) != 1 || next[0].Incident != running.Incident {
		t.Fatalf("claimed %v, want INC-1's second job", next)
	}
	behind := next[0]
	q.add(next)

	clk.Advance(w.opt.Lease / 2)
	w.renew(t.Context(), q, inflight, false)
	if !q.ids[running.ID] || !q.ids[behind.ID] {
		t.Errorf("the job in flight or the one queued behind it left the queue")
	}
	if q.ids[stuck.ID] {
		t.Errorf("job %d, claimed and queued but not started with nothing of its lane in flight, stays queued and claimed", stuck.ID)
	}

	// Once the first lease has run out, another replica can claim the
	// stuck job, and only that one: the lease of the job queued behind the
	// running one was renewed.
	other := claim("b", t0.Add(w.opt.Lease))
	if len(other) != 1 || other[0].ID != stuck.ID {
		t.Errorf("another replica claimed %v at the first lease's end, want job %d alone", other, stuck.ID)
	}
}

// While envelopes are being handled the loop holds every job back
// (Options.Foreground): a claim queued then is going to run when the hold
// ends, so the renewal keeps it rather than let another replica take it
// over, a lease later, as maybe done.
func TestTheRenewalKeepsClaimsQueuedDuringAHold(t *testing.T) {
	t0 := time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)
	st, err := pgstore.Open(t.Context(), pgtest.DSN(t), pgstore.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	err = st.Update(t.Context(), func(tx store.Tx) error {
		inc := &incident.Incident{Title: "t", Severity: "SEV1", Status: incident.Investigating}
		if err := tx.CreateIncident(inc); err != nil {
			return err
		}
		_, err := tx.Enqueue(store.Job{Incident: inc.Number, Kind: "k"})
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	clk := clock.NewFake(t0)
	w := New(Options{Store: st, Performer: PerformerFunc(nil), Clock: clk, Log: zerolog.Nop(), Owner: "a"})
	claimed, err := st.ClaimJobs(t.Context(), "a", t0, w.opt.Lease, 10)
	if err != nil || len(claimed) != 1 {
		t.Fatalf("claimed %v (%v), want the one job", claimed, err)
	}
	q := newQueue()
	q.add(claimed)

	clk.Advance(w.opt.Lease / 2)
	w.renew(t.Context(), q, map[uint64]string{}, true)
	if !q.ids[claimed[0].ID] {
		t.Fatal("the claim queued during the hold left the queue")
	}
	other, err := st.ClaimJobs(t.Context(), "b", t0.Add(w.opt.Lease), w.opt.Lease, 10)
	if err != nil {
		t.Fatal(err)
	}
	if len(other) != 0 {
		t.Errorf("another replica claimed %v at the first lease's end: the held claim was not renewed", other)
	}
}
