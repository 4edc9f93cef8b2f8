package outbox

import (
	"context"
	"time"

	"github.com/google/uuid"

	"github.com/incidentbot/incidentbot/store"
)

// Claimer is a store that several replicas share (the PostgreSQL store).
// With one, the worker does not read the whole outbox: it claims the jobs
// it runs for a lease, so that each job runs on one replica at a time, an
// incident's jobs run in the order their dependencies (store.Job.Batch and
// After) ask whichever replica runs them, and the jobs a
// dead replica held are taken over once its lease runs out (marked
// MaybeDone, so the next attempt looks before it acts).
type Claimer interface {
	ClaimJobs(ctx context.Context, owner string, now time.Time, lease time.Duration, limit int) ([]store.Job, error)
	RenewLeases(ctx context.Context, owner string, ids []uint64, now time.Time, lease time.Duration) (lost []uint64, err error)
	OutboxDepth() (int, error)
}

// Defaults of the claim options. A replica that dies has its jobs taken
// over within Lease + Poll: 9 s.
const (
	DefaultLease = 8 * time.Second
	DefaultPoll  = time.Second
)

// claimDefaults fills in the claim options of a worker over a Claimer.
func (o *Options) claimDefaults() {
	if o.Owner == "" {
		o.Owner = uuid.NewString()
	}
	if o.Lease <= 0 {
		o.Lease = DefaultLease
	}
	if o.Poll <= 0 {
		o.Poll = DefaultPoll
	}
}

// fetch returns the jobs to add to the queue: those enqueued since the
// last read, or, over a Claimer, the jobs claimed for this worker (no more
// than it can start), leaving out those it already holds.
//
// A claim hands out every job whose dependencies are done (the rule of
// store.Job.Ready, as over bbolt), so a worker may hold several jobs of
// one lane at once: a declaration's calls run together on PostgreSQL too.
func (w *Worker) fetch(ctx context.Context, q *queue, inflight int) ([]store.Job, error) {
	if w.claimer == nil {
		return w.opt.Store.PendingJobsAfter(q.last, 0)
	}
	room := w.opt.Concurrency - inflight
	if room <= 0 {
		return nil, nil
	}
	claimed, err := w.claimer.ClaimJobs(ctx, w.opt.Owner, w.opt.Clock.Now(), w.opt.Lease, room)
	var fresh []store.Job
	for _, j := range claimed {
		// Our own claim on a job still queued here, taken again because a
		// renewal came late: it runs once, from the queue.
		if !q.ids[j.ID] {
			fresh = append(fresh, j)
		}
	}
	return fresh, err
}

// renew extends the leases on the jobs in flight. A lease lost (renewed
// too late, and another replica took the job) cannot be taken back; the
// job's performer finds, by looking first, what the other one did.
func (w *Worker) renew(ctx context.Context, inflight map[uint64]string) {
	var ids []uint64
	for id := range inflight {
		ids = append(ids, id)
	}
	if len(ids) == 0 {
		return
	}
	lost, err := w.claimer.RenewLeases(ctx, w.opt.Owner, ids, w.opt.Clock.Now(), w.opt.Lease)
	if err != nil {
		w.opt.Log.Error().Err(err).Msg("outbox: renew leases")
		return
	}
	for _, id := range lost {
		w.opt.Log.Warn().Uint64("job", id).Msg("outbox: lease lost while the job ran; another replica may run it too")
	}
}

// pending is how many jobs the outbox holds, for idleness: over a Claimer
// the queue holds only this worker's claims, not what waits elsewhere.
func (w *Worker) pending(q *queue) (int, error) {
	if w.claimer == nil {
		return q.n, nil
	}
	return w.claimer.OutboxDepth()
}
