package config

import (
	"strings"
	"testing"
	"time"
)

// Token values that must never show up in an error or a log line.
const (
	secretBot = "xoxb-1111-2222-SECRETbotVALUE"
	secretApp = "xapp-1-A111-3333-SECRETappVALUE"
	secretUsr = "xoxp-4444-SECRETuserVALUE"
	// secretHTTP is shaped like nothing in particular, as http.token may be.
	secretHTTP = "SECREThttpVALUE-0123456789abcdefghij"
)

// valid returns a configuration that passes Validate.
func valid() *Config {
	c := Default()
	c.Slack.BotToken = secretBot
	c.Slack.AppToken = secretApp
	c.Services = []Service{{Name: "checkout", Experts: []string{"U0123ABC"}, Runbook: "https://wiki.example.com/runbooks/checkout"}}
	return c
}

func TestValidate(t *testing.T) {
	tests := []struct {
		name   string
		change func(*Config)
		want   string // "" = valid
	}{
		{"valid", func(*Config) {}, ""},
		{"announce channel and extra role", func(c *Config) {
			c.Incidents.AnnounceChannel = "C0123ABC"
			c.Incidents.Roles = append(c.Incidents.Roles, Role{ID: "scribe", Name: "Scribe"})
		}, ""},
		{"listener disabled", func(c *Config) { c.HTTP.Listen = "" }, ""},
		{"loopback emulator", func(c *Config) { c.Slack.APIURL = "http://127.0.0.1:4390/api/" }, ""},
		{"templates dir exists", func(c *Config) { c.Templates.Dir = t.TempDir() }, ""},

		{"missing bot token", func(c *Config) { c.Slack.BotToken = "" },
			"slack.bot_token is not set: put your bot token (xoxb-…) in the config file or in SLACK_BOT_TOKEN"},
		{"missing app token", func(c *Config) { c.Slack.AppToken = "" }, "slack.app_token is not set"},
		{"swapped tokens", func(c *Config) { c.Slack.BotToken, c.Slack.AppToken = secretApp, secretBot }, "swapped"},
		{"app token as bot token", func(c *Config) { c.Slack.BotToken = secretApp }, "slack.bot_token holds an app-level token"},
		{"user token as bot token", func(c *Config) { c.Slack.BotToken = secretUsr }, "slack.bot_token holds a user token"},
		{"garbage bot token", func(c *Config) { c.Slack.BotToken = "hunter2-SECRETgarbage" }, "slack.bot_token is not a bot token"},
		{"bot token as app token", func(c *Config) { c.Slack.AppToken = secretBot }, "slack.app_token holds a bot token"},
		{"garbage app token", func(c *Config) { c.Slack.AppToken = secretUsr }, "slack.app_token is not an app-level token"},

		{"api_url not http", func(c *Config) { c.Slack.APIURL = "slack.com/api/" }, "slack.api_url"},
		{"bad command", func(c *Config) { c.Slack.Command = "incident" }, "slack.command"},
		{"zero silence timeout", func(c *Config) { c.Slack.SilenceTimeout = 0 }, "slack.silence_timeout"},
		{"empty store path", func(c *Config) { c.Store.Path = " " }, "store.path"},
		{"bad listen", func(c *Config) { c.HTTP.Listen = "8089" }, "http.listen"},
		{"http token", func(c *Config) { c.HTTP.Token = secretHTTP }, ""},
		{"http token short but well-formed", func(c *Config) { c.HTTP.Token = "short-token" }, ""},
		{"http token with a space", func(c *Config) { c.HTTP.Token = "a " + secretHTTP }, "http.token has a space"},
		{"missing templates dir", func(c *Config) { c.Templates.Dir = "/does/not/exist" }, "templates.dir"},
		{"bad log level", func(c *Config) { c.Log.Level = "verbose" }, "log.level \"verbose\" is not a level: use debug, info, warn or error"},
		{"bad log format", func(c *Config) { c.Log.Format = "xml" }, "log.format"},

		{"upper-case channel prefix", func(c *Config) { c.Incidents.ChannelPrefix = "INC" }, "incidents.channel_prefix"},
		{"empty channel prefix", func(c *Config) { c.Incidents.ChannelPrefix = "" }, "incidents.channel_prefix"},
		{"long channel prefix", func(c *Config) { c.Incidents.ChannelPrefix = strings.Repeat("a", 21) }, "incidents.channel_prefix"},
		{"prefix with a space", func(c *Config) { c.Incidents.ChannelPrefix = "in c" }, "incidents.channel_prefix"},
		{"announce channel by name", func(c *Config) { c.Incidents.AnnounceChannel = "#incidents" }, "incidents.announce_channel"},
		{"drills channel", func(c *Config) { c.Incidents.AnnounceChannel, c.Incidents.DrillsChannel = "C0123ABC", "C0456DEF" }, ""},
		{"drills channel is the announce channel", func(c *Config) { c.Incidents.AnnounceChannel, c.Incidents.DrillsChannel = "C0123ABC", "C0123ABC" },
			"incidents.drills_channel is the announce channel C0123ABC"},
		{"negative postmortem reminder", func(c *Config) { c.Incidents.PostmortemReminder = -time.Hour }, "incidents.postmortem_reminder"},

		{"no severities", func(c *Config) { c.Incidents.Severities = nil }, "incidents.severities is empty"},
		{"duplicate severity", func(c *Config) {
			c.Incidents.Severities = append(c.Incidents.Severities, Severity{Name: "sev2"})
		}, `incidents.severities[4].name "sev2" repeats incidents.severities[1]`},
		{"severity with a space", func(c *Config) { c.Incidents.Severities[0].Name = "SEV 1" }, "incidents.severities[0].name"},
		{"negative reminder", func(c *Config) { c.Incidents.Severities[2].Reminder = -time.Minute }, "incidents.severities[2].reminder"},

		{"empty role id", func(c *Config) { c.Incidents.Roles = append(c.Incidents.Roles, Role{Name: "Nobody"}) }, "incidents.roles[3].id"},
		{"duplicate role id", func(c *Config) {
			c.Incidents.Roles = append(c.Incidents.Roles, Role{ID: "OPS", Name: "Ops again"})
		}, `incidents.roles[3].id "OPS" repeats incidents.roles[2]`},
		{"role without name", func(c *Config) { c.Incidents.Roles = append(c.Incidents.Roles, Role{ID: "scribe"}) }, "incidents.roles[3].name"},

		{"service without name", func(c *Config) { c.Services = append(c.Services, Service{}) }, "services[1].name is empty"},
		{"duplicate service", func(c *Config) { c.Services = append(c.Services, Service{Name: "Checkout"}) }, "services[1].name"},
		{"service name too long", func(c *Config) { c.Services[0].Name = strings.Repeat("é", 76) }, "services[0].name is 76 characters long"},
		{"expert by name", func(c *Config) { c.Services[0].Experts = []string{"@alice"} }, "services[0].experts[0]"},
		{"runbook not http", func(c *Config) { c.Services[0].Runbook = "file:///etc/passwd" }, "services[0].runbook"},
		{"runbook without scheme", func(c *Config) { c.Services[0].Runbook = "wiki/checkout" }, "services[0].runbook"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := valid()
			tt.change(c)
			err := c.Validate()
			if tt.want == "" {
				if err != nil {
					t.Fatalf("Validate: %v", err)
				}
				return
			}
			if err == nil {
				t.Fatalf("Validate passed, want %q", tt.want)
			}
			msg := err.Error()
			if !strings.Contains(msg, tt.want) {
				t.Errorf("err = %q, want it to contain %q", msg, tt.want)
			}
			assertNoSecret(t, msg)
			if strings.Contains(msg, "\n") {
				t.Errorf("err spans lines: %q", msg)
			}
		})
	}
}

