package config

import (
	"encoding/base64"
	"errors"
	"fmt"
	"net/url"
	"regexp"
	"slices"
	"strings"

	"github.com/incidentbot/incidentbot/incident"
)

// Webhook is one signed outgoing webhook (docs/webhooks.md).
type Webhook struct {
	URL    string
	Secret Secret // whsec_<base64>; never log it
	// Events are the event types it wants; empty means all.
	Events []string
	// Private webhooks also receive private incidents.
	Private bool
}

// PagerDuty is the Events API v2 destination; off while RoutingKey is "".
type PagerDuty struct {
	RoutingKey  Secret // never log it
	MinSeverity string // the least severe severity that pages
	APIURL      string
}

type rawWebhook struct {
	URL     string   `mapstructure:"url"`
	Secret  string   `mapstructure:"secret"`
	Events  []string `mapstructure:"events"`
	Private bool     `mapstructure:"private"`
}

type rawPagerDuty struct {
	RoutingKey  string `mapstructure:"routing_key"`
	MinSeverity string `mapstructure:"min_severity"`
	APIURL      string `mapstructure:"api_url"`
}

// integrations converts webhooks: and pagerduty:.
func (r *rawConfig) integrations(c *Config) {
	for _, w := range r.Webhooks {
		events := make([]string, 0, len(w.Events))
		for _, e := range w.Events {
			events = append(events, strings.TrimSpace(e))
		}
		c.Webhooks = append(c.Webhooks, Webhook{URL: strings.TrimSpace(w.URL), Secret: Secret(strings.TrimSpace(w.Secret)), Events: events, Private: w.Private})
	}
	c.PagerDuty.RoutingKey = Secret(strings.TrimSpace(r.PagerDuty.RoutingKey)) // secrets files often end in a newline
	c.PagerDuty.MinSeverity = strings.TrimSpace(r.PagerDuty.MinSeverity)
	c.PagerDuty.APIURL = strings.TrimSpace(r.PagerDuty.APIURL)
}

// validateIntegrations checks webhooks: and pagerduty:. Errors name the
// entry and never quote a secret or a URL (which may carry one).
func (c *Config) validateIntegrations() error {
	seen := map[string]int{}
	for i, w := range c.Webhooks {
		key := fmt.Sprintf("webhooks[%d]", i)
		if err := checkHTTPURL(w.URL); err != nil {
			return fmt.Errorf("%s.url %w", key, err)
		}
		if j, dup := seen[w.URL]; dup {
			return fmt.Errorf("%s.url is the same as webhooks[%d].url: list each endpoint once, with all the events it wants", key, j)
		}
		seen[w.URL] = i
		if err := checkSecret(w.Secret.Reveal()); err != nil {
			return fmt.Errorf("%s.secret %w", key, err)
		}
		for _, e := range w.Events {
			if !slices.Contains(incident.PublishedTypes(), e) {
				return fmt.Errorf("%s.events: %q is not an event type; use %s", key, e, strings.Join(incident.PublishedTypes(), ", "))
			}
		}
	}
	pd := c.PagerDuty
	// A misspelt min_severity is refused even before the routing key is
	// set, or the day the key is added nothing would page, and the bot
	// would say so only then. The default is left alone without a key: a
	// team with its own severity names need not touch a section it does
	// not use.
	if pd.RoutingKey != "" || pd.MinSeverity != Default().PagerDuty.MinSeverity {
		if _, ok := c.Settings().Severity(pd.MinSeverity); !ok {
			names := make([]string, len(c.Incidents.Severities))
			for i, s := range c.Incidents.Severities {
				names[i] = s.Name
			}
			return fmt.Errorf("pagerduty.min_severity %q is not a configured severity; use one of %s", pd.MinSeverity, strings.Join(names, ", "))
		}
	}
	if pd.RoutingKey == "" {
		return nil
	}
	if err := checkHTTPURL(pd.APIURL); err != nil {
		return fmt.Errorf("pagerduty.api_url %w", err)
	}
	key := pd.RoutingKey.Reveal()
	for _, r := range key {
		if r <= ' ' || r > '~' {
			return errors.New("pagerduty.routing_key has a space or a character outside visible ASCII: paste the Integration Key of the service's Events API v2 integration")
		}
	}
	// PagerDuty refuses any other key with a 400, which the bot would
	// only learn when it first pages: during an incident.
	if !routingKeyPattern.MatchString(key) {
		return fmt.Errorf("pagerduty.routing_key is %d characters; an Events API v2 Integration Key is 32 letters and digits: paste it from the service's Integrations tab", len(key))
	}
	return nil
}

// routingKeyPattern is an Events API v2 integration (routing) key.
var routingKeyPattern = regexp.MustCompile(`^[A-Za-z0-9]{32}$`)

func checkHTTPURL(raw string) error {
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return errors.New("is not an http(s) URL: give the endpoint's full address, e.g. https://hooks.example.com/incidentbot")
	}
	return nil
}

func checkSecret(s string) error {
	rest, ok := strings.CutPrefix(s, "whsec_")
	if !ok {
		return errors.New("must start with whsec_ followed by base64 (generate one with: echo whsec_$(openssl rand -base64 32))")
	}
	key, err := base64.StdEncoding.DecodeString(rest)
	if err != nil || len(key) == 0 {
		return errors.New("is not base64 after whsec_ (generate one with: echo whsec_$(openssl rand -base64 32))")
	}
	// Standard Webhooks: a symmetric signing key is 24 to 64 bytes.
	if len(key) < 24 || len(key) > 64 {
		return fmt.Errorf("holds a %d-byte key; Standard Webhooks requires 24 to 64 bytes (generate one with: echo whsec_$(openssl rand -base64 32))", len(key))
	}
	return nil
}
