package app_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/incidentbot/incidentbot/config"
	"github.com/incidentbot/incidentbot/incident"
)

// alertWorld is a workspace with a triage channel, and the bot serving the
// integrations on a loopback port: critical alerts declare, the rest are
// suggested.
func alertWorld(t *testing.T, mutate func(*config.Config)) (*world, string) {
	t.Helper()
	var triage string
	w := newWorld(t, nil, func(c *config.Config) {
		c.HTTP.Listen, c.HTTP.Token = "127.0.0.1:0", opsToken
		c.Alertmanager.Rules = []config.AlertRule{{Match: map[string]string{"severity": "critical"}, Mode: config.AlertDeclare}}
		if mutate != nil {
			mutate(c)
		}
	})
	// The triage channel is made after the start (newWorld's emulator
	// exists only then), so the config is set on a restart.
	triage = w.emu.CreateChannel("alerts-triage", false, w.emu.BotUserID(), alice, bob)
	w.cfg.Alertmanager.TriageChannel = triage
	w.restart()
	return w, triage
}

// post sends body to path with the token and returns the status and JSON.
func (w *world) post(path, body string, header ...string) (int, map[string]any) {
	w.t.Helper()
	req, err := http.NewRequestWithContext(w.ctx(), http.MethodPost, "http://"+w.app.OpsAddr()+path, strings.NewReader(body))
	if err != nil {
		w.t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+opsToken)
	req.Header.Set("Content-Type", "application/json")
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		w.t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	var out map[string]any
	if err := json.Unmarshal(raw, &out); err != nil {
		w.t.Fatalf("POST %s: %d, not JSON: %s", path, resp.StatusCode, raw)
	}
	return resp.StatusCode, out
}

type amAlert struct {
	fp, status, name, instance, severity string
}

// webhook is an Alertmanager notification of group key with alerts.
func webhook(key string, alerts ...amAlert) string {
	status := "resolved"
	var items []map[string]any
	for _, a := range alerts {
		if a.status == "firing" {
			status = "firing"
		}
		ends := "0001-01-01T00:00:00Z"
		if a.status == "resolved" {
			ends = "2026-12-05T04:10:00Z"
		}
		items = append(items, map[string]any{
			"status": a.status, "fingerprint": a.fp, "startsAt": "2026-12-05T04:00:00Z", "endsAt": ends,
			"labels":       map[string]string{"alertname": a.name, "instance": a.instance, "severity": a.severity, "service": "checkout"},
			"annotations":  map[string]string{"summary": a.name + " on checkout"},
			"generatorURL": "http://prometheus:9090/graph?g0.expr=up",
		})
	}
	sev := alerts[0].severity
	body, _ := json.Marshal(map[string]any{
		"version": "4", "groupKey": key, "status": status, "receiver": "incidentbot", "truncatedAlerts": 0,
		"groupLabels":       map[string]string{"alertname": alerts[0].name},
		"commonLabels":      map[string]string{"alertname": alerts[0].name, "severity": sev, "service": "checkout"},
		"commonAnnotations": map[string]string{"summary": alerts[0].name + " on checkout", "description": "p99 above 2s for 5m"},
		"externalURL":       "http://alertmanager:9093",
		"alerts":            items,
	})
	return string(body)
}

func (w *world) alertNotes(n uint64) []string {
	var out []string
	for _, e := range w.events(n) {
		if e.Kind == incident.EventNote && strings.HasPrefix(e.Text, "Alert ") {
			out = append(out, e.Text)
		}
	}
	return out
}