func TestValidateLocalIgnoresSlack(t *testing.T) {
	c := valid()
	c.Slack.BotToken, c.Slack.AppToken = "", ""
	if err := c.ValidateLocal(); err != nil {
		t.Errorf("ValidateLocal without tokens: %v", err)
	}
	if err := c.Validate(); err == nil {
		t.Error("Validate without tokens passed")
	}
}

// TestNoTokenInAnyMessage puts the tokens wherever a message could pick them
// up — the config file, both kinds of environment variable, wrong places and
// wrong shapes — and checks every error, warning and summary.
func TestNoTokenInAnyMessage(t *testing.T) {
	tests := []struct {
		name    string
		yaml    string
		environ []string
	}{
		{"swapped in file", "slack: {bot_token: " + secretApp + ", app_token: " + secretBot + "}\n", nil},
		{"swapped in env", "", []string{"SLACK_BOT_TOKEN=" + secretApp, "INCIDENTBOT_SLACK_APP_TOKEN=" + secretBot}},
		{"user token", "", []string{"INCIDENTBOT_SLACK_BOT_TOKEN=" + secretUsr, "SLACK_APP_TOKEN=" + secretApp}},
		{"token as a list", "slack: {bot_token: [" + secretBot + "]}\n", nil},
		{"token as a map", "slack: {bot_token: {value: " + secretBot + "}}\n", nil},
		{"token in a typo'd key", "slack: {bot_tokn: " + secretBot + "}\n", nil},
		{"token pasted into a duration", "slack: {silence_timeout: " + secretBot + "}\n", nil},
		{"token pasted into api_url", "slack: {api_url: " + secretBot + "}\n", []string{"SLACK_BOT_TOKEN=" + secretBot, "SLACK_APP_TOKEN=" + secretApp}},
		{"token pasted into announce_channel", "incidents: {announce_channel: " + secretApp + "}\n", []string{"SLACK_BOT_TOKEN=" + secretBot, "SLACK_APP_TOKEN=" + secretApp}},
		{"token pasted into the env duration", "", []string{"INCIDENTBOT_INCIDENTS_POSTMORTEM_REMINDER=" + secretApp}},
		{"token in broken YAML", "slack:\n  bot_token: \"" + secretBot + "\n  app_token: [\n", nil},
		{"http token with a tab", "http: {token: \"SECRET\\t" + secretHTTP + "\"}\n", []string{"SLACK_BOT_TOKEN=" + secretBot, "SLACK_APP_TOKEN=" + secretApp}},
		{"http token with a space", "http: {token: \"SECRET " + secretHTTP + "\"}\n", []string{"SLACK_BOT_TOKEN=" + secretBot, "SLACK_APP_TOKEN=" + secretApp}},
		{"http token as a list", "http: {token: [" + secretHTTP + "]}\n", nil},
		{"http token as a map", "http: {token: {value: " + secretHTTP + "}}\n", nil},
		{"http token from env, other mistake", "log: {level: loud}\n", []string{"INCIDENTBOT_HTTP_TOKEN=" + secretHTTP, "SLACK_BOT_TOKEN=" + secretBot, "SLACK_APP_TOKEN=" + secretApp}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := Load(writeConfig(t, tt.yaml), tt.environ)
			var msgs []string
			if err != nil {
				msgs = append(msgs, err.Error())
			} else {
				msgs = append(msgs, c.Warnings...)
				msgs = append(msgs, c.Redacted(), c.String())
				err = c.Validate()
				if err == nil {
					t.Fatal("Validate passed; each case should be wrong somewhere")
				}
				msgs = append(msgs, err.Error())
			}
			for _, m := range msgs {
				assertNoSecret(t, m)
			}
		})
	}
}

func TestRedacted(t *testing.T) {
	c := valid()
	got := c.Redacted()
	assertNoSecret(t, got)
	if !strings.Contains(got, "http.token=unset") {
		t.Errorf("Redacted() = %q, want http.token=unset", got)
	}
	c.HTTP.Token = secretHTTP
	got = c.Redacted()
	assertNoSecret(t, got)
	for _, want := range []string{"http.token=set", "slack.bot_token=set", "slack.app_token=set", "store.path=incidentbot.db", "SEV1(15m0s)", "roles=commander,comms,ops", "services=checkout"} {
		if !strings.Contains(got, want) {
			t.Errorf("Redacted() = %q, want %q in it", got, want)
		}
	}
}

func assertNoSecret(tb testing.TB, msg string) {
	tb.Helper()
	for _, s := range []string{secretBot, secretApp, secretUsr, secretHTTP, "SECRET"} {
		if strings.Contains(msg, s) {
			tb.Errorf("message leaks a token: %q", msg)
		}
	}
}
