package config

import (
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/incidentbot/incidentbot/incident"
)

// writeConfig writes a YAML file in a fresh temporary folder and returns its
// path.
func writeConfig(tb testing.TB, yaml string) string {
	tb.Helper()
	path := filepath.Join(tb.TempDir(), "incidentbot.yaml")
	if err := os.WriteFile(path, []byte(yaml), 0o600); err != nil {
		tb.Fatal(err)
	}
	return path
}

// mustLoad loads or fails the test.
func mustLoad(tb testing.TB, path string, environ ...string) *Config {
	tb.Helper()
	c, err := Load(path, environ)
	if err != nil {
		tb.Fatalf("Load: %v", err)
	}
	return c
}

func TestLoadDefaultsWithNoFile(t *testing.T) {
	t.Chdir(t.TempDir()) // no ./config.yaml here
	got := mustLoad(t, "")
	want := Default()
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("Load with nothing:\n got %s\nwant %s", got, want)
	}
	if got.Slack.APIURL != "https://slack.com/api/" || got.Slack.Command != "/incident" ||
		got.Store.Path != "incidentbot.db" || got.HTTP.Listen != "127.0.0.1:8089" ||
		got.Log.Level != "info" || got.Log.Format != "json" || got.Incidents.ChannelPrefix != "inc" ||
		got.Slack.SilenceTimeout != 30*time.Second || got.Incidents.PostmortemReminder != 24*time.Hour {
		t.Errorf("scalar defaults differ from docs/contract.md: %s", got)
	}
	wantSev := []Severity{
		{Name: "SEV1", Description: "Critical: customers broadly affected", Reminder: 15 * time.Minute},
		{Name: "SEV2", Description: "Major: a key feature degraded", Reminder: 30 * time.Minute},
		{Name: "SEV3", Description: "Minor: limited impact", Reminder: 60 * time.Minute},
		{Name: "SEV4", Description: "Low: no customer impact yet", Reminder: 0},
	}
	if !reflect.DeepEqual(got.Incidents.Severities, wantSev) {
		t.Errorf("severities = %+v", got.Incidents.Severities)
	}
	if ids := roleIDs(got.Incidents.Roles); ids != "commander,comms,ops" {
		t.Errorf("roles = %s", ids)
	}
}

func TestLoadWhichFile(t *testing.T) {
	named := writeConfig(t, "store: {path: from-named.db}\n")
	fromEnv := writeConfig(t, "store: {path: from-env.db}\n")
	cwd := t.TempDir()
	if err := os.WriteFile(filepath.Join(cwd, "config.yaml"), []byte("store: {path: from-cwd.db}\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	t.Chdir(cwd)

	tests := []struct {
		name     string
		path     string
		environ  []string
		wantPath string
		wantFile string
	}{
		{"flag", named, nil, "from-named.db", named},
		{"INCIDENTBOT_CONFIG", "", []string{"INCIDENTBOT_CONFIG=" + fromEnv}, "from-env.db", fromEnv},
		{"flag wins over INCIDENTBOT_CONFIG", named, []string{"INCIDENTBOT_CONFIG=" + fromEnv}, "from-named.db", named},
		{"./config.yaml when present", "", nil, "from-cwd.db", "config.yaml"},
		{"empty INCIDENTBOT_CONFIG falls through", "", []string{"INCIDENTBOT_CONFIG="}, "from-cwd.db", "config.yaml"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := mustLoad(t, tt.path, tt.environ...)
			if c.Store.Path != tt.wantPath || c.File != tt.wantFile {
				t.Errorf("store.path=%q file=%q, want %q from %q", c.Store.Path, c.File, tt.wantPath, tt.wantFile)
			}
		})
	}
}

func TestLoadMissingNamedFile(t *testing.T) {
	missing := filepath.Join(t.TempDir(), "nope.yaml")
	for _, tt := range []struct {
		name    string
		path    string
		environ []string
		from    string
	}{
		{"flag", missing, nil, "(from --config) does not exist"},
		{"INCIDENTBOT_CONFIG", "", []string{"INCIDENTBOT_CONFIG=" + missing}, "(from INCIDENTBOT_CONFIG) does not exist"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Load(tt.path, tt.environ)
			if err == nil || !strings.Contains(err.Error(), missing) || !strings.Contains(err.Error(), tt.from) {
				t.Fatalf("err = %v, want one naming %s and saying it %s", err, missing, tt.from)
			}
		})
	}
}

