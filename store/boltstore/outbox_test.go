package boltstore_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/incidentbot/incidentbot/incident"
	"github.com/incidentbot/incidentbot/store"
	"github.com/incidentbot/incidentbot/store/boltstore"
	"github.com/incidentbot/incidentbot/store/boltstore/bolttest"
)

func kinds(jobs []store.Job) []string {
	var ks []string
	for _, j := range jobs {
		ks = append(ks, j.Kind)
	}
	return ks
}

func pending(t *testing.T, s *boltstore.Store, limit int) []store.Job {
	t.Helper()
	jobs, err := s.PendingJobs(limit)
	if err != nil {
		t.Fatal(err)
	}
	return jobs
}

func TestOutboxFIFO(t *testing.T) {
	s := bolttest.OpenWith(t, boltstore.Options{Now: fixedClock})
	inc := declare(t, s, "db down")
	order := []string{"create_channel", "invite", "post_card", "pin", "announce"}
	update(t, s, func(tx store.Tx) error {
		for _, k := range order[:3] {
			if _, err := tx.Enqueue(store.Job{Incident: inc.Number, Kind: k}); err != nil {
				return err
			}
		}
		return nil
	})
	update(t, s, func(tx store.Tx) error {
		for _, k := range order[3:] {
			if _, err := tx.Enqueue(store.Job{Incident: inc.Number, Kind: k}); err != nil {
				return err
			}
		}
		return nil
	})

	tests := []struct {
		limit int
		want  []string
	}{
		{0, order},
		{-1, order},
		{2, order[:2]},
		{99, order},
	}
	for _, tt := range tests {
		if got := kinds(pending(t, s, tt.limit)); fmt.Sprint(got) != fmt.Sprint(tt.want) {
			t.Errorf("PendingJobs(%d) = %v, want %v", tt.limit, got, tt.want)
		}
	}
	jobs := pending(t, s, 0)
	for i, j := range jobs {
		if j.ID != uint64(i+1) || !j.CreatedAt.Equal(t0) || j.Incident != inc.Number {
			t.Errorf("job %d = %+v", i, j)
		}
	}
	if depth, err := s.OutboxDepth(); err != nil || depth != len(order) {
		t.Errorf("OutboxDepth = %d, %v; want %d", depth, err, len(order))
	}

	update(t, s, func(tx store.Tx) error {
		if err := tx.CompleteJob(jobs[0].ID); err != nil {
			return err
		}
		if err := tx.CompleteJob(jobs[0].ID); err != nil {
			return fmt.Errorf("completing twice: %w", err)
		}
		if err := tx.CompleteJob(12345); err != nil {
			return fmt.Errorf("completing a job that never was: %w", err)
		}
		_, err := tx.Job(jobs[0].ID)
		if !errors.Is(err, store.ErrNotFound) {
			t.Errorf("Job(completed) error = %v, want ErrNotFound", err)
		}
		return nil
	})
	if got := kinds(pending(t, s, 0)); fmt.Sprint(got) != fmt.Sprint(order[1:]) {
		t.Errorf("after completing the first, pending = %v", got)
	}
	if depth, _ := s.OutboxDepth(); depth != len(order)-1 {
		t.Errorf("OutboxDepth = %d, want %d", depth, len(order)-1)
	}
}

func TestEnqueueKeepsGivenFields(t *testing.T) {
	s := bolttest.OpenWith(t, boltstore.Options{Now: fixedClock})
	created := t0.Add(-time.Minute)
	update(t, s, func(tx store.Tx) error {
		j, err := tx.Enqueue(store.Job{Kind: "post", Payload: []byte(`{"text":"hi"}`), CreatedAt: created, NotBefore: t0})
		if err != nil {
			return err
		}
		got, err := tx.Job(j.ID)
		if err != nil {
			return err
		}
		if string(got.Payload) != `{"text":"hi"}` || !got.CreatedAt.Equal(created) || !got.NotBefore.Equal(t0) || got.Incident != 0 {
			t.Errorf("stored job = %+v", got)
		}
		if _, err := tx.Enqueue(store.Job{}); err == nil {
			t.Error("Enqueue of a job without a kind succeeded")
		}
		return nil
	})
}