// A critical alert group declares an incident with its channel, card and
// announcement; later notifications are its timeline; when the whole group
// resolves the channel is offered Resolve, and the button resolves.
func TestAlertmanagerDeclaresAndFollowsTheGroup(t *testing.T) {
	t.Parallel()
	w, _ := alertWorld(t, nil)
	key := `{}/{severity="critical"}:{alertname="CheckoutLatency"}`
	web1 := amAlert{"f1", "firing", "CheckoutLatency", "web-1", "critical"}
	web2 := amAlert{"f2", "firing", "CheckoutLatency", "web-2", "critical"}

	// Alertmanager → POST /hooks/alertmanager: INC-1 is declared.
	code, ans := w.post("/hooks/alertmanager", webhook(key, web1))
	if code != 200 || ans["action"] != "declared" || ans["incident"] != "INC-1" {
		t.Fatalf("first notification: %d %v", code, ans)
	}
	ch := w.declared(1, "CheckoutLatency on checkout", carol) // the service's expert is invited
	inc := w.incident(1)
	if inc.Severity != "SEV1" || inc.Service != "checkout" || inc.DeclaredBy != "alertmanager" || inc.Holder(incident.RoleCommander) != "" {
		t.Fatalf("incident %+v", inc)
	}
	for _, e := range w.events(1) {
		if strings.Contains(e.Text, "Could not invite") {
			t.Fatalf("the bot tried to invite a non-user: %q", e.Text)
		}
	}
	if a := w.announcements(); len(a) != 1 || !strings.Contains(a[0].Text, "INC-1") {
		t.Fatalf("announcements %+v", a)
	}

	// Resends add nothing; a second alert and a resolution are timeline events.
	w.post("/hooks/alertmanager", webhook(key, web1))
	if _, ans := w.post("/hooks/alertmanager", webhook(key, web1, web2)); ans["action"] != "updated" {
		t.Fatalf("second alert: %v", ans)
	}
	w.idle()
	posted, _ := w.channelSays(ch.ID, "more alert(s) firing")
	assertText(t, posted.Text, "Alertmanager: 1 more alert(s) firing in this incident's group", "CheckoutLatency instance=web-2")
	web1.status = "resolved"
	w.post("/hooks/alertmanager", webhook(key, web1, web2))
	w.idle()
	if _, ok := w.channelSays(ch.ID, "Every alert"); ok {
		t.Fatal("resolution offered while web-2 still fires")
	}
	web2.status = "resolved"
	for range 2 { // Alertmanager resends the resolved group: one offer
		w.post("/hooks/alertmanager", webhook(key, web1, web2))
	}
	w.idle()
	want := []string{
		"Alert firing: CheckoutLatency instance=web-1 — CheckoutLatency on checkout",
		"Alert firing: CheckoutLatency instance=web-2 — CheckoutLatency on checkout",
		"Alert resolved: CheckoutLatency instance=web-1 — CheckoutLatency on checkout",
		"Alert resolved: CheckoutLatency instance=web-2 — CheckoutLatency on checkout",
	}
	if got := w.alertNotes(1); !slices.Equal(got, want) {
		t.Fatalf("timeline\n got %q\nwant %q", got, want)
	}
	offers := 0
	var offer string
	for _, m := range w.emu.Messages(ch.ID) {
		if strings.Contains(m.Text, "Every alert of this incident's Alertmanager group has resolved") {
			offers++
			offer = m.TS
		}
	}
	if offers != 1 {
		t.Fatalf("%d resolution offers", offers)
	}
	if !w.incident(1).Open() {
		t.Fatal("resolved without a click")
	}
	for range 2 {
		if _, err := w.emu.ClickButton(w.ctx(), bob, ch.ID, offer, "alert_resolve", "INC-1"); err != nil {
			t.Fatal(err)
		}
		w.idle()
	}
	inc = w.incident(1)
	if inc.Open() {
		t.Fatal("the Resolve button did not resolve")
	}
	resolved := 0
	for _, e := range w.events(1) {
		if e.Kind == incident.EventResolved {
			resolved++
			if e.Actor != bob {
				t.Fatalf("resolved by %q", e.Actor)
			}
		}
	}
	if resolved != 1 {
		t.Fatalf("%d resolution events", resolved)
	}
	if _, ok := w.channelSays(ch.ID, "resolved"); !ok {
		t.Fatal("no resolution message in the channel")
	}
}

