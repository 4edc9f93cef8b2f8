package outbox

import (
	"context"
	"errors"
	"strconv"
	"time"

	"github.com/incidentbot/incidentbot/store"
)

// finished reports an attempt back to the Run loop, which alone owns the
// in-memory queue.
type finished struct {
	lane  string
	id    uint64
	other bool // the job was in a lane other than Slack's
	// done is true when the job left the outbox (completed, or dropped as
	// a permanent failure); otherwise job is its new state (retry later).
	done bool
	job  store.Job
	// interrupted: cut short by shutdown; nothing was recorded.
	interrupted bool
}

// Run performs jobs until ctx ends, then waits up to Grace for the jobs in
// flight; a job cut short is left pending and runs again on the next start.
func (w *Worker) Run(ctx context.Context) error {
	jobCtx, cancelJobs := context.WithCancel(context.WithoutCancel(ctx))
	defer cancelJobs()

	q := newQueue()
	inflight := map[uint64]string{} // each job in flight, to its lane
	busy := map[bool]int{}          // jobs in flight: other lanes (true), Slack's (false)
	sc := newSched()
	done := make(chan finished)
	var renewAt time.Time   // over a Claimer: when to renew the leases in flight
	var heldSince time.Time // since when Foreground holds jobs back
	var seen uint64         // the wake count read before the last fetch
	fetched := false        // the last fetch read the store without error
	for {
		// While the foreground holds jobs back, the queue is not even
		// read: each commit of a burst of declarations would read it.
		held := w.held(w.opt.Clock.Now(), &heldSince)
		var err error
		// With no commit notified since the last read, the store holds
		// no job that read missed: a job finishing (10,000 of them in a
		// burst of reminders) is no reason to read it again.
		if held == nil && (!fetched || !w.woken || w.claimer != nil || w.wake.Count() != seen) {
			// Read before the jobs: a commit notified up to seen is
			// visible to the read below (OnEnqueue runs after the commit).
			seen = w.wake.Count()
			var fresh []store.Job
			fresh, err = w.fetch(jobCtx, q, inflight)
			fetched = err == nil
			if err != nil {
				w.opt.Log.Error().Err(err).Msg("outbox: read pending jobs")
			}
			q.add(fresh)
			for _, j := range fresh {
				sc.touch(laneOf(j))
			}
		}
		now := w.opt.Clock.Now()
		var next time.Time
		if held == nil {
			next = sc.pass(q, now, inflight, busy, w.capOf, func(j store.Job, lane string) {
				inflight[j.ID] = lane
				busy[j.Lane != ""]++
				go func() {
					f := w.attempt(jobCtx, j, lane)
					f.id, f.other = j.ID, j.Lane != ""
					done <- f
				}()
			})
		} else {
			next = heldSince.Add(w.opt.MaxHold)
		}
		depth, derr := w.pending(q)
		err = errors.Join(err, derr)
		w.opt.Metrics.OutboxDepth(depth)
		w.setIdle(depth == 0 && q.n == 0 && len(inflight) == 0 && err == nil && held == nil, seen)
		if w.claimer != nil && depth > q.n && (next.IsZero() || next.After(now.Add(w.opt.Poll))) {
			// Jobs wait that are not ours (yet): another replica's, due
			// later, or leased by one that may have died. Look again.
			next = now.Add(w.opt.Poll)
		}

		var timer <-chan time.Time
		var wakeAt time.Time
		stop := func() {}
		switch {
		case err != nil:
			timer, stop = w.opt.Clock.After(time.Second)
		case !next.IsZero():
			timer, stop = w.opt.Clock.After(next.Sub(now))
			// The timer fires no later than this, even if the clock moved
			// on since now was read (a fake clock can jump any distance).
			wakeAt = w.opt.Clock.Now().Add(next.Sub(now))
		}
		w.setSettled(len(inflight) == 0 && err == nil && held == nil, wakeAt)
		var renew <-chan time.Time
		stopRenew := func() {}
		if w.claimer != nil && q.n > 0 {
			// A deadline kept across iterations: jobs finishing often
			// must not keep putting off the renewal of a long one. Over a
			// Claimer the queue is the claims held here (see renew).
			if renewAt.IsZero() {
				renewAt = now.Add(w.opt.Lease / 4)
			}
			renew, stopRenew = w.opt.Clock.After(renewAt.Sub(w.opt.Clock.Now()))
		} else {
			renewAt = time.Time{}
		}
		select {
		case <-ctx.Done():
			stop()
			stopRenew()
			w.drain(len(inflight), done, cancelJobs)
			return nil
		case f := <-done:
			delete(inflight, f.id)
			busy[f.other]--
			sc.touch(f.lane)
			if w.claimer != nil && !f.done {
				// Rescheduled or interrupted: the claim is let go (or
				// lapses), and the job is claimed again, by any replica,
				// once it is due.
				q.drop(f.lane, f.id)
			} else {
				q.settle(f)
			}
		case <-w.wake.C():
		case <-timer:
		case <-held:
		case <-renew:
			w.renew(jobCtx, q, inflight, held != nil)
			renewAt = w.opt.Clock.Now().Add(w.opt.Lease / 4)
		}
		stop()
		stopRenew()
		w.setSettled(false, time.Time{})
	}
}

// capOf is the cap on jobs in flight in the other lanes (other) or in
// Slack's (see store.Job.Lane).
func (w *Worker) capOf(other bool) int {
	if !other {
		return w.opt.SlackConcurrency
	}
	return w.opt.Concurrency
}

// drain waits for n jobs in flight, cancelling them after the grace period.
func (w *Worker) drain(n int, done <-chan finished, cancel context.CancelFunc) {
	grace, stop := w.opt.Clock.After(w.opt.Grace)
	defer stop()
	for n > 0 {
		select {
		case <-done:
			n--
		case <-grace:
			cancel()
			grace = nil
		}
	}
}

func laneOf(j store.Job) string {
	if j.Incident != 0 && j.Lane != "" {
		return "i" + strconv.FormatUint(j.Incident, 10) + "/" + j.Lane
	}
	if j.Incident != 0 {
		return "i" + strconv.FormatUint(j.Incident, 10)
	}
	return "j" + strconv.FormatUint(j.ID, 10)
}