func TestRescheduleJob(t *testing.T) {
	s := bolttest.Open(t)
	var ids []uint64
	update(t, s, func(tx store.Tx) error {
		for _, k := range []string{"first", "second"} {
			j, err := tx.Enqueue(store.Job{Kind: k})
			if err != nil {
				return err
			}
			ids = append(ids, j.ID)
		}
		return nil
	})
	retryAt := t0.Add(30 * time.Second)
	update(t, s, func(tx store.Tx) error { return tx.RescheduleJob(ids[0], 3, retryAt, "ratelimited") })
	jobs := pending(t, s, 0)
	if fmt.Sprint(kinds(jobs)) != "[first second]" {
		t.Errorf("a rescheduled job lost its place: %v", kinds(jobs))
	}
	j := jobs[0]
	if j.Attempts != 3 || !j.NotBefore.Equal(retryAt) || j.LastError != "ratelimited" {
		t.Errorf("rescheduled job = %+v", j)
	}
	err := s.Update(t.Context(), func(tx store.Tx) error {
		if err := tx.CompleteJob(ids[1]); err != nil {
			return err
		}
		return tx.RescheduleJob(ids[1], 1, retryAt, "x")
	})
	if !errors.Is(err, store.ErrNotFound) {
		t.Errorf("RescheduleJob of a completed job: %v, want ErrNotFound", err)
	}
}

// A command's state change and the side effects it implies commit together
// or not at all.
func TestEnqueueIsAtomicWithStateChange(t *testing.T) {
	var wakes int
	var mu sync.Mutex
	s := bolttest.OpenWith(t, boltstore.Options{OnEnqueue: func() { mu.Lock(); wakes++; mu.Unlock() }})
	inc := declare(t, s, "db down")
	boom := errors.New("slack said no")
	err := s.Update(t.Context(), func(tx store.Tx) error {
		cur, err := tx.Incident(inc.Number)
		if err != nil {
			return err
		}
		cur.Severity = "SEV1"
		if err := tx.PutIncident(cur); err != nil {
			return err
		}
		if _, err := tx.Enqueue(store.Job{Incident: inc.Number, Kind: "update_card"}); err != nil {
			return err
		}
		if _, err := tx.AppendEvent(inc.Number, incident.Event{Kind: incident.EventSeverityChanged}); err != nil {
			return err
		}
		return boom
	})
	if !errors.Is(err, boom) {
		t.Fatalf("Update error = %v, want boom", err)
	}
	if depth, _ := s.OutboxDepth(); depth != 0 {
		t.Errorf("failed Update left %d jobs", depth)
	}
	view(t, s, func(tx store.Tx) error {
		cur, err := tx.Incident(inc.Number)
		if err != nil {
			return err
		}
		if cur.Severity != "SEV2" {
			t.Errorf("failed Update changed severity to %s", cur.Severity)
		}
		evs, err := tx.Events(inc.Number)
		if len(evs) != 0 {
			t.Errorf("failed Update left events %v", evs)
		}
		return err
	})
	mu.Lock()
	defer mu.Unlock()
	if wakes != 0 {
		t.Errorf("OnEnqueue called %d times for a rolled-back transaction", wakes)
	}
}

func TestOnEnqueueAfterCommit(t *testing.T) {
	type wake struct {
		depth int
		err   error
	}
	wakes := make(chan wake, 10)
	var s *boltstore.Store
	s = bolttest.OpenWith(t, boltstore.Options{OnEnqueue: func() {
		// Runs after commit and outside the transaction: reading the
		// store from here must work and must see the new jobs.
		d, err := s.OutboxDepth()
		wakes <- wake{d, err}
	}})
	inc := declare(t, s, "x")
	select {
	case w := <-wakes:
		t.Fatalf("OnEnqueue called for a commit without jobs or reminders: %+v", w)
	default:
	}

	steps := []struct {
		name  string
		fn    func(tx store.Tx) error
		wakes []int // depth seen by each OnEnqueue call
	}{
		{"three jobs in one commit wake once", func(tx store.Tx) error {
			for range 3 {
				if _, err := tx.Enqueue(store.Job{Kind: "post"}); err != nil {
					return err
				}
			}
			return nil
		}, []int{3}},
		{"completing does not wake", func(tx store.Tx) error { return tx.CompleteJob(1) }, nil},
		{"setting a reminder wakes", func(tx store.Tx) error { return tx.SetReminder(inc.Number, t0) }, []int{2}},
		{"clearing a reminder wakes", func(tx store.Tx) error { return tx.ClearReminder(inc.Number) }, []int{2}},
		{"clearing no reminder does not wake", func(tx store.Tx) error { return tx.ClearReminder(inc.Number) }, nil},
	}
	for _, st := range steps {
		update(t, s, st.fn)
		// OnEnqueue runs inside Commit, before Update returns, so by now
		// every wake of this step is in the channel.
		var got []int
		for len(wakes) > 0 {
			w := <-wakes
			if w.err != nil {
				t.Errorf("%s: OutboxDepth inside OnEnqueue: %v", st.name, w.err)
			}
			got = append(got, w.depth)
		}
		if fmt.Sprint(got) != fmt.Sprint(st.wakes) {
			t.Errorf("%s: OnEnqueue saw depths %v, want %v", st.name, got, st.wakes)
		}
	}
}

