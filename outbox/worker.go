// Package outbox runs the durable side-effect jobs that commands enqueue in
// the store: in order within an incident's lane (see store.Job.Lane), a job
// as soon as the jobs it waits for are done (store.Job.Batch and After),
// concurrently across lanes and incidents, retrying transient failures with
// capped exponential backoff (never sooner than a server's Retry-After), and
// recording permanent failures instead of retrying forever. A job is marked done only in the transaction that stores
// its result, so a crash at any point leaves it pending and it runs again
// after a restart: performers must make re-running safe.
package outbox

import (
	"context"
	"errors"
	"math/rand/v2"
	"strconv"
	"sync"
	"time"

	"github.com/rs/zerolog"

	"github.com/incidentbot/incidentbot/internal/clock"
	"github.com/incidentbot/incidentbot/internal/wake"
	"github.com/incidentbot/incidentbot/store"
)

// Apply stores a job's result. It runs in the transaction that completes the
// job, so the result and the completion are durable together.
type Apply func(tx store.Tx) error

// Performer carries out one job.
type Performer interface {
	// Perform does the job's side effect. The returned Apply (may be nil)
	// stores its result. Errors may be wrapped with RetryAfter or Permanent;
	// any other error is treated as transient. With a transient error, the
	// Apply (if any) stores the progress made before the failure (a message
	// posted before a later call was refused) with the rescheduling.
	Perform(ctx context.Context, job store.Job) (Apply, error)
}

// PerformerFunc adapts a function to Performer.
type PerformerFunc func(ctx context.Context, job store.Job) (Apply, error)

// Perform calls f.
func (f PerformerFunc) Perform(ctx context.Context, job store.Job) (Apply, error) { return f(ctx, job) }

// Metrics receives the worker's counters; *ops.Metrics satisfies it.
type Metrics interface {
	OutboxDepth(n int)
	OutboxDone(kind string)
	OutboxFailure(kind string, permanent bool)
}

// Options configures a Worker. Store and Performer are required.
type Options struct {
	Store     Store
	Performer Performer
	// Wake is the store's OnEnqueue signal: made first and given to both,
	// so the worker hears of every job committed. Nil: the worker reads
	// the store only on start and on its own timers.
	Wake *wake.Signal
	// OnPermanent records a permanent failure (typically on the incident's
	// timeline) in the transaction that drops the job. Optional.
	OnPermanent func(tx store.Tx, job store.Job, err error) error
	Clock       clock.Clock
	Log         zerolog.Logger
	Metrics     Metrics
	// Concurrency caps jobs in flight across incidents in the lanes other
	// than Slack's (default 8), and, over a Claimer, the jobs claimed.
	Concurrency int
	// SlackConcurrency caps jobs in flight in Slack's lanes (default 128):
	// a declaration runs up to six of its calls at once, and twenty
	// declarations at once need about a hundred in flight to finish in
	// three or four round trips. Slack's per-method limits still apply;
	// a refused call waits out its Retry-After.
	SlackConcurrency int
	// BaseDelay and MaxDelay bound the exponential backoff (defaults 1s, 5m).
	BaseDelay, MaxDelay time.Duration
	// Rand draws the jitter of retries, a number in [0,1) (default
	// math/rand/v2's Float64): the random half of the backoff, and how far
	// past its Retry-After a refused job comes back (RateLimitDelay).
	Rand func() float64
	// MaxAttempts turns a job that keeps failing transiently into a permanent
	// failure (default 30, about two hours at the 5m cap).
	MaxAttempts int
	// JobTimeout bounds one attempt (default 30s).
	JobTimeout time.Duration
	// Grace is how long shutdown waits for jobs in flight (default 3s).
	Grace time.Duration
	// Owner, Lease and Poll apply over a store that replicas share (see
	// Claimer): this replica's name on its claims (default a random
	// UUID), how long a claim holds without renewal (DefaultLease), and
	// how often the worker looks for work other replicas enqueued or let
	// go (DefaultPoll).
	Owner       string
	Lease, Poll time.Duration
	// Foreground, when set, says when work that must answer quickly is
	// running (the bot's acks, due within Slack's 3 seconds): the worker
	// starts no job while it is busy, for at most MaxHold at a stretch.
	// A burst of declarations otherwise had its first commits' jobs (a
	// hundred Slack calls at once) compete for the CPU with the acks of
	// the rest, which then took several times as long.
	Foreground Foreground
	// MaxHold bounds how long Foreground holds jobs back (default
	// DefaultMaxHold): a stream of acks that never lets up must not
	// starve the outbox.
	MaxHold time.Duration
}

