package commands

import (
	"fmt"
	"time"

	"github.com/incidentbot/incidentbot/incident"
	"github.com/incidentbot/incidentbot/store"
)

// JobAlertsFiring tells the incident channel which alerts of its group
// started firing since the last notification (AlertsFiringPayload).
const JobAlertsFiring = "alerts_firing"

// AlertsFiringPayload names the alerts, as on the timeline.
type AlertsFiringPayload struct {
	Alerts []string `json:"alerts"`
	More   int      `json:"more,omitempty"` // left out beyond maxAlertEvents
}

// updateAlertIncident applies a later notification of a group that has an
// incident (see ReceiveAlerts).
func (s *Service) updateAlertIncident(tx store.Tx, g *store.AlertGroup, inc *incident.Incident, n AlertNotification, now time.Time, out *AlertOutcome) error {
	started, ended := applyAlerts(g, n, s.plainLabels(n))
	out.Action, out.Incident = AlertUnchanged, inc
	if inc.Open() {
		if err := s.appendAlertEvents(tx, inc, now, "Alert firing", started); err != nil {
			return err
		}
		if err := s.appendAlertEvents(tx, inc, now, "Alert resolved", ended); err != nil {
			return err
		}
		out.Events = min(len(started), maxAlertEvents+1) + min(len(ended), maxAlertEvents+1)
		if len(started) > 0 {
			pl := AlertsFiringPayload{More: max(len(started)-maxAlertEvents, 0)}
			for _, a := range started[:min(len(started), maxAlertEvents)] {
				pl.Alerts = append(pl.Alerts, a.Name)
			}
			if err := enqueue(tx, inc.Number, JobAlertsFiring, pl); err != nil {
				return err
			}
		}
	}
	if len(started) > 0 {
		g.ResolveOffered = false
	}
	// The group's status, not the alerts listed, says whether it has
	// resolved: Alertmanager leaves alerts beyond max_alerts out of the
	// list, and a group with one of those firing is "firing".
	if inc.Open() && len(g.Firing) == 0 && n.Status == "resolved" && !g.ResolveOffered {
		if err := enqueue(tx, inc.Number, JobOfferResolve, OfferResolvePayload{Group: g.Key}); err != nil {
			return err
		}
		g.ResolveOffered = true
		out.Events++ // the offer is news too
	}
	if out.Events > 0 {
		out.Action = AlertUpdated
	}
	return tx.PutAlertGroup(*g)
}

// applyAlerts brings g's firing alerts to n's and returns the alerts that
// started firing (new, or firing again since a later startsAt) and those
// that resolved, in n's order.
func applyAlerts(g *store.AlertGroup, n AlertNotification, plain map[string]bool) (started, ended []store.FiringAlert) {
	if g.Firing == nil {
		g.Firing = map[string]store.FiringAlert{}
	}
	for _, a := range n.Alerts {
		old, ok := g.Firing[a.Fingerprint]
		switch a.Status {
		case "firing":
			if ok && old.StartsAt.Equal(a.StartsAt) {
				continue
			}
			f := store.FiringAlert{StartsAt: a.StartsAt, Name: alertName(a, plain), Link: alertLink(a.GeneratorURL)}
			g.Firing[a.Fingerprint] = f
			started = append(started, f)
		case "resolved":
			if ok {
				delete(g.Firing, a.Fingerprint)
				ended = append(ended, old)
			}
		}
	}
	return started, ended
}

// newlyFiring is what applyAlerts would report as started, without
// changing g.
func newlyFiring(g store.AlertGroup, n AlertNotification) []store.FiringAlert {
	c := g
	c.Firing = make(map[string]store.FiringAlert, len(g.Firing))
	for k, v := range g.Firing {
		c.Firing[k] = v
	}
	started, _ := applyAlerts(&c, n, nil)
	return started
}

// appendAlertEvents puts one note per alert on the timeline, at most
// maxAlertEvents and then one saying how many more.
func (s *Service) appendAlertEvents(tx store.Tx, inc *incident.Incident, now time.Time, what string, alerts []store.FiringAlert) error {
	for i, a := range alerts {
		ev := incident.Event{At: now, Kind: incident.EventNote, Text: what + ": " + a.Name, Link: a.Link}
		if i == maxAlertEvents {
			ev = incident.Event{At: now, Kind: incident.EventNote, Text: fmt.Sprintf("%s: %d more alerts of the group", what, len(alerts)-i)}
		}
		if _, err := s.appendEvent(tx, inc, ev); err != nil {
			return err
		}
		if i == maxAlertEvents {
			break
		}
	}
	return nil
}
