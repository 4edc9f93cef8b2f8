package config

import (
	"strings"
	"testing"
)

const goodSecret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"

func TestLoadIntegrations(t *testing.T) {
	file := writeConfig(t, `
webhooks:
  - {url: "https://hooks.example.com/a", secret: "`+goodSecret+`", events: [incident.declared, incident.resolved], private: true}
  - {url: "https://status.example.com/b", secret: "`+goodSecret+`"}
pagerduty: {routing_key: "R0UTINGKEY0123456789abcdefABCDEF", min_severity: SEV1}
`)
	c := mustLoad(t, file)
	if err := c.ValidateLocal(); err != nil {
		t.Fatal(err)
	}
	if len(c.Webhooks) != 2 || c.Webhooks[0].URL != "https://hooks.example.com/a" || !c.Webhooks[0].Private || strings.Join(c.Webhooks[0].Events, ",") != "incident.declared,incident.resolved" {
		t.Errorf("webhooks = %+v", c.Webhooks)
	}
	if c.Webhooks[1].Private || len(c.Webhooks[1].Events) != 0 {
		t.Errorf("second webhook = %+v, want public, all events", c.Webhooks[1])
	}
	if c.PagerDuty != (PagerDuty{RoutingKey: "R0UTINGKEY0123456789abcdefABCDEF", MinSeverity: "SEV1", APIURL: "https://events.pagerduty.com/v2/enqueue"}) {
		t.Errorf("pagerduty = %+v", c.PagerDuty)
	}
	if len(c.Warnings) != 0 {
		t.Errorf("warnings: %q", c.Warnings)
	}
	if r := c.Redacted(); strings.Contains(r, "R0UTING") || strings.Contains(r, goodSecret) {
		t.Errorf("Redacted shows a secret: %s", r)
	}
}

func TestValidateIntegrations(t *testing.T) {
	hook := func(mut func(*Webhook)) func(*Config) {
		return func(c *Config) {
			w := Webhook{URL: "https://hooks.example.com/x?token=s3cr3t", Secret: Secret(goodSecret), Events: []string{"incident.declared"}}
			mut(&w)
			c.Webhooks = append(c.Webhooks, w)
		}
	}
	tests := []struct {
		name   string
		mutate func(*Config)
		want   string // "" = valid
	}{
		{"a good webhook", hook(func(*Webhook) {}), ""},
		{"not a URL", hook(func(w *Webhook) { w.URL = "hooks.example.com/x" }), "webhooks[0].url is not an http(s) URL"},
		{"ftp", hook(func(w *Webhook) { w.URL = "ftp://hooks.example.com/x" }), "webhooks[0].url is not an http(s) URL"},
		{"unknown event", hook(func(w *Webhook) { w.Events = []string{"incident.exploded"} }), `webhooks[0].events: "incident.exploded" is not an event type; use incident.declared, incident.updated`},
		{"secret without prefix", hook(func(w *Webhook) { w.Secret = "MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw" }), "webhooks[0].secret must start with whsec_"},
		{"secret not base64", hook(func(w *Webhook) { w.Secret = "whsec_not base64!" }), "webhooks[0].secret is not base64 after whsec_"},
		{"empty secret", hook(func(w *Webhook) { w.Secret = "" }), "webhooks[0].secret must start with whsec_"},
		{"secret too short", hook(func(w *Webhook) { w.Secret = "whsec_c2hvcnQta2V5" }), "webhooks[0].secret holds a 9-byte key; Standard Webhooks requires 24 to 64 bytes"},
		{"secret too long", hook(func(w *Webhook) { w.Secret = Secret("whsec_" + strings.Repeat("AAAA", 22)) }), "webhooks[0].secret holds a 66-byte key"},
		{"the same URL twice", func(c *Config) { hook(func(*Webhook) {})(c); hook(func(*Webhook) {})(c) }, "webhooks[1].url is the same as webhooks[0].url"},
		{"pagerduty off", func(c *Config) {}, ""},
		{"pagerduty off, a misspelt severity", func(c *Config) { c.PagerDuty.MinSeverity = "SEV-2" },
			`pagerduty.min_severity "SEV-2" is not a configured severity; use one of SEV1, SEV2, SEV3, SEV4`},
		{"pagerduty off, own severities and the default min_severity", func(c *Config) {
			c.Incidents.Severities = []Severity{{Name: "P1", Description: "Critical"}, {Name: "P2", Description: "Major"}}
		}, ""},
		{"pagerduty on", func(c *Config) { c.PagerDuty.RoutingKey = "R0UTINGKEY0123456789abcdefABCDEF" }, ""},
		{"pagerduty unknown severity", func(c *Config) {
			c.PagerDuty.RoutingKey, c.PagerDuty.MinSeverity = "R0UTINGKEY0123456789abcdefABCDEF", "SEV9"
		}, `pagerduty.min_severity "SEV9" is not a configured severity; use one of SEV1, SEV2, SEV3, SEV4`},
		{"pagerduty bad URL", func(c *Config) {
			c.PagerDuty.RoutingKey, c.PagerDuty.APIURL = "R0UTINGKEY0123456789abcdefABCDEF", "events.pagerduty.com"
		}, "pagerduty.api_url is not an http(s) URL"},
		{"pagerduty key with a space", func(c *Config) { c.PagerDuty.RoutingKey = "R0UT ING" }, "pagerduty.routing_key has a space"},
		{"pagerduty key too short", func(c *Config) { c.PagerDuty.RoutingKey = "R0UTINGKEY0123456789abcdefABCD" }, "pagerduty.routing_key is 30 characters; an Events API v2 Integration Key is 32 letters and digits"},
		{"pagerduty key not alphanumeric", func(c *Config) { c.PagerDuty.RoutingKey = "R0UTINGKEY0123456789abcdef-ABCDE" }, "pagerduty.routing_key is 32 characters; an Events API v2 Integration Key is 32 letters and digits"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := valid()
			tt.mutate(c)
			err := c.Validate()
			if tt.want == "" {
				if err != nil {
					t.Fatalf("Validate: %v", err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("Validate = %v, want it to say %q", err, tt.want)
			}
			msg := err.Error()
			if strings.Contains(msg, "\n") || strings.Contains(msg, "s3cr3t") || strings.Contains(msg, "MfKQ9r8G") || strings.Contains(msg, "R0UT") {
				t.Errorf("error is not one line free of secrets: %s", msg)
			}
		})
	}
}
