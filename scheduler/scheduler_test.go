package scheduler_test

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/incidentbot/incidentbot/commands"
	"github.com/incidentbot/incidentbot/incident"
	"github.com/incidentbot/incidentbot/internal/clock"
	"github.com/incidentbot/incidentbot/scheduler"
	"github.com/incidentbot/incidentbot/store"
	"github.com/incidentbot/incidentbot/store/boltstore"
	"github.com/incidentbot/incidentbot/store/boltstore/bolttest"
)

var t0 = time.Date(2026, 11, 26, 3, 0, 0, 0, time.UTC)

// observed is the real service, reporting every schedule the scheduler
// reads, and failing DueReminders a set number of times first.
type observed struct {
	*commands.Service
	nexts chan time.Time // each NextDue answer; zero for "nothing scheduled"

	mu    sync.Mutex
	fails int
	calls int
}

func (o *observed) DueReminders(ctx context.Context, now time.Time) (commands.DueResult, error) {
	o.mu.Lock()
	o.calls++
	fail := o.fails > 0
	if fail {
		o.fails--
	}
	o.mu.Unlock()
	if fail {
		return commands.DueResult{}, errors.New("disk on fire")
	}
	return o.Service.DueReminders(ctx, now)
}

func (o *observed) NextDue() (time.Time, bool, error) {
	next, ok, err := o.Service.NextDue()
	o.nexts <- next
	return next, ok, err
}

func (o *observed) dueCalls() int {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.calls
}

// fixture is a store, a service on it, a fake clock and a scheduler wired
// as the app wires them: every commit that changes the schedule notifies
// it. fired receives one value per commit that enqueued outbox jobs.
type fixture struct {
	t     *testing.T
	svc   *commands.Service
	obs   *observed
	clk   *clock.Fake
	sched *scheduler.Scheduler
	fired chan struct{}
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	f := &fixture{t: t, clk: clock.NewFake(t0), fired: make(chan struct{}, 1000)}
	var notify func()
	var mu sync.Mutex
	st := bolttest.OpenWith(t, boltstore.Options{NoSync: true, OnEnqueue: func() {
		mu.Lock()
		fn := notify
		mu.Unlock()
		if fn != nil {
			fn()
		}
		f.fired <- struct{}{}
	}})
	f.svc = &commands.Service{Store: st, Settings: incident.DefaultSettings(), Clock: f.clk, PostmortemReminder: 24 * time.Hour}
	f.obs = &observed{Service: f.svc, nexts: make(chan time.Time, 1000)}
	f.sched = scheduler.New(scheduler.Options{Reminders: f.obs, Clock: f.clk, Log: zerolog.Nop()})
	mu.Lock()
	notify = f.sched.Notify
	mu.Unlock()
	return f
}

// start runs the scheduler until the test ends and waits for its first
// cycle to read the schedule.
func (f *fixture) start() {
	f.t.Helper()
	f.run()
	f.nextDue()
}

// run runs the scheduler until the test ends.
func (f *fixture) run() {
	f.t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- f.sched.Run(ctx) }()
	f.t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			f.t.Errorf("Run = %v", err)
		}
	})
}

func (f *fixture) ctx() context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	f.t.Cleanup(cancel)
	return ctx
}

// nextDue waits for the scheduler to read the schedule and returns what it
// read.
func (f *fixture) nextDue() time.Time {
	f.t.Helper()
	select {
	case next := <-f.obs.nexts:
		return next
	case <-f.ctx().Done():
		f.t.Fatal("the scheduler never read the schedule")
		return time.Time{}
	}
}

// awaitNextDue waits until the scheduler has read want as the next due
// time and, when there is one, has gone to sleep on its timer.
func (f *fixture) awaitNextDue(want time.Time) {
	f.t.Helper()
	for {
		if got := f.nextDue(); got.Equal(want) {
			break
		}
	}
	if !want.IsZero() {
		f.armed()
	}
}