func TestLoadEnvOverridesEveryScalarKey(t *testing.T) {
	file := writeConfig(t, `
slack: {bot_token: xoxb-file, app_token: xapp-file, api_url: "https://file.example/api/", command: /file, silence_timeout: 9m}
store: {path: file.db}
http: {listen: "127.0.0.1:1"}
templates: {dir: /file}
log: {level: error, format: console}
incidents: {channel_prefix: file, announce_channel: CFILE, postmortem_reminder: 9h}
`)
	tests := []struct {
		env  string
		val  string
		get  func(*Config) any
		want any
	}{
		{"INCIDENTBOT_SLACK_BOT_TOKEN", "xoxb-env", func(c *Config) any { return c.Slack.BotToken.Reveal() }, "xoxb-env"},
		{"INCIDENTBOT_SLACK_APP_TOKEN", "xapp-env", func(c *Config) any { return c.Slack.AppToken.Reveal() }, "xapp-env"},
		{"INCIDENTBOT_SLACK_API_URL", "http://127.0.0.1:9/api/", func(c *Config) any { return c.Slack.APIURL }, "http://127.0.0.1:9/api/"},
		{"INCIDENTBOT_SLACK_COMMAND", "/inc", func(c *Config) any { return c.Slack.Command }, "/inc"},
		{"INCIDENTBOT_SLACK_SILENCE_TIMEOUT", "1s", func(c *Config) any { return c.Slack.SilenceTimeout }, time.Second},
		{"INCIDENTBOT_STORE_PATH", "/data/env.db", func(c *Config) any { return c.Store.Path }, "/data/env.db"},
		{"INCIDENTBOT_STORE_DRIVER", "Postgres", func(c *Config) any { return c.Store.Driver }, "postgres"},
		{"INCIDENTBOT_STORE_DSN", "postgres://bot:pw@db/incidents\n", func(c *Config) any { return c.Store.DSN.Reveal() }, "postgres://bot:pw@db/incidents"},
		{"INCIDENTBOT_HTTP_LISTEN", "0.0.0.0:8089", func(c *Config) any { return c.HTTP.Listen }, "0.0.0.0:8089"},
		{"INCIDENTBOT_HTTP_LISTEN", "", func(c *Config) any { return c.HTTP.Listen }, ""},
		{"INCIDENTBOT_HTTP_TOKEN", "env-token-0123456789abcdefghijklmnop\n", func(c *Config) any { return c.HTTP.Token.Reveal() }, "env-token-0123456789abcdefghijklmnop"},
		{"INCIDENTBOT_TEMPLATES_DIR", "/env", func(c *Config) any { return c.Templates.Dir }, "/env"},
		{"INCIDENTBOT_LOG_LEVEL", "DEBUG", func(c *Config) any { return c.Log.Level }, "debug"},
		{"INCIDENTBOT_LOG_FORMAT", "json", func(c *Config) any { return c.Log.Format }, "json"},
		{"INCIDENTBOT_INCIDENTS_CHANNEL_PREFIX", "sev", func(c *Config) any { return c.Incidents.ChannelPrefix }, "sev"},
		{"INCIDENTBOT_INCIDENTS_ANNOUNCE_CHANNEL", "C0ENV", func(c *Config) any { return c.Incidents.AnnounceChannel }, "C0ENV"},
		{"INCIDENTBOT_INCIDENTS_POSTMORTEM_REMINDER", "0s", func(c *Config) any { return c.Incidents.PostmortemReminder }, time.Duration(0)},
		{"INCIDENTBOT_INCIDENTS_ARCHIVE_AFTER", "168h", func(c *Config) any { return c.Incidents.ArchiveAfter }, 168 * time.Hour},
		{"INCIDENTBOT_INCIDENTS_DRILLS_CHANNEL", "C0DRILLS1", func(c *Config) any { return c.Incidents.DrillsChannel }, "C0DRILLS1"},
		{"INCIDENTBOT_PAGERDUTY_ROUTING_KEY", "R0UTINGKEY\n", func(c *Config) any { return c.PagerDuty.RoutingKey.Reveal() }, "R0UTINGKEY"},
		{"INCIDENTBOT_PAGERDUTY_MIN_SEVERITY", "SEV1", func(c *Config) any { return c.PagerDuty.MinSeverity }, "SEV1"},
		{"INCIDENTBOT_PAGERDUTY_API_URL", "http://127.0.0.1:9/v2/enqueue", func(c *Config) any { return c.PagerDuty.APIURL }, "http://127.0.0.1:9/v2/enqueue"},
		{"INCIDENTBOT_ALERTMANAGER_DEFAULT_MODE", "Declare", func(c *Config) any { return c.Alertmanager.DefaultMode }, "declare"},
		{"INCIDENTBOT_ALERTMANAGER_TRIAGE_CHANNEL", "C0TRIAGE1", func(c *Config) any { return c.Alertmanager.TriageChannel }, "C0TRIAGE1"},
		{"INCIDENTBOT_ALERTMANAGER_SEVERITY_LABEL", "priority", func(c *Config) any { return c.Alertmanager.SeverityLabel }, "priority"},
		{"INCIDENTBOT_ALERTMANAGER_SERVICE_LABEL", "app", func(c *Config) any { return c.Alertmanager.ServiceLabel }, "app"},
		{"INCIDENTBOT_ALERTMANAGER_MAX_DECLARED_PER_MINUTE", "2", func(c *Config) any { return c.Alertmanager.MaxDeclaredPerMinute }, 2},
	}
	for _, tt := range tests {
		t.Run(tt.env+"="+tt.val, func(t *testing.T) {
			c := mustLoad(t, file, tt.env+"="+tt.val)
			if got := tt.get(c); got != tt.want {
				t.Errorf("got %v, want %v", got, tt.want)
			}
			if len(c.Warnings) != 0 {
				t.Errorf("warnings: %q", c.Warnings)
			}
		})
	}
	// Every overridable key has a row above.
	covered := map[string]bool{}
	for _, tt := range tests {
		covered[tt.env] = true
	}
	for _, k := range scalarKeys {
		if !covered[EnvName(k)] {
			t.Errorf("no test overrides %s with %s", k, EnvName(k))
		}
	}
}

