// Package incident is the domain of incidentbot: incidents, their severities,
// statuses, roles, timeline events and action items, with the lifecycle rules
// and validation that apply to them. It is pure Go: no Slack, no bbolt, no I/O.
package incident

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Status is where an incident is in its lifecycle.
type Status string

// The lifecycle: investigating → identified → monitoring → resolved. Any order
// is allowed except leaving resolved.
const (
	Investigating Status = "investigating"
	Identified    Status = "identified"
	Monitoring    Status = "monitoring"
	Resolved      Status = "resolved"
)

// Statuses lists every status in lifecycle order.
var Statuses = []Status{Investigating, Identified, Monitoring, Resolved}

// ParseStatus returns the status named s (case-insensitive).
func ParseStatus(s string) (Status, error) {
	for _, st := range Statuses {
		if strings.EqualFold(s, string(st)) {
			return st, nil
		}
	}
	return "", Errorf(EINVALID, "%q is not a status; use one of investigating, identified, monitoring, resolved", s)
}

// Incident is one declared incident. Number is the human sequence (INC-N);
// UUID is the stable internal identifier.
type Incident struct {
	UUID     string `json:"uuid"`
	Number   uint64 `json:"number"`
	Title    string `json:"title"`
	Summary  string `json:"summary"`
	Impact   string `json:"impact,omitempty"`
	Service  string `json:"service,omitempty"`
	Severity string `json:"severity"`
	Status   Status `json:"status"`
	Private  bool   `json:"private,omitempty"`
	// Drill marks a practice incident: it runs the whole flow, is marked as
	// a drill everywhere, and is left out of statistics and metrics.
	Drill bool `json:"drill,omitempty"`

	// DeclaredBy is the user who declared it.
	DeclaredBy string `json:"declared_by"`
	// Roles maps a role ID (commander, comms, ops, …) to the user holding it.
	Roles map[string]string `json:"roles,omitempty"`

	StartedAt    time.Time `json:"started_at"`
	DeclaredAt   time.Time `json:"declared_at"`
	ResolvedAt   time.Time `json:"resolved_at,omitzero"`
	LastUpdateAt time.Time `json:"last_update_at,omitzero"`
	NextUpdateAt time.Time `json:"next_update_at,omitzero"`

	// Where the incident lives in chat: filled in by the outbox as the
	// corresponding side effects complete, so later edits can address them.
	ChannelID   string `json:"channel_id,omitempty"`
	ChannelName string `json:"channel_name,omitempty"`
	CardTS      string `json:"card_ts,omitempty"`
	AnnounceTS  string `json:"announce_ts,omitempty"`

	Actions []ActionItem `json:"actions,omitempty"`

	// Resolution is the summary given when resolving.
	Resolution string `json:"resolution,omitempty"`
	// MissedUpdates counts reminders in a row with no status update in
	// between; reminders escalate as it grows, and an update resets it.
	MissedUpdates int `json:"missed_updates,omitempty"`
	// PostmortemAt is when a postmortem draft was last produced.
	PostmortemAt time.Time `json:"postmortem_at,omitzero"`
	// ArchiveWaiting is true while auto-archive is due but waits for a
	// postmortem draft or the commander's confirmation.
	ArchiveWaiting bool `json:"archive_waiting,omitempty"`
	// ArchivedAt is when the bot decided to archive the channel.
	ArchivedAt time.Time `json:"archived_at,omitzero"`
}

// ID is the human identifier, INC-N.
func (i *Incident) ID() string { return FormatID(i.Number) }

// Open reports whether the incident is not yet resolved.
func (i *Incident) Open() bool { return i.Status != Resolved }

// Holder returns who holds role, or "" when nobody does.
func (i *Incident) Holder(role string) string { return i.Roles[role] }

// SetStatus moves the incident to s at time at. Leaving resolved is refused.
func (i *Incident) SetStatus(s Status, at time.Time) error {
	if i.Status == Resolved && s != Resolved {
		return Errorf(ECONFLICT, "%s is resolved; a resolved incident cannot go back to %s", i.ID(), s)
	}
	if i.Status == Resolved && s == Resolved {
		return Errorf(ECONFLICT, "%s is already resolved", i.ID())
	}
	i.Status = s
	if s == Resolved {
		i.ResolvedAt = at
	}
	return nil
}

// FormatID renders an incident number as INC-N.
func FormatID(n uint64) string { return "INC-" + strconv.FormatUint(n, 10) }

// ParseID reads INC-N (case-insensitive, or a bare N) back into N.
func ParseID(s string) (uint64, error) {
	t := strings.TrimSpace(s)
	if len(t) > 4 && strings.EqualFold(t[:4], "INC-") {
		t = t[4:]
	}
	n, err := strconv.ParseUint(t, 10, 64)
	if err != nil || n == 0 {
		return 0, Errorf(EINVALID, "%q is not an incident ID; IDs look like INC-12", s)
	}
	return n, nil
}

// Validate checks the fields a declaration needs.
func (i *Incident) Validate() error {
	if strings.TrimSpace(i.Title) == "" {
		return Errorf(EINVALID, "an incident needs a title")
	}
	if i.Severity == "" {
		return Errorf(EINVALID, "an incident needs a severity")
	}
	switch i.Status {
	case Investigating, Identified, Monitoring, Resolved:
	default:
		return Errorf(EINVALID, "unknown status %q", i.Status)
	}
	return nil
}

// ActionItem is a follow-up recorded during or after the incident.
type ActionItem struct {
	Text      string    `json:"text"`
	Owner     string    `json:"owner,omitempty"`
	CreatedBy string    `json:"created_by"`
	CreatedAt time.Time `json:"created_at"`
}

// String is for logs.
func (i *Incident) String() string {
	return fmt.Sprintf("%s %q (%s, %s)", i.ID(), i.Title, i.Severity, i.Status)
}

// Label is how people see a status: "Investigating" … "Resolved".
func (s Status) Label() string {
	if s == "" {
		return ""
	}
	return strings.ToUpper(string(s[:1])) + string(s[1:])
}
