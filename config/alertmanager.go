package config

import (
	"fmt"
	"strings"
)

// Alertmanager says what POST /hooks/alertmanager does with an alert group
// (see docs/contract.md). Label names are compared without regard to case:
// the configuration reader lower-cases map keys, so `match: {alertName: x}`
// could not otherwise be honoured as written.
type Alertmanager struct {
	// DefaultMode is the mode of groups no rule matches.
	DefaultMode string // declare | suggest | ignore
	// TriageChannel is the channel ID where suggestions go; "" drops them.
	TriageChannel string
	// SeverityLabel names the label whose value picks the severity through
	// Severities (label value, lower-cased → severity name).
	SeverityLabel string
	Severities    map[string]string
	// ServiceLabel names the label that names the service.
	ServiceLabel string
	// MaxDeclaredPerMinute bounds declarations from alerts; beyond it,
	// groups are suggested instead.
	MaxDeclaredPerMinute int
	Rules                []AlertRule
}

// AlertRule gives Mode to groups whose common labels equal every entry of
// Match (label names lower-cased).
type AlertRule struct {
	Match map[string]string
	Mode  string
}

// Alert modes.
const (
	AlertDeclare = "declare"
	AlertSuggest = "suggest"
	AlertIgnore  = "ignore"
)

type rawAlertmanager struct {
	DefaultMode          string            `mapstructure:"default_mode"`
	TriageChannel        string            `mapstructure:"triage_channel"`
	SeverityLabel        string            `mapstructure:"severity_label"`
	Severities           map[string]string `mapstructure:"severities"`
	ServiceLabel         string            `mapstructure:"service_label"`
	MaxDeclaredPerMinute *int              `mapstructure:"max_declared_per_minute"`
	Rules                []rawAlertRule    `mapstructure:"rules"`
}

type rawAlertRule struct {
	Match map[string]string `mapstructure:"match"`
	Mode  string            `mapstructure:"mode"`
	// Private is read only to be refused (see refusePrivate).
	Private *bool `mapstructure:"private"`
}

// refusePrivate stops the bot on a rule asking for private incidents. As an
// unknown key it would only be warned about, and the alerts it matches
// would be declared in public: a leak the operator meant to prevent.
// Alerts cannot declare private incidents, since a private incident needs
// someone in its channel to see it, and an alert names nobody.
func (r rawAlertmanager) refusePrivate() error {
	for i, rule := range r.Rules {
		if rule.Private != nil && *rule.Private {
			return fmt.Errorf("alertmanager.rules[%d].private: alerts cannot declare private incidents (nobody would be in the channel to see them); give such alerts mode: ignore and declare them by hand as private", i)
		}
	}
	return nil
}

// defaultAlertmanager is what an absent alertmanager: section means.
func defaultAlertmanager() Alertmanager {
	return Alertmanager{
		DefaultMode:          AlertSuggest,
		SeverityLabel:        "severity",
		Severities:           map[string]string{"critical": "SEV1", "error": "SEV2", "warning": "SEV3", "info": "SEV4"},
		ServiceLabel:         "service",
		MaxDeclaredPerMinute: 5,
	}
}

// alertmanager converts the raw section onto the defaults.
func (r rawAlertmanager) alertmanager() Alertmanager {
	a := defaultAlertmanager()
	if m := strings.ToLower(strings.TrimSpace(r.DefaultMode)); m != "" {
		a.DefaultMode = m
	}
	a.TriageChannel = strings.TrimSpace(r.TriageChannel)
	if l := strings.TrimSpace(r.SeverityLabel); l != "" {
		a.SeverityLabel = l
	}
	if r.Severities != nil {
		a.Severities = map[string]string{}
		for k, v := range r.Severities {
			a.Severities[strings.ToLower(strings.TrimSpace(k))] = strings.TrimSpace(v)
		}
	}
	if l := strings.TrimSpace(r.ServiceLabel); l != "" {
		a.ServiceLabel = l
	}
	if r.MaxDeclaredPerMinute != nil {
		a.MaxDeclaredPerMinute = *r.MaxDeclaredPerMinute
	}
	for _, rule := range r.Rules {
		m := map[string]string{}
		for k, v := range rule.Match {
			m[strings.ToLower(strings.TrimSpace(k))] = v
		}
		a.Rules = append(a.Rules, AlertRule{Match: m, Mode: strings.ToLower(strings.TrimSpace(rule.Mode))})
	}
	return a
}

// validateAlertmanager checks the modes, the triage channel and the
// severity map. A map that is the default is checked leniently: its
// entries naming severities this configuration lacks are unused, so that a
// team with its own severity names need not touch a section it does not use.
func (c *Config) validateAlertmanager() error {
	a := c.Alertmanager
	isMode := func(m string) bool { return m == AlertDeclare || m == AlertSuggest || m == AlertIgnore }
	if !isMode(a.DefaultMode) {
		return fmt.Errorf("alertmanager.default_mode %q is not a mode: use declare, suggest or ignore", a.DefaultMode)
	}
	for i, r := range a.Rules {
		if !isMode(r.Mode) {
			return fmt.Errorf("alertmanager.rules[%d].mode %q is not a mode: use declare, suggest or ignore", i, r.Mode)
		}
		if len(r.Match) == 0 {
			return fmt.Errorf("alertmanager.rules[%d].match is empty: name the labels a group must have, e.g. {severity: critical}", i)
		}
	}
	if a.TriageChannel != "" && !channelIDPattern.MatchString(a.TriageChannel) {
		return fmt.Errorf("alertmanager.triage_channel %q is not a channel ID: copy it from the channel's details (it starts with C or G)", a.TriageChannel)
	}
	if a.MaxDeclaredPerMinute < 0 {
		return fmt.Errorf("alertmanager.max_declared_per_minute is %d: use 0 (every group is suggested) or more", a.MaxDeclaredPerMinute)
	}
	if strings.TrimSpace(a.SeverityLabel) == "" || strings.TrimSpace(a.ServiceLabel) == "" {
		return fmt.Errorf("alertmanager.severity_label and alertmanager.service_label must name a label")
	}
	def := defaultAlertmanager().Severities
	for label, sev := range a.Severities {
		if def[label] == sev {
			continue
		}
		found := false
		for _, s := range c.Incidents.Severities {
			if strings.EqualFold(s.Name, sev) {
				found = true
			}
		}
		if !found {
			return fmt.Errorf("alertmanager.severities.%s is %q, which is not one of incidents.severities", label, sev)
		}
	}
	return nil
}