func TestLoadTokenPrecedence(t *testing.T) {
	withFile := writeConfig(t, "slack: {bot_token: xoxb-file, app_token: xapp-file}\n")
	noFile := writeConfig(t, "")
	tests := []struct {
		name     string
		file     string
		environ  []string
		bot, app string
	}{
		{"file only", withFile, nil, "xoxb-file", "xapp-file"},
		{"conventional names without a file", noFile, []string{"SLACK_BOT_TOKEN=xoxb-conv", "SLACK_APP_TOKEN=xapp-conv"}, "xoxb-conv", "xapp-conv"},
		{"conventional names win over the file", withFile, []string{"SLACK_BOT_TOKEN=xoxb-conv", "SLACK_APP_TOKEN=xapp-conv"}, "xoxb-conv", "xapp-conv"},
		{"INCIDENTBOT_ names win over conventional ones", withFile, []string{
			"SLACK_BOT_TOKEN=xoxb-conv", "SLACK_APP_TOKEN=xapp-conv",
			"INCIDENTBOT_SLACK_BOT_TOKEN=xoxb-ours", "INCIDENTBOT_SLACK_APP_TOKEN=xapp-ours",
		}, "xoxb-ours", "xapp-ours"},
		{"empty variables are ignored for tokens", withFile, []string{"SLACK_BOT_TOKEN=", "INCIDENTBOT_SLACK_APP_TOKEN="}, "xoxb-file", "xapp-file"},
		{"trailing newline of a secrets file is trimmed", noFile, []string{"SLACK_BOT_TOKEN=xoxb-nl\n", "SLACK_APP_TOKEN= xapp-sp "}, "xoxb-nl", "xapp-sp"},
		{"a later duplicate wins", noFile, []string{"SLACK_BOT_TOKEN=xoxb-first", "SLACK_BOT_TOKEN=xoxb-last"}, "xoxb-last", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := mustLoad(t, tt.file, tt.environ...)
			if c.Slack.BotToken.Reveal() != tt.bot || c.Slack.AppToken.Reveal() != tt.app {
				t.Errorf("bot=%q app=%q, want %q %q", c.Slack.BotToken.Reveal(), c.Slack.AppToken.Reveal(), tt.bot, tt.app)
			}
		})
	}
}

