package outbox

import (
	"container/heap"
	"time"

	"github.com/incidentbot/incidentbot/store"
)

// sched picks the jobs to start on each pass of the Run loop looking only
// at the lanes where something changed (a job arrived or finished, a wait
// ran out, a slot came free), not at every lane: with thousands of lanes
// pending at once (reminders falling due together), a scan of all of them
// per finished job made the worker quadratic.
//
// It relies on a job's After naming jobs of its own lane, so that only a
// job finishing in a lane can make another job of that lane ready.
type sched struct {
	todo  map[string]bool      // lanes to look at on the next pass
	later map[string]time.Time // lanes whose next ready job is due then
	// due orders later by time, so a pass finds the lanes due and the
	// next wake-up without reading every waiting lane: under Slack's rate
	// limits thousands of lanes wait at once, and a scan of them per
	// finished job was a quarter of the worker's CPU. An entry whose time
	// is no longer its lane's in later is stale and skipped.
	due laterHeap
	// capped holds, per kind of lane (see busy), the lanes with a job
	// ready but no slot free, oldest first; queued says which are in it.
	capped map[bool][]string
	queued map[string]bool
}

func newSched() *sched {
	return &sched{todo: map[string]bool{}, later: map[string]time.Time{}, capped: map[bool][]string{}, queued: map[string]bool{}}
}

// touch marks lane for the next pass.
func (s *sched) touch(lane string) { s.todo[lane] = true }

// pass starts (with start) the jobs that may run now, and returns when the
// earliest job that waits only for its time is due (zero: none).
func (s *sched) pass(q *queue, now time.Time, inflight map[uint64]string, busy map[bool]int, capOf func(other bool) int, start func(store.Job, string)) time.Time {
	for len(s.due) > 0 && !s.due[0].at.After(now) {
		e := heap.Pop(&s.due).(laterEntry)
		if at, ok := s.later[e.lane]; ok && at.Equal(e.at) {
			delete(s.later, e.lane)
			s.todo[e.lane] = true
		}
	}
	look := func(lane string) {
		jobs := q.lanes[lane]
		if len(jobs) == 0 {
			return
		}
		q.ready(jobs, inflight, func(j store.Job) {
			if j.NotBefore.After(now) {
				if at, ok := s.later[lane]; !ok || j.NotBefore.Before(at) {
					s.later[lane] = j.NotBefore
					heap.Push(&s.due, laterEntry{at: j.NotBefore, lane: lane})
				}
				return
			}
			other := j.Lane != ""
			if busy[other] >= capOf(other) {
				if !s.queued[lane] {
					s.queued[lane] = true
					s.capped[other] = append(s.capped[other], lane)
				}
				return
			}
			start(j, lane)
		})
	}
	// The lanes that waited for a slot go first, as many as there are
	// slots; a lane that starts nothing frees its turn for the next.
	for _, other := range []bool{false, true} {
		for len(s.capped[other]) > 0 {
			lane := s.capped[other][0]
			if busy[other] >= capOf(other) {
				break
			}
			s.capped[other] = s.capped[other][1:]
			delete(s.queued, lane)
			delete(s.todo, lane)
			look(lane)
		}
	}
	for lane := range s.todo {
		delete(s.todo, lane)
		look(lane)
	}
	for len(s.due) > 0 {
		if at, ok := s.later[s.due[0].lane]; ok && at.Equal(s.due[0].at) {
			return at
		}
		heap.Pop(&s.due)
	}
	return time.Time{}
}

// laterEntry is one lane of sched.later, in sched.due.
type laterEntry struct {
	at   time.Time
	lane string
}

// laterHeap is a min-heap of laterEntry by time (container/heap).
type laterHeap []laterEntry

func (h laterHeap) Len() int           { return len(h) }
func (h laterHeap) Less(i, j int) bool { return h[i].at.Before(h[j].at) }
func (h laterHeap) Swap(i, j int)      { h[i], h[j] = h[j], h[i] }
func (h *laterHeap) Push(x any)        { *h = append(*h, x.(laterEntry)) }
func (h *laterHeap) Pop() any {
	old := *h
	e := old[len(old)-1]
	*h = old[:len(old)-1]
	return e
}
