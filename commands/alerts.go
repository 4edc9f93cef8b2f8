package commands

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/incidentbot/incidentbot/incident"
	"github.com/incidentbot/incidentbot/store"
)

// Declarers that are not Slack users. An incident they declare has no
// commander until someone takes the role (unless the API names one), and
// they are never invited to its channel.
const (
	DeclaredByAlertmanager = "alertmanager"
	DeclaredByAPI          = "api"
)

func isSource(by string) bool { return by == DeclaredByAlertmanager || by == DeclaredByAPI }

// Alert modes (alertmanager.rules[].mode, alertmanager.default_mode).
const (
	AlertDeclare = "declare"
	AlertSuggest = "suggest"
	AlertIgnore  = "ignore"
)

// AlertPolicy is alertmanager: in the configuration (see config.Alertmanager).
type AlertPolicy struct {
	DefaultMode   string
	TriageChannel string
	SeverityLabel string
	// Severities maps a lower-cased label value to a severity name.
	Severities           map[string]string
	ServiceLabel         string
	MaxDeclaredPerMinute int
	Rules                []AlertRule
}

// AlertRule gives Mode to a group whose common labels hold every Match
// entry (label names compared without regard to case).
type AlertRule struct {
	Match map[string]string
	Mode  string
}

// AlertNotification is one Alertmanager webhook notification (version 4),
// decoded and checked for shape by the HTTP layer.
type AlertNotification struct {
	GroupKey          string
	Status            string // firing | resolved
	Receiver          string
	GroupLabels       map[string]string
	CommonLabels      map[string]string
	CommonAnnotations map[string]string
	ExternalURL       string
	Alerts            []Alert
}

// Alert is one alert of a notification.
type Alert struct {
	Status       string // firing | resolved
	Labels       map[string]string
	Annotations  map[string]string
	StartsAt     time.Time
	EndsAt       time.Time
	GeneratorURL string
	Fingerprint  string
}

// What ReceiveAlerts did with a group (AlertOutcome.Action).
const (
	AlertDeclared  = "declared"  // a new incident
	AlertUpdated   = "updated"   // timeline events on the group's incident
	AlertSuggested = "suggested" // a triage message with a Declare button
	AlertIgnored   = "ignored"   // nothing
	AlertUnchanged = "unchanged" // a resend of what is known
)

// AlertOutcome is what ReceiveAlerts did.
type AlertOutcome struct {
	Action   string
	Incident *incident.Incident // declared or updated
	Events   int                // timeline events added
	Reason   string             // why, when suggested or ignored
}

// JobSuggestAlert posts a triage message with a Declare button
// (SuggestPayload); it belongs to no incident.
const JobSuggestAlert = "suggest_alert"

// JobOfferResolve tells the incident channel that its alert group resolved
// and offers a Resolve button (OfferResolvePayload).
const JobOfferResolve = "offer_resolve"

// SuggestPayload names the group a JobSuggestAlert suggests, and where.
type SuggestPayload struct {
	Group   string `json:"group"` // the group's key
	Channel string `json:"channel"`
}

// OfferResolvePayload names the group whose resolution is offered.
type OfferResolvePayload struct {
	Group string `json:"group"`
}

// maxAlertEvents bounds the timeline events one notification adds; a group
// of hundreds of alerts gets one more event saying how many were left out.
const maxAlertEvents = 20

// ValidateAlerts checks what the HTTP layer cannot: that the notification
// names its group and every alert has a fingerprint and a known status.
func ValidateAlerts(n AlertNotification) error {
	if strings.TrimSpace(n.GroupKey) == "" {
		return incident.Errorf(incident.EINVALID, "groupKey is empty: Alertmanager always sends one; is this an Alertmanager webhook (version 4)?")
	}
	if n.Status != "firing" && n.Status != "resolved" {
		return incident.Errorf(incident.EINVALID, "status %q is neither firing nor resolved", n.Status)
	}
	if len(n.Alerts) == 0 {
		return incident.Errorf(incident.EINVALID, "alerts is empty: a notification carries at least one alert")
	}
	for i, a := range n.Alerts {
		if strings.TrimSpace(a.Fingerprint) == "" {
			return incident.Errorf(incident.EINVALID, "alerts[%d].fingerprint is empty", i)
		}
		if a.Status != "firing" && a.Status != "resolved" {
			return incident.Errorf(incident.EINVALID, "alerts[%d].status %q is neither firing nor resolved", i, a.Status)
		}
	}
	return nil
}