func TestLoadFileValues(t *testing.T) {
	c := mustLoad(t, writeConfig(t, `
slack:
  api_url: http://127.0.0.1:4390/api   # no trailing slash: appended
  silence_timeout: 1s
incidents:
  announce_channel: C0ANNOUNCE
  postmortem_reminder: 0
  severities:
    - {name: P1, description: Everything is down, reminder: 1s}
    - {name: P2, description: Something is down, reminder: 90s}
    - {name: P3, description: Nothing is down}
  roles:
    - {id: scribe, name: Scribe}
    - {id: Commander, name: Incident Captain}
services:
  - {name: checkout, experts: [U0123ABC, W0456DEF], runbook: "https://wiki.example.com/runbooks/checkout"}
  - {name: search}
`))
	if c.Slack.APIURL != "http://127.0.0.1:4390/api/" {
		t.Errorf("api_url = %q, want the slash appended", c.Slack.APIURL)
	}
	if c.Slack.SilenceTimeout != time.Second || c.Incidents.PostmortemReminder != 0 {
		t.Errorf("silence_timeout=%s postmortem_reminder=%s", c.Slack.SilenceTimeout, c.Incidents.PostmortemReminder)
	}
	wantSev := []Severity{
		{Name: "P1", Description: "Everything is down", Reminder: time.Second},
		{Name: "P2", Description: "Something is down", Reminder: 90 * time.Second},
		{Name: "P3", Description: "Nothing is down", Reminder: 0},
	}
	if !reflect.DeepEqual(c.Incidents.Severities, wantSev) {
		t.Errorf("severities = %+v", c.Incidents.Severities)
	}
	wantRoles := []Role{
		{ID: "commander", Name: "Incident Captain"},
		{ID: "comms", Name: "Communications Lead"},
		{ID: "ops", Name: "Operations Lead"},
		{ID: "scribe", Name: "Scribe"},
	}
	if !reflect.DeepEqual(c.Incidents.Roles, wantRoles) {
		t.Errorf("roles = %+v", c.Incidents.Roles)
	}
	wantSvc := []Service{
		{Name: "checkout", Experts: []string{"U0123ABC", "W0456DEF"}, Runbook: "https://wiki.example.com/runbooks/checkout"},
		{Name: "search", Experts: []string{}},
	}
	if !reflect.DeepEqual(c.Services, wantSvc) {
		t.Errorf("services = %+v", c.Services)
	}
	if err := c.ValidateLocal(); err != nil {
		t.Errorf("ValidateLocal: %v", err)
	}
}

