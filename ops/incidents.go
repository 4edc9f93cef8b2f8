package ops

import (
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promauto"

	"github.com/incidentbot/incidentbot/incident"
)

// Incident metrics carry the severity and nothing else: no titles, people
// or channels. Drills are left out.
//
// The counters and histograms count what this process saw commit, from
// zero at start-up (Prometheus' rate() and increase() handle the reset);
// the gauges are read from the store's open incidents at each scrape, so
// they are right from the first scrape after a restart.

// Buckets of the incident durations: from a minute to two days.
var incidentBuckets = []float64{60, 300, 600, 900, 1800, 3600, 2 * 3600, 4 * 3600, 8 * 3600, 12 * 3600, 24 * 3600, 48 * 3600}

// IncidentMetrics counts incident lifecycle events as they commit.
type IncidentMetrics struct {
	declared, resolved, reminders, postmortems *prometheus.CounterVec
	toResolve, toFirstUpdate                   *prometheus.HistogramVec
}

// NewIncidentMetrics creates the incident counters and histograms and
// registers them with reg (nil: unregistered).
func NewIncidentMetrics(reg prometheus.Registerer) *IncidentMetrics {
	f := promauto.With(reg)
	const ns = "incidentbot"
	sev := []string{"severity"}
	return &IncidentMetrics{
		declared: f.NewCounterVec(prometheus.CounterOpts{
			Namespace: ns, Name: "incidents_declared_total",
			Help: "Incidents declared (drills left out), by severity at declaration.",
		}, sev),
		resolved: f.NewCounterVec(prometheus.CounterOpts{
			Namespace: ns, Name: "incidents_resolved_total",
			Help: "Incidents resolved (drills left out), by severity at resolution.",
		}, sev),
		reminders: f.NewCounterVec(prometheus.CounterOpts{
			Namespace: ns, Name: "status_update_reminders_total",
			Help: "Status-update reminders sent because an open incident went quiet, by severity.",
		}, sev),
		postmortems: f.NewCounterVec(prometheus.CounterOpts{
			Namespace: ns, Name: "postmortems_drafted_total",
			Help: "Postmortem drafts requested, by severity.",
		}, sev),
		toResolve: f.NewHistogramVec(prometheus.HistogramOpts{
			Namespace: ns, Name: "incident_time_to_resolve_seconds",
			Help:    "Time from declaration to resolution, by severity at resolution.",
			Buckets: incidentBuckets,
		}, sev),
		toFirstUpdate: f.NewHistogramVec(prometheus.HistogramOpts{
			Namespace: ns, Name: "incident_time_to_first_update_seconds",
			Help:    "Time from declaration to the first status update (or the resolution, when it came first), by severity.",
			Buckets: incidentBuckets,
		}, sev),
	}
}

// Observe counts what changed between before (nil for a new incident)
// and after; wire it to boltstore.Options.OnIncident.
func (m *IncidentMetrics) Observe(before, after *incident.Incident) {
	if m == nil || after == nil || after.Drill {
		return
	}
	sev := after.Severity
	if before == nil {
		m.declared.WithLabelValues(sev).Inc()
		return
	}
	if before.LastUpdateAt.IsZero() && !after.LastUpdateAt.IsZero() {
		m.toFirstUpdate.WithLabelValues(sev).Observe(seconds(after.LastUpdateAt.Sub(after.DeclaredAt)))
	}
	if before.Open() && !after.Open() {
		m.resolved.WithLabelValues(sev).Inc()
		m.toResolve.WithLabelValues(sev).Observe(seconds(after.ResolvedAt.Sub(after.DeclaredAt)))
	}
	if after.MissedUpdates > before.MissedUpdates {
		m.reminders.WithLabelValues(sev).Add(float64(after.MissedUpdates - before.MissedUpdates))
	}
	if after.PostmortemAt.After(before.PostmortemAt) {
		m.postmortems.WithLabelValues(sev).Inc()
	}
}

func seconds(d time.Duration) float64 { return max(d, 0).Seconds() }

// OpenIncidents reads the unresolved incidents, for the gauges.
type OpenIncidents func() ([]*incident.Incident, error)

// incidentGauges computes the open-incident gauges at scrape time.
type incidentGauges struct {
	open       OpenIncidents
	severities []string
	now        func() time.Time
	openDesc   *prometheus.Desc
	overdue    *prometheus.Desc
}

// NewIncidentGauges returns a collector of the open incidents by severity
// and of those whose status update is overdue: a reminder went unanswered,
// or the promised next update time has passed. Every configured severity
// is reported, at 0 when it has none.
func NewIncidentGauges(open OpenIncidents, severities []string, now func() time.Time) prometheus.Collector {
	const ns = "incidentbot"
	sev := []string{"severity"}
	return &incidentGauges{
		open: open, severities: severities, now: now,
		openDesc: prometheus.NewDesc(ns+"_incidents_open", "Open incidents (drills left out), by severity.", sev, nil),
		overdue:  prometheus.NewDesc(ns+"_status_updates_overdue", "Open incidents whose status update is overdue (a reminder went unanswered or the promised time passed), by severity.", sev, nil),
	}
}

func (g *incidentGauges) Describe(ch chan<- *prometheus.Desc) {
	ch <- g.openDesc
	ch <- g.overdue
}

func (g *incidentGauges) Collect(ch chan<- prometheus.Metric) {
	incs, err := g.open()
	if err != nil {
		ch <- prometheus.NewInvalidMetric(g.openDesc, err)
		return
	}
	open, overdue := map[string]int{}, map[string]int{}
	for _, s := range g.severities {
		open[s], overdue[s] = 0, 0
	}
	now := g.now()
	for _, inc := range incs {
		if inc.Drill || !inc.Open() {
			continue
		}
		open[inc.Severity]++
		if inc.MissedUpdates > 0 || (!inc.NextUpdateAt.IsZero() && inc.NextUpdateAt.Before(now)) {
			overdue[inc.Severity]++
		}
	}
	for s, n := range open {
		ch <- prometheus.MustNewConstMetric(g.openDesc, prometheus.GaugeValue, float64(n), s)
		ch <- prometheus.MustNewConstMetric(g.overdue, prometheus.GaugeValue, float64(overdue[s]), s)
	}
}
