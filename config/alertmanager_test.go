package config

import (
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

func loadYAML(t *testing.T, yaml string) (*Config, error) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "config.yaml")
	if err := os.WriteFile(path, []byte(yaml), 0o600); err != nil {
		t.Fatal(err)
	}
	c, err := Load(path, nil)
	if err != nil {
		return nil, err
	}
	return c, c.ValidateLocal()
}

func TestAlertmanagerSection(t *testing.T) {
	c, err := loadYAML(t, `
alertmanager:
  default_mode: Ignore
  triage_channel: C0TRIAGE1
  severity_label: priority
  severities: {P1: SEV1, p2: sev2}
  service_label: app
  max_declared_per_minute: 0
  rules:
    - {match: {severity: critical, alertName: Down}, mode: declare}
`)
	if err != nil {
		t.Fatal(err)
	}
	want := Alertmanager{
		DefaultMode: "ignore", TriageChannel: "C0TRIAGE1", SeverityLabel: "priority",
		Severities: map[string]string{"p1": "SEV1", "p2": "sev2"}, ServiceLabel: "app", MaxDeclaredPerMinute: 0,
		Rules: []AlertRule{{Match: map[string]string{"severity": "critical", "alertname": "Down"}, Mode: "declare"}},
	}
	if !reflect.DeepEqual(c.Alertmanager, want) {
		t.Fatalf("got  %+v\nwant %+v", c.Alertmanager, want)
	}
	if len(c.Warnings) != 0 {
		t.Fatalf("warnings %q", c.Warnings)
	}
}

func TestAlertmanagerDefaults(t *testing.T) {
	c, err := loadYAML(t, "log: {level: info}\n")
	if err != nil {
		t.Fatal(err)
	}
	if a := c.Alertmanager; a.DefaultMode != "suggest" || a.MaxDeclaredPerMinute != 5 || a.Severities["critical"] != "SEV1" || a.SeverityLabel != "severity" || a.ServiceLabel != "service" {
		t.Fatalf("defaults %+v", a)
	}
	// Custom severities do not trip over the default map.
	if _, err := loadYAML(t, "incidents: {severities: [{name: P1}, {name: P2}]}\n"); err != nil {
		t.Fatal(err)
	}
}

func TestAlertmanagerSectionErrors(t *testing.T) {
	tests := []struct{ yaml, want string }{
		{"alertmanager: {default_mode: page}", `alertmanager.default_mode "page" is not a mode`},
		{"alertmanager: {rules: [{match: {a: b}, mode: shout}]}", `alertmanager.rules[0].mode "shout"`},
		{"alertmanager: {rules: [{mode: declare}]}", "alertmanager.rules[0].match is empty"},
		{"alertmanager: {triage_channel: '#alerts'}", "not a channel ID"},
		{"alertmanager: {max_declared_per_minute: -1}", "max_declared_per_minute is -1"},
		{"alertmanager: {severities: {critical: SEV0}}", `alertmanager.severities.critical is "SEV0"`},
		{"alertmanager: {rules: [{match: {a: b}, mode: declare}, {match: {team: security}, mode: declare, private: true}]}", "alertmanager.rules[1].private: alerts cannot declare private incidents"},
	}
	for _, tt := range tests {
		_, err := loadYAML(t, tt.yaml+"\n")
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s: %v, want %q", tt.yaml, err, tt.want)
		}
	}
}
