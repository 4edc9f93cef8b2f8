package store

import "slices"

// Barrier is the lowest job ID of j's lane that j does not wait for
// wholesale: every job of the lane below it must be done before j starts.
// A job without dependency information (Batch zero, or the first job of
// its batch) waits for every earlier job of its lane: strictly FIFO.
func (j Job) Barrier() uint64 {
	if j.Batch != 0 && j.Batch < j.ID {
		return j.Batch
	}
	return j.ID
}

// Holds reports whether pending job o of j's lane, if below j's Barrier,
// keeps j waiting: every job does, except a Background one, which holds
// only later Background jobs (reminders stay in order among themselves).
func (j Job) Holds(o Job) bool {
	return !o.Background || j.Background
}

// Ready reports whether j may start as far as ordering goes (its NotBefore
// and any claim are the caller's to check): first is the lowest ID among
// the pending jobs of j's lane that Hold j (j included), and pending says
// whether a job is still in the outbox. j waits while any job of its lane below its
// Barrier is pending, or any job it lists in After (other than itself).
//
// This is the one rule both places that start jobs go by: the worker's
// own queue over bbolt, and the PostgreSQL claim that hands jobs to
// replicas, which computes first and pending in SQL and asks this.
func (j Job) Ready(first uint64, pending func(id uint64) bool) bool {
	if j.Barrier() > first {
		return false
	}
	return !slices.ContainsFunc(j.After, func(id uint64) bool { return id != j.ID && pending(id) })
}
