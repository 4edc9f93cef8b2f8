package config

import (
	"fmt"
	"strings"
	"time"
)

// rawConfig mirrors the file. Durations are strings so that a bad one is
// reported with its key and a hint, not as a decoder error.
type rawConfig struct {
	Slack struct {
		BotToken       string `mapstructure:"bot_token"`
		AppToken       string `mapstructure:"app_token"`
		APIURL         string `mapstructure:"api_url"`
		Command        string `mapstructure:"command"`
		SilenceTimeout string `mapstructure:"silence_timeout"`
	} `mapstructure:"slack"`
	Store struct {
		Driver string `mapstructure:"driver"`
		Path   string `mapstructure:"path"`
		DSN    string `mapstructure:"dsn"`
	} `mapstructure:"store"`
	HTTP struct {
		Listen string `mapstructure:"listen"`
		Token  string `mapstructure:"token"`
	} `mapstructure:"http"`
	Templates struct {
		Dir string `mapstructure:"dir"`
	} `mapstructure:"templates"`
	Log struct {
		Level  string `mapstructure:"level"`
		Format string `mapstructure:"format"`
	} `mapstructure:"log"`
	Incidents struct {
		ChannelPrefix      string        `mapstructure:"channel_prefix"`
		AnnounceChannel    string        `mapstructure:"announce_channel"`
		Severities         []rawSeverity `mapstructure:"severities"`
		Roles              []rawRole     `mapstructure:"roles"`
		PostmortemReminder string        `mapstructure:"postmortem_reminder"`
		ArchiveAfter       string        `mapstructure:"archive_after"`
		DrillsChannel      string        `mapstructure:"drills_channel"`
	} `mapstructure:"incidents"`
	Services     []rawService    `mapstructure:"services"`
	Webhooks     []rawWebhook    `mapstructure:"webhooks"`
	PagerDuty    rawPagerDuty    `mapstructure:"pagerduty"`
	Alertmanager rawAlertmanager `mapstructure:"alertmanager"`
}

type rawSeverity struct {
	Name        string `mapstructure:"name"`
	Description string `mapstructure:"description"`
	Reminder    string `mapstructure:"reminder"`
}

type rawRole struct {
	ID   string `mapstructure:"id"`
	Name string `mapstructure:"name"`
}

type rawService struct {
	Name    string   `mapstructure:"name"`
	Experts []string `mapstructure:"experts"`
	Runbook string   `mapstructure:"runbook"`
}

// config converts the raw values: it parses durations and normalises what has
// one obvious fix. Checks belong to Validate.
func (r *rawConfig) config(severitiesSet bool) (*Config, error) {
	c := Default()
	var err error

	c.Slack.BotToken = Secret(strings.TrimSpace(r.Slack.BotToken)) // secrets files often end in a newline
	c.Slack.AppToken = Secret(strings.TrimSpace(r.Slack.AppToken))
	c.Slack.APIURL = strings.TrimSpace(r.Slack.APIURL)
	if c.Slack.APIURL != "" && !strings.HasSuffix(c.Slack.APIURL, "/") {
		// slack-go builds URLs as api_url + method, so a missing slash
		// would call ".../apichat.postMessage".
		c.Slack.APIURL += "/"
	}
	c.Slack.Command = strings.TrimSpace(r.Slack.Command)
	if c.Slack.SilenceTimeout, err = parseDuration("slack.silence_timeout", r.Slack.SilenceTimeout); err != nil {
		return nil, err
	}
	c.Store.Path = r.Store.Path
	c.Store.Driver = strings.ToLower(strings.TrimSpace(r.Store.Driver))
	c.Store.DSN = Secret(strings.TrimSpace(r.Store.DSN)) // secrets files often end in a newline
	c.HTTP.Listen = strings.TrimSpace(r.HTTP.Listen)
	c.HTTP.Token = Secret(strings.TrimSpace(r.HTTP.Token)) // secrets files often end in a newline
	c.Templates.Dir = r.Templates.Dir
	c.Log.Level = strings.ToLower(strings.TrimSpace(r.Log.Level))
	c.Log.Format = strings.ToLower(strings.TrimSpace(r.Log.Format))

	c.Incidents.ChannelPrefix = strings.TrimSpace(r.Incidents.ChannelPrefix)
	c.Incidents.AnnounceChannel = strings.TrimSpace(r.Incidents.AnnounceChannel)
	if c.Incidents.PostmortemReminder, err = parseDuration("incidents.postmortem_reminder", r.Incidents.PostmortemReminder); err != nil {
		return nil, err
	}
	if c.Incidents.ArchiveAfter, err = parseDuration("incidents.archive_after", r.Incidents.ArchiveAfter); err != nil {
		return nil, err
	}
	c.Incidents.DrillsChannel = strings.TrimSpace(r.Incidents.DrillsChannel)
	if severitiesSet {
		c.Incidents.Severities = make([]Severity, len(r.Incidents.Severities))
		for i, s := range r.Incidents.Severities {
			sev := Severity{Name: strings.TrimSpace(s.Name), Description: s.Description}
			// An omitted reminder means none, like 0.
			if strings.TrimSpace(s.Reminder) != "" {
				if sev.Reminder, err = parseDuration(fmt.Sprintf("incidents.severities[%d].reminder", i), s.Reminder); err != nil {
					return nil, err
				}
			}
			c.Incidents.Severities[i] = sev
		}
	}
	if r.Incidents.Roles != nil {
		c.Incidents.Roles = withBuiltinRoles(c.Incidents.Roles, r.Incidents.Roles)
	}
	for _, s := range r.Services {
		experts := make([]string, 0, len(s.Experts))
		for _, e := range s.Experts {
			experts = append(experts, strings.TrimSpace(e))
		}
		c.Services = append(c.Services, Service{Name: strings.TrimSpace(s.Name), Experts: experts, Runbook: strings.TrimSpace(s.Runbook)})
	}
	r.integrations(c)
	if err := r.Alertmanager.refusePrivate(); err != nil {
		return nil, err
	}
	c.Alertmanager = r.Alertmanager.alertmanager()
	return c, nil
}

// withBuiltinRoles merges configured roles into the built-in ones: commander,
// comms and ops always exist, first and in that order, with a configured name
// if one is given; the other roles follow in file order. Duplicates and
// empty IDs are kept so that Validate reports them.
func withBuiltinRoles(builtin []Role, configured []rawRole) []Role {
	used := make([]bool, len(configured))
	roles := make([]Role, 0, len(builtin)+len(configured))
	for _, b := range builtin {
		for i, r := range configured {
			if !used[i] && strings.EqualFold(strings.TrimSpace(r.ID), b.ID) {
				used[i] = true
				if name := strings.TrimSpace(r.Name); name != "" {
					b.Name = name
				}
				break
			}
		}
		roles = append(roles, b)
	}
	for i, r := range configured {
		if !used[i] {
			roles = append(roles, Role{ID: strings.TrimSpace(r.ID), Name: strings.TrimSpace(r.Name)})
		}
	}
	return roles
}

func parseDuration(key, s string) (time.Duration, error) {
	d, err := time.ParseDuration(strings.TrimSpace(s))
	if err != nil {
		return 0, fmt.Errorf("%s: %q is not a duration; use Go durations like 30s, 15m, 1h", key, s)
	}
	return d, nil
}
