package pgstore_test

import (
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/incidentbot/incidentbot/store"
	"github.com/incidentbot/incidentbot/store/pgstore"
	"github.com/incidentbot/incidentbot/store/pgstore/pgtest"
)

const lease = 10 * time.Second

func ids(jobs []store.Job) []uint64 {
	out := make([]uint64, len(jobs))
	for i, j := range jobs {
		out[i] = j.ID
	}
	return out
}

func claim(t *testing.T, s *pgstore.Store, owner string, now time.Time) []store.Job {
	t.Helper()
	jobs, err := s.ClaimJobs(t.Context(), owner, now, lease, 100)
	if err != nil {
		t.Fatalf("%s claims: %v", owner, err)
	}
	return jobs
}

func enqueue(t *testing.T, s *pgstore.Store, incidentNo uint64, notBefore time.Time) uint64 {
	t.Helper()
	var id uint64
	update(t, s, func(tx store.Tx) error {
		j, err := tx.Enqueue(store.Job{Incident: incidentNo, Kind: "post", NotBefore: notBefore})
		id = j.ID
		return err
	})
	return id
}

// Two replicas (two stores on one database) share the outbox on an
// injected clock: each job goes to one of them; an incident's next job
// waits until its previous one is done, whichever replica ran it; a job
// not yet due waits; a replica that dies loses its claims once the lease
// has run out, and the taker is told the job may already be done.
func TestReplicasShareTheOutboxInOrderAndTakeOverAfterTheLease(t *testing.T) {
	dsn := pgtest.DSN(t)
	a, b := open(t, dsn, pgstore.Options{}), open(t, dsn, pgstore.Options{})
	one, two := declare(t, a, "one"), declare(t, a, "two")
	first := enqueue(t, a, one.Number, time.Time{})
	second := enqueue(t, b, one.Number, time.Time{})
	other := enqueue(t, a, two.Number, time.Time{})
	loose := enqueue(t, b, 0, time.Time{})
	later := enqueue(t, a, 0, t0.Add(time.Minute))

	if got, want := ids(claim(t, a, "a", t0)), []uint64{first, other, loose}; !slices.Equal(got, want) {
		t.Fatalf("a claimed %v, want %v: the head of each incident and the due job of none", got, want)
	}
	if got := claim(t, b, "b", t0); len(got) != 0 {
		t.Fatalf("b claimed %v while a holds every head: INC-1's second job must wait for its first", ids(got))
	}

	// a finishes INC-1's first job: its second is b's to take.
	update(t, a, func(tx store.Tx) error { return tx.CompleteJob(first) })
	if got, want := ids(claim(t, b, "b", t0)), []uint64{second}; !slices.Equal(got, want) {
		t.Fatalf("b claimed %v after the first job was done, want %v", got, want)
	}
	update(t, b, func(tx store.Tx) error { return tx.CompleteJob(second) })

	// a dies holding INC-2's job and the loose one. Until its lease runs
	// out nobody else runs them; then b does, told they may be done.
	if got := claim(t, b, "b", t0.Add(lease-time.Nanosecond)); len(got) != 0 {
		t.Fatalf("b claimed %v before a's lease ran out", ids(got))
	}
	taken := claim(t, b, "b", t0.Add(lease))
	if got, want := ids(taken), []uint64{other, loose}; !slices.Equal(got, want) {
		t.Fatalf("after the lease b claimed %v, want %v", got, want)
	}
	for _, j := range taken {
		if !j.MaybeDone {
			t.Errorf("job %d taken over without MaybeDone: the next attempt must look before it acts", j.ID)
		}
	}
	if lost, err := a.RenewLeases(t.Context(), "a", []uint64{other, loose}, t0.Add(lease), lease); err != nil || len(lost) != 2 {
		t.Fatalf("a renewing after the takeover: lost %v, %v; want both", lost, err)
	}
	if lost, err := b.RenewLeases(t.Context(), "b", []uint64{other}, t0.Add(lease+time.Second), lease); err != nil || len(lost) != 0 {
		t.Fatalf("b renewing its claim: lost %v, %v; want none", lost, err)
	}
	update(t, b, func(tx store.Tx) error { return tx.CompleteJob(other) })

	// A retry lets the job go: once due again, any replica may run it.
	update(t, b, func(tx store.Tx) error { return tx.RescheduleJob(loose, 1, t0.Add(lease+time.Minute), "boom") })
	if got, want := ids(claim(t, a, "a", t0.Add(lease+time.Minute-time.Nanosecond))), []uint64{later}; !slices.Equal(got, want) {
		t.Fatalf("a claimed %v before the retry was due, want only the job due at +1m %v", got, want)
	}
	if got, want := ids(claim(t, a, "a", t0.Add(lease+time.Minute))), []uint64{loose}; !slices.Equal(got, want) {
		t.Fatalf("a claimed %v once the retry was due, want %v", got, want)
	}
}

func TestConcurrentClaimsHandEachJobToOneReplica(t *testing.T) {
	dsn := pgtest.DSN(t)
	a, b := open(t, dsn, pgstore.Options{}), open(t, dsn, pgstore.Options{})
	const n = 60
	for range n {
		enqueue(t, a, 0, time.Time{})
	}
	var (
		mu  sync.Mutex
		got = map[uint64]string{}
		wg  sync.WaitGroup
	)
	for _, r := range []struct {
		name string
		s    *pgstore.Store
	}{{"a1", a}, {"a2", a}, {"b1", b}, {"b2", b}} {
		wg.Go(func() {
			for {
				jobs, err := r.s.ClaimJobs(t.Context(), r.name, t0, lease, 3)
				if err != nil {
					t.Error(err)
					return
				}
				if len(jobs) == 0 {
					return
				}
				mu.Lock()
				for _, j := range jobs {
					if prev, dup := got[j.ID]; dup {
						t.Errorf("job %d claimed by %s and %s", j.ID, prev, r.name)
					}
					got[j.ID] = r.name
				}
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	if len(got) != n {
		t.Fatalf("%d jobs claimed, want %d", len(got), n)
	}
}