// armed waits until the scheduler's timer is set.
func (f *fixture) armed() {
	f.t.Helper()
	if !f.clk.WaitForTimers(1, f.ctx().Done()) {
		f.t.Fatal("the scheduler never set its timer")
	}
}

// declare stores an incident at sev (declared at t0) with its reminder at
// due (zero: none), in one commit.
func (f *fixture) declare(sev string, due time.Time) uint64 {
	f.t.Helper()
	var n uint64
	err := f.svc.Store.Update(context.Background(), func(tx store.Tx) error {
		inc := &incident.Incident{Title: "x", Severity: sev, Status: incident.Investigating, DeclaredAt: t0}
		if err := tx.CreateIncident(inc); err != nil {
			return err
		}
		n = inc.Number
		if due.IsZero() {
			return nil
		}
		return tx.SetReminder(n, due)
	})
	if err != nil {
		f.t.Fatal(err)
	}
	return n
}

func (f *fixture) drainFired() {
	for len(f.fired) > 0 {
		<-f.fired
	}
}

// reminders counts the reminder posts enqueued so far.
func (f *fixture) reminders() int {
	f.t.Helper()
	jobs, err := f.svc.Store.(*boltstore.Store).PendingJobs(0)
	if err != nil {
		f.t.Fatal(err)
	}
	n := 0
	for _, j := range jobs {
		if j.Kind == commands.JobReminder {
			n++
		}
	}
	return n
}

func (f *fixture) reminderDue(n uint64) time.Time {
	f.t.Helper()
	var due time.Time
	err := f.svc.Store.View(func(tx store.Tx) error {
		var err error
		due, _, err = tx.Reminder(n)
		return err
	})
	if err != nil {
		f.t.Fatal(err)
	}
	return due
}

func TestFiresOverdueRemindersOnceAtStart(t *testing.T) {
	f := newFixture(t)
	// Due 10 hours ago, as after an outage: 40 SEV1 intervals missed.
	n := f.declare("SEV1", t0.Add(-10*time.Hour))
	f.start()
	if got := f.reminders(); got != 1 {
		t.Fatalf("%d reminders after start, want 1", got)
	}
	if due := f.reminderDue(n); !due.Equal(t0.Add(15 * time.Minute)) {
		t.Fatalf("next reminder at %v, want a full interval after start", due)
	}
}

func TestSleepsOnOneTimerUntilDue(t *testing.T) {
	f := newFixture(t)
	f.declare("SEV1", t0.Add(15*time.Minute))
	f.start()
	f.armed()
	if w := f.clk.Waiters(); w != 1 {
		t.Fatalf("%d timers armed, want exactly 1", w)
	}
	f.drainFired()
	f.clk.Advance(15*time.Minute - time.Nanosecond)
	if err := f.sched.Trigger(f.ctx()); err != nil {
		t.Fatal(err)
	}
	if got := f.reminders(); got != 0 {
		t.Fatalf("fired %d before due", got)
	}
	f.clk.Advance(time.Nanosecond)
	select { // the timer alone must fire it: no Trigger here
	case <-f.fired:
	case <-f.ctx().Done():
		t.Fatal("the reminder did not fire at its due time")
	}
	if got := f.reminders(); got != 1 {
		t.Fatalf("%d reminders at due time, want 1", got)
	}
}

