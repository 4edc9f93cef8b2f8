package store

import (
	"time"

	"github.com/incidentbot/incidentbot/incident"
)

// Tx is one transaction on a store, handed to the functions given to a
// backend's Update and View. It is valid only inside that function.
// Everything a Tx method returns is a copy, safe to keep after the
// transaction ends; write methods fail inside View. "Wraps ErrNotFound"
// means errors.Is(err, ErrNotFound) holds.
type Tx interface {
	// CreateIncident stores a new incident, assigns inc.Number (1, 2, 3…,
	// never reused) and, if empty, inc.UUID, and indexes it by channel.
	CreateIncident(inc *incident.Incident) error
	// PutIncident saves an existing incident (wraps ErrNotFound if there is
	// none) and keeps every index in step: the channel index follows
	// ChannelID (a channel owned by another incident is refused); on
	// resolution it leaves the open set, loses its reminder and enters the
	// postmortem-nudge and archive indexes.
	PutIncident(inc *incident.Incident) error
	// Incident returns incident number; wraps ErrNotFound if there is none.
	Incident(number uint64) (*incident.Incident, error)
	// IncidentByChannel returns the incident, open or resolved, whose
	// channel is channelID; wraps ErrNotFound if there is none.
	IncidentByChannel(channelID string) (*incident.Incident, error)
	// OpenIncidents returns the unresolved incidents in number order,
	// at a cost that does not grow with the resolved ones.
	OpenIncidents() ([]*incident.Incident, error)
	// OpenHeadlines returns the headline (what a duplicate check compares)
	// of every unresolved incident, in number order, as OpenIncidents
	// would show them, without reading the whole records: every
	// declaration checks for duplicates before its ack, against every
	// open incident. The answer may be shared with other reads of the
	// same state: read it, never change it.
	OpenHeadlines() ([]incident.Headline, error)
	// ForEachIncident calls fn for every incident in number order and
	// stops at, and returns, fn's first error.
	ForEachIncident(fn func(*incident.Incident) error) error
	// IncidentsDeclaredSince calls fn, newest first, for every incident
	// declared at or after since, at a cost that follows the window.
	IncidentsDeclaredSince(since time.Time, fn func(*incident.Incident) error) error

	// AppendEvent adds ev to incident number's timeline with Seq 1, 2, 3…
	// per incident and At = now if zero; wraps ErrNotFound for no incident.
	AppendEvent(number uint64, ev incident.Event) (incident.Event, error)
	// Events returns incident number's timeline in Seq order (empty if
	// none yet); wraps ErrNotFound for no incident.
	Events(number uint64) ([]incident.Event, error)
	// ForEachEvent calls fn with each event of incident number's timeline
	// in Seq order, one at a time, without loading the whole timeline, and
	// stops at, and returns, fn's first error; wraps ErrNotFound for no
	// incident.
	ForEachEvent(number uint64, fn func(incident.Event) error) error
	// Event returns event seq of incident number; wraps ErrNotFound when
	// either is missing.
	Event(number, seq uint64) (incident.Event, error)

	// Enqueue adds j to the outbox with ID assigned (increasing for the
	// store's life, so ID order is FIFO order) and CreatedAt = now if zero;
	// the backend's OnEnqueue hook runs after commit.
	Enqueue(j Job) (Job, error)
	// Job returns pending job id; wraps ErrNotFound once completed.
	Job(id uint64) (Job, error)
	// CompleteJob removes job id; completing a missing job is not an error.
	CompleteJob(id uint64) error
	// RescheduleJob records a failed attempt; the job keeps its place in
	// the queue. Wraps ErrNotFound if the job is gone.
	RescheduleJob(id uint64, attempts int, notBefore time.Time, lastErr string) error
	// MarkJobMaybeDone sets MaybeDone until the job completes; wraps
	// ErrNotFound if the job is gone.
	MarkJobMaybeDone(id uint64) error

	// SetReminder sets incident number's one reminder at due, replacing any
	// earlier one; wraps ErrNotFound for no incident. OnSchedule runs after
	// commit.
	SetReminder(number uint64, due time.Time) error
	// ClearReminder drops incident number's reminder; none is not an error.
	ClearReminder(number uint64) error
	// Reminder returns when incident number's reminder is due, false if none.
	Reminder(number uint64) (time.Time, bool, error)
	// DueReminders returns the reminders due at or before now, earliest
	// first.
	DueReminders(now time.Time) ([]Reminder, error)

	// PostmortemNudges returns the resolutions at or before by still in the
	// postmortem-nudge index, earliest first.
	PostmortemNudges(by time.Time) ([]Nudge, error)
	// DropPostmortemNudge removes n from that index; absent is not an error.
	DropPostmortemNudge(n Nudge) error
	// ArchivesDue returns the resolutions at or before by still in the
	// archive index, earliest first, at most limit (0: all).
	ArchivesDue(by time.Time, limit int) ([]Nudge, error)
	// DropArchive removes n from the archive index; absent is not an error.
	DropArchive(n Nudge) error

	// MarkSeen records delivery key seen at at (zero: now) and reports
	// true, changing nothing, if it was recorded before.
	MarkSeen(key string, at time.Time) (seen bool, err error)
	// PruneSeen forgets MarkSeen keys seen before the given time and
	// returns how many; Remember's keys are never pruned.
	PruneSeen(before time.Time) (int, error)
	// PruneSeenUpTo is PruneSeen removing at most limit keys (all when
	// limit <= 0), the oldest first.
	PruneSeenUpTo(before time.Time, limit int) (int, error)
	// Remember records key for good and reports true if it was recorded
	// before (by MarkSeen, which it then keeps for good, or Remember).
	Remember(key string) (known bool, err error)
	// Seen reports whether key was recorded and not pruned since.
	Seen(key string) (bool, error)
	// SeenCount is how many keys are held, pruneable and remembered; for
	// tests and measurements.
	SeenCount() (int, error)

	// AlertGroup returns the Alertmanager group stored under key, false
	// when there is none.
	AlertGroup(key string) (AlertGroup, bool, error)
	// AlertGroupByID returns the group whose ID is id, false when none.
	AlertGroupByID(id string) (AlertGroup, bool, error)
	// PutAlertGroup stores g under g.Key, replacing what was there.
	PutAlertGroup(g AlertGroup) error
	// RecordAlertDeclaration notes incident number declared from an alert
	// at at, and forgets the notes from before forget.
	RecordAlertDeclaration(at time.Time, number uint64, forget time.Time) error
	// AlertDeclarationsSince counts the notes at or after since.
	AlertDeclarationsSince(since time.Time) (int, error)
	// APIRequest returns what Idempotency-Key key produced, false if new.
	APIRequest(key string) (APIRequest, bool, error)
	// PutAPIRequest records what key produced.
	PutAPIRequest(key string, r APIRequest) error
	// PruneAlertGroups forgets the alert groups that no notification can
	// need any more, at most limit of them (all when limit <= 0), and
	// returns how many: those with no alert firing whose incident was
	// resolved before before or, for a group that never had an incident
	// (a suggestion), that were first seen before it. A group with an alert
	// still firing, or whose incident is open or missing, is kept.
	PruneAlertGroups(before time.Time, limit int) (int, error)
	// PruneAPIRequests forgets the Idempotency-Keys recorded (APIRequest.At)
	// before before, at most limit of them (all when limit <= 0), oldest
	// first, and returns how many.
	PruneAPIRequests(before time.Time, limit int) (int, error)

	// Size is how many bytes the backend's storage holds, for growth
	// measurements.
	Size() int64

	// The methods below exist so that a store can be copied to another
	// backend faithfully (package storecopy): they read what the methods
	// above cannot enumerate and keep the counters users and Slack see.

	// ForEachJob calls fn for every pending outbox job in ID order, exactly
	// as stored, and stops at, and returns, fn's first error.
	ForEachJob(fn func(Job) error) error
	// ForEachDeliveryKey calls fn for every key MarkSeen or Remember holds,
	// in key order, and stops at, and returns, fn's first error.
	ForEachDeliveryKey(fn func(DeliveryKey) error) error
	// ForEachAlertGroup calls fn for every alert group, whole, in key
	// order, and stops at, and returns, fn's first error.
	ForEachAlertGroup(fn func(AlertGroup) error) error
	// ForEachAlertDeclaration calls fn for every note RecordAlertDeclaration
	// holds (not yet forgotten), in time order, then number order, and
	// stops at, and returns, fn's first error.
	ForEachAlertDeclaration(fn func(at time.Time, number uint64) error) error
	// ForEachAPIRequest calls fn for every Idempotency-Key PutAPIRequest
	// recorded, in key order, and stops at, and returns, fn's first error.
	ForEachAPIRequest(fn func(key string, r APIRequest) error) error
	// Counters returns the last incident number and job ID handed out.
	Counters() (Counters, error)
	// RaiseCounters makes the next CreateIncident hand out more than
	// c.Incident and the next Enqueue more than c.Job; a counter already
	// at or past its value is left alone, never lowered. A copy raises
	// them to n-1 before creating incident (or job) n, so numbers and IDs
	// stay as they were, and to the source's Counters at the end, so that
	// neither a number nor an ID is handed out twice: users see the
	// numbers, and a job's ID tags its Slack posts, which the outbox
	// matches before posting again.
	RaiseCounters(c Counters) error
}
