// Package insights turns incidents and their timelines into statistics:
// how many incidents, of which severity and service, how fast they were
// acknowledged and resolved, against the period before. It is pure
// computation: the caller reads the store and renders the result.
//
// Drills are left out of everything. Private incidents are counted like
// any other, and a Report names no incident at all, so it may be shown to
// anyone.
package insights

import (
	"math"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/incidentbot/incidentbot/incident"
)

// Week is the width of a chart bucket.
const Week = 7 * 24 * time.Hour

// Record is one incident with its timeline (Seq order).
type Record struct {
	Incident *incident.Incident
	Events   []incident.Event
}

// Query says which incidents a report covers: those declared in
// [To−Length, To), of Service when it is not "" (ignoring case).
// Severities is the configured order, most severe first; severities not
// in it (renamed since) follow in name order.
type Query struct {
	To         time.Time
	Length     time.Duration
	Service    string
	Severities []string
}

// From is the start of the period.
func (q Query) From() time.Time { return q.To.Add(-q.Length) }

// PreviousFrom is the start of the period before, of the same length: the
// reader must supply the incidents declared since then.
func (q Query) PreviousFrom() time.Time { return q.To.Add(-2 * q.Length) }

// Summary describes a set of durations.
type Summary struct {
	N      int           `json:"n"`
	Median time.Duration `json:"median_ns"`
	P90    time.Duration `json:"p90_ns"`
}

// Count is how many incidents carry one label (a severity, a service).
type Count struct {
	Name  string `json:"name"`
	Count int    `json:"count"`
}

// ServiceGap is how long since a service's last incident and, when it had
// several in the period, the mean time between their declarations.
type ServiceGap struct {
	Service string        `json:"service"`
	Last    time.Time     `json:"last"`
	Since   time.Duration `json:"since_ns"`
	// MTBF is zero when the service had one incident in the period.
	MTBF time.Duration `json:"mtbf_ns,omitempty"`
}

// WeekStats is one chart bucket: [Start, Start+Week), cut at the period's
// end.
type WeekStats struct {
	Start      time.Time      `json:"start"`
	BySeverity map[string]int `json:"by_severity"`
	// MTTR is the median time to resolve of the bucket's resolved
	// incidents; N = 0 when none was resolved.
	MTTR Summary `json:"mttr"`
}

// Period is what one period's incidents add up to.
type Period struct {
	From      time.Time `json:"from"`
	To        time.Time `json:"to"`
	Incidents int       `json:"incidents"`
	Private   int       `json:"private"`
	Open      int       `json:"open"`
	Resolved  int       `json:"resolved"`
	// MTTA runs from the declaration to the first status update (a
	// resolution counts as one); MTTR from the declaration to the
	// resolution.
	MTTA Summary `json:"mtta"`
	MTTR Summary `json:"mttr"`
	// ActionItems counts the action items recorded on the period's
	// incidents: an item has no "done" state, so every one is still open.
	ActionItems int `json:"action_items"`
	// Postmortems counts the resolved incidents with a drafted postmortem.
	Postmortems int `json:"postmortems"`
}

// Report is the statistics of one period, with the previous period of the
// same length for the trend.
type Report struct {
	Service    string       `json:"service,omitempty"`
	Current    Period       `json:"current"`
	Previous   Period       `json:"previous"`
	BySeverity []Count      `json:"by_severity"`
	ByService  []Count      `json:"by_service"`
	Services   []ServiceGap `json:"services"`
	Weeks      []WeekStats  `json:"weeks"`
	// Severities lists every severity the weeks use, in order.
	Severities []string `json:"severities"`
}

// Compute builds the report for q from recs, which may hold more than the
// two periods: whatever falls outside them, drills and other services are
// ignored.
func Compute(q Query, recs []Record) Report {
	from, prevFrom := q.From(), q.PreviousFrom()
	var cur, prev []Record
	for _, r := range recs {
		inc := r.Incident
		if inc == nil || inc.Drill || !matchService(q.Service, inc.Service) {
			continue
		}
		switch at := inc.DeclaredAt; {
		case !at.Before(from) && at.Before(q.To):
			cur = append(cur, r)
		case !at.Before(prevFrom) && at.Before(from):
			prev = append(prev, r)
		}
	}
	byDeclared := func(a, b Record) int { return a.Incident.DeclaredAt.Compare(b.Incident.DeclaredAt) }
	slices.SortStableFunc(cur, byDeclared)
	slices.SortStableFunc(prev, byDeclared)

	rep := Report{
		Service:  q.Service,
		Current:  period(from, q.To, cur),
		Previous: period(prevFrom, from, prev),
	}
	sevs := map[string]int{}
	svcs := map[string]int{}
	for _, r := range cur {
		sevs[r.Incident.Severity]++
		svcs[serviceName(r.Incident.Service)]++
	}
	rep.Severities = severityOrder(q.Severities, sevs)
	for _, s := range rep.Severities {
		if sevs[s] > 0 {
			rep.BySeverity = append(rep.BySeverity, Count{Name: s, Count: sevs[s]})
		}
	}
	rep.ByService = counts(svcs)
	rep.Services = gaps(q.To, cur)
	rep.Weeks = weeks(from, q.To, cur)
	return rep
}

