package outbox_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"sync/atomic"
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

// heldStore is a replica's PostgreSQL store that holds one job's
// completion between its commit and its report: the attempt that completed
// the job waits, after the commit, until release is closed, so the
// worker's Run loop has not yet heard that the job finished. A completion
// lands in that window whenever the loop is busy claiming (a query's time)
// as it is most of the time under load.
type heldStore struct {
	*pgstore.Store
	completing atomic.Bool   // set by the held job's Apply, in its transaction
	committed  chan struct{} // closed once the held completion committed
	release    chan struct{}
	lost       error // what the held completion reports (nil: success)
	// next is the job whose claim closes claimed.
	next    uint64
	claimed chan struct{}
	once    sync.Once
}

func (s *heldStore) Update(ctx context.Context, fn func(store.Tx) error) error {
	err := s.Store.Update(ctx, fn)
	if err == nil && s.completing.Swap(false) {
		close(s.committed)
		<-s.release
		return s.lost
	}
	return err
}

func (s *heldStore) ClaimJobs(ctx context.Context, owner string, now time.Time, lease time.Duration, limit int) ([]store.Job, error) {
	jobs, err := s.Store.ClaimJobs(ctx, owner, now, lease, limit)
	if slices.ContainsFunc(jobs, func(j store.Job) bool { return j.ID == s.next }) {
		s.once.Do(func() { close(s.claimed) })
	}
	return jobs, err
}

// A replica claims a lane's next job as soon as the previous one is
// completed in the store, which can be before its Run loop hears that the
// previous one finished. The claim must still run at once, on that
// replica: not wait, claimed and idle, for its own lease to run out (a
// busy lane then moved one job per lease, and the SEV1 incident's
// reminders fell behind). Also when the completion committed but was
// reported lost (a connection broken during COMMIT): the finished job's
// claim is let go, not its lane's next one.
func TestALanesNextClaimRunsWhileTheWorkerHearsOfThePreviousJob(t *testing.T) {
	for _, tc := range []struct {
		name string
		lost error
	}{
		{"completion reported", nil},
		{"completion committed but reported lost", errors.New("connection lost during COMMIT")},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dsn := pgtest.DSN(t)
			pg, err := pgstore.Open(t.Context(), dsn, pgstore.Options{})
			if err != nil {
				t.Fatal(err)
			}
			defer pg.Close()
			var first, second uint64
			err = pg.Update(t.Context(), func(tx store.Tx) error {
				inc := &incident.Incident{Title: "t", Severity: "SEV1", Status: incident.Investigating}
				if err := tx.CreateIncident(inc); err != nil {
					return err
				}
				a, err := tx.Enqueue(store.Job{Incident: inc.Number, Kind: "first"})
				if err != nil {
					return err
				}
				b, err := tx.Enqueue(store.Job{Incident: inc.Number, Kind: "second"})
				first, second = a.ID, b.ID
				return err
			})
			if err != nil {
				t.Fatal(err)
			}

			st := &heldStore{Store: pg, committed: make(chan struct{}), release: make(chan struct{}), lost: tc.lost, next: second, claimed: make(chan struct{})}
			var (
				mu   sync.Mutex
				runs []run
			)
			clk := clock.NewFake(t0)
			perform := outbox.PerformerFunc(func(ctx context.Context, j store.Job) (outbox.Apply, error) {
				mu.Lock()
				runs = append(runs, run{"a", j.ID, j.MaybeDone, clk.Now()})
				mu.Unlock()
				if j.ID != first {
					return nil, nil
				}
				return func(store.Tx) error { st.completing.Store(true); return nil }, nil
			})
			signal := wake.New()
			w := outbox.New(outbox.Options{Store: st, Performer: perform, Wake: signal, Clock: clk, Log: zerolog.Nop(), Owner: "a", Grace: time.Millisecond})
			ctx, cancel := context.WithCancel(context.Background())
			stopped := make(chan struct{})
			go func() { defer close(stopped); _ = w.Run(ctx) }()
			defer func() { cancel(); clk.Advance(time.Second); <-stopped }()

			wait := func(ch <-chan struct{}, what string) {
				t.Helper()
				select {
				case <-ch:
				case <-time.After(20 * time.Second):
					t.Fatalf("%s never happened", what)
				}
			}
			// The first job runs, its completion commits and is held; a
			// commit wakes the loop, which claims the lane's next head.
			wait(st.committed, "the first job's completion")
			signal.Notify()
			wait(st.claimed, "the claim of the second job")
			close(st.release)

			// No time passes: the second job's lease (8 s) never runs out.
			sctx, scancel := context.WithTimeout(t.Context(), 20*time.Second)
			defer scancel()
			next, err := w.WaitSettled(sctx)
			if err != nil {
				t.Fatal("the worker never settled:", err)
			}
			mu.Lock()
			defer mu.Unlock()
			want := []run{{"a", first, false, t0}, {"a", second, false, t0}}
			if !slices.Equal(runs, want) {
				t.Fatalf("runs %v, want %v; the worker next wakes at +%v\n(the second job is claimed by this replica: without it running, it waits for its own lease to run out and a takeover)",
					fmtRuns(runs), fmtRuns(want), next.Sub(t0))
			}
			if !next.IsZero() {
				t.Errorf("the worker next wakes at +%v with the outbox done, want never", next.Sub(t0))
			}
		})
	}
}

func fmtRuns(runs []run) string {
	var s []string
	for _, r := range runs {
		s = append(s, fmt.Sprintf("job %d (maybe done %v) at +%v", r.job, r.maybe, r.at.Sub(t0)))
	}
	return fmt.Sprint(s)
}
