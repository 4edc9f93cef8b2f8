package config

import (
	"os"
	"strings"
	"testing"
	"time"
)

// docYAML returns the first ```yaml block of a file in docs/ that contains
// mustHave.
func docYAML(t *testing.T, file, mustHave string) string {
	t.Helper()
	raw, err := os.ReadFile("../docs/" + file)
	if err != nil {
		t.Fatal(err)
	}
	if block, ok := yamlBlock(string(raw), mustHave); ok {
		return block
	}
	t.Fatalf("docs/%s has no yaml block with %q", file, mustHave)
	return ""
}

// The README's demo settings for the sandbox are read as written: the
// reminders it promises, no unknown key.
func TestREADMEDemoSettings(t *testing.T) {
	c, err := loadYAML(t, readmeYAML(t, "## Try it in a browser — no Slack workspace needed", "postmortem_reminder:"))
	if err != nil {
		t.Fatalf("the README's demo block: %v", err)
	}
	var got []string
	for _, s := range c.Incidents.Severities {
		got = append(got, s.Name+" "+s.Reminder.String())
	}
	if strings.Join(got, ", ") != "SEV1 1m0s, SEV2 1m0s, SEV3 2m0s" || c.Incidents.PostmortemReminder != 2*time.Minute || len(c.Warnings) != 0 {
		t.Errorf("the README's demo block reads as severities %q, postmortem_reminder %s (warnings %q)", got, c.Incidents.PostmortemReminder, c.Warnings)
	}
}

// The configuration blocks in docs/ are read as written.
func TestDocsConfigBlocks(t *testing.T) {
	c, err := loadYAML(t, docYAML(t, "postgres.md", "driver: postgres"))
	if err != nil {
		t.Fatalf("docs/postgres.md's store block: %v", err)
	}
	if c.Store.Driver != DriverPostgres || !strings.HasPrefix(c.Store.DSN.Reveal(), "postgres://incidentbot@db.internal:5432/") || len(c.Warnings) != 0 {
		t.Errorf("docs/postgres.md's store block reads as driver %q (warnings %q)", c.Store.Driver, c.Warnings)
	}

	block := docYAML(t, "webhooks.md", "pagerduty:")
	// The page elides the secret; put a real-looking one in.
	block = strings.Replace(block, "whsec_…", "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", 1)
	c, err = loadYAML(t, block)
	if err != nil {
		t.Fatalf("docs/webhooks.md's block: %v", err)
	}
	if len(c.Webhooks) != 1 || strings.Join(c.Webhooks[0].Events, " ") != "incident.declared incident.resolved" || c.Webhooks[0].Private ||
		c.PagerDuty.RoutingKey.Reveal() != "" || c.PagerDuty.MinSeverity != "SEV2" || len(c.Warnings) != 0 {
		t.Errorf("docs/webhooks.md's block reads as %+v %+v (warnings %q)", c.Webhooks, c.PagerDuty, c.Warnings)
	}
}
