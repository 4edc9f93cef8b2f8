package commands

import (
	"encoding/json"
	"fmt"
	"slices"

	"github.com/incidentbot/incidentbot/incident"
	"github.com/incidentbot/incidentbot/store"
)

// Outbox jobs for the tools outside Slack. Each runs in its own lane of the
// incident (store.Job.Lane), so a dead endpoint never delays Slack's jobs.
const (
	JobWebhook   = "webhook"   // WebhookPayload: one signed delivery to one endpoint
	JobPagerDuty = "pagerduty" // PagerDutyPayload: one Events API v2 call

	// LanePagerDuty is PagerDuty's lane; a webhook's is "webhook " + its URL.
	LanePagerDuty = "pagerduty"
)

// PagerDuty event actions.
const (
	PagerDutyTrigger = "trigger"
	PagerDutyResolve = "resolve"
)

// Destinations are the tools outside Slack told about incidents.
type Destinations struct {
	Webhooks  []WebhookDestination
	PagerDuty PagerDutyDestination
}

// WebhookDestination is one endpoint and what it subscribed to. Its secret
// stays with the performer: jobs name the endpoint by URL.
type WebhookDestination struct {
	URL string
	// Events are the event types wanted; empty means all of them.
	Events []string
	// Private endpoints also hear about private incidents.
	Private bool
}

// PagerDutyDestination says whether and from which severity to page.
type PagerDutyDestination struct {
	Enabled bool
	// MinSeverity is the least severe severity that pages.
	MinSeverity string
}

// Snapshot is the incident as it was when an event happened: deliveries run
// later, but what they report is what was true then.
type Snapshot struct {
	Number    uint64          `json:"number"`
	UUID      string          `json:"uuid"`
	Title     string          `json:"title"`
	Severity  string          `json:"severity"`
	Status    incident.Status `json:"status"`
	Service   string          `json:"service,omitempty"`
	Commander string          `json:"commander,omitempty"`
	Private   bool            `json:"private,omitempty"`
	Drill     bool            `json:"drill,omitempty"`
	// SeverityRank is the severity's place among the configured ones (0 =
	// most severe), for destinations with a fixed scale (PagerDuty).
	SeverityRank int `json:"severity_rank"`
}

// WebhookPayload is a JobWebhook's: Type for the endpoint at URL, about
// Event of the incident as Incident shows it.
type WebhookPayload struct {
	URL      string         `json:"url"`
	Type     string         `json:"type"`
	Incident Snapshot       `json:"incident"`
	Event    incident.Event `json:"event"`
}

// PagerDutyPayload is a JobPagerDuty's.
type PagerDutyPayload struct {
	Action   string   `json:"action"`
	Incident Snapshot `json:"incident"`
}

// appendEvent adds ev to inc's timeline and, in the same transaction,
// enqueues its delivery to every destination subscribed to it: the intent
// to tell other tools commits with the change or not at all. Every use-case
// appends timeline events through here.
func (s *Service) appendEvent(tx store.Tx, inc *incident.Incident, ev incident.Event) (incident.Event, error) {
	ev, err := tx.AppendEvent(inc.Number, ev)
	if err != nil {
		return incident.Event{}, err
	}
	typ := incident.PublishedType(ev.Kind)
	if typ == "" {
		return ev, nil
	}
	snap := s.snapshot(inc, ev)
	for _, d := range s.Destinations.Webhooks {
		if (inc.Private && !d.Private) || (len(d.Events) > 0 && !slices.Contains(d.Events, typ)) {
			continue
		}
		pl := WebhookPayload{URL: d.URL, Type: typ, Incident: snap, Event: ev}
		if err := enqueueLane(tx, inc.Number, JobWebhook, "webhook "+d.URL, pl); err != nil {
			return incident.Event{}, err
		}
	}
	if err := s.page(tx, inc, ev, snap); err != nil {
		return incident.Event{}, err
	}
	return ev, nil
}

// snapshot is inc as of ev. Use-cases append some events before they
// change the incident to match, so the event's own new value wins: the
// timeline's own step (incident.State.Next) for severity and status.
func (s *Service) snapshot(inc *incident.Incident, ev incident.Event) Snapshot {
	st := incident.State{Severity: inc.Severity, Status: inc.Status, Declared: true}.Next(ev)
	snap := Snapshot{
		Number: inc.Number, UUID: inc.UUID, Title: inc.Title, Severity: st.Severity, Status: st.Status,
		Service: inc.Service, Commander: inc.Holder(incident.RoleCommander), Private: inc.Private, Drill: inc.Drill,
	}
	if (ev.Kind == incident.EventRoleAssigned || ev.Kind == incident.EventRoleHandoff) && ev.Role == incident.RoleCommander {
		snap.Commander = ev.To
	}
	snap.SeverityRank = s.Settings.SeverityRank(snap.Severity)
	return snap
}

// page enqueues PagerDuty's trigger when an incident reaches the paging
// severity for the first time (declared at it, or raised to it), and its
// resolve when a paged incident is resolved. Drills never page.
func (s *Service) page(tx store.Tx, inc *incident.Incident, ev incident.Event, snap Snapshot) error {
	pd := s.Destinations.PagerDuty
	if !pd.Enabled || inc.Drill {
		return nil
	}
	var action string
	switch ev.Kind {
	case incident.EventDeclared:
		if s.pages(snap.Severity) {
			action = PagerDutyTrigger
		}
	case incident.EventSeverityChanged:
		if s.pages(ev.To) {
			paged, err := s.paged(tx, inc.Number, ev.Seq)
			if err != nil {
				return err
			}
			if !paged {
				action = PagerDutyTrigger
			}
		}
	case incident.EventResolved:
		paged, err := s.paged(tx, inc.Number, ev.Seq)
		if err != nil {
			return err
		}
		if paged {
			action = PagerDutyResolve
		}
	}
	if action == "" {
		return nil
	}
	return enqueueLane(tx, inc.Number, JobPagerDuty, LanePagerDuty, PagerDutyPayload{Action: action, Incident: snap})
}

// pages reports whether severity is at or above the paging severity.
func (s *Service) pages(severity string) bool {
	r := s.Settings.SeverityRank(severity)
	return r >= 0 && r <= s.Settings.SeverityRank(s.Destinations.PagerDuty.MinSeverity)
}

// paged reports whether the incident was at a paging severity before its
// event before: the timeline is the record of what was triggered.
func (s *Service) paged(tx store.Tx, number, before uint64) (bool, error) {
	evs, err := tx.Events(number)
	if err != nil {
		return false, fmt.Errorf("read timeline of %s: %w", incident.FormatID(number), err)
	}
	for _, e := range evs {
		if e.Seq >= before {
			break
		}
		if (e.Kind == incident.EventDeclared || e.Kind == incident.EventSeverityChanged) && s.pages(e.To) {
			return true, nil
		}
	}
	return false, nil
}

// enqueueLane is enqueue for a job in one of the incident's other lanes.
func enqueueLane(tx store.Tx, number uint64, kind, lane string, payload any) error {
	raw, err := json.Marshal(payload)
	if err != nil {
		return fmt.Errorf("encode %s job: %w", kind, err)
	}
	if _, err := tx.Enqueue(store.Job{Incident: number, Kind: kind, Lane: lane, Payload: raw}); err != nil {
		return fmt.Errorf("enqueue %s: %w", kind, err)
	}
	return nil
}
