package outbox_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"sync"
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

// harness runs a Worker over a real store file.
type harness struct {
	t      *testing.T
	path   string
	store  testStore
	worker *outbox.Worker
	cancel context.CancelFunc
	done   chan struct{}
}

// testStore is what the tests use of a store: bbolt's, or PostgreSQL's.
type testStore interface {
	outbox.Store
	View(fn func(tx store.Tx) error) error
	PendingJobs(limit int) ([]store.Job, error)
	OutboxDepth() (int, error)
	Close() error
}

func openStore(t *testing.T, path string, notify func()) *boltstore.Store {
	t.Helper()
	st, err := boltstore.Open(path, boltstore.Options{OnEnqueue: notify})
	if err != nil {
		t.Fatal(err)
	}
	return st
}

func start(t *testing.T, path string, p outbox.Performer, clk clock.Clock, onPermanent func(store.Tx, store.Job, error) error) *harness {
	t.Helper()
	h := &harness{t: t, path: path, done: make(chan struct{})}
	enqueued := wake.New()
	h.store = openStore(t, path, enqueued.Notify)
	// No jitter drawn: these tests see Retry-After, and the backoff's
	// fixed half, exactly (TestRetriesOfOneRateLimitAreSpread draws some).
	noJitter := func() float64 { return 0 }
	w := outbox.New(outbox.Options{Store: h.store, Performer: p, Wake: enqueued, Clock: clk, Log: zerolog.Nop(), OnPermanent: onPermanent, BaseDelay: time.Second, MaxDelay: time.Minute, Rand: noJitter, Grace: 200 * time.Millisecond})
	h.worker = w
	ctx, cancel := context.WithCancel(context.Background())
	h.cancel = cancel
	go func() { defer close(h.done); _ = w.Run(ctx) }()
	t.Cleanup(h.stop)
	return h
}

// stop shuts the worker down and closes the store (idempotent).
func (h *harness) stop() {
	if h.cancel == nil {
		return
	}
	h.cancel()
	<-h.done
	h.cancel = nil
	if err := h.store.Close(); err != nil {
		h.t.Error(err)
	}
}

func (h *harness) declare(kinds ...string) uint64 {
	h.t.Helper()
	var n uint64
	err := h.store.Update(context.Background(), func(tx store.Tx) error {
		inc := &incident.Incident{Title: "t", Severity: "SEV1", Status: incident.Investigating}
		if err := tx.CreateIncident(inc); err != nil {
			return err
		}
		n = inc.Number
		for _, k := range kinds {
			if _, err := tx.Enqueue(store.Job{Incident: n, Kind: k}); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		h.t.Fatal(err)
	}
	return n
}

func (h *harness) waitIdle() {
	h.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := h.worker.WaitIdle(ctx); err != nil {
		h.t.Fatal("outbox never became idle:", err)
	}
}

// runOnClock lets time pass on clk as it would for real: whenever the
// worker has nothing to do but wait, the clock jumps to its next wake-up
// (after onWake, if set, sees the wait), until nothing is pending.
func (h *harness) runOnClock(clk *clock.Fake, onWake func(wait time.Duration)) {
	h.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	for {
		wake, err := h.worker.WaitSettled(ctx)
		if err != nil {
			h.t.Fatal("worker never settled:", err)
		}
		if wake.IsZero() {
			return
		}
		if onWake != nil {
			onWake(wake.Sub(clk.Now()))
		}
		clk.Advance(wake.Sub(clk.Now()))
	}
}

// recorder is a Performer that records the order of jobs.
type recorder struct {
	mu   sync.Mutex
	runs []string
	fn   func(ctx context.Context, j store.Job) (outbox.Apply, error)
}

func (r *recorder) Perform(ctx context.Context, j store.Job) (outbox.Apply, error) {
	r.mu.Lock()
	r.runs = append(r.runs, incident.FormatID(j.Incident)+":"+j.Kind)
	r.mu.Unlock()
	if r.fn != nil {
		return r.fn(ctx, j)
	}
	return nil, nil
}

func (r *recorder) list() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]string(nil), r.runs...)
}

