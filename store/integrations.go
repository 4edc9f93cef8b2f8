package store

import (
	"time"

	"github.com/incidentbot/incidentbot/incident"
)

// The integrations' records: what the bot knows of each Alertmanager alert
// group, and what each Idempotency-Key of the HTTP API produced.

// AlertGroup is one Alertmanager alert group, keyed by its groupKey.
type AlertGroup struct {
	Key string `json:"key"`
	// ID names the group in a button's value: a digest of Key, since a
	// groupKey can be longer than Slack lets a value be.
	ID string `json:"id"`
	// Incident is the incident the group declared (or was declared as from
	// its suggestion), 0 while there is none.
	Incident uint64 `json:"incident,omitempty"`
	// Mode is what the rules said when the group was first seen.
	Mode string `json:"mode"`
	// Title, Summary, Severity and Service are what declaring it uses.
	Title    string `json:"title"`
	Summary  string `json:"summary,omitempty"`
	Severity string `json:"severity,omitempty"`
	Service  string `json:"service,omitempty"`
	// Firing holds each alert known to be firing, by fingerprint: a resend
	// of the same state changes nothing.
	Firing map[string]FiringAlert `json:"firing,omitempty"`
	// ResolveOffered is set once the channel was told the whole group
	// resolved, so a resent "resolved" notification does not tell it again.
	ResolveOffered bool `json:"resolve_offered,omitempty"`
	// Suggested is set once a triage message was enqueued for the group.
	Suggested bool `json:"suggested,omitempty"`
	// FirstSeen is when the first notification of the group arrived.
	FirstSeen time.Time `json:"first_seen"`
}

// Done says whether g may be forgotten (Tx.PruneAlertGroups): no alert of
// it is firing, and inc, its incident, was resolved before before, or, when
// it never had one (a suggestion), it was first seen before before. inc is
// nil when g has no incident or it is missing (then g is kept).
//
// Forgetting such a group changes nothing Alertmanager can tell apart: a
// later notification of it either fires an alert, which would start a new
// incident (or suggestion) anyway, or only resolves alerts, which the bot
// ignores for a group it does not know and for a resolved incident alike.
// A group with an alert still firing is kept however old, or a resend of
// that alert would declare it again.
func (g AlertGroup) Done(inc *incident.Incident, before time.Time) bool {
	switch {
	case len(g.Firing) > 0:
		return false
	case g.Incident == 0:
		return g.FirstSeen.Before(before)
	case inc == nil:
		return false
	}
	return !inc.Open() && inc.ResolvedAt.Before(before)
}

// FiringAlert is one alert of a group that is firing.
type FiringAlert struct {
	StartsAt time.Time `json:"starts_at"`
	// Name says which alert it is on the timeline ("HighLatency
	// instance=web-1").
	Name string `json:"name"`
	Link string `json:"link,omitempty"` // its generatorURL
}

// APIRequest is what an Idempotency-Key of the HTTP API produced.
type APIRequest struct {
	// Digest is the SHA-256 of the request body, so a key reused for a
	// different request is told apart from a retry.
	Digest   string    `json:"digest"`
	Incident uint64    `json:"incident"`
	At       time.Time `json:"at"`
}
