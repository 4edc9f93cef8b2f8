package outbox_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/incidentbot/incidentbot/incident"
	"github.com/incidentbot/incidentbot/internal/clock"
	"github.com/incidentbot/incidentbot/internal/wake"
	"github.com/incidentbot/incidentbot/outbox"
	"github.com/incidentbot/incidentbot/store"
	"github.com/incidentbot/incidentbot/store/pgstore"
	"github.com/incidentbot/incidentbot/store/pgstore/pgtest"
)

// slowClaims is the PostgreSQL store seen by a replica whose first claim
// that returns a job comes back late: while it was under way, onLate ran
// (another replica's whole life with the job) and the replica's clock
// moved on by delay.
type slowClaims struct {
	*pgstore.Store
	clock  *clock.Fake
	delay  time.Duration
	onLate func()
	once   sync.Once
}

func (s *slowClaims) ClaimJobs(ctx context.Context, owner string, now time.Time, lease time.Duration, limit int) ([]store.Job, error) {
	jobs, err := s.Store.ClaimJobs(ctx, owner, now, lease, limit)
	if len(jobs) > 0 {
		s.once.Do(func() {
			s.onLate()
			s.clock.Advance(s.delay)
		})
	}
	return jobs, err
}

// Replica a asks for a claim and gets it back only after its lease has
// run out (its database was slow); meanwhile replica b, finding the lease
// run out, took the job over and ran it. a must not run it too: that
// would post twice.
func TestAClaimThatComesBackAfterItsLeaseRunsNothing(t *testing.T) {
	dsn := pgtest.DSN(t)
	var (
		mu   sync.Mutex
		runs []run
		ranB = make(chan struct{}, 1)
	)
	perform := func(name string, clk *clock.Fake) outbox.PerformerFunc {
		return func(ctx context.Context, j store.Job) (outbox.Apply, error) {
			mu.Lock()
			runs = append(runs, run{name, j.ID, j.MaybeDone, clk.Now()})
			mu.Unlock()
			if name == "b" {
				ranB <- struct{}{}
			}
			return nil, nil
		}
	}
	clkA, clkB := clock.NewFake(t0), clock.NewFake(t0)
	b := startReplica(t, dsn, "b", clkB, perform("b", clkB))

	st, err := pgstore.Open(t.Context(), dsn, pgstore.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	var job uint64
	err = st.Update(t.Context(), func(tx store.Tx) error {
		inc := &incident.Incident{Title: "t", Severity: "SEV1", Status: incident.Investigating}
		if err := tx.CreateIncident(inc); err != nil {
			return err
		}
		j, err := tx.Enqueue(store.Job{Incident: inc.Number, Kind: "post"})
		job = j.ID
		return err
	})
	if err != nil {
		t.Fatal(err)
	}

	late := outbox.DefaultLease + time.Second
	slow := &slowClaims{Store: st, clock: clkA, delay: late, onLate: func() {
		// While a's claim is on its way back, b's clock passes a's lease
		// and b takes the job over.
		clkB.Advance(late)
		b.wake.Notify()
		select {
		case <-ranB:
		case <-time.After(20 * time.Second):
			t.Error("b never took the job over")
		}
	}}
	wA := wake.New()
	a := outbox.New(outbox.Options{Store: slow, Performer: perform("a", clkA), Wake: wA, Clock: clkA, Log: zerolog.Nop(), Owner: "a", Grace: time.Millisecond})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); _ = a.Run(ctx) }()
	defer func() { cancel(); clkA.Advance(time.Second); <-done }()
	wA.Notify()

	wctx, wcancel := context.WithTimeout(t.Context(), 20*time.Second)
	defer wcancel()
	for _, w := range []*outbox.Worker{a, b.worker} {
		if _, err := w.WaitSettled(wctx); err != nil {
			t.Fatal(err)
		}
	}
	// a, settled, holds no claim; a lease of its that lapsed would be
	// taken over at its next poll: give it one.
	clkA.Advance(outbox.DefaultPoll + outbox.DefaultLease)
	wA.Notify()
	if _, err := a.WaitSettled(wctx); err != nil {
		t.Fatal(err)
	}
	mu.Lock()
	defer mu.Unlock()
	if len(runs) != 1 || runs[0].replica != "b" || runs[0].job != job {
		t.Fatalf("runs %+v, want job %d run once, by b", runs, job)
	}
}