func TestJobsRunInOrderPerIncident(t *testing.T) {
	rec := &recorder{}
	h := start(t, filepath.Join(t.TempDir(), "s.db"), rec, nil, nil)
	h.declare("a", "b", "c")
	h.declare("x", "y")
	h.waitIdle()

	var one, two []string
	for _, r := range rec.list() {
		switch r[:5] {
		case "INC-1":
			one = append(one, r)
		case "INC-2":
			two = append(two, r)
		}
	}
	want1 := []string{"INC-1:a", "INC-1:b", "INC-1:c"}
	want2 := []string{"INC-2:x", "INC-2:y"}
	if !equal(one, want1) || !equal(two, want2) {
		t.Fatalf("per-incident order: got %v and %v, want %v and %v", one, two, want1, want2)
	}
}

func TestIncidentsRunConcurrently(t *testing.T) {
	release := make(chan struct{})
	otherDone := make(chan struct{})
	rec := &recorder{fn: func(ctx context.Context, j store.Job) (outbox.Apply, error) {
		switch j.Kind {
		case "slow":
			<-release // blocks until the other incident's job has run
		case "fast":
			close(otherDone)
		}
		return nil, nil
	}}
	h := start(t, filepath.Join(t.TempDir(), "s.db"), rec, nil, nil)
	h.declare("slow")
	h.declare("fast")
	select {
	case <-otherDone:
	case <-time.After(10 * time.Second):
		t.Fatal("a blocked incident stalled another incident's jobs")
	}
	close(release)
	h.waitIdle()
}

func TestRetryAfterIsHonoured(t *testing.T) {
	clk := clock.NewFake(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC))
	start0 := clk.Now()
	var mu sync.Mutex
	var calls []time.Time
	rec := &recorder{fn: func(ctx context.Context, j store.Job) (outbox.Apply, error) {
		mu.Lock()
		defer mu.Unlock()
		calls = append(calls, clk.Now())
		if len(calls) == 1 {
			return nil, outbox.RetryAfter(2*time.Second, errors.New("429 ratelimited"))
		}
		return nil, nil
	}}
	h := start(t, filepath.Join(t.TempDir(), "s.db"), rec, clk, nil)
	h.declare("post")

	// The worker now sleeps on the retry timer.
	stopWaiting := make(chan struct{})
	defer close(stopWaiting)
	if !clk.WaitForTimers(1, stopWaiting) {
		t.Fatal("worker never waited")
	}
	var job store.Job
	_ = h.store.View(func(tx store.Tx) error {
		jobs, _ := h.store.PendingJobs(0)
		if len(jobs) == 1 {
			job = jobs[0]
		}
		return nil
	})
	// Waiting out a rate limit is not a failed attempt.
	if job.Attempts != 0 || !job.NotBefore.Equal(start0.Add(2*time.Second)) {
		t.Fatalf("rescheduled job = attempts %d, not before %v; want 0, %v", job.Attempts, job.NotBefore, start0.Add(2*time.Second))
	}
	clk.Advance(1900 * time.Millisecond)
	clk.Advance(100 * time.Millisecond)
	h.waitIdle()
	mu.Lock()
	defer mu.Unlock()
	if len(calls) != 2 {
		t.Fatalf("calls = %d, want 2", len(calls))
	}
	if gap := calls[1].Sub(calls[0]); gap < 2*time.Second {
		t.Fatalf("retried after %v, before Retry-After (2s)", gap)
	}
}

