package config

import (
	"errors"
	"fmt"
	"net"
	"net/url"
	"os"
	"regexp"
	"strings"
	"unicode/utf8"
)

// maxServiceName is the longest service name: Slack's limit for the text
// of a select option.
const maxServiceName = 75

var (
	// Slack channel names allow a-z 0-9 - _ and 80 characters; the prefix is
	// kept short so that "<prefix>-<N>-<slug>" leaves room for the title.
	channelPrefixPattern = regexp.MustCompile(`^[a-z0-9][a-z0-9_-]{0,19}$`)
	// Severity names and role IDs are typed as one word in slash commands
	// ("declare SEV1 …", "role comms @ann") and used as option values.
	wordPattern = regexp.MustCompile(`^[A-Za-z0-9_-]{1,32}$`)
	// conversations.invite takes member IDs, not names.
	userIDPattern    = regexp.MustCompile(`^[UW][A-Z0-9]{2,}$`)
	channelIDPattern = regexp.MustCompile(`^[CG][A-Z0-9]{2,}$`)
	commandPattern   = regexp.MustCompile(`^/[a-z0-9_-]{1,31}$`)
)

// Validate checks everything `run` needs, the Slack tokens included. The
// error is one line that names the key and says how to fix it; it never
// contains a token.
func (c *Config) Validate() error {
	if err := c.validateSlack(); err != nil {
		return errors.New(redact(err.Error(), c.secrets()...))
	}
	return c.ValidateLocal()
}

// ValidateLocal checks everything except the connection to Slack: what a
// command that only reads the store (export) needs.
func (c *Config) ValidateLocal() error {
	for _, check := range []func() error{c.validateStore, c.validatePaths, c.validateHTTPToken, c.validateLog, c.validateIncidents, c.validateServices, c.validateIntegrations, c.validateAlertmanager} {
		if err := check(); err != nil {
			return errors.New(redact(err.Error(), c.secrets()...))
		}
	}
	return nil
}

func (c *Config) validateSlack() error {
	if err := checkTokens(c.Slack.BotToken.Reveal(), c.Slack.AppToken.Reveal()); err != nil {
		return err
	}
	u, err := url.Parse(c.Slack.APIURL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return fmt.Errorf("slack.api_url %q is not an http(s) URL: use https://slack.com/api/ (GovSlack: https://slack-gov.com/api/)", c.Slack.APIURL)
	}
	if !commandPattern.MatchString(c.Slack.Command) {
		return fmt.Errorf("slack.command %q is not a slash command: use a slash and up to 31 lower-case letters, digits, - or _, e.g. /incident", c.Slack.Command)
	}
	if c.Slack.SilenceTimeout <= 0 {
		return fmt.Errorf("slack.silence_timeout is %s: it must be positive, e.g. 30s", c.Slack.SilenceTimeout)
	}
	return nil
}

// checkTokens says which token is missing or of the wrong kind. It names the
// kind (the prefix) only, never the value.
func checkTokens(bot, app string) error {
	const (
		botHelp = "the Bot User OAuth Token under OAuth & Permissions, starting with xoxb-"
		appHelp = "an app-level token with the connections:write scope under Basic Information → App-Level Tokens, starting with xapp-"
	)
	switch {
	case strings.HasPrefix(bot, "xapp-") && strings.HasPrefix(app, "xoxb-"):
		return errors.New("slack.bot_token and slack.app_token are swapped: the bot token starts with xoxb-, the app-level token with xapp-")
	case bot == "":
		return errors.New("slack.bot_token is not set: put your bot token (xoxb-…) in the config file or in SLACK_BOT_TOKEN")
	case strings.HasPrefix(bot, "xapp-"):
		return errors.New("slack.bot_token holds an app-level token (xapp-…): use " + botHelp)
	case strings.HasPrefix(bot, "xoxp-"):
		return errors.New("slack.bot_token holds a user token (xoxp-…): use " + botHelp)
	case !strings.HasPrefix(bot, "xoxb-"):
		return errors.New("slack.bot_token is not a bot token: use " + botHelp)
	case app == "":
		return errors.New("slack.app_token is not set: Socket Mode needs " + appHelp + "; put it in the config file or in SLACK_APP_TOKEN")
	case strings.HasPrefix(app, "xoxb-"):
		return errors.New("slack.app_token holds a bot token (xoxb-…): Socket Mode needs " + appHelp)
	case !strings.HasPrefix(app, "xapp-"):
		return errors.New("slack.app_token is not an app-level token: Socket Mode needs " + appHelp)
	}
	return nil
}

