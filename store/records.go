package store

import (
	"encoding/json"
	"time"
)

// Job is one durable side effect waiting in the outbox: a call to chat that a
// committed state change implies. Only CompleteJob removes it, so a crash
// before then leaves it pending for the next start.
type Job struct {
	ID       uint64 `json:"id"`       // assigned by Enqueue, increasing (FIFO)
	Incident uint64 `json:"incident"` // 0 = not tied to an incident
	Kind     string `json:"kind"`
	// Lane orders the job within its incident: jobs of one incident and
	// lane run one at a time in ID order, while lanes run independently,
	// so a slow webhook endpoint never holds up the incident's Slack jobs.
	// "" is the incident's Slack lane.
	Lane      string          `json:"lane,omitempty"`
	Payload   json.RawMessage `json:"payload,omitempty"`
	Attempts  int             `json:"attempts"`
	NotBefore time.Time       `json:"not_before,omitzero"`
	CreatedAt time.Time       `json:"created_at"`
	LastError string          `json:"last_error,omitempty"`
	// MaybeDone records that an earlier attempt may have taken effect
	// without its result being stored (a timeout, a 5xx, a lost answer):
	// the next attempt must look before it acts again. A rate-limited
	// attempt never sets it, since a 429 means the call was not made.
	MaybeDone bool `json:"maybe_done,omitempty"`
	// Batch and After say what the job waits for. Batch zero (every job
	// queued before they existed, and the first job of a batch): the job
	// waits for every earlier job of its lane, strictly FIFO. Otherwise
	// Batch is the ID of the first job enqueued in the same transaction:
	// the job waits for every job of its lane enqueued before that one
	// (earlier transactions stay ordered), and, of its own batch, only
	// for the jobs listed in After (IDs below its own, of its own lane:
	// the worker looks at a lane again only when one of its jobs ends).
	Batch uint64   `json:"batch,omitempty"`
	After []uint64 `json:"after,omitempty"`
	// Background says that later jobs of the lane need not wait for this
	// one (a status-update reminder): while Slack's workspace limit holds
	// it in a paced backlog, a later update's posts and edits go ahead.
	// It still waits for every earlier job of its lane itself. Jobs
	// queued before it existed have none, and hold later ones as before.
	Background bool `json:"background,omitempty"`
}

// Nudge says that incident Incident was resolved at Resolved and has not yet
// been considered for the postmortem nudge ("write the postmortem") or, in
// the archive index, for auto-archive.
type Nudge struct {
	Incident uint64
	Resolved time.Time
}

// Reminder says that incident Incident is due a status-update reminder at Due.
type Reminder struct {
	Incident uint64
	Due      time.Time
}

// DeliveryKey is one key held by MarkSeen or Remember, as ForEachDeliveryKey
// reads it for a copy of the store.
type DeliveryKey struct {
	Key string
	// At is when MarkSeen recorded it, which PruneSeen goes by; zero for a
	// remembered key, which is never pruned.
	At         time.Time
	Remembered bool
}

// Counters are the last incident number and the last outbox job ID a store
// has handed out (0: none yet). Completed jobs are gone, so the last job ID
// may be above every pending job's; it still must not be handed out again,
// because a job's ID is written into the Slack messages it posts (see
// Tx.RaiseCounters).
type Counters struct {
	Incident uint64
	Job      uint64
}