// A job refused by rate limits more times than MaxAttempts still completes:
// each wait is Slack's, not a failure, so Attempts stays 0, the backoff
// never grows and the job never becomes uncertain.
func TestRateLimitsNeverFailAJob(t *testing.T) {
	clk := clock.NewFake(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC))
	const refusals = 40 // more than MaxAttempts (30)
	var mu sync.Mutex
	var seen []store.Job
	rec := &recorder{fn: func(ctx context.Context, j store.Job) (outbox.Apply, error) {
		mu.Lock()
		defer mu.Unlock()
		seen = append(seen, j)
		if len(seen) <= refusals {
			return nil, outbox.RetryAfter(3*time.Second, errors.New("429 ratelimited"))
		}
		return nil, nil
	}}
	var permanent []error
	h := start(t, filepath.Join(t.TempDir(), "s.db"), rec, clk, func(tx store.Tx, j store.Job, err error) error {
		permanent = append(permanent, err)
		return nil
	})
	h.declare("post")
	h.runOnClock(clk, func(wait time.Duration) {
		if wait != 3*time.Second {
			t.Fatalf("next try in %v, want Retry-After's 3s (no backoff on top)", wait)
		}
	})
	mu.Lock()
	defer mu.Unlock()
	if len(seen) != refusals+1 || len(permanent) != 0 {
		t.Fatalf("%d tries, permanent failures %v; want %d tries, none", len(seen), permanent, refusals+1)
	}
	for i, j := range seen {
		if j.Attempts != 0 || j.MaybeDone {
			t.Fatalf("try %d saw attempts %d, maybe done %v; want 0, false", i+1, j.Attempts, j.MaybeDone)
		}
	}
	if jobs, _ := h.store.PendingJobs(0); len(jobs) != 0 {
		t.Fatalf("pending %+v", jobs)
	}
}

// Any failure other than a rate limit may have taken effect (a 5xx after
// Slack acted, a timeout, a lost answer): the job remembers it, so its next
// attempts look before they act; a later 429 does not make it certain again.
func TestFailuresThatMayHaveHappenedMarkTheJob(t *testing.T) {
	clk := clock.NewFake(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC))
	results := []error{
		outbox.RetryAfter(time.Second, errors.New("429 ratelimited")),
		errors.New("502 bad gateway"),
		outbox.RetryAfter(time.Second, errors.New("429 ratelimited")),
		nil,
	}
	var mu sync.Mutex
	var seen []store.Job
	rec := &recorder{fn: func(ctx context.Context, j store.Job) (outbox.Apply, error) {
		mu.Lock()
		defer mu.Unlock()
		seen = append(seen, j)
		return nil, results[len(seen)-1]
	}}
	h := start(t, filepath.Join(t.TempDir(), "s.db"), rec, clk, nil)
	h.declare("post")
	h.runOnClock(clk, nil)
	mu.Lock()
	defer mu.Unlock()
	type state struct {
		attempts  int
		maybeDone bool
	}
	want := []state{{0, false}, {0, false}, {1, true}, {1, true}}
	if len(seen) != len(want) {
		t.Fatalf("%d tries, want %d", len(seen), len(want))
	}
	for i, j := range seen {
		if got := (state{j.Attempts, j.MaybeDone}); got != want[i] {
			t.Errorf("try %d saw %+v, want %+v", i+1, got, want[i])
		}
	}
}

// A performer that made progress before a call was refused stores it with
// the rescheduling, so the retry does not redo it.
func TestProgressIsStoredWithTheRetry(t *testing.T) {
	clk := clock.NewFake(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC))
	var mu sync.Mutex
	var titles []string
	var h *harness // set before the first job is enqueued
	rec := &recorder{fn: func(ctx context.Context, j store.Job) (outbox.Apply, error) {
		mu.Lock()
		defer mu.Unlock()
		var inc *incident.Incident
		if err := h.store.View(func(tx store.Tx) error {
			var err error
			inc, err = tx.Incident(j.Incident)
			return err
		}); err != nil {
			return nil, err
		}
		titles = append(titles, inc.Title)
		if inc.Title == "posted" {
			return nil, nil
		}
		return func(tx store.Tx) error {
			inc, err := tx.Incident(j.Incident)
			if err != nil {
				return err
			}
			inc.Title = "posted"
			return tx.PutIncident(inc)
		}, outbox.RetryAfter(time.Second, errors.New("429 on the pin"))
	}}
	h = start(t, filepath.Join(t.TempDir(), "s.db"), rec, clk, nil)
	h.declare("card")
	h.runOnClock(clk, nil)
	mu.Lock()
	defer mu.Unlock()
	if !equal(titles, []string{"t", "posted"}) {
		t.Fatalf("tries saw titles %v, want [t posted]", titles)
	}
}