// Foreground is work the worker gives way to (Options.Foreground).
type Foreground interface {
	// Busy returns nil when jobs may start, else a channel closed once
	// they may.
	Busy() <-chan struct{}
}

// DefaultMaxHold is the default of Options.MaxHold.
const DefaultMaxHold = 100 * time.Millisecond

// DefaultSlackConcurrency is the default of Options.SlackConcurrency.
const DefaultSlackConcurrency = 128

// Worker performs pending outbox jobs. Create it with New and start it with Run.
type Worker struct {
	opt  Options
	wake *wake.Signal
	// claimer is opt.Store when replicas share it; nil for bbolt.
	claimer Claimer
	// woken: the store notifies wake of every commit that enqueues
	// (Options.Wake given), so an unchanged count means nothing new.
	woken bool
	// done commits the jobs that finish together in one transaction.
	done *completer

	mu sync.Mutex
	// seen is the wake count read before the last read of pending jobs:
	// every job notified up to it is in the worker's queue.
	seen uint64
	idle bool
	// settled: nothing in flight and nothing due, until wakeAt (zero when
	// nothing is pending).
	settled bool
	wakeAt  time.Time
	changed chan struct{} // closed and replaced on every change above
}

// New returns a Worker with defaults filled in.
func New(opt Options) *Worker {
	if opt.Clock == nil {
		opt.Clock = clock.Real{}
	}
	if opt.Metrics == nil {
		opt.Metrics = noMetrics{}
	}
	if opt.Concurrency <= 0 {
		opt.Concurrency = 8
	}
	if opt.SlackConcurrency <= 0 {
		opt.SlackConcurrency = DefaultSlackConcurrency
	}
	if opt.BaseDelay <= 0 {
		opt.BaseDelay = time.Second
	}
	if opt.MaxDelay <= 0 {
		opt.MaxDelay = 5 * time.Minute
	}
	if opt.Rand == nil {
		opt.Rand = rand.Float64
	}
	if opt.MaxAttempts <= 0 {
		opt.MaxAttempts = 30
	}
	if opt.JobTimeout <= 0 {
		opt.JobTimeout = 30 * time.Second
	}
	if opt.Grace <= 0 {
		opt.Grace = 3 * time.Second
	}
	woken := opt.Wake != nil
	if !woken {
		opt.Wake = wake.New()
	}
	if opt.MaxHold <= 0 {
		opt.MaxHold = DefaultMaxHold
	}
	w := &Worker{opt: opt, wake: opt.Wake, woken: woken, changed: make(chan struct{}), done: &completer{st: opt.Store}}
	if c, ok := opt.Store.(Claimer); ok {
		w.claimer = c
		w.opt.claimDefaults()
	}
	return w
}

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

