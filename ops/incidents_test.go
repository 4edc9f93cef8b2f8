package ops

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/incidentbot/incidentbot/incident"
)

var at0 = time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)

func inc(sev string, mut func(*incident.Incident)) *incident.Incident {
	i := &incident.Incident{Number: 1, Title: "db down", Severity: sev, Status: incident.Investigating, DeclaredAt: at0,
		Roles: map[string]string{"commander": "UALICE001"}, ChannelID: "C123"}
	if mut != nil {
		mut(i)
	}
	return i
}

// A lifecycle seen change by change: declared, first update after 10
// minutes, two reminders, resolved after 2 hours, a postmortem; a drill
// and a private incident alongside.
func TestIncidentMetricsObserve(t *testing.T) {
	reg := prometheus.NewRegistry()
	m := NewIncidentMetrics(reg)
	declared := inc("SEV2", nil)
	updated := inc("SEV2", func(i *incident.Incident) { i.LastUpdateAt = at0.Add(10 * time.Minute) })
	updatedAgain := inc("SEV2", func(i *incident.Incident) { i.LastUpdateAt = at0.Add(20 * time.Minute) })
	reminded := inc("SEV2", func(i *incident.Incident) { i.LastUpdateAt = updatedAgain.LastUpdateAt; i.MissedUpdates = 2 })
	resolved := inc("SEV1", func(i *incident.Incident) {
		i.LastUpdateAt, i.Status, i.ResolvedAt = at0.Add(2*time.Hour), incident.Resolved, at0.Add(2*time.Hour)
	})
	drafted := inc("SEV1", func(i *incident.Incident) {
		*i = *resolved
		i.PostmortemAt = at0.Add(3 * time.Hour)
	})
	drill := func(i *incident.Incident) *incident.Incident { c := *i; c.Drill = true; return &c }
	private := inc("SEV3", func(i *incident.Incident) { i.Private = true })
	privateResolved := inc("SEV3", func(i *incident.Incident) {
		i.Private, i.Status, i.ResolvedAt = true, incident.Resolved, at0.Add(30*time.Minute)
		i.LastUpdateAt = i.ResolvedAt // resolved without an update: the resolution is the first
	})
	for _, c := range [][2]*incident.Incident{
		{nil, declared}, {declared, updated}, {updated, updatedAgain}, {updatedAgain, reminded},
		{reminded, resolved}, {resolved, drafted},
		{nil, drill(declared)}, {drill(declared), drill(resolved)},
		{nil, private}, {private, privateResolved},
	} {
		m.Observe(c[0], c[1])
	}
	want := `
# HELP incidentbot_incidents_declared_total Incidents declared (drills left out), by severity at declaration.
# TYPE incidentbot_incidents_declared_total counter
incidentbot_incidents_declared_total{severity="SEV2"} 1
incidentbot_incidents_declared_total{severity="SEV3"} 1
# HELP incidentbot_incidents_resolved_total Incidents resolved (drills left out), by severity at resolution.
# TYPE incidentbot_incidents_resolved_total counter
incidentbot_incidents_resolved_total{severity="SEV1"} 1
incidentbot_incidents_resolved_total{severity="SEV3"} 1
# HELP incidentbot_status_update_reminders_total Status-update reminders sent because an open incident went quiet, by severity.
# TYPE incidentbot_status_update_reminders_total counter
incidentbot_status_update_reminders_total{severity="SEV2"} 2
# HELP incidentbot_postmortems_drafted_total Postmortem drafts requested, by severity.
# TYPE incidentbot_postmortems_drafted_total counter
incidentbot_postmortems_drafted_total{severity="SEV1"} 1
`
	if err := testutil.GatherAndCompare(reg, strings.NewReader(want),
		"incidentbot_incidents_declared_total", "incidentbot_incidents_resolved_total",
		"incidentbot_status_update_reminders_total", "incidentbot_postmortems_drafted_total"); err != nil {
		t.Error(err)
	}
	hist := map[string]struct {
		sev        string
		count, sum float64
	}{
		"incident_time_to_first_update_seconds": {"SEV2", 1, 600},
		"incident_time_to_resolve_seconds":      {"SEV1", 1, 7200},
	}
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, mf := range mfs {
		name := strings.TrimPrefix(mf.GetName(), "incidentbot_")
		h, ok := hist[name]
		if !ok {
			continue
		}
		delete(hist, name)
		var sum, count float64
		for _, mt := range mf.GetMetric() {
			if mt.GetLabel()[0].GetValue() == h.sev {
				sum, count = mt.GetHistogram().GetSampleSum(), float64(mt.GetHistogram().GetSampleCount())
			}
		}
		// The private incident's 30 minutes are in the SEV3 series.
		if count != h.count || sum != h.sum || len(mf.GetMetric()) != 2 {
			t.Errorf("%s: %s count %v sum %v (%d series), want %v, %v (2 series)", name, h.sev, count, sum, len(mf.GetMetric()), h.count, h.sum)
		}
	}
	if len(hist) != 0 {
		t.Errorf("histograms missing: %v", hist)
	}
	for _, mf := range mfs {
		for _, mt := range mf.GetMetric() {
			for _, l := range mt.GetLabel() {
				if l.GetName() != "severity" {
					t.Errorf("%s has label %s: severity only", mf.GetName(), l.GetName())
				}
			}
		}
	}
}

func TestIncidentGauges(t *testing.T) {
	now := at0.Add(time.Hour)
	open := []*incident.Incident{
		inc("SEV1", nil),
		inc("SEV1", func(i *incident.Incident) { i.MissedUpdates = 1 }),                    // reminder unanswered
		inc("SEV2", func(i *incident.Incident) { i.NextUpdateAt = now.Add(-time.Minute) }), // promised time passed
		inc("SEV2", func(i *incident.Incident) { i.NextUpdateAt = now.Add(time.Minute) }),  // not yet
		inc("SEV2", func(i *incident.Incident) { i.Private = true }),                       // counted
		inc("SEV1", func(i *incident.Incident) { i.Drill = true; i.MissedUpdates = 3 }),    // left out
		inc("P0", nil), // renamed severity
	}
	var fail error
	g := NewIncidentGauges(func() ([]*incident.Incident, error) { return open, fail }, []string{"SEV1", "SEV2", "SEV3"}, func() time.Time { return now })
	want := `
# HELP incidentbot_incidents_open Open incidents (drills left out), by severity.
# TYPE incidentbot_incidents_open gauge
incidentbot_incidents_open{severity="P0"} 1
incidentbot_incidents_open{severity="SEV1"} 2
incidentbot_incidents_open{severity="SEV2"} 3
incidentbot_incidents_open{severity="SEV3"} 0
# HELP incidentbot_status_updates_overdue Open incidents whose status update is overdue (a reminder went unanswered or the promised time passed), by severity.
# TYPE incidentbot_status_updates_overdue gauge
incidentbot_status_updates_overdue{severity="P0"} 0
incidentbot_status_updates_overdue{severity="SEV1"} 1
incidentbot_status_updates_overdue{severity="SEV2"} 1
incidentbot_status_updates_overdue{severity="SEV3"} 0
`
	if err := testutil.CollectAndCompare(g, strings.NewReader(want)); err != nil {
		t.Error(err)
	}
	fail = errors.New("store closed")
	if err := testutil.CollectAndCompare(g, strings.NewReader(want)); err == nil || !strings.Contains(err.Error(), "store closed") {
		t.Errorf("a failing read = %v, want it reported", err)
	}
}