func TestWakesEarlyWhenScheduleChanges(t *testing.T) {
	f := newFixture(t)
	n := f.declare("SEV1", t0.Add(time.Hour))
	f.start()
	// An update moves the reminder earlier: the commit alone must make the
	// scheduler re-arm its timer.
	err := f.svc.Store.Update(context.Background(), func(tx store.Tx) error { return tx.SetReminder(n, t0.Add(5*time.Minute)) })
	if err != nil {
		t.Fatal(err)
	}
	f.awaitNextDue(t0.Add(5 * time.Minute))
	f.drainFired()
	f.clk.Advance(5 * time.Minute)
	select {
	case <-f.fired:
	case <-f.ctx().Done():
		t.Fatal("the moved reminder did not fire")
	}
	// A second incident scheduled earlier than anything else is picked up
	// the same way.
	m := f.declare("SEV1", f.clk.Now().Add(time.Minute))
	f.awaitNextDue(f.clk.Now().Add(time.Minute))
	f.clk.Advance(time.Minute)
	// Fired, and rescheduled an interval later, after the first one's.
	f.awaitNextDue(t0.Add(20 * time.Minute))
	if due := f.reminderDue(m); !due.Equal(t0.Add(21 * time.Minute)) {
		t.Fatalf("second incident's next reminder at %v", due)
	}
	if got := f.reminders(); got != 2 {
		t.Fatalf("%d reminders, want 2", got)
	}
}

func TestIdleSchedulerDoesNothing(t *testing.T) {
	tests := []struct {
		name    string
		due     time.Duration // 0 = nothing scheduled
		timers  int
		advance time.Duration
	}{
		{"nothing scheduled", 0, 0, 1000 * time.Hour},
		{"reminder an hour away", time.Hour, 1, 59 * time.Minute},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t)
			if tt.due > 0 {
				f.declare("SEV1", t0.Add(tt.due))
			}
			f.start()
			if tt.timers > 0 {
				f.armed()
			}
			if w := f.clk.Waiters(); w != tt.timers {
				t.Fatalf("%d timers armed, want %d", w, tt.timers)
			}
			f.clk.Advance(tt.advance)
			// Trigger runs exactly one more cycle: had anything woken the
			// scheduler while time passed, there would be more.
			if err := f.sched.Trigger(f.ctx()); err != nil {
				t.Fatal(err)
			}
			if c := f.sched.Cycles(); c != 2 {
				t.Fatalf("%d cycles, want 2 (start and Trigger)", c)
			}
			if d := f.obs.dueCalls(); d != 2 {
				t.Fatalf("%d DueReminders calls, want 2", d)
			}
		})
	}
}

func TestFailedCycleIsRetriedWithBackoff(t *testing.T) {
	f := newFixture(t)
	f.obs.fails = 2
	f.declare("SEV1", t0.Add(-time.Minute))
	f.run() // the first cycle fails, without reading the schedule
	f.armed()
	f.clk.Advance(time.Second) // second attempt fails: next in 2s
	f.armed()
	f.clk.Advance(2 * time.Second)
	f.nextDue() // third attempt succeeded and read the schedule
	if got := f.reminders(); got != 1 {
		t.Fatalf("%d reminders after recovery, want 1", got)
	}
	if d := f.obs.dueCalls(); d != 3 {
		t.Fatalf("%d attempts, want 3", d)
	}
}

func TestPostmortemNudgeIsScheduledToo(t *testing.T) {
	f := newFixture(t)
	n := f.declare("SEV4", time.Time{})
	f.start()
	resolved := t0.Add(time.Minute)
	err := f.svc.Store.Update(context.Background(), func(tx store.Tx) error {
		inc, err := tx.Incident(n)
		if err != nil {
			return err
		}
		if err := inc.SetStatus(incident.Resolved, resolved); err != nil {
			return err
		}
		return tx.PutIncident(inc)
	})
	if err != nil {
		t.Fatal(err)
	}
	f.awaitNextDue(resolved.Add(24 * time.Hour))
	f.clk.Advance(24*time.Hour + time.Minute)
	f.awaitNextDue(time.Time{}) // nudged, and nothing left
	if got := f.reminders(); got != 1 {
		t.Fatalf("%d nudges, want 1", got)
	}
}

func TestTriggerAndRunEndWithContext(t *testing.T) {
	f := newFixture(t)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := f.sched.Trigger(ctx); !errors.Is(err, context.Canceled) {
		t.Fatalf("Trigger with no Run and a cancelled context = %v", err)
	}
	if err := f.sched.Run(ctx); err != nil {
		t.Fatalf("Run with a cancelled context = %v", err)
	}
}
