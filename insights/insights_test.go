package insights_test

import (
	"reflect"
	"testing"
	"time"

	"github.com/incidentbot/incidentbot/incident"
	"github.com/incidentbot/incidentbot/insights"
)

var t0 = time.Date(2026, 3, 2, 0, 0, 0, 0, time.UTC)

// rec builds an incident declared at t0+at with events at the given
// offsets from its declaration; resolved < 0 leaves it open.
func rec(n uint64, sev, svc string, at, resolved time.Duration, evs ...incident.Event) insights.Record {
	inc := &incident.Incident{Number: n, Title: "secret title", Severity: sev, Service: svc, Status: incident.Investigating, DeclaredAt: t0.Add(at)}
	if resolved >= 0 {
		inc.Status, inc.ResolvedAt = incident.Resolved, inc.DeclaredAt.Add(resolved)
	}
	for i := range evs {
		evs[i].At = inc.DeclaredAt.Add(evs[i].At.Sub(time.Time{}))
	}
	all := append([]incident.Event{{Kind: incident.EventDeclared, At: inc.DeclaredAt}}, evs...)
	if resolved >= 0 {
		all = append(all, incident.Event{Kind: incident.EventResolved, At: inc.ResolvedAt})
	}
	return insights.Record{Incident: inc, Events: all}
}

// ev is a timeline event d after the declaration.
func ev(kind incident.EventKind, d time.Duration) incident.Event {
	return incident.Event{Kind: kind, At: time.Time{}.Add(d)}
}

const (
	h = time.Hour
	m = time.Minute
	d = 24 * time.Hour
)

// fixture: five counted incidents in the fortnight [t0, t0+14d), one in
// the fortnight before, one older still, and a drill.
func fixture() []insights.Record {
	a := rec(1, "SEV1", "checkout", 1*h, 2*h, ev(incident.EventNote, 5*m), ev(incident.EventUpdate, 10*m), ev(incident.EventUpdate, 50*m))
	a.Incident.Actions = make([]incident.ActionItem, 2)
	a.Incident.PostmortemAt = a.Incident.ResolvedAt.Add(h)
	b := rec(2, "SEV2", "checkout", 3*d, 1*h, ev(incident.EventSeverityChanged, 1*m), ev(incident.EventUpdate, 30*m))
	b.Incident.Private = true
	c := rec(3, "SEV3", "search", 8*d, -1)
	c.Incident.Actions = make([]incident.ActionItem, 1)
	dd := rec(4, "SEV2", "checkout", 10*d, 4*h) // no update: the resolution acknowledges
	drill := rec(5, "SEV1", "checkout", 2*d, 5*m, ev(incident.EventUpdate, m))
	drill.Incident.Drill = true
	drill.Incident.Actions = make([]incident.ActionItem, 4)
	hh := rec(6, "SEV4", "", 13*d, -1, ev(incident.EventUpdate, h))
	f := rec(7, "SEV2", "checkout", -5*d, 3*h, ev(incident.EventUpdate, 20*m))
	g := rec(8, "SEV1", "search", -20*d, h)
	late := rec(9, "SEV1", "search", 14*d, h) // at the period's end: outside
	return []insights.Record{g, f, a, b, drill, c, dd, hh, late}
}

