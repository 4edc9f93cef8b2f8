package outbox

import (
	"slices"

	"github.com/incidentbot/incidentbot/store"
)

// queue is the worker's copy of the outbox: each lane's jobs in ID order.
// Once a job is enqueued only the worker changes it, so after one full read
// the worker reads only jobs enqueued since (PendingJobsAfter), keeping
// each wake-up proportional to the new work, not to the backlog.
type queue struct {
	lanes map[string][]store.Job
	ids   map[uint64]bool // every job in lanes
	last  uint64          // highest job ID read
	n     int
}

func newQueue() *queue {
	return &queue{lanes: map[string][]store.Job{}, ids: map[uint64]bool{}}
}

func (q *queue) add(jobs []store.Job) {
	for _, j := range jobs {
		lane := laneOf(j)
		if q.ids[j.ID] {
			// Claimed again while queued here: its new copy (a claim
			// taken after a lease ran out is MaybeDone) keeps its place.
			if i := slices.IndexFunc(q.lanes[lane], func(o store.Job) bool { return o.ID == j.ID }); i >= 0 {
				q.lanes[lane][i] = j
			}
			continue
		}
		q.lanes[lane] = append(q.lanes[lane], j)
		q.ids[j.ID] = true
		q.last = max(q.last, j.ID)
		q.n++
	}
}

// settle applies an attempt's outcome to its job.
func (q *queue) settle(f finished) {
	jobs := q.lanes[f.lane]
	i := slices.IndexFunc(jobs, func(j store.Job) bool { return j.ID == f.id })
	if i < 0 || f.interrupted {
		return
	}
	if !f.done {
		jobs[i] = f.job
		return
	}
	if len(jobs) == 1 {
		delete(q.lanes, f.lane)
	} else {
		q.lanes[f.lane] = slices.Delete(jobs, i, i+1)
	}
	delete(q.ids, f.id)
	q.n--
}

// drop forgets job id of lane, over a Claimer, whose claim was let go (or
// lapses). Only that job: the lane's next one, claimed once this one left
// the store (a completion that committed though it was reported lost),
// stays queued and runs.
func (q *queue) drop(lane string, id uint64) {
	q.settle(finished{lane: lane, id: id, done: true})
}

// ready returns the jobs of a lane that may start now as far as ordering
// goes (the caller checks NotBefore and the caps), by store.Job.Ready:
// those whose earlier batches are done and whose After jobs have left the
// queue. jobs is in ID order, and barriers never decrease along it (a
// batch's first ID is above every earlier batch's jobs), so the scan stops
// at the first job still waiting for an earlier batch. (Over a Claimer the
// queue holds only claimed jobs, which the store found ready by the same
// rule, so they pass whatever order they arrived in.) A Background job
// holds only later Background jobs, so the others go by the lane's first
// job that is not Background.
func (q *queue) ready(jobs []store.Job, running map[uint64]string, fn func(store.Job)) {
	head, firm := jobs[0].ID, uint64(0)
	if i := slices.IndexFunc(jobs, func(j store.Job) bool { return !j.Background }); i >= 0 {
		firm = jobs[i].ID
	}
	pending := func(id uint64) bool { return q.ids[id] }
	for _, j := range jobs {
		first := firm
		if j.Background || firm == 0 {
			first = head
		}
		if j.Barrier() > max(firm, head) {
			return
		}
		if running[j.ID] != "" || !j.Ready(first, pending) {
			continue
		}
		fn(j)
	}
}
