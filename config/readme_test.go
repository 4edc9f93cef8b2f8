package config

import (
	"os"
	"reflect"
	"strings"
	"testing"
)

// readmeYAML returns README.md's first ```yaml block after heading that
// contains mustHave.
func readmeYAML(t *testing.T, heading, mustHave string) string {
	t.Helper()
	raw, err := os.ReadFile("../README.md")
	if err != nil {
		t.Fatal(err)
	}
	_, rest, ok := strings.Cut(string(raw), "\n"+heading+"\n")
	if block, found := yamlBlock(rest, mustHave); ok && found {
		return block
	}
	t.Fatalf("README.md's %q section has no yaml block with %q", heading, mustHave)
	return ""
}

// yamlBlock returns the first ```yaml block of text that contains
// mustHave.
func yamlBlock(text, mustHave string) (string, bool) {
	for ok := true; ok; {
		var block string
		_, text, ok = strings.Cut(text, "```yaml\n")
		block, text, _ = strings.Cut(text, "```")
		if ok && strings.Contains(block, mustHave) {
			return block, true
		}
	}
	return "", false
}

// The README's integration settings are read as written: no unknown key,
// and the values it shows are the ones the bot uses.
func TestREADMEIntegrationSettings(t *testing.T) {
	c, err := loadYAML(t, readmeYAML(t, "### Alertmanager", "alertmanager:"))
	if err != nil {
		t.Fatalf("the README's alertmanager: block: %v", err)
	}
	want := defaultAlertmanager()
	want.TriageChannel = "C0123TRIAGE"
	want.Rules = []AlertRule{{Match: map[string]string{"severity": "critical"}, Mode: AlertDeclare}}
	if !reflect.DeepEqual(c.Alertmanager, want) || len(c.Warnings) != 0 {
		t.Errorf("the README's alertmanager: block reads as %+v (warnings %q)", c.Alertmanager, c.Warnings)
	}

	block := readmeYAML(t, "### Signed webhooks and PagerDuty", "pagerduty:")
	// The README elides the secret and the key; put real-looking ones in.
	block = strings.Replace(block, "whsec_…", "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", 1)
	block = strings.Replace(block, `routing_key: ""`, `routing_key: "R0123456789abcdef0123456789abcde"`, 1)
	c, err = loadYAML(t, block)
	if err != nil {
		t.Fatalf("the README's webhooks: and pagerduty: block: %v", err)
	}
	if len(c.Warnings) != 0 || len(c.Webhooks) != 1 || len(c.Webhooks[0].Events) != 3 || c.PagerDuty.MinSeverity != "SEV2" || c.PagerDuty.RoutingKey == "" {
		t.Errorf("the README's webhooks: and pagerduty: block reads as %+v %+v (warnings %q)", c.Webhooks, c.PagerDuty, c.Warnings)
	}
}