func TestCompute(t *testing.T) {
	sevs := []string{"SEV1", "SEV2", "SEV3", "SEV4"}
	q := insights.Query{To: t0.Add(14 * d), Length: 14 * d, Severities: sevs}
	tests := []struct {
		name string
		q    insights.Query
		recs []insights.Record
		want insights.Report
	}{{
		name: "all services",
		q:    q,
		recs: fixture(),
		want: insights.Report{
			Current: insights.Period{
				From: t0, To: t0.Add(14 * d), Incidents: 5, Private: 1, Open: 2, Resolved: 3,
				// 10m, 30m, 1h, 4h
				MTTA: insights.Summary{N: 4, Median: 45 * m, P90: 4 * h},
				// 1h, 2h, 4h
				MTTR:        insights.Summary{N: 3, Median: 2 * h, P90: 4 * h},
				ActionItems: 3, Postmortems: 1,
			},
			Previous: insights.Period{
				From: t0.Add(-14 * d), To: t0, Incidents: 1, Resolved: 1,
				MTTA: insights.Summary{N: 1, Median: 20 * m, P90: 20 * m},
				MTTR: insights.Summary{N: 1, Median: 3 * h, P90: 3 * h},
			},
			BySeverity: []insights.Count{{"SEV1", 1}, {"SEV2", 2}, {"SEV3", 1}, {"SEV4", 1}},
			ByService:  []insights.Count{{"checkout", 3}, {insights.NoService, 1}, {"search", 1}},
			Services: []insights.ServiceGap{
				{Service: insights.NoService, Last: t0.Add(13 * d), Since: d},
				{Service: "checkout", Last: t0.Add(10 * d), Since: 4 * d, MTBF: (10*d - h) / 2},
				{Service: "search", Last: t0.Add(8 * d), Since: 6 * d},
			},
			Weeks: []insights.WeekStats{
				{Start: t0, BySeverity: map[string]int{"SEV1": 1, "SEV2": 1}, MTTR: insights.Summary{N: 2, Median: 90 * m, P90: 2 * h}},
				{Start: t0.Add(7 * d), BySeverity: map[string]int{"SEV2": 1, "SEV3": 1, "SEV4": 1}, MTTR: insights.Summary{N: 1, Median: 4 * h, P90: 4 * h}},
			},
			Severities: sevs,
		},
	}, {
		name: "one service, any case",
		q:    insights.Query{To: q.To, Length: q.Length, Severities: sevs, Service: "Checkout"},
		recs: fixture(),
		want: insights.Report{
			Service: "Checkout",
			Current: insights.Period{
				From: t0, To: t0.Add(14 * d), Incidents: 3, Private: 1, Resolved: 3,
				MTTA:        insights.Summary{N: 3, Median: 30 * m, P90: 4 * h},
				MTTR:        insights.Summary{N: 3, Median: 2 * h, P90: 4 * h},
				ActionItems: 2, Postmortems: 1,
			},
			Previous: insights.Period{
				From: t0.Add(-14 * d), To: t0, Incidents: 1, Resolved: 1,
				MTTA: insights.Summary{N: 1, Median: 20 * m, P90: 20 * m},
				MTTR: insights.Summary{N: 1, Median: 3 * h, P90: 3 * h},
			},
			BySeverity: []insights.Count{{"SEV1", 1}, {"SEV2", 2}},
			ByService:  []insights.Count{{"checkout", 3}},
			Services:   []insights.ServiceGap{{Service: "checkout", Last: t0.Add(10 * d), Since: 4 * d, MTBF: (10*d - h) / 2}},
			Weeks: []insights.WeekStats{
				{Start: t0, BySeverity: map[string]int{"SEV1": 1, "SEV2": 1}, MTTR: insights.Summary{N: 2, Median: 90 * m, P90: 2 * h}},
				{Start: t0.Add(7 * d), BySeverity: map[string]int{"SEV2": 1}, MTTR: insights.Summary{N: 1, Median: 4 * h, P90: 4 * h}},
			},
			Severities: sevs,
		},
	}, {
		name: "drills only: nothing to count; a renamed severity follows the configured ones",
		q:    insights.Query{To: t0.Add(10 * d), Length: 10 * d, Severities: []string{"SEV1"}},
		recs: func() []insights.Record {
			r := rec(1, "P0", "checkout", d, h)
			r.Incident.Drill = true
			old := rec(2, "P0", "checkout", -3*d, -1)
			return []insights.Record{r, old}
		}(),
		want: insights.Report{
			Current:   insights.Period{From: t0, To: t0.Add(10 * d)},
			Previous:  insights.Period{From: t0.Add(-10 * d), To: t0, Incidents: 1, Open: 1},
			ByService: []insights.Count{},
			Services:  []insights.ServiceGap{},
			Weeks: []insights.WeekStats{
				{Start: t0, BySeverity: map[string]int{}},
				{Start: t0.Add(7 * d), BySeverity: map[string]int{}},
			},
			Severities: []string{"SEV1"},
		},
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := insights.Compute(tt.q, tt.recs)
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("Compute:\n got %+v\nwant %+v", got, tt.want)
			}
		})
	}
}

func TestSummarize(t *testing.T) {
	mins := func(ns ...int) []time.Duration {
		out := make([]time.Duration, len(ns))
		for i, n := range ns {
			out[i] = time.Duration(n) * m
		}
		return out
	}
	tests := []struct {
		in   []time.Duration
		want insights.Summary
	}{
		{nil, insights.Summary{}},
		{mins(7), insights.Summary{N: 1, Median: 7 * m, P90: 7 * m}},
		{mins(30, 10), insights.Summary{N: 2, Median: 20 * m, P90: 30 * m}},
		{mins(5, 1, 3), insights.Summary{N: 3, Median: 3 * m, P90: 5 * m}},
		// rank ceil(0.9*10) = 9: the 9th smallest
		{mins(10, 9, 8, 7, 6, 5, 4, 3, 2, 100), insights.Summary{N: 10, Median: 6*m + 30*time.Second, P90: 10 * m}},
		// rank ceil(0.9*11) = 10
		{mins(1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11), insights.Summary{N: 11, Median: 6 * m, P90: 10 * m}},
	}
	for _, tt := range tests {
		if got := insights.Summarize(tt.in); got != tt.want {
			t.Errorf("Summarize(%v) = %+v, want %+v", tt.in, got, tt.want)
		}
	}
}