// validateStore checks the driver and what it needs, never quoting the
// DSN (it may hold a password).
func (c *Config) validateStore() error {
	switch c.Store.Driver {
	case DriverBbolt:
		return nil
	case DriverPostgres:
		if c.Store.DSN == "" {
			return errors.New("store.driver is postgres but store.dsn is empty: give the database's connection string, e.g. postgres://incidentbot@db.internal:5432/incidentbot, in the config file or in INCIDENTBOT_STORE_DSN")
		}
		return nil
	}
	return fmt.Errorf("store.driver %q is not a store: use bbolt (one file, the default) or postgres (a shared database, for replicas)", c.Store.Driver)
}

func (c *Config) validatePaths() error {
	if c.Store.Driver == DriverBbolt && strings.TrimSpace(c.Store.Path) == "" {
		return errors.New("store.path is empty: give the file the bot keeps its state in, e.g. incidentbot.db")
	}
	if c.Templates.Dir != "" {
		if fi, err := os.Stat(c.Templates.Dir); err != nil || !fi.IsDir() {
			return fmt.Errorf("templates.dir %q is not a readable folder: give a folder of template overrides, or \"\" for the built-in templates", c.Templates.Dir)
		}
	}
	if c.HTTP.Listen != "" {
		if _, _, err := net.SplitHostPort(c.HTTP.Listen); err != nil {
			return fmt.Errorf("http.listen %q is not host:port: use e.g. 127.0.0.1:8089, or \"\" to disable the ops listener", c.HTTP.Listen)
		}
	}
	return nil
}

// validateHTTPToken checks http.token's shape, never quoting it: a bearer
// token goes in an Authorization header, so it is visible ASCII. Its length
// is the operator's choice (the docs recommend `openssl rand -hex 32`):
// refusing to start over a short token would take the whole bot down for a
// setting that only guards the HTTP routes.
func (c *Config) validateHTTPToken() error {
	tok := c.HTTP.Token.Reveal()
	if tok == "" {
		return nil
	}
	for _, r := range tok {
		if r <= ' ' || r > '~' {
			return errors.New("http.token has a space or a character outside visible ASCII: use letters, digits and punctuation only, e.g. the output of `openssl rand -hex 32`")
		}
	}
	return nil
}

func (c *Config) validateLog() error {
	switch c.Log.Level {
	case "debug", "info", "warn", "error":
	default:
		return fmt.Errorf("log.level %q is not a level: use debug, info, warn or error", c.Log.Level)
	}
	switch c.Log.Format {
	case "json", "console":
	default:
		return fmt.Errorf("log.format %q is not a format: use json or console", c.Log.Format)
	}
	return nil
}

