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
	"github.com/incidentbot/incidentbot/internal/clock"
	"github.com/incidentbot/incidentbot/outbox"
	"github.com/incidentbot/incidentbot/store"
	"github.com/incidentbot/incidentbot/store/pgstore"
	"github.com/incidentbot/incidentbot/store/pgstore/pgtest"
)

// replica is one worker over its own handle on the shared database, on a
// clock of its own.
type replica struct {
	name   string
	store  *pgstore.Store
	clock  *clock.Fake
	worker *outbox.Worker
	cancel context.CancelFunc
	done   chan struct{}
}

var t0 = time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)

func startReplica(t *testing.T, dsn, name string, clk *clock.Fake, p outbox.Performer) *replica {
	t.Helper()
	st, err := pgstore.Open(t.Context(), dsn, pgstore.Options{})
	if err != nil {
		t.Fatal(err)
	}
	r := &replica{name: name, store: st, clock: clk, done: make(chan struct{})}
	r.worker = outbox.New(outbox.Options{Store: st, Performer: p, Clock: r.clock, Log: zerolog.Nop(), Owner: name, Grace: time.Millisecond})
	ctx, cancel := context.WithCancel(context.Background())
	r.cancel = cancel
	go func() { defer close(r.done); _ = r.worker.Run(ctx) }()
	t.Cleanup(func() {
		r.cancel()
		r.clock.Advance(time.Second) // the shutdown grace is on the replica's clock
		<-r.done
		st.Close()
	})
	return r
}

// run is one performed job, as a replica saw it.
type run struct {
	replica string
	job     uint64
	maybe   bool
	at      time.Time // on the replica's clock
}

// Two replicas share one PostgreSQL outbox. Replica a claims INC-1's first
// job and freezes (its clock stops: it renews nothing, like a dead
// process). Replica b runs nothing of INC-1 until a's lease runs out, then
// takes the job over, told it may be done already, and runs INC-1's next
// jobs after it, in order.
func TestAReplicaTakesOverTheJobsOfADeadOneInOrder(t *testing.T) {
	dsn := pgtest.DSN(t)
	var (
		mu      sync.Mutex
		runs    []run
		started = make(chan struct{})
		release = make(chan struct{})
	)
	clocks := map[string]*clock.Fake{}
	perform := func(name string) outbox.PerformerFunc {
		return func(ctx context.Context, j store.Job) (outbox.Apply, error) {
			mu.Lock()
			runs = append(runs, run{name, j.ID, j.MaybeDone, clocks[name].Now()})
			mu.Unlock()
			if name == "a" && j.Kind == "first" {
				close(started)
				<-release // frozen
				return nil, fmt.Errorf("a was frozen")
			}
			return nil, nil
		}
	}
	clocks["a"], clocks["b"] = clock.NewFake(t0), clock.NewFake(t0)
	a := startReplica(t, dsn, "a", clocks["a"], perform("a"))
	var first uint64
	var rest []uint64
	err := a.store.Update(t.Context(), func(tx store.Tx) error {
		inc := &incident.Incident{Title: "t", Severity: "SEV1", Status: incident.Investigating}
		if err := tx.CreateIncident(inc); err != nil {
			return err
		}
		rest = rest[:0]
		for _, kind := range []string{"first", "second", "third"} {
			j, err := tx.Enqueue(store.Job{Incident: inc.Number, Kind: kind})
			if err != nil {
				return err
			}
			if kind == "first" {
				first = j.ID
			} else {
				rest = append(rest, j.ID)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	a.worker.Notify()
	<-started
	defer close(release)

	b := startReplica(t, dsn, "b", clocks["b"], perform("b"))
	b.worker.Notify()
	ctx, cancel := context.WithTimeout(t.Context(), 20*time.Second)
	defer cancel()
	for {
		wake, err := b.worker.WaitSettled(ctx)
		if err != nil {
			t.Fatal("b never settled:", err)
		}
		if wake.IsZero() {
			break // nothing pending anywhere
		}
		b.clock.Advance(wake.Sub(b.clock.Now()))
	}
	mu.Lock()
	defer mu.Unlock()
	want := []run{{"a", first, false, t0}, {"b", first, true, t0}, {"b", rest[0], false, t0}, {"b", rest[1], false, t0}}
	for i := range want {
		if i < len(runs) && runs[i].replica == "b" {
			// b takes over once a's lease has run out, at its next poll.
			if wait := runs[i].at.Sub(t0); wait < outbox.DefaultLease || wait > outbox.DefaultLease+outbox.DefaultPoll {
				t.Errorf("b ran job %d at +%s, want between the lease (%s) and one poll after it", runs[i].job, wait, outbox.DefaultLease)
			}
			want[i].at = runs[i].at
		}
	}
	if !slices.Equal(runs, want) {
		t.Fatalf("runs %+v\nwant %+v", runs, want)
	}
}
