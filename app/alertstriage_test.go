package app_test

import (
	"strings"
	"testing"

	"github.com/incidentbot/incidentbot/config"
)

// Without alertmanager.triage_channel, a group to be suggested is dropped:
// the bot warns at start-up, and answers Alertmanager "ignored" with the
// reason. A policy that never suggests starts without the warning.
func TestAlertmanagerWithoutTriageChannel(t *testing.T) {
	t.Parallel()
	const warning = "alertmanager.triage_channel is empty"
	w := newWorld(t, nil, func(c *config.Config) { c.HTTP.Listen, c.HTTP.Token = "127.0.0.1:0", opsToken })
	if !strings.Contains(w.logs.String(), warning) {
		t.Errorf("no start-up warning about the empty triage channel in:\n%s", w.logs.String())
	}
	code, ans := w.post("/hooks/alertmanager", webhook(`{}:{alertname="DiskFilling"}`, amAlert{"d1", "firing", "DiskFilling", "db-1", "warning"}))
	if code != 200 || ans["action"] != "ignored" || !strings.Contains(ans["reason"].(string), "alertmanager.triage_channel is empty") {
		t.Errorf("a group to be suggested: %d %v", code, ans)
	}

	quiet := newWorld(t, nil, func(c *config.Config) {
		c.HTTP.Listen, c.HTTP.Token = "127.0.0.1:0", opsToken
		c.Alertmanager.DefaultMode = config.AlertIgnore
	})
	if strings.Contains(quiet.logs.String(), warning) {
		t.Error("warned about the triage channel although nothing is ever suggested")
	}
}
