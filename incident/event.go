package incident

import "time"

// EventKind names what happened in a timeline event.
type EventKind string

// Timeline event kinds.
const (
	EventDeclared        EventKind = "declared"
	EventStatusChanged   EventKind = "status_changed"
	EventSeverityChanged EventKind = "severity_changed"
	EventRoleAssigned    EventKind = "role_assigned"
	EventRoleHandoff     EventKind = "role_handoff"
	EventUpdate          EventKind = "update"
	EventNote            EventKind = "note"
	EventMessagePinned   EventKind = "message_pinned"
	EventAction          EventKind = "action_item"
	EventReminder        EventKind = "reminder"
	EventSnoozed         EventKind = "snoozed"
	EventResolved        EventKind = "resolved"
	EventPostmortem      EventKind = "postmortem"
	// EventArchived records the decision to archive the channel (Actor: the
	// commander who confirmed, "" when the postmortem draft sufficed).
	EventArchived EventKind = "archived"
	// EventDeliveryFailed records a side effect that could not be carried out
	// (a permanent error from chat), so the timeline shows what is missing.
	EventDeliveryFailed EventKind = "delivery_failed"
)

// Event is one entry of an incident's timeline. Seq orders events within an
// incident; At is when it happened (for captured messages, the message's own
// time, which may be earlier than when it was captured).
type Event struct {
	Seq   uint64    `json:"seq"`
	At    time.Time `json:"at"`
	Kind  EventKind `json:"kind"`
	Actor string    `json:"actor,omitempty"` // user ID, "" for the bot itself
	Text  string    `json:"text,omitempty"`
	// From and To carry the old and new value of a change (status, severity,
	// role holder); Role names the role for role events.
	From string `json:"from,omitempty"`
	To   string `json:"to,omitempty"`
	Role string `json:"role,omitempty"`
	// Link points at the source of a captured message.
	Link string `json:"link,omitempty"`
	// NextSteps and NextUpdate belong to status updates: what the
	// responders will do next, and when the following update is due (zero
	// when none is promised).
	NextSteps  string    `json:"next_steps,omitempty"`
	NextUpdate time.Time `json:"next_update,omitzero"`
}