func TestLoadErrors(t *testing.T) {
	tests := []struct {
		name string
		yaml string
		env  []string
		want string
	}{
		{"unparseable YAML names file and line", "slack:\n  bot_token: [unclosed\nstore: {path: x}\n", nil, "line "},
		{"bad severity duration names the key", "incidents:\n  severities:\n    - {name: SEV1, reminder: 1m}\n    - {name: SEV2, reminder: 5 mins}\n",
			nil, `incidents.severities[1].reminder: "5 mins" is not a duration; use Go durations like 30s, 15m, 1h`},
		{"duration without unit", "incidents: {postmortem_reminder: 60}\n", nil, `incidents.postmortem_reminder: "60" is not a duration`},
		{"bad duration from env", "", []string{"INCIDENTBOT_SLACK_SILENCE_TIMEOUT=soon"}, `slack.silence_timeout: "soon" is not a duration`},
		{"wrong shape", "incidents:\n  severities: [SEV1, SEV2]\n", nil, "incidents.severities[0]"},
		{"top level is a list", "- a\n- b\n", nil, "yaml: unmarshal errors: line 1: cannot unmarshal"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			file := writeConfig(t, tt.yaml)
			_, err := Load(file, tt.env)
			if err == nil {
				t.Fatal("Load succeeded")
			}
			msg := err.Error()
			if !strings.Contains(msg, tt.want) {
				t.Errorf("err = %q, want it to contain %q", msg, tt.want)
			}
			if strings.Contains(msg, "\n") {
				t.Errorf("err spans lines: %q", msg)
			}
			if strings.Contains(tt.name, "YAML") && !strings.Contains(msg, file) {
				t.Errorf("err = %q, want it to name %s", msg, file)
			}
		})
	}
}

func TestLoadUnknownKeysWarn(t *testing.T) {
	c := mustLoad(t, writeConfig(t, `
slack: {bot_tokn: xoxb-typo}
incidents:
  severities:
    - {name: SEV1, remindr: 5m}
colour: blue
`), "INCIDENTBOT_STORE_PTH=x.db", "INCIDENTBOT_CONFIG_NOT=1", "PATH=/bin")
	joined := strings.Join(c.Warnings, "\n")
	for _, want := range []string{"slack.bot_tokn", "incidents.severities[0].remindr", "colour", "INCIDENTBOT_STORE_PTH", "INCIDENTBOT_CONFIG_NOT"} {
		if !strings.Contains(joined, want) {
			t.Errorf("warnings %q lack %s", c.Warnings, want)
		}
	}
	if strings.Contains(joined, "PATH=") || strings.Contains(joined, "xoxb-typo") {
		t.Errorf("warnings mention something they should not: %q", c.Warnings)
	}
}

func TestLoadShortHTTPTokenWarns(t *testing.T) {
	for _, tt := range []struct {
		token string
		warn  bool
	}{
		{"", false},
		{"hunter2-short", true},
		{strings.Repeat("ab", 16), false},
	} {
		c := mustLoad(t, "", "INCIDENTBOT_HTTP_TOKEN="+tt.token)
		joined := strings.Join(c.Warnings, "\n")
		if got := strings.Contains(joined, "http.token"); got != tt.warn {
			t.Errorf("token of %d characters: warnings %q, want a warning: %v", len(tt.token), c.Warnings, tt.warn)
		}
		if tt.token != "" && strings.Contains(joined, tt.token) {
			t.Errorf("a warning shows the token: %q", c.Warnings)
		}
	}
}

func TestLoadEmptyFileIsDefaults(t *testing.T) {
	file := writeConfig(t, "# nothing yet\n")
	c := mustLoad(t, file)
	want := Default()
	want.File = file
	if !reflect.DeepEqual(c, want) {
		t.Errorf("empty file:\n got %s\nwant %s", c, want)
	}
}

func TestSettingsIsACopy(t *testing.T) {
	c := mustLoad(t, writeConfig(t, "services:\n  - {name: checkout, experts: [U1AA]}\n"))
	s := c.Settings()
	want := incident.Settings{
		Severities: Default().Incidents.Severities,
		Roles:      Default().Incidents.Roles,
		Services:   []Service{{Name: "checkout", Experts: []string{"U1AA"}}},
	}
	if !reflect.DeepEqual(s, want) {
		t.Fatalf("Settings = %+v", s)
	}
	s.Severities[0].Name = "changed"
	s.Services[0].Experts[0] = "changed"
	if c.Incidents.Severities[0].Name != "SEV1" || c.Services[0].Experts[0] != "U1AA" {
		t.Error("changing Settings changed the Config")
	}
}

func roleIDs(roles []Role) string {
	ids := make([]string, len(roles))
	for i, r := range roles {
		ids[i] = r.ID
	}
	return strings.Join(ids, ",")
}
