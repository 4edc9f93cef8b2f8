package main

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"image/png"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/incidentbot/incidentbot/incident"
	"github.com/incidentbot/incidentbot/insights"
	"github.com/incidentbot/incidentbot/store"
	"github.com/incidentbot/incidentbot/store/boltstore"
)

// statsStore writes, relative to now: in the last 7 days a checkout SEV1
// (update after 10m, resolved after 1h, postmortem), a private search SEV2
// still open, and a drill; 10 days ago a checkout SEV2 resolved after 3h.
func statsStore(t *testing.T, now time.Time) (cfgPath, dbPath string) {
	t.Helper()
	dir := t.TempDir()
	dbPath = filepath.Join(dir, "s.db")
	cfgPath = filepath.Join(dir, "config.yaml")
	if err := os.WriteFile(cfgPath, []byte("store:\n  path: "+dbPath+"\nservices:\n  - {name: checkout}\n  - {name: search}\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	st, err := boltstore.Open(dbPath, boltstore.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	add := func(title, sev, svc string, ago, update, resolve time.Duration, mut func(*incident.Incident)) {
		at := now.Add(-ago)
		err := st.Update(context.Background(), func(tx store.Tx) error {
			inc := &incident.Incident{Title: title, Severity: sev, Service: svc, Status: incident.Investigating, DeclaredBy: "U1", StartedAt: at, DeclaredAt: at}
			if mut != nil {
				mut(inc)
			}
			if err := tx.CreateIncident(inc); err != nil {
				return err
			}
			if _, err := tx.AppendEvent(inc.Number, incident.Event{At: at, Kind: incident.EventDeclared}); err != nil {
				return err
			}
			if update > 0 {
				if _, err := tx.AppendEvent(inc.Number, incident.Event{At: at.Add(update), Kind: incident.EventUpdate}); err != nil {
					return err
				}
			}
			if resolve > 0 {
				inc.Status, inc.ResolvedAt = incident.Resolved, at.Add(resolve)
				if _, err := tx.AppendEvent(inc.Number, incident.Event{At: inc.ResolvedAt, Kind: incident.EventResolved}); err != nil {
					return err
				}
			}
			return tx.PutIncident(inc)
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	day := 24 * time.Hour
	add("old checkout outage", "SEV2", "checkout", 10*day, 0, 3*time.Hour, nil)
	add("cart broken", "SEV1", "checkout", 3*day, 10*time.Minute, time.Hour, func(i *incident.Incident) { i.PostmortemAt = now })
	add("practice", "SEV1", "checkout", 2*day, time.Minute, 2*time.Minute, func(i *incident.Incident) { i.Drill = true })
	add("payroll leak", "SEV2", "search", day, 0, 0, func(i *incident.Incident) { i.Private = true })
	return cfgPath, dbPath
}

func runStats(t *testing.T, now time.Time, args ...string) (int, string, string) {
	t.Helper()
	var out, errOut bytes.Buffer
	code := statsCmd(context.Background(), args, nil, &out, &errOut, now)
	return code, out.String(), errOut.String()
}

func TestStatsCommand(t *testing.T) {
	now := time.Date(2026, 2, 9, 9, 0, 0, 0, time.UTC)
	cfg, _ := statsStore(t, now)
	chartFile := filepath.Join(t.TempDir(), "chart.png")

	code, out, errOut := runStats(t, now, "--config", cfg, "--since", "7d", "--format", "json", "--chart", chartFile)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	var rep insights.Report
	if err := json.Unmarshal([]byte(out), &rep); err != nil {
		t.Fatalf("json: %v\n%s", err, out)
	}
	c, p := rep.Current, rep.Previous
	if c.Incidents != 2 || c.Private != 1 || c.Open != 1 || c.Resolved != 1 || c.Postmortems != 1 ||
		c.MTTA != (insights.Summary{N: 1, Median: 10 * time.Minute, P90: 10 * time.Minute}) ||
		c.MTTR != (insights.Summary{N: 1, Median: time.Hour, P90: time.Hour}) {
		t.Errorf("this week = %+v", c)
	}
	if p.Incidents != 1 || p.MTTR.Median != 3*time.Hour || p.MTTA.Median != 3*time.Hour {
		t.Errorf("the week before = %+v", p)
	}
	if strings.Contains(out, "payroll") || strings.Contains(out, "practice") {
		t.Errorf("the report names an incident:\n%s", out)
	}
	raw, err := os.ReadFile(chartFile)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := png.Decode(bytes.NewReader(raw)); err != nil || len(raw) < 10_000 {
		t.Errorf("--chart wrote %d bytes, decode: %v", len(raw), err)
	}

	code, out, errOut = runStats(t, now, "--config", cfg, "--since", "7d", "--service", "CHECKOUT")
	if code != 0 {
		t.Fatalf("table exit %d: %s", code, errOut)
	}
	for _, want := range []string{
		"Incidents declared 2026-02-02 09:00 to 2026-02-09 09:00 UTC (7d), service checkout; drills are not counted.",
		"incidents      1             1",
		"mttr_median    1h 0m         3h 0m",
		"severity   incidents\nSEV1       1\n",
		"checkout   1           2026-02-06 09:00   3d 0h 0m   -",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("table lacks %q:\n%s", want, out)
		}
	}

	code, out, errOut = runStats(t, now, "--config", cfg, "--since", "14d", "--format", "csv")
	if code != 0 {
		t.Fatalf("csv exit %d: %s", code, errOut)
	}
	rows, err := csv.NewReader(strings.NewReader(out)).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	got := map[string][]string{}
	for _, r := range rows {
		got[r[0]+"/"+r[1]] = r[2:]
	}
	for key, want := range map[string]string{
		"figure/incidents":          "3",
		"figure/mttr_median":        "7200", // 1h and 3h
		"figure/mtta_p90":           "10800",
		"severity/SEV2":             "2",
		"service/checkout":          "2",
		"mtbf_seconds/checkout":     "604800", // 7 days apart
		"since_last_seconds/search": "86400",
	} {
		if v := got[key]; len(v) == 0 || v[0] != want {
			t.Errorf("csv %s = %v, want %s\n%s", key, v, want, out)
		}
	}
}

func TestStatsCommandErrors(t *testing.T) {
	now := time.Date(2026, 2, 9, 9, 0, 0, 0, time.UTC)
	cfg, db := statsStore(t, now)
	tests := []struct {
		args []string
		code int
		want string
	}{
		{[]string{"--since", "fortnight"}, 2, `--since: "fortnight" is not a period`},
		{[]string{"--format", "xml"}, 2, `--format "xml" is not a format; use table, json or csv`},
		{[]string{"--service", "billing"}, 2, `--service: "billing" is not a service; use one of checkout, search`},
		{[]string{"extra"}, 2, `unexpected "extra"`},
		{[]string{"--chart", filepath.Join(t.TempDir(), "no", "such", "dir.png")}, 1, "--chart:"},
	}
	for _, tt := range tests {
		code, _, errOut := runStats(t, now, append([]string{"--config", cfg}, tt.args...)...)
		if code != tt.code || !strings.Contains(errOut, tt.want) || strings.Count(strings.TrimSpace(errOut), "\n") > 1 {
			t.Errorf("stats %v: exit %d, %q; want %d and %q", tt.args, code, errOut, tt.code, tt.want)
		}
	}
	// While the bot holds the store: a clear line, within the lock timeout.
	st, err := boltstore.Open(db, boltstore.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	start := time.Now()
	code, _, errOut := runStats(t, now, "--config", cfg)
	if code != 1 || !strings.Contains(errOut, "type `/incident stats 30d` in Slack instead") || time.Since(start) > 5*time.Second {
		t.Errorf("locked store: exit %d after %s: %q", code, time.Since(start), errOut)
	}
}
