package commands_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/incidentbot/incidentbot/commands"
	"github.com/incidentbot/incidentbot/incident"
	"github.com/incidentbot/incidentbot/internal/clock"
	"github.com/incidentbot/incidentbot/store"
)

var alertT0 = time.Date(2026, 11, 26, 2, 0, 0, 0, time.UTC)

func alertService(t *testing.T, p commands.AlertPolicy) (*commands.Service, *clock.Fake) {
	t.Helper()
	s := newService(t)
	if p.SeverityLabel == "" {
		p.SeverityLabel, p.ServiceLabel = "severity", "service"
		p.Severities = map[string]string{"critical": "SEV1", "warning": "SEV3"}
	}
	s.Alerts = p
	return s, s.Clock.(*clock.Fake)
}

// alert is one alert of group g; fp is its fingerprint.
func alert(fp, status string, starts time.Time, labels ...string) commands.Alert {
	l := map[string]string{"alertname": "HighLatency", "severity": "critical", "service": "checkout"}
	for i := 0; i+1 < len(labels); i += 2 {
		l[labels[i]] = labels[i+1]
	}
	return commands.Alert{Status: status, Labels: l, Annotations: map[string]string{}, StartsAt: starts, Fingerprint: fp, GeneratorURL: "http://prom/graph?" + fp}
}

func notification(key string, alerts ...commands.Alert) commands.AlertNotification {
	status := "resolved"
	for _, a := range alerts {
		if a.Status == "firing" {
			status = "firing"
		}
	}
	return commands.AlertNotification{
		GroupKey: key, Status: status, Receiver: "incidentbot",
		CommonLabels:      map[string]string{"alertname": "HighLatency", "severity": "critical", "service": "checkout"},
		CommonAnnotations: map[string]string{"summary": "Checkout p99 above 2s", "description": "p99 latency is 3.1s"},
		ExternalURL:       "http://alertmanager:9093",
		Alerts:            alerts,
	}
}

