// Package config reads incidentbot's configuration — a YAML file, environment
// overrides and defaults — once, into a typed Config. Nothing else in the
// program touches viper.
package config

import (
	"fmt"
	"strings"
	"time"

	"github.com/incidentbot/incidentbot/incident"
	"github.com/incidentbot/incidentbot/internal/dsn"
)

// The domain owns the vocabulary; the config only fills it in.
type (
	Severity = incident.Severity
	Role     = incident.Role
	Service  = incident.Service
)

// Config is the whole configuration of incidentbot. Load fills every field,
// with a default where the file and the environment say nothing.
type Config struct {
	Slack struct {
		BotToken Secret // xoxb-…; prints redacted
		AppToken Secret // xapp-…; prints redacted
		APIURL   string // always ends in "/": slack-go appends method names to it
		Command  string
		// SilenceTimeout is how long a connected socket may receive nothing
		// (no pong to the bot's pings, which go out every third of it, no
		// ping of Slack's, no envelope) before the bot treats it as dead and
		// replaces it.
		SilenceTimeout time.Duration
	}
	Store struct {
		// Driver is the backend: bbolt (one file at Path, the default) or
		// postgres (the database at DSN, which replicas can share).
		Driver string
		Path   string
		// DSN is the postgres connection string. It may carry a password:
		// never log it (see Redacted, which masks the password).
		DSN Secret
	}
	HTTP struct {
		Listen string // "" disables the ops listener
		// Token is the bearer token the ops listener's incident routes
		// require; "" turns those routes off. It prints redacted.
		Token Secret
	}
	Templates struct {
		Dir string // "" = built-in templates only
	}
	Log struct {
		Level  string // debug|info|warn|error
		Format string // json|console
	}
	Incidents struct {
		ChannelPrefix   string
		AnnounceChannel string // channel ID, "" = no announcements
		Severities      []Severity
		Roles           []Role
		// PostmortemReminder is how long after resolution the bot reminds
		// the channel to write the postmortem; 0 disables it.
		PostmortemReminder time.Duration
		// ArchiveAfter is how long after resolution the incident channel
		// is archived (once its postmortem was drafted); 0 = never.
		ArchiveAfter time.Duration
		// DrillsChannel is the channel ID where drills are announced
		// instead of AnnounceChannel; "" = drills are announced nowhere.
		DrillsChannel string
	}
	Services []Service
	// Alertmanager is what POST /hooks/alertmanager does (alertmanager.go).
	Alertmanager Alertmanager

	// Webhooks and PagerDuty are the tools outside Slack told about
	// incidents (integrations.go).
	Webhooks  []Webhook
	PagerDuty PagerDuty

	// File is the configuration file that was read, "" when none was.
	File string
	// Warnings are problems that do not stop the bot, such as unknown keys
	// (most likely typos); main logs them once the logger exists.
	Warnings []string
}

// Default returns the configuration that an empty file and an empty
// environment give.
func Default() *Config {
	c := &Config{}
	c.Slack.APIURL = "https://slack.com/api/"
	c.Slack.Command = "/incident"
	c.Slack.SilenceTimeout = 30 * time.Second
	c.Store.Driver = DriverBbolt
	c.Store.Path = "incidentbot.db"
	c.HTTP.Listen = "127.0.0.1:8089"
	c.Log.Level = "info"
	c.Log.Format = "json"
	c.Incidents.ChannelPrefix = "inc"
	c.Incidents.PostmortemReminder = 24 * time.Hour
	d := incident.DefaultSettings()
	c.Incidents.Severities = d.Severities
	c.Incidents.Roles = d.Roles
	c.Services = d.Services
	c.PagerDuty.MinSeverity = "SEV2"
	c.PagerDuty.APIURL = "https://events.pagerduty.com/v2/enqueue"
	c.Alertmanager = defaultAlertmanager()
	return c
}

