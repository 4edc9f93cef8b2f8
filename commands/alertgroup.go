package commands

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"net/url"
	"sort"
	"strings"
	"time"

	"github.com/incidentbot/incidentbot/incident"
	"github.com/incidentbot/incidentbot/store"
)

// JobMarkSuggestion replaces a triage message, once its Declare button was
// clicked, with who declared which incident (MarkSuggestionPayload).
const JobMarkSuggestion = "mark_suggestion"

// JobAlertsFiring tells the incident channel which alerts of its group
// started firing since the last notification (AlertsFiringPayload).
const JobAlertsFiring = "alerts_firing"

// AlertsFiringPayload names the alerts, as on the timeline.
type AlertsFiringPayload struct {
	Alerts []string `json:"alerts"`
	More   int      `json:"more,omitempty"` // left out beyond maxAlertEvents
}

// MarkSuggestionPayload locates the triage message.
type MarkSuggestionPayload struct {
	Channel string `json:"channel"`
	TS      string `json:"ts"`
	By      string `json:"by"`
}

// updateAlertIncident applies a later notification of a group that has an
// incident (see ReceiveAlerts).
func (s *Service) updateAlertIncident(tx store.Tx, g *store.AlertGroup, inc *incident.Incident, n AlertNotification, now time.Time, out *AlertOutcome) error {
	started, ended := applyAlerts(g, n, s.plainLabels(n))
	out.Action, out.Incident = AlertUnchanged, inc
	if inc.Open() {
		if err := appendAlertEvents(tx, inc.Number, now, "Alert firing", started); err != nil {
			return err
		}
		if err := appendAlertEvents(tx, inc.Number, now, "Alert resolved", ended); err != nil {
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
	if inc.Open() && len(g.Firing) == 0 && !g.ResolveOffered {
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
func appendAlertEvents(tx store.Tx, number uint64, now time.Time, what string, alerts []store.FiringAlert) error {
	for i, a := range alerts {
		ev := incident.Event{At: now, Kind: incident.EventNote, Text: what + ": " + a.Name, Link: a.Link}
		if i == maxAlertEvents {
			ev = incident.Event{At: now, Kind: incident.EventNote, Text: fmt.Sprintf("%s: %d more alerts of the group", what, len(alerts)-i)}
		}
		if _, err := tx.AppendEvent(number, ev); err != nil {
			return err
		}
		if i == maxAlertEvents {
			break
		}
	}
	return nil
}

// mode is the first matching rule's mode, else the default.
func (p AlertPolicy) mode(labels map[string]string) string {
	for _, r := range p.Rules {
		ok := true
		for k, v := range r.Match {
			if got, has := label(labels, k); !has || got != v {
				ok = false
				break
			}
		}
		if ok {
			return r.Mode
		}
	}
	if p.DefaultMode == "" {
		return AlertSuggest
	}
	return p.DefaultMode
}

// label reads a label whatever the case of its name (see AlertPolicy).
func label(labels map[string]string, name string) (string, bool) {
	if v, ok := labels[name]; ok {
		return v, true
	}
	for k, v := range labels {
		if strings.EqualFold(k, name) {
			return v, true
		}
	}
	return "", false
}

// firstLabel reads name from the common labels, else from the first alert
// that has it.
func firstLabel(n AlertNotification, source func(Alert) map[string]string, common map[string]string, name string) string {
	if v, ok := label(common, name); ok && strings.TrimSpace(v) != "" {
		return strings.TrimSpace(v)
	}
	for _, a := range n.Alerts {
		if v, ok := label(source(a), name); ok && strings.TrimSpace(v) != "" {
			return strings.TrimSpace(v)
		}
	}
	return ""
}

func labelsOf(a Alert) map[string]string      { return a.Labels }
func annotationsOf(a Alert) map[string]string { return a.Annotations }

// maxAlertTitle keeps titles readable in a channel name, topic and card.
const maxAlertTitle = 150

// alertTitle is the summary (or title) annotation, else the alert's name.
func alertTitle(n AlertNotification) string {
	t := firstLabel(n, annotationsOf, n.CommonAnnotations, "summary")
	if t == "" {
		t = firstLabel(n, annotationsOf, n.CommonAnnotations, "title")
	}
	if t == "" {
		t = firstLabel(n, labelsOf, n.CommonLabels, "alertname")
	}
	if t == "" {
		t = "Alert group firing"
	}
	return clip(oneLine(t), maxAlertTitle)
}

// alertSummary is the description annotation, with where the alerts come
// from.
func alertSummary(n AlertNotification) string {
	d := firstLabel(n, annotationsOf, n.CommonAnnotations, "description")
	if n.ExternalURL != "" {
		if d != "" {
			d += "\n\n"
		}
		d += "From Alertmanager: " + n.ExternalURL
	}
	return clipText(d)
}

// alertSeverity maps the severity label through the policy; an unmapped
// value, or one naming a severity not configured, is the least severe.
func (s *Service) alertSeverity(n AlertNotification) string {
	v := strings.ToLower(firstLabel(n, labelsOf, n.CommonLabels, s.Alerts.SeverityLabel))
	if sev, ok := s.Settings.Severity(s.Alerts.Severities[v]); ok {
		return sev.Name
	}
	return ""
}

// alertService is the service label's value when it names a configured
// service ("" otherwise: an unknown name must not fail the declaration).
func (s *Service) alertService(n AlertNotification) string {
	v := firstLabel(n, labelsOf, n.CommonLabels, s.Alerts.ServiceLabel)
	if svc, ok := s.Settings.Service(v); ok && v != "" {
		return svc.Name
	}
	return ""
}

// plainLabels are the labels an alert's name leaves out: those the group
// is made of (the same for all its alerts) and those the incident shows
// already (severity, service).
func (s *Service) plainLabels(n AlertNotification) map[string]bool {
	plain := map[string]bool{"alertname": true, strings.ToLower(s.Alerts.SeverityLabel): true, strings.ToLower(s.Alerts.ServiceLabel): true}
	for k := range n.GroupLabels {
		plain[strings.ToLower(k)] = true
	}
	return plain
}

// alertName shows an alert on the timeline: its alertname, the labels that
// set it apart within the group, and its summary. The labels are those of
// the alert alone: the group's common labels would hide the one that
// matters while the group has a single alert.
func alertName(a Alert, plain map[string]bool) string {
	name := a.Labels["alertname"]
	var extra []string
	for k, v := range a.Labels {
		if plain[strings.ToLower(k)] {
			continue
		}
		extra = append(extra, k+"="+v)
	}
	sort.Strings(extra)
	if len(extra) > 4 {
		extra = append(extra[:4], "…")
	}
	if len(extra) > 0 {
		name = strings.TrimSpace(name + " " + strings.Join(extra, " "))
	}
	if name == "" {
		name = "alert " + a.Fingerprint
	}
	if sum := strings.TrimSpace(a.Annotations["summary"]); sum != "" && sum != name {
		name += " — " + sum
	}
	return clip(oneLine(name), 300)
}

// alertLink keeps an alert's generatorURL when it is a plain http(s) URL:
// it becomes a link in Slack, where "|" or ">" in it could disguise it.
func alertLink(raw string) string {
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || strings.ContainsAny(raw, "<>| \t\r\n") {
		return ""
	}
	return raw
}

// groupID names a group in a button's value.
func groupID(key string) string {
	sum := sha256.Sum256([]byte(key))
	return "ag-" + hex.EncodeToString(sum[:12])
}

// clipKey keeps error messages about a group one readable line.
func clipKey(k string) string { return clip(oneLine(k), 120) }

// DeclareSuggestionInput is a click on a triage message's Declare button.
type DeclareSuggestionInput struct {
	Group string // the group's ID, the button's value
	By    string
	// Channel and TS locate the triage message, replaced once declared.
	Channel, TS string
}

// DeclareSuggestionResult is the outcome of DeclareSuggestion.
type DeclareSuggestionResult struct {
	Incident *incident.Incident
	// Duplicate is true when the group had been declared already (by
	// another click, or by a later notification): nothing was declared.
	Duplicate bool
}

// DeclareSuggestion declares a suggested group with its title, severity and
// service, the clicker declaring and in command. The group's record is the
// claim: however many clicks arrive, one declares and the others hear which
// incident it became.
func (s *Service) DeclareSuggestion(ctx context.Context, in DeclareSuggestionInput) (DeclareSuggestionResult, error) {
	if in.By == "" {
		return DeclareSuggestionResult{}, incident.Errorf(incident.EINVALID, "declaring needs the user who clicked")
	}
	now := s.now()
	var res DeclareSuggestionResult
	err := s.Store.Update(ctx, func(tx store.Tx) error {
		res = DeclareSuggestionResult{}
		g, ok, err := tx.AlertGroupByID(in.Group)
		if err != nil {
			return err
		}
		if !ok {
			return incident.Errorf(incident.EINVALID, "This suggestion is not known to the bot any more; declare with `%s declare` if it is an incident.", s.command())
		}
		if g.Incident != 0 {
			inc, err := tx.Incident(g.Incident)
			if err != nil {
				return err
			}
			res.Incident, res.Duplicate = inc, true
			return nil
		}
		inc, err := s.declareAlertGroup(tx, &g, in.By, now)
		if err != nil {
			return err
		}
		res.Incident = inc
		if in.Channel != "" && in.TS != "" {
			return enqueue(tx, inc.Number, JobMarkSuggestion, MarkSuggestionPayload{Channel: in.Channel, TS: in.TS, By: in.By})
		}
		return nil
	})
	if err != nil {
		return DeclareSuggestionResult{}, fmt.Errorf("declare suggested alert group: %w", err)
	}
	return res, nil
}

// AlertGroup returns the alert group stored under key, false when none.
func (s *Service) AlertGroup(key string) (store.AlertGroup, bool, error) {
	var g store.AlertGroup
	var ok bool
	err := s.Store.View(func(tx store.Tx) error {
		var err error
		g, ok, err = tx.AlertGroup(key)
		return err
	})
	if err != nil {
		return store.AlertGroup{}, false, fmt.Errorf("read alert group: %w", err)
	}
	return g, ok, nil
}