func (c *Config) validateIncidents() error {
	in := c.Incidents
	if !channelPrefixPattern.MatchString(in.ChannelPrefix) {
		return fmt.Errorf("incidents.channel_prefix %q is not a valid prefix: use 1 to 20 lower-case letters, digits, - or _, starting with a letter or digit, e.g. inc", in.ChannelPrefix)
	}
	if in.AnnounceChannel != "" && !channelIDPattern.MatchString(in.AnnounceChannel) {
		return fmt.Errorf("incidents.announce_channel %q is not a channel ID: use the ID (such as C0123ABCD, under the channel's name → About), not its name, or \"\" for no announcements", in.AnnounceChannel)
	}
	if in.PostmortemReminder < 0 {
		return fmt.Errorf("incidents.postmortem_reminder is %s: use a positive duration such as 24h, or 0 to disable it", in.PostmortemReminder)
	}
	if in.ArchiveAfter < 0 {
		return fmt.Errorf("incidents.archive_after is %s: use a positive duration such as 168h, or 0 to never archive", in.ArchiveAfter)
	}
	if in.DrillsChannel != "" && !channelIDPattern.MatchString(in.DrillsChannel) {
		return fmt.Errorf("incidents.drills_channel %q is not a channel ID: use the ID (such as C0123ABCD, under the channel's name → About), not its name, or \"\" to announce drills nowhere", in.DrillsChannel)
	}
	if in.DrillsChannel != "" && in.DrillsChannel == in.AnnounceChannel {
		// A drill announced there would be taken for a real incident.
		return fmt.Errorf("incidents.drills_channel is the announce channel %s: drills are never announced there; use another channel, or \"\" to announce drills nowhere", in.DrillsChannel)
	}
	if len(in.Severities) == 0 {
		return errors.New("incidents.severities is empty: list at least one severity, most severe first, e.g. {name: SEV1, description: Critical, reminder: 15m}")
	}
	seen := map[string]int{}
	for i, s := range in.Severities {
		key := fmt.Sprintf("incidents.severities[%d]", i)
		if !wordPattern.MatchString(s.Name) {
			return fmt.Errorf("%s.name %q is not a severity name: use one word of up to 32 letters, digits, - or _, e.g. SEV1", key, s.Name)
		}
		if j, dup := seen[strings.ToLower(s.Name)]; dup {
			return fmt.Errorf("%s.name %q repeats incidents.severities[%d]: severity names must differ (case does not count)", key, s.Name, j)
		}
		seen[strings.ToLower(s.Name)] = i
		if s.Reminder < 0 {
			return fmt.Errorf("%s.reminder is %s: use a positive duration such as 30m, or 0 for no reminders", key, s.Reminder)
		}
	}
	seen = map[string]int{}
	for i, r := range in.Roles {
		key := fmt.Sprintf("incidents.roles[%d]", i)
		if !wordPattern.MatchString(r.ID) {
			return fmt.Errorf("%s.id %q is not a role id: use one word of up to 32 letters, digits, - or _, e.g. scribe", key, r.ID)
		}
		if j, dup := seen[strings.ToLower(r.ID)]; dup {
			return fmt.Errorf("%s.id %q repeats incidents.roles[%d]: role ids must differ (case does not count)", key, r.ID, j)
		}
		seen[strings.ToLower(r.ID)] = i
		if strings.TrimSpace(r.Name) == "" {
			return fmt.Errorf("%s.name is empty: give role %s a name people will read, e.g. Scribe", key, r.ID)
		}
	}
	return nil
}

func (c *Config) validateServices() error {
	seen := map[string]int{}
	for i, s := range c.Services {
		key := fmt.Sprintf("services[%d]", i)
		if s.Name == "" {
			return fmt.Errorf("%s.name is empty: every service needs a name, e.g. checkout", key)
		}
		// The declare form offers each service as a select option, whose
		// text Slack caps at 75 characters: a longer name could be neither
		// shown whole nor told apart from another one.
		if n := utf8.RuneCountInString(s.Name); n > maxServiceName {
			return fmt.Errorf("%s.name is %d characters long: keep it to %d, the most the declare form can show", key, n, maxServiceName)
		}
		if j, dup := seen[strings.ToLower(s.Name)]; dup {
			return fmt.Errorf("%s.name %q repeats services[%d]: service names must differ (case does not count)", key, s.Name, j)
		}
		seen[strings.ToLower(s.Name)] = i
		for k, e := range s.Experts {
			if !userIDPattern.MatchString(e) {
				return fmt.Errorf("%s.experts[%d] %q is not a Slack member ID: use the ID (such as U0123ABCD, from the profile's ⋮ → Copy member ID), not a name", key, k, e)
			}
		}
		if s.Runbook != "" {
			u, err := url.Parse(s.Runbook)
			if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
				return fmt.Errorf("%s.runbook %q is not an http(s) URL: use a link such as https://wiki.example.com/runbooks/%s, or leave it out", key, s.Runbook, s.Name)
			}
		}
	}
	return nil
}
