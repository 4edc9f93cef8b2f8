package config

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"sort"
	"strings"

	"github.com/go-viper/mapstructure/v2"
	"github.com/spf13/viper"

	"github.com/incidentbot/incidentbot/internal/dsn"
)

// EnvPrefix starts every environment variable that overrides a key.
const EnvPrefix = "INCIDENTBOT_"

// EnvConfig names the configuration file when --config is not given.
const EnvConfig = EnvPrefix + "CONFIG"

// defaultFile is read when neither --config nor INCIDENTBOT_CONFIG names a
// file and it exists in the working directory.
const defaultFile = "config.yaml"

// scalarKeys are the keys an environment variable can override. Lists
// (severities, roles, services) come from the file only.
var scalarKeys = []string{
	"slack.bot_token",
	"slack.app_token",
	"slack.api_url",
	"slack.command",
	"slack.silence_timeout",
	"store.path",
	"store.driver",
	"store.dsn",
	"http.listen",
	"http.token",
	"templates.dir",
	"log.level",
	"log.format",
	"incidents.channel_prefix",
	"incidents.announce_channel",
	"incidents.postmortem_reminder",
	"incidents.archive_after",
	"incidents.drills_channel",
	"pagerduty.routing_key",
	"pagerduty.min_severity",
	"pagerduty.api_url",
	"alertmanager.default_mode",
	"alertmanager.triage_channel",
	"alertmanager.severity_label",
	"alertmanager.service_label",
	"alertmanager.max_declared_per_minute",
}

// conventionalEnv are the well-known variable names the tokens are also read
// from; INCIDENTBOT_SLACK_* wins over them.
var conventionalEnv = map[string]string{
	"slack.bot_token": "SLACK_BOT_TOKEN",
	"slack.app_token": "SLACK_APP_TOKEN",
}

// EnvName is the environment variable that overrides key:
// INCIDENTBOT_ + the key path upper-cased with "." → "_".
func EnvName(key string) string {
	return EnvPrefix + strings.ToUpper(strings.ReplaceAll(key, ".", "_"))
}

// Load reads the configuration. The file is path when given, else the one
// named by INCIDENTBOT_CONFIG in environ, else ./config.yaml when it exists,
// else none (defaults only). Environment variables in environ (KEY=VALUE, as
// os.Environ returns them) override the file; the process environment is
// never consulted behind the caller's back.
//
// Load only parses: call Validate (for run) or ValidateLocal (for commands
// that do not talk to Slack) before using the result. Errors are one line,
// name the file or key, and never contain a token.
func Load(path string, environ []string) (*Config, error) {
	env := envMap(environ)
	file, err := configFile(path, env)
	if err != nil {
		return nil, err
	}
	c, err := load(file, env)
	if err != nil {
		// Tokens may already be known from the environment.
		dsnEnv := env[EnvName("store.dsn")]
		return nil, errors.New(redact(err.Error(), env[EnvName("slack.bot_token")], env["SLACK_BOT_TOKEN"], env[EnvName("slack.app_token")], env["SLACK_APP_TOKEN"], env[EnvName("http.token")], env[EnvName("pagerduty.routing_key")], dsnEnv, dsn.Password(dsnEnv)))
	}
	return c, nil
}

