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
// than it can start), leaving out the jobs it runs already.
//
// A claim hands out every job whose dependencies are done (the rule of
// store.Job.Ready, as over bbolt), so a worker may hold several jobs of
// one lane at once: a declaration's calls run together on PostgreSQL too.
//
// A job may be claimed as soon as the job it waits for is completed in the
// store, which is before the Run loop hears that it finished: such a claim
// is queued behind the finished job and starts when the loop settles it.
// (Leaving out every claim of a lane held here, as the worker once did, left
// that claim with no one to run it until its lease ran out and the job was
// taken over; a busy lane moved one job per lease.)
func (w *Worker) fetch(ctx context.Context, q *queue, inflight map[uint64]string) ([]store.Job, error) {
	if w.claimer == nil {
		return w.opt.Store.PendingJobsAfter(q.last, 0)
	}
	// Over a Claimer the queue is the claims held here: running, or about
	// to start.
	room := w.opt.Concurrency - q.n
	if room <= 0 {
		return nil, nil
	}
	asked := w.opt.Clock.Now()
	claimed, err := w.claimer.ClaimJobs(ctx, w.opt.Owner, asked, w.opt.Lease, room)
	if took := w.opt.Clock.Now().Sub(asked); len(claimed) > 0 && took >= w.opt.Lease/2 {
		// The leases run from when the claim was asked for. A claim that
		// came back late (a slow database, a paused process) may hold
		// leases already run out, or about to before the next renewal:
		// another replica may be taking these jobs over right now, and
		// running them here too would post twice. They are left to lapse
		// and be claimed afresh (as possibly done, so whoever runs them
		// looks first).
		w.opt.Log.Warn().Int("jobs", len(claimed)).Dur("took", took).Dur("lease", w.opt.Lease).Msg("outbox: a claim came back after half its lease; its jobs are left to be claimed again")
		return nil, err
	}
	var fresh []store.Job
	for _, j := range claimed {
		// Our own claim on a job running here, taken again because a
		// renewal came late: it runs once, the attempt under way. A job
		// queued here but not running is returned, to be looked at again.
		if inflight[j.ID] == "" {
			fresh = append(fresh, j)
		}
	}
	return fresh, err
}

// renew extends the leases on the claims this worker is going to run: the
// jobs in flight, and those queued behind one of their lane's in flight.
// A claim queued with nothing of its lane in flight would have started on
// the pass before; one that did not is forgotten, not renewed, so that its
// lease runs out and it is claimed afresh (here or by another replica)
// instead of staying claimed, kept alive, with no one running it. A lease
// lost (renewed too late, and another replica took the job) cannot be
// taken back; the job's performer finds, by looking first, what the other
// one did.
//
// While the foreground holds jobs back (holding), the loop starts nothing
// on purpose, so every claim queued here is going to run once the hold
// ends: all are renewed.
func (w *Worker) renew(ctx context.Context, q *queue, inflight map[uint64]string, holding bool) {
	running := map[string]bool{}
	for _, lane := range inflight {
		running[lane] = true
	}
	if holding {
		for lane := range q.lanes {
			running[lane] = true
		}
	}
	var ids []uint64
	type claim struct {
		lane string
		id   uint64
	}
	var idle []claim
	for lane, jobs := range q.lanes {
		for _, j := range jobs {
			if running[lane] {
				ids = append(ids, j.ID)
			} else {
				idle = append(idle, claim{lane, j.ID})
			}
		}
	}
	for _, c := range idle {
		w.opt.Log.Warn().Uint64("job", c.id).Msg("outbox: a claimed job was not started; letting its claim run out so that it is claimed again")
		q.drop(c.lane, c.id)
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
