package bot

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/incidentbot/incidentbot/commands"
	"github.com/incidentbot/incidentbot/incident"
	"github.com/incidentbot/incidentbot/templates"
)

func reminderBot(t *testing.T) *renderer {
	t.Helper()
	tmpl, err := templates.Load("")
	if err != nil {
		t.Fatal(err)
	}
	return &renderer{cfg: Config{Settings: incident.DefaultSettings(), Command: "/incident"}, tmpl: tmpl}
}

func TestReminderMentions(t *testing.T) {
	const cmdr, comms = "UCMDR0001", "UCOMMS002"
	tests := []struct {
		name      string
		roles     map[string]string
		escalated bool
		want      string
	}{
		{"comms lead first", map[string]string{"commander": cmdr, "comms": comms}, false, "<@UCOMMS002>"},
		{"escalated adds the commander", map[string]string{"commander": cmdr, "comms": comms}, true, "<@UCOMMS002> <@UCMDR0001>"},
		{"no comms lead: the commander", map[string]string{"commander": cmdr}, false, "<@UCMDR0001>"},
		{"no comms lead, escalated: the commander once", map[string]string{"commander": cmdr}, true, "<@UCMDR0001>"},
		{"commander is the comms lead: once", map[string]string{"commander": cmdr, "comms": cmdr}, true, "<@UCMDR0001>"},
		{"nobody", nil, true, "_Nobody holds the comms or commander role_"},
	}
	b := reminderBot(t)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			inc := &incident.Incident{Number: 3, Severity: "SEV1", Status: incident.Investigating, Roles: tt.roles}
			if got := b.reminderView(inc, commands.ReminderPayload{Escalated: tt.escalated}).Mentions; got != tt.want {
				t.Errorf("mentions = %q, want %q", got, tt.want)
			}
		})
	}
}

func TestReminderTexts(t *testing.T) {
	declared := time.Date(2026, 11, 26, 3, 0, 0, 0, time.UTC)
	inc := &incident.Incident{
		Number: 7, Title: "<!channel> @here db down", Severity: "SEV1", Status: incident.Identified,
		Roles: map[string]string{"commander": "UCMDR0001"}, DeclaredAt: declared, ResolvedAt: declared.Add(time.Hour),
	}
	tests := []struct {
		tmpl string
		pl   commands.ReminderPayload
		want []string
		not  []string
	}{
		{"reminder.tmpl", commands.ReminderPayload{At: declared.Add(15 * time.Minute), Since: declared, Missed: 1},
			[]string{"<@UCMDR0001>", "*INC-7*", "no status update for *15m*", "(none since it was declared)", "`/incident update`"}, []string{"in a row"}},
		{"reminder.tmpl", commands.ReminderPayload{At: declared.Add(50 * time.Minute), Since: declared.Add(20 * time.Minute), Missed: 2},
			[]string{"no status update for *30m*", "reminder 2 in a row"}, []string{"declared"}},
		{"reminder_escalation.tmpl", commands.ReminderPayload{At: declared.Add(45 * time.Minute), Since: declared, Missed: 3},
			[]string{"No status update on *INC-7* for 45m", "<@UCMDR0001> has been reminded"}, nil},
		{"postmortem_nudge.tmpl", commands.ReminderPayload{At: declared.Add(25 * time.Hour), Since: declared.Add(time.Hour)},
			[]string{"<@UCMDR0001>", "*INC-7* was resolved 24h 0m ago", "`/incident postmortem`"}, nil},
	}
	b := reminderBot(t)
	for _, tt := range tests {
		text, err := b.render(tt.tmpl, b.reminderView(inc, tt.pl))
		if err != nil {
			t.Fatal(err)
		}
		for _, w := range tt.want {
			if !strings.Contains(text, w) {
				t.Errorf("%s lacks %q:\n%s", tt.tmpl, w, text)
			}
		}
		for _, w := range append(tt.not, "<!channel>", "@here") {
			if strings.Contains(text, w) {
				t.Errorf("%s has %q:\n%s", tt.tmpl, w, text)
			}
		}
	}
}

func TestReminderBlocks(t *testing.T) {
	inc := &incident.Incident{Number: 4}
	raw := reminderBlocks(inc.ID(), "time for an update")(nil)
	var blocks []struct {
		Type     string `json:"type"`
		BlockID  string `json:"block_id"`
		Elements []struct {
			ActionID string `json:"action_id"`
			Value    string `json:"value"`
			Text     struct {
				Text string `json:"text"`
			} `json:"text"`
		} `json:"elements"`
	}
	if err := json.Unmarshal(raw, &blocks); err != nil {
		t.Fatal(err)
	}
	var got []string
	blockIDs := map[string]bool{}
	for _, bl := range blocks {
		if blockIDs[bl.BlockID] {
			t.Fatalf("block_id %s repeats", bl.BlockID)
		}
		blockIDs[bl.BlockID] = true
		ids := map[string]bool{}
		for _, e := range bl.Elements {
			if ids[e.ActionID] {
				t.Fatalf("block %s repeats action_id %s (Block Kit refuses that)", bl.BlockID, e.ActionID)
			}
			ids[e.ActionID] = true
			got = append(got, e.ActionID+"="+e.Value)
			if e.ActionID == actionSnooze {
				if _, err := commands.ParseSnooze(e.Value); err != nil {
					t.Errorf("snooze value %q does not parse: %v", e.Value, err)
				}
			}
		}
	}
	if want := "update=INC-4 snooze=15m snooze=30m snooze=1h"; strings.Join(got, " ") != want {
		t.Fatalf("buttons %v, want %s", got, want)
	}
}