// NoService labels incidents declared without a service.
const NoService = "(no service)"

func serviceName(s string) string {
	if s == "" {
		return NoService
	}
	return s
}

func matchService(want, got string) bool {
	return want == "" || strings.EqualFold(want, got)
}

func period(from, to time.Time, recs []Record) Period {
	p := Period{From: from, To: to, Incidents: len(recs)}
	var tta, ttr []time.Duration
	for _, r := range recs {
		inc := r.Incident
		if inc.Private {
			p.Private++
		}
		p.ActionItems += len(inc.Actions)
		if d, ok := timeToAcknowledge(r); ok {
			tta = append(tta, d)
		}
		if inc.Open() {
			p.Open++
			continue
		}
		p.Resolved++
		ttr = append(ttr, ResolveTime(inc))
		if !inc.PostmortemAt.IsZero() {
			p.Postmortems++
		}
	}
	p.MTTA, p.MTTR = Summarize(tta), Summarize(ttr)
	return p
}

// ResolveTime is how long a resolved incident took from declaration to
// resolution (never negative).
func ResolveTime(inc *incident.Incident) time.Duration {
	return max(inc.ResolvedAt.Sub(inc.DeclaredAt), 0)
}

// timeToAcknowledge is the time from the declaration to the first status
// update or, failing one, the resolution; false when there was neither.
func timeToAcknowledge(r Record) (time.Duration, bool) {
	for _, ev := range r.Events {
		if ev.Kind == incident.EventUpdate || ev.Kind == incident.EventResolved {
			return max(ev.At.Sub(r.Incident.DeclaredAt), 0), true
		}
	}
	return 0, false
}

// Summarize returns the count, median and 90th percentile of ds. The
// median of an even count is the mean of the two middle values; the p90
// is the nearest rank (the smallest value at least 90% of ds do not
// exceed), so it is always one of the values.
func Summarize(ds []time.Duration) Summary {
	if len(ds) == 0 {
		return Summary{}
	}
	s := slices.Clone(ds)
	slices.Sort(s)
	n := len(s)
	med := s[n/2]
	if n%2 == 0 {
		med = (s[n/2-1] + s[n/2]) / 2
	}
	rank := int(math.Ceil(0.9 * float64(n)))
	return Summary{N: n, Median: med, P90: s[rank-1]}
}

func severityOrder(configured []string, seen map[string]int) []string {
	out := slices.Clone(configured)
	var extra []string
	for s := range seen {
		if !slices.Contains(configured, s) {
			extra = append(extra, s)
		}
	}
	sort.Strings(extra)
	return append(out, extra...)
}

// counts orders labels by count, most first, then by name.
func counts(m map[string]int) []Count {
	out := make([]Count, 0, len(m))
	for k, v := range m {
		out = append(out, Count{Name: k, Count: v})
	}
	slices.SortFunc(out, func(a, b Count) int {
		if a.Count != b.Count {
			return b.Count - a.Count
		}
		return strings.Compare(a.Name, b.Name)
	})
	return out
}

// gaps lists, per service, the time since its last incident and the mean
// time between its incidents; recs are in declaration order. Services are
// ordered by most recent incident first.
func gaps(now time.Time, recs []Record) []ServiceGap {
	type span struct {
		first, last time.Time
		n           int
	}
	by := map[string]*span{}
	for _, r := range recs {
		name, at := serviceName(r.Incident.Service), r.Incident.DeclaredAt
		s := by[name]
		if s == nil {
			s = &span{first: at}
			by[name] = s
		}
		s.last, s.n = at, s.n+1
	}
	out := make([]ServiceGap, 0, len(by))
	for name, s := range by {
		g := ServiceGap{Service: name, Last: s.last, Since: max(now.Sub(s.last), 0)}
		if s.n > 1 {
			g.MTBF = s.last.Sub(s.first) / time.Duration(s.n-1)
		}
		out = append(out, g)
	}
	slices.SortFunc(out, func(a, b ServiceGap) int {
		if c := b.Last.Compare(a.Last); c != 0 {
			return c
		}
		return strings.Compare(a.Service, b.Service)
	})
	return out
}

// weeks buckets the period from its start in 7-day steps; the last bucket
// is cut at the period's end.
func weeks(from, to time.Time, recs []Record) []WeekStats {
	var out []WeekStats
	for start := from; start.Before(to); start = start.Add(Week) {
		out = append(out, WeekStats{Start: start, BySeverity: map[string]int{}})
	}
	ttr := make([][]time.Duration, len(out))
	for _, r := range recs {
		i := int(r.Incident.DeclaredAt.Sub(from) / Week)
		if i < 0 || i >= len(out) {
			continue
		}
		out[i].BySeverity[r.Incident.Severity]++
		if !r.Incident.Open() {
			ttr[i] = append(ttr[i], ResolveTime(r.Incident))
		}
	}
	for i := range out {
		out[i].MTTR = Summarize(ttr[i])
	}
	return out
}