func receive(t *testing.T, s *commands.Service, n commands.AlertNotification) commands.AlertOutcome {
	t.Helper()
	out, err := s.ReceiveAlerts(context.Background(), n)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func alertNotes(t *testing.T, s *commands.Service, n uint64) []string {
	t.Helper()
	var out []string
	err := s.Store.View(func(tx store.Tx) error {
		evs, err := tx.Events(n)
		for _, e := range evs {
			if e.Kind == incident.EventNote {
				out = append(out, e.Text)
			}
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// A group is one incident: its first notification declares, a resend adds
// nothing, a new alert and a resolved one are timeline events, and the
// whole group resolving offers Resolve once.
func TestAlertGroupIsOneIncident(t *testing.T) {
	s, _ := alertService(t, commands.AlertPolicy{DefaultMode: commands.AlertDeclare, MaxDeclaredPerMinute: 5})
	a1 := alert("fp1", "firing", alertT0, "instance", "web-1")
	first := notification("{}:{alertname=\"HighLatency\"}", a1)
	out := receive(t, s, first)
	if out.Action != commands.AlertDeclared || out.Incident == nil {
		t.Fatalf("first notification: %+v", out)
	}
	inc := out.Incident
	if inc.Title != "Checkout p99 above 2s" || inc.Severity != "SEV1" || inc.Service != "checkout" || inc.DeclaredBy != commands.DeclaredByAlertmanager {
		t.Fatalf("incident %+v", inc)
	}
	if inc.Holder(incident.RoleCommander) != "" || !strings.Contains(inc.Summary, "p99 latency is 3.1s") {
		t.Fatalf("commander %q, summary %q", inc.Holder(incident.RoleCommander), inc.Summary)
	}
	if got := alertNotes(t, s, 1); len(got) != 1 || got[0] != "Alert firing: HighLatency instance=web-1" {
		t.Fatalf("notes %q", got)
	}

	if out := receive(t, s, first); out.Action != commands.AlertUnchanged || out.Incident.Number != 1 {
		t.Fatalf("resend: %+v", out)
	}
	a2 := alert("fp2", "firing", alertT0.Add(time.Minute), "instance", "web-2")
	out = receive(t, s, notification(first.GroupKey, a1, a2))
	if out.Action != commands.AlertUpdated || out.Events != 1 {
		t.Fatalf("second alert: %+v", out)
	}
	a1r := a1
	a1r.Status = "resolved"
	receive(t, s, notification(first.GroupKey, a1r, a2))
	receive(t, s, notification(first.GroupKey, a1r, a2)) // resent
	a2r := a2
	a2r.Status = "resolved"
	out = receive(t, s, notification(first.GroupKey, a1r, a2r))
	if out.Action != commands.AlertUpdated {
		t.Fatalf("group resolved: %+v", out)
	}
	if out := receive(t, s, notification(first.GroupKey, a1r, a2r)); out.Action != commands.AlertUnchanged {
		t.Fatalf("resolved resent: %+v", out)
	}
	want := []string{"Alert firing: HighLatency instance=web-1", "Alert firing: HighLatency instance=web-2", "Alert resolved: HighLatency instance=web-1", "Alert resolved: HighLatency instance=web-2"}
	if got := alertNotes(t, s, 1); !equal(got, want) {
		t.Fatalf("notes\n got %q\nwant %q", got, want)
	}
	offers, firings := 0, 0
	for _, k := range jobKinds(t, s.Store) {
		switch k {
		case commands.JobOfferResolve:
			offers++
		case commands.JobAlertsFiring:
			firings++
		}
	}
	if offers != 1 || firings != 1 {
		t.Fatalf("%d resolve offers and %d firing posts, want 1 and 1: %v", offers, firings, jobKinds(t, s.Store))
	}
	if n := countIncidents(t, s); n != 1 {
		t.Fatalf("%d incidents", n)
	}
}

// Alertmanager leaves alerts out of a notification beyond its receiver's
// max_alerts (truncatedAlerts), but the group's status still counts them:
// every listed alert resolved in a group still "firing" is not the whole
// group resolving, and offers no Resolve until the group's status says so.
func TestTruncatedGroupIsNotResolvedEarly(t *testing.T) {
	s, _ := alertService(t, commands.AlertPolicy{DefaultMode: commands.AlertDeclare, MaxDeclaredPerMinute: 5})
	a1 := alert("fp1", "firing", alertT0, "instance", "web-1")
	key := "{}:{alertname=\"HighLatency\"}"
	receive(t, s, notification(key, a1))
	a1.Status = "resolved"
	listed := notification(key, a1)
	listed.Status = "firing" // web-2 fires, beyond max_alerts
	if out := receive(t, s, listed); out.Action != commands.AlertUpdated || out.Events != 1 {
		t.Fatalf("web-1 resolved while the group fires: %+v", out)
	}
	for _, k := range jobKinds(t, s.Store) {
		if k == commands.JobOfferResolve {
			t.Fatal("Resolve offered while the group's status is firing")
		}
	}
	if out := receive(t, s, notification(key, a1)); out.Action != commands.AlertUpdated || out.Events != 1 {
		t.Fatalf("the group resolved: %+v, want the offer", out)
	}
	offers := 0
	for _, k := range jobKinds(t, s.Store) {
		if k == commands.JobOfferResolve {
			offers++
		}
	}
	if offers != 1 {
		t.Fatalf("%d resolve offers once the group resolved", offers)
	}
}

func countIncidents(t *testing.T, s *commands.Service) int {
	t.Helper()
	all, err := s.AllIncidents(false, 0)
	if err != nil {
		t.Fatal(err)
	}
	return len(all)
}

// A group whose incident was resolved by hand and then fires again (a new
// startsAt) is a new incident; the same alert resent is not.
func TestAlertGroupFiringAgainAfterResolutionIsANewIncident(t *testing.T) {
	s, _ := alertService(t, commands.AlertPolicy{DefaultMode: commands.AlertDeclare, MaxDeclaredPerMinute: 5})
	a := alert("fp1", "firing", alertT0)
	receive(t, s, notification("g", a))
	inc, _ := s.IncidentByNumber(1)
	if _, err := s.Resolve(context.Background(), commands.ResolveInput{Channel: setChannel(t, s, inc), By: "UBOB"}); err != nil {
		t.Fatal(err)
	}
	if out := receive(t, s, notification("g", a)); out.Action != commands.AlertUnchanged {
		t.Fatalf("still firing after resolve: %+v", out)
	}
	if out := receive(t, s, notification("g", alert("fp1", "firing", alertT0.Add(time.Hour)))); out.Action != commands.AlertDeclared || out.Incident.Number != 2 {
		t.Fatalf("fired again: %+v", out)
	}
}

// setChannel gives inc a channel, as the outbox would.
func setChannel(t *testing.T, s *commands.Service, inc *incident.Incident) string {
	t.Helper()
	err := s.Store.Update(context.Background(), func(tx store.Tx) error {
		cur, err := tx.Incident(inc.Number)
		if err != nil {
			return err
		}
		cur.ChannelID = "CINC" + inc.ID()[4:]
		return tx.PutIncident(cur)
	})
	if err != nil {
		t.Fatal(err)
	}
	return "CINC" + inc.ID()[4:]
}

// Rules pick the mode, first match first; past max_declared_per_minute
// groups are suggested, and a minute later declared again.
func TestAlertRulesAndRateLimit(t *testing.T) {
	s, clk := alertService(t, commands.AlertPolicy{
		DefaultMode: commands.AlertIgnore, TriageChannel: "CTRIAGE", MaxDeclaredPerMinute: 2,
		Rules: []commands.AlertRule{
			{Match: map[string]string{"severity": "warning"}, Mode: commands.AlertSuggest},
			{Match: map[string]string{"Severity": "critical"}, Mode: commands.AlertDeclare},
		},
	})
	warn := notification("w", alert("fpw", "firing", alertT0, "severity", "warning"))
	warn.CommonLabels["severity"] = "warning"
	if out := receive(t, s, warn); out.Action != commands.AlertSuggested {
		t.Fatalf("warning: %+v", out)
	}
	info := notification("i", alert("fpi", "firing", alertT0))
	info.CommonLabels["severity"] = "info"
	if out := receive(t, s, info); out.Action != commands.AlertIgnored {
		t.Fatalf("info: %+v", out)
	}
	var actions []string
	for _, k := range []string{"c1", "c2", "c3", "c4"} {
		actions = append(actions, receive(t, s, notification(k, alert("fp"+k, "firing", alertT0))).Action)
	}
	if want := []string{"declared", "declared", "suggested", "suggested"}; !equal(actions, want) {
		t.Fatalf("storm: %v, want %v", actions, want)
	}
	clk.Advance(61 * time.Second)
	if out := receive(t, s, notification("c5", alert("fpc5", "firing", alertT0))); out.Action != commands.AlertDeclared {
		t.Fatalf("a minute later: %+v", out)
	}
}

// The Declare button declares a suggestion once, however many clicks.
func TestDeclareSuggestionOnce(t *testing.T) {
	s, _ := alertService(t, commands.AlertPolicy{DefaultMode: commands.AlertSuggest, TriageChannel: "CTRIAGE", MaxDeclaredPerMinute: 5})
	receive(t, s, notification("g", alert("fp1", "firing", alertT0)))
	var id string
	_ = s.Store.View(func(tx store.Tx) error {
		g, _, err := tx.AlertGroup("g")
		id = g.ID
		return err
	})
	first, err := s.DeclareSuggestion(context.Background(), commands.DeclareSuggestionInput{Group: id, By: "UALICE", Channel: "CTRIAGE", TS: "1.2"})
	if err != nil || first.Duplicate || first.Incident.Holder(incident.RoleCommander) != "UALICE" || first.Incident.Severity != "SEV1" {
		t.Fatalf("first click: %+v, %v", first, err)
	}
	second, err := s.DeclareSuggestion(context.Background(), commands.DeclareSuggestionInput{Group: id, By: "UBOB", Channel: "CTRIAGE", TS: "1.2"})
	if err != nil || !second.Duplicate || second.Incident.Number != first.Incident.Number {
		t.Fatalf("second click: %+v, %v", second, err)
	}
	if _, err := s.DeclareSuggestion(context.Background(), commands.DeclareSuggestionInput{Group: "ag-nope", By: "UBOB"}); incident.ErrorCode(err) != incident.EINVALID {
		t.Fatalf("unknown group: %v", err)
	}
	if n := countIncidents(t, s); n != 1 {
		t.Fatalf("%d incidents", n)
	}
}

// The API's Idempotency-Key: same request, same incident; another
// request, a conflict.
func TestDeclareOverAPIIdempotency(t *testing.T) {
	s, _ := alertService(t, commands.AlertPolicy{})
	in := commands.DeclareInput{Title: "deploy broke login", Severity: "sev2", Commander: "UCMDR"}
	first, err := s.DeclareOverAPI(context.Background(), in, "k1", "d1")
	if err != nil || first.Replayed || first.Incident.DeclaredBy != commands.DeclaredByAPI || first.Incident.Holder(incident.RoleCommander) != "UCMDR" {
		t.Fatalf("first: %+v, %v", first, err)
	}
	again, err := s.DeclareOverAPI(context.Background(), in, "k1", "d1")
	if err != nil || !again.Replayed || again.Incident.Number != first.Incident.Number {
		t.Fatalf("replay: %+v, %v", again, err)
	}
	if _, err := s.DeclareOverAPI(context.Background(), in, "k1", "d2"); incident.ErrorCode(err) != incident.ECONFLICT {
		t.Fatalf("reused key: %v", err)
	}
	if n := countIncidents(t, s); n != 1 {
		t.Fatalf("%d incidents", n)
	}
}

// A generatorURL becomes a link only when it is a plain http(s) URL.
func TestAlertLinks(t *testing.T) {
	s, _ := alertService(t, commands.AlertPolicy{DefaultMode: commands.AlertDeclare, MaxDeclaredPerMinute: 5})
	links := map[string]string{
		"http://prometheus:9090/graph?g0.expr=up%3D%3D0": "http://prometheus:9090/graph?g0.expr=up%3D%3D0",
		"http://evil.example|click here>":                "",
		"javascript:alert(1)":                            "",
		"/relative":                                      "",
	}
	var alerts []commands.Alert
	i := 0
	for in := range links {
		a := alert(fmt.Sprint("fp", i), "firing", alertT0, "instance", in)
		a.GeneratorURL = in
		alerts = append(alerts, a)
		i++
	}
	receive(t, s, notification("g", alerts...))
	_ = s.Store.View(func(tx store.Tx) error {
		evs, err := tx.Events(1)
		for _, e := range evs {
			if e.Kind != incident.EventNote {
				continue
			}
			in := strings.TrimPrefix(e.Text, "Alert firing: HighLatency instance=")
			if want, ok := links[in]; !ok || e.Link != want {
				t.Errorf("%q: link %q, want %q", e.Text, e.Link, want)
			}
		}
		return err
	})
}
