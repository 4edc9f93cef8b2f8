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
	"math/rand/v2"
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

type noMetrics struct{}

func (noMetrics) OutboxDepth(int)            {}
func (noMetrics) OutboxDone(string)          {}
func (noMetrics) OutboxFailure(string, bool) {}