func TestTransientErrorsBackOff(t *testing.T) {
	clk := clock.NewFake(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC))
	rec := &recorder{fn: func(ctx context.Context, j store.Job) (outbox.Apply, error) {
		return nil, errors.New("502 bad gateway")
	}}
	h := start(t, filepath.Join(t.TempDir(), "s.db"), rec, clk, nil)
	h.declare("post")
	stopWaiting := make(chan struct{})
	defer close(stopWaiting)
	clk.WaitForTimers(1, stopWaiting)
	jobs, err := h.store.PendingJobs(0)
	if err != nil || len(jobs) != 1 {
		t.Fatalf("pending = %v, %v", jobs, err)
	}
	d := jobs[0].NotBefore.Sub(clk.Now())
	if d < 500*time.Millisecond || d > time.Second {
		t.Fatalf("first backoff %v, want within [0.5s, 1s]", d)
	}
	if jobs[0].LastError == "" {
		t.Fatal("last error not recorded")
	}
}

func TestBackoffIsCappedExponentialWithJitter(t *testing.T) {
	tests := []struct {
		attempt  int
		r        float64
		min, max time.Duration
	}{
		{1, 0, 500 * time.Millisecond, 500 * time.Millisecond},
		{1, 0.999, 500 * time.Millisecond, time.Second},
		{3, 0.5, 2 * time.Second, 4 * time.Second},
		{20, 0.999, 30 * time.Second, time.Minute},
		{200, 0, 30 * time.Second, 30 * time.Second},
	}
	for _, tt := range tests {
		got := outbox.Backoff(tt.attempt, time.Second, time.Minute, tt.r)
		if got < tt.min || got > tt.max {
			t.Errorf("Backoff(%d, r=%v) = %v, want in [%v, %v]", tt.attempt, tt.r, got, tt.min, tt.max)
		}
	}
}

func TestPermanentFailureIsRecordedAndQueueMovesOn(t *testing.T) {
	rec := &recorder{fn: func(ctx context.Context, j store.Job) (outbox.Apply, error) {
		if j.Kind == "bad" {
			return nil, outbox.Permanent(errors.New("channel_not_found"))
		}
		return nil, nil
	}}
	onPermanent := func(tx store.Tx, j store.Job, err error) error {
		_, e := tx.AppendEvent(j.Incident, incident.Event{Kind: incident.EventDeliveryFailed, Text: j.Kind + ": " + err.Error()})
		return e
	}
	h := start(t, filepath.Join(t.TempDir(), "s.db"), rec, nil, onPermanent)
	n := h.declare("bad", "good")
	h.waitIdle()
	if got, want := rec.list(), []string{"INC-1:bad", "INC-1:good"}; !equal(got, want) {
		t.Fatalf("runs = %v, want %v", got, want)
	}
	var events []incident.Event
	_ = h.store.View(func(tx store.Tx) error {
		var err error
		events, err = tx.Events(n)
		return err
	})
	if len(events) != 1 || events[0].Kind != incident.EventDeliveryFailed {
		t.Fatalf("timeline = %+v, want one delivery_failed event", events)
	}
}

func TestResultIsStoredWithCompletion(t *testing.T) {
	rec := &recorder{fn: func(ctx context.Context, j store.Job) (outbox.Apply, error) {
		return func(tx store.Tx) error {
			inc, err := tx.Incident(j.Incident)
			if err != nil {
				return err
			}
			inc.ChannelID = "C123"
			return tx.PutIncident(inc)
		}, nil
	}}
	h := start(t, filepath.Join(t.TempDir(), "s.db"), rec, nil, nil)
	n := h.declare("create_channel")
	h.waitIdle()
	_ = h.store.View(func(tx store.Tx) error {
		inc, err := tx.Incident(n)
		if err != nil || inc.ChannelID != "C123" {
			t.Fatalf("incident = %+v, %v", inc, err)
		}
		return nil
	})
}

