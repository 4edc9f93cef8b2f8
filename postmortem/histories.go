package postmortem

import (
	"slices"
	"strings"
	"time"

	"github.com/incidentbot/incidentbot/incident"
)

// This file tells the incident's course from its timeline: the severity
// and role histories, the key times and the measures between them.

const timeLayout = "2006-01-02 15:04:05"

func severityHistory(r *renderer, inc *incident.Incident, events []incident.Event, settings incident.Settings) ([]SeverityStep, string) {
	var steps []SeverityStep
	seen := []string{inc.Severity}
	incident.Replay(events, func(ev incident.Event, _, after incident.State) bool {
		switch ev.Kind {
		case incident.EventDeclared:
			sev := after.Severity
			if sev == "" {
				sev = firstSeverity(inc, events)
			}
			steps = append(steps, SeverityStep{At: stamp(ev.At), Severity: r.inline(sev), By: r.actor(ev.Actor)})
			seen = append(seen, sev)
		case incident.EventSeverityChanged:
			// Previous is what the change says it changed from: a timeline
			// that lost an event still tells each step as it was recorded.
			steps = append(steps, SeverityStep{At: stamp(ev.At), Severity: r.inline(after.Severity), Previous: r.inline(ev.From), By: r.actor(ev.Actor)})
			seen = append(seen, ev.From, after.Severity)
		}
		return true
	})
	peak, rank := "", -1
	for _, s := range seen {
		if k := settings.SeverityRank(s); k >= 0 && (rank < 0 || k < rank) {
			peak, rank = s, k
		}
	}
	if peak == "" || strings.EqualFold(peak, inc.Severity) {
		return steps, ""
	}
	return steps, r.inline(peak)
}

// firstSeverity is the severity at declaration when the declared event
// does not say: what the first change changed from, else the current one.
func firstSeverity(inc *incident.Incident, events []incident.Event) string {
	for _, ev := range events {
		if ev.Kind == incident.EventSeverityChanged && ev.From != "" {
			return ev.From
		}
	}
	return inc.Severity
}

func roleHistories(r *renderer, inc *incident.Incident, events []incident.Event, settings incident.Settings) []RoleHistory {
	var ids []string
	for _, role := range settings.Roles {
		ids = append(ids, role.ID)
	}
	// Roles no longer configured still belong to this incident's story.
	var extra []string
	add := func(id string) {
		if id != "" && !slices.Contains(ids, id) && !slices.Contains(extra, id) {
			extra = append(extra, id)
		}
	}
	for id := range inc.Roles {
		add(id)
	}
	for _, ev := range events {
		if isRoleEvent(ev.Kind) {
			add(ev.Role)
		}
	}
	slices.Sort(extra)
	ids = append(ids, extra...)

	out := make([]RoleHistory, 0, len(ids))
	for _, id := range ids {
		h := RoleHistory{ID: escapeInline(id), Name: r.inline(roleName(settings, id)), Holder: r.person(inc.Holder(id))}
		for _, ev := range events {
			if isRoleEvent(ev.Kind) && ev.Role == id {
				h.Changes = append(h.Changes, RoleChange{
					At: stamp(ev.At), From: r.person(ev.From), To: r.person(ev.To), By: r.actor(ev.Actor),
					Handoff: ev.Kind == incident.EventRoleHandoff || ev.From != "",
				})
			}
		}
		out = append(out, h)
	}
	return out
}

func isRoleEvent(k incident.EventKind) bool {
	return k == incident.EventRoleAssigned || k == incident.EventRoleHandoff
}

func roleName(settings incident.Settings, id string) string {
	if role, ok := settings.Role(id); ok && role.Name != "" {
		return role.Name
	}
	return id
}

// keyTimes lists the moments a review asks about, in time order, and the
// durations between them. events, in time order, must hold the status
// changes and at least the first status update.
func keyTimes(inc *incident.Incident, events []incident.Event) ([]KeyTime, []Measure) {
	declared := inc.DeclaredAt
	var times []struct {
		at   time.Time
		what string
	}
	add := func(at time.Time, what string) {
		times = append(times, struct {
			at   time.Time
			what string
		}{at, what})
	}
	impactKnown := !inc.StartedAt.IsZero() && inc.StartedAt.Before(declared.Add(-time.Second))
	if impactKnown {
		add(inc.StartedAt, "Impact started")
	}
	add(declared, "Declared")
	var firstUpdate time.Time
	incident.Replay(events, func(ev incident.Event, _, after incident.State) bool {
		switch ev.Kind {
		case incident.EventUpdate:
			if firstUpdate.IsZero() {
				firstUpdate = ev.At
				add(ev.At, "First status update")
			}
		case incident.EventStatusChanged:
			if after.Status != incident.Resolved {
				add(ev.At, "Status: "+after.Status.Label())
			}
		}
		return true
	})
	if !inc.Open() && !inc.ResolvedAt.IsZero() {
		add(inc.ResolvedAt, "Resolved")
	}
	slices.SortStableFunc(times, func(a, b struct {
		at   time.Time
		what string
	}) int {
		return a.at.Compare(b.at)
	})
	out := make([]KeyTime, len(times))
	for i, t := range times {
		out[i] = KeyTime{At: stamp(t.at), Since: since(t.at, declared), What: escapeInline(t.what)}
	}

	var m []Measure
	if impactKnown {
		m = append(m, Measure{"Impact to declaration", incident.FormatDuration(declared.Sub(inc.StartedAt), incident.DurationPrecise)})
	}
	if !firstUpdate.IsZero() {
		m = append(m, Measure{"Declaration to first status update", incident.FormatDuration(firstUpdate.Sub(declared), incident.DurationPrecise)})
	}
	switch {
	case inc.Open() || inc.ResolvedAt.IsZero():
		m = append(m, Measure{"Time to resolve", "not resolved yet"})
	case impactKnown:
		m = append(m, Measure{"Time to resolve (from impact start)", incident.FormatDuration(inc.ResolvedAt.Sub(inc.StartedAt), incident.DurationPrecise)})
		m = append(m, Measure{"Declaration to resolution", incident.FormatDuration(inc.ResolvedAt.Sub(declared), incident.DurationPrecise)})
	default:
		m = append(m, Measure{"Time to resolve (from declaration)", incident.FormatDuration(inc.ResolvedAt.Sub(declared), incident.DurationPrecise)})
	}
	return out, m
}

func stamp(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format(timeLayout)
}

// since is t's offset from the declaration: "+12m", "-5m", "" at zero.
func since(t, declared time.Time) string {
	if t.IsZero() || declared.IsZero() {
		return ""
	}
	d := t.Sub(declared).Round(time.Second)
	switch {
	case d > 0:
		return "+" + incident.FormatDuration(d, incident.DurationPrecise)
	case d < 0:
		return "-" + incident.FormatDuration(-d, incident.DurationPrecise)
	default:
		return ""
	}
}