// Concurrent Updates are grouped into shared commits; every one must land
// exactly once, and one that fails must leave nothing even though it shared
// a batch with the others.
func TestConcurrentUpdatesAllLand(t *testing.T) {
	var wg sync.WaitGroup
	var mu sync.Mutex
	wakeCount := 0
	s := bolttest.OpenWith(t, boltstore.Options{OnEnqueue: func() { mu.Lock(); wakeCount++; mu.Unlock() }})
	const writers = 64
	errFail := errors.New("odd writers fail")
	results := make([]error, writers)
	numbers := make([]uint64, writers)
	for w := range writers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			results[w] = s.Update(context.Background(), func(tx store.Tx) error {
				inc := newIncident(fmt.Sprint("writer ", w))
				if err := tx.CreateIncident(inc); err != nil {
					return err
				}
				if _, err := tx.AppendEvent(inc.Number, incident.Event{Kind: incident.EventDeclared, Text: inc.Title}); err != nil {
					return err
				}
				if _, err := tx.Enqueue(store.Job{Incident: inc.Number, Kind: fmt.Sprint("writer ", w)}); err != nil {
					return err
				}
				if w%2 == 1 {
					return errFail
				}
				numbers[w] = inc.Number
				return nil
			})
		}()
	}
	wg.Wait()

	seen := map[uint64]bool{}
	for w, err := range results {
		if w%2 == 1 {
			if !errors.Is(err, errFail) {
				t.Errorf("writer %d: %v, want its own error", w, err)
			}
			continue
		}
		if err != nil {
			t.Errorf("writer %d: %v", w, err)
		}
		if seen[numbers[w]] {
			t.Errorf("number %d given twice", numbers[w])
		}
		seen[numbers[w]] = true
	}
	view(t, s, func(tx store.Tx) error {
		count := 0
		err := tx.ForEachIncident(func(inc *incident.Incident) error {
			count++
			if !seen[inc.Number] {
				t.Errorf("stored %s (%q) that no successful writer reported", inc.ID(), inc.Title)
			}
			evs, err := tx.Events(inc.Number)
			if err != nil || len(evs) != 1 || evs[0].Text != inc.Title {
				t.Errorf("%s events = %v, %v", inc.ID(), evs, err)
			}
			return nil
		})
		if count != writers/2 {
			t.Errorf("stored %d incidents, want %d", count, writers/2)
		}
		return err
	})
	jobs := pending(t, s, 0)
	if len(jobs) != writers/2 {
		t.Errorf("%d jobs, want %d", len(jobs), writers/2)
	}
	for i := 1; i < len(jobs); i++ {
		if jobs[i].ID <= jobs[i-1].ID {
			t.Errorf("job IDs not increasing: %d then %d", jobs[i-1].ID, jobs[i].ID)
		}
	}
	mu.Lock()
	defer mu.Unlock()
	if wakeCount == 0 || wakeCount > writers/2 {
		t.Errorf("OnEnqueue called %d times for %d successful writers", wakeCount, writers/2)
	}
}

func TestPendingJobsAfterReadsOnlyNewerJobs(t *testing.T) {
	s := bolttest.Open(t)
	err := s.Update(context.Background(), func(tx store.Tx) error {
		for _, k := range []string{"a", "b", "c"} {
			if _, err := tx.Enqueue(store.Job{Kind: k}); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	jobs, err := s.PendingJobsAfter(1, 0)
	if err != nil || len(jobs) != 2 || jobs[0].Kind != "b" || jobs[1].Kind != "c" {
		t.Fatalf("after 1: %+v, %v", jobs, err)
	}
	if jobs, _ := s.PendingJobsAfter(3, 0); len(jobs) != 0 {
		t.Fatalf("after 3: %+v", jobs)
	}
}