// held returns nil when jobs may start now, else a channel closed once the
// foreground is idle; *since is when the current hold began (zero when
// none), and a hold ends after MaxHold whatever the foreground does.
func (w *Worker) held(now time.Time, since *time.Time) <-chan struct{} {
	if w.opt.Foreground == nil {
		return nil
	}
	busy := w.opt.Foreground.Busy()
	if busy == nil {
		*since = time.Time{}
		return nil
	}
	if since.IsZero() {
		*since = now
	}
	if now.Sub(*since) >= w.opt.MaxHold {
		return nil
	}
	return busy
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

// attempt runs one try of j, records its outcome in the store and reports
// it for the in-memory queue.
func (w *Worker) attempt(shutdown context.Context, j store.Job, lane string) finished {
	log := jobLog{base: &w.opt.Log, id: j.ID, kind: j.Kind, attempt: j.Attempts + 1, incident: j.Incident}
	ctx, cancel := context.WithTimeout(shutdown, w.opt.JobTimeout)
	defer cancel()

	apply, err := w.opt.Performer.Perform(ctx, j)
	if shutdown.Err() != nil {
		// Cut short by shutdown: whatever happened, the job stays pending and
		// its performer must cope with a possible earlier partial run.
		log.Warn().Err(err).Msg("outbox: job interrupted by shutdown; it will run again on start")
		return finished{lane: lane, interrupted: true}
	}
	st := w.opt.Store
	switch {
	case err == nil:
		if err = w.done.complete(j.ID, apply); err != nil {
			log.Error().Err(err).Msg("outbox: store job result; the job will run again")
			return finished{lane: lane, job: w.reschedule(j, err, nil, log)}
		}
		w.opt.Metrics.OutboxDone(j.Kind)
		log.Debug().Msg("outbox: job done")
		return finished{lane: lane, done: true}
	case IsPermanent(err) || (!rateLimited(err) && j.Attempts+1 >= w.opt.MaxAttempts):
		w.opt.Metrics.OutboxFailure(j.Kind, true)
		log.Error().Err(err).Msg("outbox: job failed permanently; recorded on the timeline")
		uerr := st.Update(context.Background(), func(tx store.Tx) error {
			if w.opt.OnPermanent != nil {
				if err := w.opt.OnPermanent(tx, j, err); err != nil {
					return err
				}
			}
			return tx.CompleteJob(j.ID)
		})
		if uerr != nil {
			log.Error().Err(uerr).Msg("outbox: record permanent failure; will try again")
			return finished{lane: lane, job: w.reschedule(j, uerr, nil, log)}
		}
		return finished{lane: lane, done: true}
	case rateLimited(err):
		return finished{lane: lane, job: w.reschedule(j, err, apply, log)}
	default:
		w.opt.Metrics.OutboxFailure(j.Kind, false)
		return finished{lane: lane, job: w.reschedule(j, err, apply, log)}
	}
}

// reschedule records the next attempt of j, with progress (the results of
// calls the attempt made before it failed; may be nil), and returns j as
// rescheduled. A rate limit is a wait, not a failure: Slack refused the call,
// so it neither counts as an attempt (toward MaxAttempts or the backoff) nor
// leaves the job uncertain. Any other failure may have taken effect (a
// timeout, a 5xx, an answer lost on the way back), so it sets MaybeDone.
func (w *Worker) reschedule(j store.Job, cause error, progress Apply, log jobLog) store.Job {
	next := j
	delay, limited := retryDelay(cause)
	if limited {
		delay = RateLimitDelay(delay, w.opt.Rand())
		log.Debug().Err(cause).Dur("retry_in", delay).Msg("outbox: rate limited; waiting")
	} else {
		next.Attempts++
		next.MaybeDone = true
		delay = Backoff(next.Attempts, w.opt.BaseDelay, w.opt.MaxDelay, w.opt.Rand())
		log.Warn().Err(cause).Dur("retry_in", delay).Msg("outbox: job failed; will retry")
	}
	next.NotBefore, next.LastError = w.opt.Clock.Now().Add(delay), cause.Error()
	err := w.done.commit(func(tx store.Tx) error {
		if progress != nil {
			if err := progress(tx); err != nil {
				return err
			}
		}
		if err := tx.RescheduleJob(j.ID, next.Attempts, next.NotBefore, next.LastError); err != nil {
			return err
		}
		if next.MaybeDone && !j.MaybeDone {
			return tx.MarkJobMaybeDone(j.ID)
		}
		return nil
	})
	if err != nil {
		// The progress is lost with the transaction: what the attempt did
		// is now unknown to the next one.
		log.Error().Err(err).Msg("outbox: reschedule job")
		next.MaybeDone = true
	}
	return next
}

// Backoff is the delay before retry number attempt (1-based): exponential
// from base, capped at max, with "equal jitter" (half fixed, half random
// from r in [0,1)) so that many jobs failing together do not retry together.
func Backoff(attempt int, base, max time.Duration, r float64) time.Duration {
	d := base
	for i := 1; i < attempt && d < max; i++ {
		d *= 2
	}
	if d > max {
		d = max
	}
	return d/2 + time.Duration(r*float64(d/2))
}

// maxRateLimitSpread caps how far past its Retry-After a refused job is
// spread, so that a minute-long hold does not become two.
const maxRateLimitSpread = 10 * time.Second

// rateLimitSlots is how many instants the spread is drawn from: enough to
// part the jobs one limit refused, few enough that the worker wakes a few
// times per hold rather than once per job.
const rateLimitSlots = 10

// RateLimitDelay is when a job refused with Retry-After d tries again: never
// sooner than d, and later by up to one more d (at most maxRateLimitSpread),
// in one of rateLimitSlots steps drawn from r in [0,1). The jobs one limit
// refused together (twenty announcements in one channel) would otherwise
// all come back at the same instant, and all but the first be refused
// again: spread out, the first back takes the limit's next slot, its
// refusal holds the rest in the transport (which answers them without
// asking Slack), and fewer calls reach Slack only to be refused.
func RateLimitDelay(d time.Duration, r float64) time.Duration {
	slot := min(int(r*rateLimitSlots), rateLimitSlots-1)
	return d + time.Duration(slot)*min(d, maxRateLimitSpread)/rateLimitSlots
}

type noMetrics struct{}

func (noMetrics) OutboxDepth(int)            {}
func (noMetrics) OutboxDone(string)          {}
func (noMetrics) OutboxFailure(string, bool) {}