// A warning group is suggested in the triage channel; Declare declares it
// once, with the clicker in command, however many clicks.
func TestAlertmanagerSuggestionDeclaresOnce(t *testing.T) {
	t.Parallel()
	w, triage := alertWorld(t, nil)
	key := `{}:{alertname="DiskFilling"}`
	code, ans := w.post("/hooks/alertmanager", webhook(key, amAlert{"d1", "firing", "DiskFilling", "db-1", "warning"}))
	if code != 200 || ans["action"] != "suggested" {
		t.Fatalf("warning: %d %v", code, ans)
	}
	w.post("/hooks/alertmanager", webhook(key, amAlert{"d1", "firing", "DiskFilling", "db-1", "warning"}))
	w.idle()
	msg, ok := w.channelSays(triage, "Alertmanager: DiskFilling on checkout")
	if !ok || !strings.Contains(string(msg.Blocks), `"action_id":"alert_declare"`) || w.incidentCount() != 0 {
		t.Fatalf("triage message %+v, %d incidents", msg, w.incidentCount())
	}
	var suggestions int
	for _, m := range w.emu.Messages(triage) {
		if strings.Contains(m.Text, "DiskFilling") {
			suggestions++
		}
	}
	if suggestions != 1 {
		t.Fatalf("%d suggestions for one group", suggestions)
	}
	for _, u := range []string{alice, bob} {
		if _, err := w.emu.ClickButton(w.ctx(), u, triage, msg.TS, "alert_declare", ""); err != nil {
			t.Fatal(err)
		}
	}
	w.idle()
	if n := w.incidentCount(); n != 1 {
		t.Fatalf("%d incidents after two clicks", n)
	}
	w.declared(1, "DiskFilling on checkout", alice)
	if inc := w.incident(1); inc.Holder(incident.RoleCommander) != alice || inc.Severity != "SEV3" || inc.DeclaredBy != alice {
		t.Fatalf("incident %+v", inc)
	}
	msg, _ = w.channelSays(triage, "DiskFilling")
	assertText(t, msg.Text, "was declared as *INC-1* by <@"+alice+">")
	if strings.Contains(string(msg.Blocks), "alert_declare") {
		t.Fatalf("the Declare button is still there: %s", msg.Blocks)
	}
	w.ephemeralWith(bob, "nothing was declared twice")
}

// A storm of critical groups declares max_declared_per_minute incidents;
// the rest are suggested.
func TestAlertmanagerStormIsRateLimited(t *testing.T) {
	t.Parallel()
	w, triage := alertWorld(t, func(c *config.Config) { c.Alertmanager.MaxDeclaredPerMinute = 2 })
	var actions []string
	for i := range 4 {
		name := fmt.Sprintf("Down%d", i)
		_, ans := w.post("/hooks/alertmanager", webhook(`{}:{alertname="`+name+`"}`, amAlert{"s" + name, "firing", name, "web", "critical"}))
		actions = append(actions, fmt.Sprint(ans["action"]))
	}
	w.idle()
	if want := []string{"declared", "declared", "suggested", "suggested"}; !slices.Equal(actions, want) {
		t.Fatalf("storm: %v, want %v", actions, want)
	}
	if n := w.incidentCount(); n != 2 {
		t.Fatalf("%d incidents", n)
	}
	if _, ok := w.channelSays(triage, "Down3"); !ok {
		t.Fatal("the fourth group was not suggested")
	}
}

// POST /api/v1/incidents declares like the form: channel, card,
// announcement; a retry with the Idempotency-Key returns the same incident.
func TestAPIDeclaresLikeTheForm(t *testing.T) {
	t.Parallel()
	w, _ := alertWorld(t, nil)
	body := `{"title":"Checkout deploy failed","severity":"SEV2","summary":"rollback running","service":"checkout","commander":"` + bob + `"}`
	code, ans := w.post("/api/v1/incidents", body, "Idempotency-Key", "ci-run-42")
	if code != 201 || ans["id"] != "INC-1" || ans["commander"] != bob || ans["declared_by"] != "api" {
		t.Fatalf("declare: %d %v", code, ans)
	}
	ch := w.declared(1, "Checkout deploy failed", bob, carol)
	if a := w.announcements(); len(a) != 1 || !strings.Contains(a[0].Text, "Checkout deploy failed") {
		t.Fatalf("announcements %+v", a)
	}
	code, ans = w.post("/api/v1/incidents", body, "Idempotency-Key", "ci-run-42")
	if code != 200 || ans["id"] != "INC-1" || ans["channel_id"] != ch.ID {
		t.Fatalf("replay: %d %v", code, ans)
	}
	if n := w.incidentCount(); n != 1 {
		t.Fatalf("%d incidents", n)
	}
	// Without a token the routes do not exist: not open, not even 401.
	w.cfg.HTTP.Token = ""
	w.restart()
	for _, path := range []string{"/api/v1/incidents", "/hooks/alertmanager"} {
		resp, err := http.Post("http://"+w.app.OpsAddr()+path, "application/json", bytes.NewReader([]byte(body)))
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != 404 {
			t.Fatalf("POST %s without http.token: %d", path, resp.StatusCode)
		}
	}
}