// Settings returns the domain vocabulary: severities, roles and services.
// The slices are copies, so callers cannot change the configuration.
func (c *Config) Settings() incident.Settings {
	services := make([]Service, len(c.Services))
	for i, s := range c.Services {
		s.Experts = append([]string(nil), s.Experts...)
		services[i] = s
	}
	return incident.Settings{
		Severities: append([]Severity(nil), c.Incidents.Severities...),
		Roles:      append([]Role(nil), c.Incidents.Roles...),
		Services:   services,
	}
}

// Redacted is a one-line summary of the configuration fit for a log: tokens
// appear only as set or not set.
func (c *Config) Redacted() string {
	var b strings.Builder
	file := c.File
	if file == "" {
		file = "(defaults)"
	}
	fmt.Fprintf(&b, "file=%s slack.bot_token=%s slack.app_token=%s", file, tokenState(c.Slack.BotToken), tokenState(c.Slack.AppToken))
	fmt.Fprintf(&b, " slack.api_url=%s slack.command=%s slack.silence_timeout=%s", c.Slack.APIURL, c.Slack.Command, c.Slack.SilenceTimeout)
	fmt.Fprintf(&b, " store.driver=%s store.dsn=%s", c.Store.Driver, dsnState(c.Store.DSN.Reveal()))
	fmt.Fprintf(&b, " store.path=%s http.listen=%q http.token=%s templates.dir=%q log.level=%s log.format=%s", c.Store.Path, c.HTTP.Listen, tokenState(c.HTTP.Token), c.Templates.Dir, c.Log.Level, c.Log.Format)
	fmt.Fprintf(&b, " incidents.channel_prefix=%s incidents.announce_channel=%q incidents.drills_channel=%q incidents.postmortem_reminder=%s incidents.archive_after=%s", c.Incidents.ChannelPrefix, c.Incidents.AnnounceChannel, c.Incidents.DrillsChannel, c.Incidents.PostmortemReminder, c.Incidents.ArchiveAfter)
	sevs := make([]string, len(c.Incidents.Severities))
	for i, s := range c.Incidents.Severities {
		sevs[i] = fmt.Sprintf("%s(%s)", s.Name, s.Reminder)
	}
	roles := make([]string, len(c.Incidents.Roles))
	for i, r := range c.Incidents.Roles {
		roles[i] = r.ID
	}
	services := make([]string, len(c.Services))
	for i, s := range c.Services {
		services[i] = s.Name
	}
	fmt.Fprintf(&b, " severities=%s roles=%s services=%s", strings.Join(sevs, ","), strings.Join(roles, ","), strings.Join(services, ","))
	fmt.Fprintf(&b, " webhooks=%d pagerduty.routing_key=%s pagerduty.min_severity=%s", len(c.Webhooks), tokenState(c.PagerDuty.RoutingKey), c.PagerDuty.MinSeverity)
	return redact(b.String(), c.secrets()...)
}

// String is Redacted, so that printing a *Config with %v never shows a token.
func (c *Config) String() string { return c.Redacted() }

// secrets are the values no message may contain.
func (c *Config) secrets() []string {
	secrets := []string{c.Slack.BotToken.Reveal(), c.Slack.AppToken.Reveal(), c.HTTP.Token.Reveal(), c.PagerDuty.RoutingKey.Reveal(), c.Store.DSN.Reveal(), dsn.Password(c.Store.DSN.Reveal())}
	for _, w := range c.Webhooks {
		secrets = append(secrets, w.Secret.Reveal())
	}
	return secrets
}

// The store drivers.
const (
	DriverBbolt    = "bbolt"
	DriverPostgres = "postgres"
)

// dsnState shows a DSN in a dump: where the database is, never the
// password.
func dsnState(s string) string {
	if s == "" {
		return "unset"
	}
	return dsn.Redact(s)
}

func tokenState(tok Secret) string {
	if tok == "" {
		return "unset"
	}
	return "set"
}