// ReceiveAlerts applies one notification, in one transaction: a group seen
// for the first time is declared, suggested or ignored as the policy says;
// a group with an incident gets timeline events for the alerts that started
// or stopped firing since the last notification (a resend adds nothing),
// and, once every alert has resolved, the channel is offered Resolve. A
// group whose incident was resolved and that fires again starts afresh.
func (s *Service) ReceiveAlerts(ctx context.Context, n AlertNotification) (AlertOutcome, error) {
	if err := ValidateAlerts(n); err != nil {
		return AlertOutcome{}, err
	}
	return runFor(ctx, s, fmt.Sprintf("alert group %q", clipKey(n.GroupKey)), "", AlertOutcome{}, func(tx store.Tx, now time.Time, out *AlertOutcome) error {
		g, known, err := tx.AlertGroup(n.GroupKey)
		if err != nil {
			return err
		}
		if known && g.Incident != 0 {
			inc, err := tx.Incident(g.Incident)
			if err != nil {
				return err
			}
			if inc.Open() || len(newlyFiring(g, n)) == 0 {
				return s.updateAlertIncident(tx, &g, inc, n, now, out)
			}
			known = false // resolved, and firing again: a new incident
		}
		if known {
			// Suggested, waiting for a click: follow the alerts, so the
			// declaration a click makes starts from the current state.
			applyAlerts(&g, n, s.plainLabels(n))
			out.Action, out.Reason = AlertUnchanged, "the group was suggested already; its Declare button declares it"
			return tx.PutAlertGroup(g)
		}
		return s.newAlertGroup(tx, n, now, out)
	})
}

// newAlertGroup handles the first notification of a group.
func (s *Service) newAlertGroup(tx store.Tx, n AlertNotification, now time.Time, out *AlertOutcome) error {
	g := store.AlertGroup{Key: n.GroupKey, ID: groupID(n.GroupKey), FirstSeen: now}
	applyAlerts(&g, n, s.plainLabels(n))
	if len(g.Firing) == 0 {
		out.Action, out.Reason = AlertIgnored, "no alert of the group is firing"
		return nil
	}
	p := s.Alerts
	g.Mode = p.mode(n.CommonLabels)
	g.Title, g.Summary = alertTitle(n), alertSummary(n)
	g.Severity, g.Service = s.alertSeverity(n), s.alertService(n)
	if g.Mode == AlertDeclare {
		// The count is read and the declaration recorded in the same
		// transaction, on the store's clock: concurrent notifications
		// cannot both take the last place, and a restart (or a crash loop
		// during a storm) does not reset the budget.
		recent, err := tx.AlertDeclarationsSince(now.Add(-time.Minute))
		if err != nil {
			return err
		}
		if recent >= p.MaxDeclaredPerMinute {
			g.Mode = AlertSuggest
			out.Reason = fmt.Sprintf("%d incidents were declared from alerts in the last minute (alertmanager.max_declared_per_minute is %d)", recent, p.MaxDeclaredPerMinute)
		}
	}
	switch g.Mode {
	case AlertIgnore:
		out.Action, out.Reason = AlertIgnored, "the rules say ignore"
		return nil
	case AlertSuggest:
		if p.TriageChannel == "" {
			out.Action = AlertIgnored
			out.Reason = strings.TrimPrefix(out.Reason+"; ", "; ") + "suggested nowhere: alertmanager.triage_channel is empty"
			return nil
		}
		g.Suggested = true
		if err := enqueue(tx, 0, JobSuggestAlert, SuggestPayload{Group: g.Key, Channel: p.TriageChannel}); err != nil {
			return err
		}
		out.Action = AlertSuggested
		if out.Reason == "" {
			out.Reason = "the rules say suggest"
		}
		return tx.PutAlertGroup(g)
	}
	inc, err := s.declareAlertGroup(tx, &g, DeclaredByAlertmanager, now)
	if err != nil {
		return err
	}
	if err := tx.RecordAlertDeclaration(now, inc.Number, now.Add(-time.Minute)); err != nil {
		return err
	}
	out.Action, out.Incident = AlertDeclared, inc
	return nil
}

// declareAlertGroup declares g's incident, with a timeline event for each
// firing alert, and stores g pointing at it.
func (s *Service) declareAlertGroup(tx store.Tx, g *store.AlertGroup, by string, now time.Time) (*incident.Incident, error) {
	in, err := s.ValidateDeclare(DeclareInput{Title: g.Title, Summary: g.Summary, Severity: g.Severity, Service: g.Service, DeclaredBy: by})
	if err != nil {
		return nil, err
	}
	inc, err := s.declareIn(tx, in, now)
	if err != nil {
		return nil, err
	}
	var firing []store.FiringAlert
	for _, f := range g.Firing {
		firing = append(firing, f)
	}
	sort.Slice(firing, func(i, j int) bool {
		if !firing[i].StartsAt.Equal(firing[j].StartsAt) {
			return firing[i].StartsAt.Before(firing[j].StartsAt)
		}
		return firing[i].Name < firing[j].Name
	})
	if err := s.appendAlertEvents(tx, inc, now, "Alert firing", firing); err != nil {
		return nil, err
	}
	g.Incident, g.ResolveOffered = inc.Number, false
	return inc, tx.PutAlertGroup(*g)
}
