package config

import (
	"os"
	"slices"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"
)

// appManifest is the part of manifest.yaml the bot depends on.
type appManifest struct {
	Features struct {
		AppHome struct {
			HomeTabEnabled bool `yaml:"home_tab_enabled"`
		} `yaml:"app_home"`
		SlashCommands []struct {
			Command      string `yaml:"command"`
			URL          string `yaml:"url"`
			ShouldEscape bool   `yaml:"should_escape"`
			UsageHint    string `yaml:"usage_hint"`
		} `yaml:"slash_commands"`
		Shortcuts []struct {
			Name       string `yaml:"name"`
			Type       string `yaml:"type"`
			CallbackID string `yaml:"callback_id"`
		} `yaml:"shortcuts"`
	} `yaml:"features"`
	OAuthConfig struct {
		Scopes struct {
			Bot []string `yaml:"bot"`
		} `yaml:"scopes"`
	} `yaml:"oauth_config"`
	Settings struct {
		EventSubscriptions struct {
			RequestURL string   `yaml:"request_url"`
			BotEvents  []string `yaml:"bot_events"`
		} `yaml:"event_subscriptions"`
		Interactivity struct {
			IsEnabled  bool   `yaml:"is_enabled"`
			RequestURL string `yaml:"request_url"`
		} `yaml:"interactivity"`
		SocketModeEnabled bool `yaml:"socket_mode_enabled"`
	} `yaml:"settings"`
}

// TestManifest keeps manifest.yaml in step with what the bot does: the
// command it listens for (the default slack.command), Socket Mode without
// request URLs, the shortcut and events it handles, and the scopes it needs —
// no more.
func TestManifest(t *testing.T) {
	data, err := os.ReadFile("../manifest.yaml")
	if err != nil {
		t.Fatal(err)
	}
	var m appManifest
	if err := yaml.Unmarshal(data, &m); err != nil {
		t.Fatalf("manifest.yaml: %v", err)
	}

	if !m.Settings.SocketModeEnabled || !m.Settings.Interactivity.IsEnabled {
		t.Error("Socket Mode and interactivity must be on")
	}
	if m.Settings.Interactivity.RequestURL != "" || m.Settings.EventSubscriptions.RequestURL != "" {
		t.Error("Socket Mode apps carry no request_url")
	}
	if !m.Features.AppHome.HomeTabEnabled {
		t.Error("the Home tab must be enabled for views.publish")
	}
	if len(m.Features.SlashCommands) != 1 {
		t.Fatalf("slash commands: %+v", m.Features.SlashCommands)
	}
	cmd := m.Features.SlashCommands[0]
	if cmd.Command != Default().Slack.Command || !cmd.ShouldEscape || cmd.URL != "" || cmd.UsageHint == "" {
		t.Errorf("slash command %+v: want %s, should_escape, a usage hint, no url", cmd, Default().Slack.Command)
	}
	// Slack shows the hint as the user types the command: it names every
	// sub-command of the grammar (docs/contract.md, "The slash command").
	for _, sub := range []string{"declare", "drill", "update", "role", "severity", "note", "action", "resolve", "postmortem", "list", "stats", "help"} {
		if !slices.Contains(strings.FieldsFunc(cmd.UsageHint, func(r rune) bool { return r == ' ' || r == '|' }), sub) {
			t.Errorf("the slash command's usage_hint does not name %q: %s", sub, cmd.UsageHint)
		}
	}
	if len(m.Features.Shortcuts) != 1 || m.Features.Shortcuts[0].CallbackID != "add_to_timeline" || m.Features.Shortcuts[0].Type != "message" {
		t.Errorf("shortcuts: %+v, want the message shortcut add_to_timeline", m.Features.Shortcuts)
	}
	for _, ev := range []string{"app_home_opened", "reaction_added", "member_joined_channel", "member_left_channel"} {
		if !slices.Contains(m.Settings.EventSubscriptions.BotEvents, ev) {
			t.Errorf("bot event %s missing", ev)
		}
	}

	want := []string{
		"commands", "chat:write", "chat:write.public", "channels:manage", "groups:write",
		"channels:read", "groups:read", "channels:history", "groups:history", "channels:join", "pins:write",
		"reactions:read", "reactions:write", "users:read", "bookmarks:read", "bookmarks:write", "files:write",
	}
	got := m.OAuthConfig.Scopes.Bot
	for _, s := range want {
		if !slices.Contains(got, s) {
			t.Errorf("scope %s missing", s)
		}
	}
	for _, s := range got {
		if !slices.Contains(want, s) {
			t.Errorf("scope %s is not needed by any feature (or this test needs the reason added)", s)
		}
	}
}
