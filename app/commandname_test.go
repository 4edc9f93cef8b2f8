package app_test

import (
	"strings"
	"testing"

	"github.com/incidentbot/incidentbot/config"
	"github.com/incidentbot/incidentbot/internal/slackemu"
)

// A workspace that names the slash command /inc must be told to type /inc:
// every example in help, usage and error answers, and on the Home tab,
// names the configured command and never the default one.
func TestRepliesNameTheConfiguredCommand(t *testing.T) {
	t.Parallel()
	w := newWorld(t, nil, func(c *config.Config) { c.Slack.Command = "/inc" })
	tests := []struct {
		name, text string
		want       []string
	}{
		{"help", "help", []string{"`/inc declare`", "`/inc resolve [SUMMARY…]`", "`/inc list`"}},
		{"no text", "", []string{"`/inc declare`"}},
		{"unknown sub-command", "frobnicate", []string{"not an /inc command", "`/inc help`"}},
		{"note without text", "note", []string{"`/inc note restarted the primary database`"}},
		{"words after list", "list now", []string{"`/inc list` takes nothing after it; type just `/inc list`"}},
		{"declare without a title", "declare SEV1", []string{"`/inc declare SEV1 database is down`", "type just `/inc declare`"}},
		{"drill without a title", "drill SEV2", []string{"`/inc drill SEV2 database is down`"}},
		{"role without a person", "role comms", []string{"`/inc role comms @ana`"}},
		{"severity without a level", "severity", []string{"`/inc severity SEV2`"}},
		{"two severities", "severity SEV1 SEV2", []string{"`/inc severity SEV2`"}},
		{"action without text", "action", []string{"`/inc action add an alert on replication lag @ana`"}},
		{"incident command outside an incident", "resolve", []string{"`/inc list` shows the open incidents"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ack, err := w.emu.SlashCommand(w.ctx(), slackemu.SlashCommand{UserID: alice, ChannelID: w.announce, Command: "/inc", Text: tt.text})
			if err != nil {
				t.Fatal(err)
			}
			got := ackText(t, ack)
			for _, want := range tt.want {
				if !strings.Contains(got, want) {
					t.Errorf("/inc %s: reply lacks %q:\n%s", tt.text, want, got)
				}
			}
			if strings.Contains(got, "/incident") {
				t.Errorf("/inc %s: reply names /incident:\n%s", tt.text, got)
			}
		})
	}
	if home := w.pvHome(alice); !strings.Contains(home, "`/inc declare`") || strings.Contains(home, "/incident") {
		t.Errorf("Home tab does not name /inc:\n%s", home)
	}
}
