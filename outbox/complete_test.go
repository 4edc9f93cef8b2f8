package outbox_test

import (
	"context"
	"errors"
	"path/filepath"
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
	"github.com/incidentbot/incidentbot/store/boltstore"
)

// countingStore is the real store, counting the transactions the worker
// commits through it.
type countingStore struct {
	*boltstore.Store
	updates atomic.Int64
}

func (s *countingStore) Update(ctx context.Context, fn func(tx store.Tx) error) error {
	s.updates.Add(1)
	return s.Store.Update(ctx, fn)
}

// Jobs that finish together are completed in one transaction (one commit,
// one fsync), not one each, and so are the next attempts of jobs refused
// together by a rate limit; a job whose result cannot be stored fails
// alone (and runs again), and the others of its group are completed.
func TestJobsFinishingTogetherShareOneCommit(t *testing.T) {
	const n = 100
	for _, tc := range []struct {
		name string
		how  finish
		// One commit for the first job to finish, one for the group that
		// finished during it. With a failure, the group is committed job
		// by job, and the failed job once more. One per job without
		// grouping.
		maxUpdates int64
	}{
		{"all stored", allStored, 5},
		{"one result refused", oneRefused, n + 5},
		// Each run twice: the refusals' reschedules and then the
		// completions, a few groups each (more if the retries come back
		// at a few different instants); one per job and more without.
		{"all rate limited", allLimited, 30},
	} {
		t.Run(tc.name, func(t *testing.T) {
			runs, updates, depth := finishTogether(t, n, tc.how)
			if depth != 0 {
				t.Fatalf("%d jobs left pending", depth)
			}
			if updates > tc.maxUpdates {
				t.Errorf("%d transactions for %d jobs finishing together, want at most %d", updates, n, tc.maxUpdates)
			}
			twice := 0
			for _, k := range runs {
				if k == 2 {
					twice++
				}
			}
			if want := map[finish]int{oneRefused: 1, allLimited: n}[tc.how]; len(runs) != n || twice != want {
				t.Errorf("%d jobs ran, %d of them twice; want %d, %d twice", len(runs), twice, n, want)
			}
		})
	}
}

// finish says how the jobs of finishTogether end their first run.
type finish int

const (
	allStored  finish = iota
	oneRefused        // the middle job's result cannot be stored
	allLimited        // every job is refused by a rate limit
)

// finishTogether runs n jobs (one per incident) that all wait until every
// one has started, so that they finish together, their first run ending as
// how says. It returns how often
// each incident's job ran, the transactions the worker committed, and the
// jobs left pending.
func finishTogether(t *testing.T, n int, how finish) (runs map[uint64]int, updates int64, depth int) {
	t.Helper()
	enqueued := wake.New()
	st, err := boltstore.Open(filepath.Join(t.TempDir(), "s.db"), boltstore.Options{OnEnqueue: enqueued.Notify})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	var bad uint64
	err = st.Update(context.Background(), func(tx store.Tx) error {
		for i := range n {
			inc := &incident.Incident{Title: "t", Severity: "SEV1", Status: incident.Investigating}
			if err := tx.CreateIncident(inc); err != nil {
				return err
			}
			if how == oneRefused && i == n/2 {
				bad = inc.Number
			}
			if _, err := tx.Enqueue(store.Job{Incident: inc.Number, Kind: "post"}); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	var started sync.WaitGroup
	started.Add(n)
	var mu sync.Mutex
	runs = map[uint64]int{}
	perform := outbox.PerformerFunc(func(ctx context.Context, j store.Job) (outbox.Apply, error) {
		mu.Lock()
		runs[j.Incident]++
		first := runs[j.Incident] == 1
		mu.Unlock()
		if !first {
			return nil, nil
		}
		started.Done()
		started.Wait()
		if how == allLimited {
			return nil, outbox.RetryAfter(time.Second, errors.New("ratelimited"))
		}
		if j.Incident == bad {
			return func(store.Tx) error { return errors.New("result refused") }, nil
		}
		return nil, nil
	})
	cs := &countingStore{Store: st}
	clk := clock.NewFake(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC))
	w := outbox.New(outbox.Options{Store: cs, Performer: perform, Wake: enqueued, Clock: clk, Log: zerolog.Nop()})
	ctx, cancel := context.WithCancel(context.Background())
	stopped := make(chan struct{})
	go func() { defer close(stopped); _ = w.Run(ctx) }()
	defer func() { cancel(); <-stopped }()
	wctx, wcancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer wcancel()
	for { // the failed job's retry is due after a backoff
		wake, err := w.WaitSettled(wctx)
		if err != nil {
			t.Fatal("outbox never settled:", err)
		}
		if wake.IsZero() {
			break
		}
		clk.Advance(wake.Sub(clk.Now()))
	}
	if depth, err = st.OutboxDepth(); err != nil {
		t.Fatal(err)
	}
	mu.Lock()
	defer mu.Unlock()
	return runs, cs.updates.Load(), depth
}
