package outbox

import (
	"context"
	"time"
)

// WaitIdle blocks until no job is pending or in flight (or ctx ends). Jobs
// waiting for a future retry time count as pending; so do jobs notified
// before the call that the worker has not read yet.
func (w *Worker) WaitIdle(ctx context.Context) error {
	target := w.wake.Count()
	for {
		w.mu.Lock()
		idle, ch := w.idle && w.seen >= target, w.changed
		w.mu.Unlock()
		if idle {
			return nil
		}
		select {
		case <-ch:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}

// WaitSettled blocks until the worker has nothing in flight and nothing
// due: it returns the time the next pending job is due, or the zero time
// when nothing is pending. It lets a test on a fake clock advance it to
// exactly when the worker would next wake, as real time would.
func (w *Worker) WaitSettled(ctx context.Context) (time.Time, error) {
	target := w.wake.Count()
	for {
		w.mu.Lock()
		settled, wake, ch := w.settled && w.seen >= target, w.wakeAt, w.changed
		w.mu.Unlock()
		// A wake no later than now is stale: the worker's timer has fired
		// and it is about to run the due jobs.
		if settled && (wake.IsZero() || wake.After(w.opt.Clock.Now())) {
			return wake, nil
		}
		select {
		case <-ch:
		case <-ctx.Done():
			return time.Time{}, ctx.Err()
		}
	}
}

func (w *Worker) setSettled(settled bool, wake time.Time) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if settled == w.settled && wake.Equal(w.wakeAt) {
		return
	}
	w.settled, w.wakeAt = settled, wake
	w.changedLocked()
}

// setIdle records whether the queue was empty after reading every job
// notified up to seen.
func (w *Worker) setIdle(idle bool, seen uint64) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if idle == w.idle && seen == w.seen {
		return
	}
	w.idle, w.seen = idle, seen
	w.changedLocked()
}

func (w *Worker) changedLocked() {
	close(w.changed)
	w.changed = make(chan struct{})
}
