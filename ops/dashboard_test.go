package ops

import (
	"encoding/json"
	"os"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/incidentbot/incidentbot/incident"
)

// recorder is a Registerer that keeps what is registered, so the test can
// list every metric name the bot exposes, observed or not.
type recorder struct{ cs []prometheus.Collector }

func (r *recorder) Register(c prometheus.Collector) error   { r.cs = append(r.cs, c); return nil }
func (r *recorder) MustRegister(cs ...prometheus.Collector) { r.cs = append(r.cs, cs...) }
func (r *recorder) Unregister(prometheus.Collector) bool    { return false }

var fqName = regexp.MustCompile(`fqName: "([a-z_:]+)"`)

// exposed lists the metric names /metrics can show, histograms with their
// _bucket, _sum and _count series.
func exposed(t *testing.T) map[string]bool {
	rec := &recorder{}
	NewMetrics(rec)
	NewIncidentMetrics(rec)
	rec.MustRegister(NewIncidentGauges(func() ([]*incident.Incident, error) { return nil, nil }, nil, time.Now))
	names := map[string]bool{}
	for _, c := range rec.cs {
		ch := make(chan *prometheus.Desc, 16)
		go func() { c.Describe(ch); close(ch) }()
		for d := range ch {
			m := fqName.FindStringSubmatch(d.String())
			if m == nil {
				t.Fatalf("no name in %s", d)
			}
			names[m[1]] = true
			for _, s := range []string{"_bucket", "_sum", "_count"} {
				names[m[1]+s] = true
			}
		}
	}
	return names
}

// docs/grafana-dashboard.json is a dashboard Grafana can import, and every
// incidentbot metric it queries is one the bot exposes.
func TestGrafanaDashboard(t *testing.T) {
	raw, err := os.ReadFile("../docs/grafana-dashboard.json")
	if err != nil {
		t.Fatal(err)
	}
	var dash struct {
		Title  string `json:"title"`
		UID    string `json:"uid"`
		Schema int    `json:"schemaVersion"`
		Panels []struct {
			Title   string             `json:"title"`
			Type    string             `json:"type"`
			GridPos struct{ H, W int } `json:"gridPos"`
			Targets []struct {
				Expr  string `json:"expr"`
				RefID string `json:"refId"`
			} `json:"targets"`
		} `json:"panels"`
	}
	if err := json.Unmarshal(raw, &dash); err != nil {
		t.Fatalf("not JSON: %v", err)
	}
	if dash.Title == "" || dash.UID == "" || dash.Schema == 0 || len(dash.Panels) == 0 {
		t.Fatalf("not a dashboard: title %q uid %q schema %d, %d panels", dash.Title, dash.UID, dash.Schema, len(dash.Panels))
	}
	names := exposed(t)
	metric := regexp.MustCompile(`incidentbot_[a-z_]+`)
	used := map[string]bool{}
	for _, p := range dash.Panels {
		if p.Title == "" || p.Type == "" || p.GridPos.W == 0 || p.GridPos.H == 0 || len(p.Targets) == 0 {
			t.Errorf("panel %q is incomplete", p.Title)
		}
		for _, tg := range p.Targets {
			if tg.RefID == "" || strings.Count(tg.Expr, "(") != strings.Count(tg.Expr, ")") {
				t.Errorf("panel %q: target %q", p.Title, tg.Expr)
			}
			for _, m := range metric.FindAllString(tg.Expr, -1) {
				used[m] = true
				if !names[m] {
					t.Errorf("panel %q queries %s, which the bot does not expose", p.Title, m)
				}
			}
		}
	}
	for _, want := range []string{
		"incidentbot_incidents_open", "incidentbot_status_updates_overdue", "incidentbot_incidents_declared_total",
		"incidentbot_incidents_resolved_total", "incidentbot_incident_time_to_resolve_seconds_bucket",
		"incidentbot_incident_time_to_first_update_seconds_bucket", "incidentbot_status_update_reminders_total",
		"incidentbot_postmortems_drafted_total",
	} {
		if !used[want] {
			t.Errorf("the dashboard does not show %s", want)
		}
	}
}
