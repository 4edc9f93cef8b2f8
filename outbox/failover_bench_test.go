package outbox_test

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/incidentbot/incidentbot/incident"
	"github.com/incidentbot/incidentbot/internal/wake"
	"github.com/incidentbot/incidentbot/outbox"
	"github.com/incidentbot/incidentbot/store"
	"github.com/incidentbot/incidentbot/store/pgstore"
	"github.com/incidentbot/incidentbot/store/pgstore/pgtest"
)

// BenchmarkFailoverThreeReplicasPostgres measures fail-over on the real
// clock with the default lease and poll: replica a claims eight incidents'
// jobs and is killed in the middle of all of them (its loop and its
// renewals stop, its attempts record nothing, its claims stay); the time
// from the kill until replicas b and c have finished every one of them.
// Iteration i kills a at an i-dependent point of its renewal period, so
// that the iterations cover how much of its lease was left: a takeover
// waits that (6-8 s) plus up to one poll. ns/op includes each
// iteration's set-up; read failover-p50-s and failover-max-s.
func BenchmarkFailoverThreeReplicasPostgres(b *testing.B) {
	const jobs = 8 // the default Concurrency: a replica claims at most that many
	dsn := pgtest.DSN(b)
	var took []time.Duration
	for i := 0; b.Loop(); i++ {
		// Where a's kill falls in its renewal period, and where b's and
		// c's polls fall against the lease's end, as real time would put
		// them anywhere: evenly spread over the iterations.
		kill := outbox.DefaultLease / 4 * time.Duration(i%4) / 4
		poll := outbox.DefaultPoll * time.Duration(i%5) / 5
		took = append(took, failoverOnce(b, dsn, jobs, kill, poll))
	}
	slices.Sort(took)
	b.ReportMetric(took[len(took)/2].Seconds(), "failover-p50-s")
	b.ReportMetric(took[len(took)-1].Seconds(), "failover-max-s")
	b.Logf("fail-over times over %d kills: %v", len(took), took)
}

// failoverOnce runs one kill: a claims n jobs, and dies kill after it
// started them all; b and c start poll after that. It returns the time
// from the kill until b and c finished all n.
func failoverOnce(b *testing.B, dsn string, n int, kill, poll time.Duration) time.Duration {
	b.Helper()
	open := func() *pgstore.Store {
		st, err := pgstore.Open(context.Background(), dsn, pgstore.Options{})
		if err != nil {
			b.Fatal(err)
		}
		return st
	}
	run := func(st *pgstore.Store, p outbox.Performer) (notify func(), stop func()) {
		signal := wake.New()
		w := outbox.New(outbox.Options{Store: st, Performer: p, Wake: signal, Log: zerolog.Nop(), Grace: time.Millisecond})
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan struct{})
		go func() { defer close(done); _ = w.Run(ctx) }()
		return signal.Notify, func() { cancel(); <-done; st.Close() }
	}

	// a: every job it starts hangs until a dies.
	aStore := open()
	var ids []uint64
	err := aStore.Update(context.Background(), func(tx store.Tx) error {
		ids = ids[:0]
		for range n {
			inc := &incident.Incident{Title: "t", Severity: "SEV1", Status: incident.Investigating}
			if err := tx.CreateIncident(inc); err != nil {
				return err
			}
			j, err := tx.Enqueue(store.Job{Incident: inc.Number, Kind: "post"})
			if err != nil {
				return err
			}
			ids = append(ids, j.ID)
		}
		return nil
	})
	if err != nil {
		b.Fatal(err)
	}
	started := make(chan uint64, n)
	notifyA, killA := run(aStore, outbox.PerformerFunc(func(ctx context.Context, j store.Job) (outbox.Apply, error) {
		started <- j.ID
		<-ctx.Done()
		return nil, ctx.Err()
	}))
	notifyA()
	for range n {
		select {
		case <-started:
		case <-time.After(time.Minute):
			b.Fatal("replica a never started all its jobs")
		}
	}
	began := time.Now()

	// b and c finish what they take over.
	var (
		mu       sync.Mutex
		finished = map[uint64]bool{}
		allDone  = make(chan time.Time, 1)
	)
	survivor := outbox.PerformerFunc(func(ctx context.Context, j store.Job) (outbox.Apply, error) {
		if !slices.Contains(ids, j.ID) || !j.MaybeDone {
			return nil, outbox.Permanent(fmt.Errorf("job %d (maybe done %v) is not one of a's taken over", j.ID, j.MaybeDone))
		}
		return func(store.Tx) error {
			mu.Lock()
			defer mu.Unlock()
			if !finished[j.ID] {
				finished[j.ID] = true
				if len(finished) == n {
					allDone <- time.Now() // as the last one commits
				}
			}
			return nil
		}, nil
	})
	var (
		killed time.Time
		stops  []func()
	)
	defer func() {
		for _, stop := range stops {
			stop()
		}
	}()
	killNow := func() { killed = time.Now(); killA() }
	startSurvivors := func() {
		for range 2 {
			_, stop := run(open(), survivor)
			stops = append(stops, stop)
		}
	}
	first, second, firstAt, secondAt := killNow, startSurvivors, kill, poll
	if poll < kill {
		first, second, firstAt, secondAt = startSurvivors, killNow, poll, kill
	}
	<-time.After(time.Until(began.Add(firstAt)))
	first()
	<-time.After(time.Until(began.Add(secondAt)))
	second()
	select {
	case at := <-allDone:
		return at.Sub(killed)
	case <-time.After(time.Minute):
		mu.Lock()
		defer mu.Unlock()
		b.Fatalf("a's jobs not finished a minute after it died (%d of %d)", len(finished), n)
		return 0
	}
}