// A crash between the Slack call and storing its result leaves the job
// pending; after a restart it runs again and its result is stored once. The
// crash is simulated by snapshotting the store file at that very moment
// (bbolt's file is consistent between commits) and restarting from the
// snapshot, which is exactly what a kill -9 there would leave behind.
func TestCrashBetweenCallAndResultRerunsJob(t *testing.T) {
	dir := t.TempDir()
	path, crashed := filepath.Join(dir, "s.db"), filepath.Join(dir, "crashed.db")
	first := &recorder{fn: func(ctx context.Context, j store.Job) (outbox.Apply, error) {
		// The Slack call has happened; the process dies before storing.
		data, err := os.ReadFile(path)
		if err != nil {
			return nil, err
		}
		return nil, os.WriteFile(crashed, data, 0o600)
	}}
	h := start(t, path, first, nil, nil)
	n := h.declare("create_channel")
	h.waitIdle()
	h.stop()

	second := &recorder{fn: func(ctx context.Context, j store.Job) (outbox.Apply, error) {
		return func(tx store.Tx) error {
			inc, err := tx.Incident(j.Incident)
			if err != nil {
				return err
			}
			inc.ChannelID += "C1"
			return tx.PutIncident(inc)
		}, nil
	}}
	h2 := start(t, crashed, second, nil, nil)
	h2.waitIdle()
	_ = h2.store.View(func(tx store.Tx) error {
		inc, err := tx.Incident(n)
		if err != nil || inc.ChannelID != "C1" {
			t.Fatalf("after restart incident = %+v, %v; want the result stored exactly once", inc, err)
		}
		return nil
	})
	if d, _ := h2.store.OutboxDepth(); d != 0 {
		t.Fatalf("outbox depth %d after restart", d)
	}
	if got := second.list(); len(got) != 1 {
		t.Fatalf("after restart performed %v, want the interrupted job once", got)
	}
}

// A job cut short by shutdown is not completed: it runs again next start.
func TestShutdownLeavesInterruptedJobPending(t *testing.T) {
	path := filepath.Join(t.TempDir(), "s.db")
	called := make(chan struct{})
	hang := &recorder{fn: func(ctx context.Context, j store.Job) (outbox.Apply, error) {
		close(called)
		<-ctx.Done() // a Slack call that never answers
		return nil, ctx.Err()
	}}
	h := start(t, path, hang, nil, nil)
	h.declare("post")
	<-called
	h.stop() // waits out the grace period, then cancels the job
	st := openStore(t, path, nil)
	defer st.Close()
	if d, _ := st.OutboxDepth(); d != 1 {
		t.Fatalf("outbox depth %d after interrupted shutdown, want 1", d)
	}
}

func TestPendingJobsResumeAfterRestart(t *testing.T) {
	path := filepath.Join(t.TempDir(), "s.db")
	st := openStore(t, path, nil)
	err := st.Update(context.Background(), func(tx store.Tx) error {
		inc := &incident.Incident{Title: "t", Severity: "SEV1", Status: incident.Investigating}
		if err := tx.CreateIncident(inc); err != nil {
			return err
		}
		for _, k := range []string{"a", "b"} {
			if _, err := tx.Enqueue(store.Job{Incident: inc.Number, Kind: k}); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := st.Close(); err != nil {
		t.Fatal(err)
	}
	rec := &recorder{}
	h := start(t, path, rec, nil, nil)
	h.waitIdle()
	if got, want := rec.list(), []string{"INC-1:a", "INC-1:b"}; !equal(got, want) {
		t.Fatalf("resumed %v, want %v", got, want)
	}
}

func equal(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// WaitIdle right after a commit waits for the jobs it enqueued, even when
// the worker, idle until then, has not yet woken up to read them: the
// wake-up signal is made before the store and counts what it announced.
func TestWaitIdleWaitsForJobsJustCommitted(t *testing.T) {
	rec := &recorder{}
	h := start(t, filepath.Join(t.TempDir(), "s.db"), rec, nil, nil)
	h.waitIdle()
	for i := 1; i <= 50; i++ {
		h.declare("a")
		h.waitIdle()
		if got := len(rec.list()); got != i {
			t.Fatalf("WaitIdle returned with %d of %d jobs done", got, i)
		}
	}
}
