package commands

import (
	"crypto/sha256"
	"encoding/hex"
	"net/url"
	"sort"
	"strings"

	"github.com/incidentbot/incidentbot/incident"
)

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
	return incident.ClipText(d)
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