func load(file string, env map[string]string) (*Config, error) {
	v := viper.New()
	def := Default()
	defaults := map[string]any{
		"slack.api_url":                 def.Slack.APIURL,
		"slack.command":                 def.Slack.Command,
		"slack.silence_timeout":         def.Slack.SilenceTimeout.String(),
		"store.path":                    def.Store.Path,
		"store.driver":                  def.Store.Driver,
		"http.listen":                   def.HTTP.Listen,
		"log.level":                     def.Log.Level,
		"log.format":                    def.Log.Format,
		"incidents.channel_prefix":      def.Incidents.ChannelPrefix,
		"incidents.postmortem_reminder": def.Incidents.PostmortemReminder.String(),
		"incidents.archive_after":       def.Incidents.ArchiveAfter.String(),
		"pagerduty.min_severity":        def.PagerDuty.MinSeverity,
		"pagerduty.api_url":             def.PagerDuty.APIURL,
	}
	for k, val := range defaults {
		v.SetDefault(k, val)
	}

	if file != "" {
		data, err := os.ReadFile(file)
		if err != nil {
			return nil, fmt.Errorf("read config file: %w", err)
		}
		v.SetConfigType("yaml")
		if err := v.ReadConfig(bytes.NewReader(data)); err != nil {
			// viper's "While parsing config:" prefix adds nothing; the YAML
			// error itself names the line.
			var pe viper.ConfigParseError
			if errors.As(err, &pe) {
				err = pe.Unwrap()
			}
			return nil, fmt.Errorf("config file %s: %s", file, oneLine(err))
		}
	}
	warnings := applyEnv(v, env)

	var raw rawConfig
	var md mapstructure.Metadata
	if err := v.Unmarshal(&raw, func(dc *mapstructure.DecoderConfig) { dc.Metadata = &md }); err != nil {
		return nil, fmt.Errorf("config file %s: %s", file, oneLine(err))
	}
	sort.Strings(md.Unused)
	for _, k := range md.Unused {
		warnings = append(warnings, fmt.Sprintf("config file %s: unknown key %s is ignored (a typo?)", file, k))
	}

	c, err := raw.config(v.IsSet("incidents.severities"))
	if err != nil {
		return nil, err
	}
	if n := len(c.HTTP.Token.Reveal()); n > 0 && n < minHTTPToken {
		// A short token still works: refusing to start would take the
		// incident bot down over a bearer token's strength.
		warnings = append(warnings, fmt.Sprintf("http.token is %d characters; use %d or more random ones (openssl rand -hex 32)", n, minHTTPToken))
	}
	c.File = file
	c.Warnings = warnings
	return c, nil
}

// minHTTPToken is the length below which http.token is warned about:
// 32 random hex characters are 128 bits.
const minHTTPToken = 32

// configFile resolves which file to read; "" means none.
func configFile(path string, env map[string]string) (string, error) {
	from := "--config"
	if path == "" {
		path, from = env[EnvConfig], EnvConfig
	}
	if path != "" {
		// A file that was asked for by name must exist.
		_, err := os.Stat(path)
		if errors.Is(err, fs.ErrNotExist) {
			return "", fmt.Errorf("config file %s (from %s) does not exist: give the path of your config file, or leave %s out to use ./config.yaml or the defaults", path, from, from)
		}
		if err != nil {
			return "", fmt.Errorf("config file: %w", err)
		}
		return path, nil
	}
	if _, err := os.Stat(defaultFile); err == nil {
		return defaultFile, nil
	}
	return "", nil
}

// applyEnv sets every key overridden in env and returns warnings for
// INCIDENTBOT_ variables that override nothing.
func applyEnv(v *viper.Viper, env map[string]string) []string {
	known := map[string]bool{EnvConfig: true}
	for _, key := range scalarKeys {
		name := EnvName(key)
		known[name] = true
		if val, ok := env[name]; ok && (val != "" || !isToken(key)) {
			// A variable set to "" still overrides (INCIDENTBOT_HTTP_LISTEN=
			// disables the listener), except for tokens, where "" is never
			// meant.
			v.Set(key, val)
			continue
		}
		if alt, ok := conventionalEnv[key]; ok && env[alt] != "" {
			v.Set(key, env[alt])
		}
	}
	var warnings []string
	for name := range env {
		if strings.HasPrefix(name, EnvPrefix) && !known[name] {
			warnings = append(warnings, fmt.Sprintf("environment variable %s overrides no key and is ignored (a typo?)", name))
		}
	}
	sort.Strings(warnings)
	return warnings
}

func isToken(key string) bool { return conventionalEnv[key] != "" }

// envMap turns KEY=VALUE pairs into a map; a later duplicate wins, as it does
// for os/exec.
func envMap(environ []string) map[string]string {
	m := make(map[string]string, len(environ))
	for _, kv := range environ {
		if k, v, ok := strings.Cut(kv, "="); ok && k != "" {
			m[k] = v
		}
	}
	return m
}

// oneLine flattens a multi-line library error so that main can print it as
// one line: mapstructure lists one error per line under a header, yaml puts
// "unmarshal errors:" above its list.
func oneLine(err error) string {
	var b strings.Builder
	for _, line := range strings.Split(err.Error(), "\n") {
		line = strings.TrimPrefix(strings.TrimSpace(line), "* ")
		if line == "" || strings.HasSuffix(line, "error(s):") {
			continue
		}
		if b.Len() > 0 {
			if strings.HasSuffix(b.String(), ":") {
				b.WriteString(" ")
			} else {
				b.WriteString("; ")
			}
		}
		b.WriteString(line)
	}
	return b.String()
}
