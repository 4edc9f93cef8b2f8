package app_test

import (
	"encoding/json"
	"strings"
	"testing"
)

// hostileAlert is an Alertmanager notification whose every text — labels,
// annotations, URLs — is hostile. Alert text is written by whoever writes
// alerting rules or controls a label's value (a hostname, a path), not by
// the people in Slack.
func hostileAlert(key, status, severity string) string {
	end := "0001-01-01T00:00:00Z"
	if status == "resolved" {
		end = "2026-12-05T04:10:00Z"
	}
	labels := map[string]string{"alertname": "Down <!channel>", "instance": hostile, "severity": severity, "service": "checkout", "team": "<!here>"}
	ann := map[string]string{"summary": hostile, "description": hostile, "runbook_url": "<https://evil.example|runbook>"}
	body, _ := json.Marshal(map[string]any{
		"version": "4", "groupKey": key, "status": status, "receiver": "incidentbot",
		"groupLabels":  map[string]string{"alertname": labels["alertname"]},
		"commonLabels": labels, "commonAnnotations": ann,
		"externalURL": "http://alertmanager:9093/<!channel>",
		"alerts": []map[string]any{{
			"status": status, "fingerprint": "h1", "startsAt": "2026-12-05T04:00:00Z", "endsAt": end,
			"labels": labels, "annotations": ann, "generatorURL": "https://evil.example/|legit",
		}},
	})
	return string(body)
}

// Alert text can never ping @channel/@here/@everyone nor disguise a link,
// on any path it reaches Slack: the triage suggestion and what its Declare
// button leaves, the incident an alert declares (channel, card, topic,
// purpose, announcement), the timeline notes of firing and resolving
// alerts, and the Resolve offer.
func TestAlertTextNeverPingsOrDisguisesALink(t *testing.T) {
	t.Parallel()
	w, triage := alertWorld(t, nil)
	if code, ans := w.post("/hooks/alertmanager", hostileAlert(`{}:{alertname="warn"}`, "firing", "warning")); code != 200 || ans["action"] != "suggested" {
		t.Fatalf("warning: %d %v", code, ans)
	}
	w.idle()
	var offer string
	for _, m := range w.emu.Messages(triage) {
		if strings.Contains(string(m.Blocks), "alert_declare") {
			offer = m.TS
		}
	}
	if offer == "" {
		t.Fatal("no suggestion in the triage channel")
	}
	if _, err := w.emu.ClickButton(w.ctx(), alice, triage, offer, "alert_declare", ""); err != nil {
		t.Fatal(err)
	}
	w.idle()

	key := `{}:{alertname="crit"}`
	if code, ans := w.post("/hooks/alertmanager", hostileAlert(key, "firing", "critical")); code != 200 || ans["action"] != "declared" {
		t.Fatalf("critical: %d %v", code, ans)
	}
	w.idle()
	w.post("/hooks/alertmanager", hostileAlert(key, "resolved", "critical"))
	w.idle()
	if w.incidentCount() != 2 {
		t.Fatalf("%d incidents, want the suggested one and the declared one", w.incidentCount())
	}

	reached := 0
	for _, c := range w.emu.Calls("") {
		assertNoInjection(t, c)
		if strings.Contains(callText(c), "your SSO") {
			reached++
		}
	}
	for _, u := range []string{alice, bob, carol} {
		for _, m := range w.emu.Ephemerals(u) {
			if s := m.Text + blocksText(m.Blocks); specialMention.MatchString(s) || autoMention.MatchString(s) {
				t.Fatalf("ephemeral to %s carries a live mention or link: %q", u, s)
			}
		}
	}
	// The hostile text did reach Slack (escaped), so the paths were taken.
	if reached < 4 {
		t.Fatalf("the hostile text reached Slack in only %d calls", reached)
	}
}

// What is typed after `/incident stats` comes back in the answer when it
// is wrong, escaped; and the statistics name a hostile service as text.
func TestStatsTextNeverPingsOrDisguisesALink(t *testing.T) {
	t.Parallel()
	w := secWorld(t)
	w.slash(alice, w.announce, "declare SEV2 db down")
	w.idle()
	for _, text := range []string{"stats 30d " + hostile, "stats " + hostile, "stats <!here>", "stats 7d <!here> checkout @channel", "stats 30d"} {
		got := ackText(t, w.slashMarkup(alice, w.announce, text))
		if specialMention.MatchString(got) || autoMention.MatchString(got) {
			t.Fatalf("/incident %s answered with a live mention or link: %q", text, got)
		}
	}
	w.idle()
	for _, c := range w.emu.Calls("") {
		assertNoInjection(t, c)
		if s, ok := c.Args["initial_comment"].(string); ok && (specialMention.MatchString(s) || autoMention.MatchString(s)) {
			t.Fatalf("%s: initial_comment carries a live mention or link: %q", c.Method, s)
		}
	}
	for _, m := range w.emu.Ephemerals(alice) {
		if s := m.Text + blocksText(m.Blocks); specialMention.MatchString(s) || autoMention.MatchString(s) {
			t.Fatalf("ephemeral carries a live mention or link: %q", s)
		}
	}
	if len(w.emu.Calls("files.completeUploadExternal")) == 0 {
		t.Fatal("the statistics were never posted")
	}
}
