package app_test

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/incidentbot/incidentbot/config"
	"github.com/incidentbot/incidentbot/internal/slackemu"
)

// leftCase is one form, button, menu or shortcut someone had on screen as
// a member of a private incident's channel, used after they left it.
type leftCase struct {
	name string
	// open is what bob does while still a member (open the form, scroll to
	// the button); it returns what act needs, such as a view or message ts.
	open func(w *world, ch string) string
	// act uses it after bob left, and returns the ack's payload.
	act func(w *world, ch, got string) (ackPayload string)
	// form says the answer is in the ack (a form's error), not an
	// ephemeral message.
	form bool
}

// pvLeftCases are every interaction that names a private incident.
func pvLeftCases() []leftCase {
	click := func(actionID, value string) func(w *world, ch, ts string) string {
		return func(w *world, ch, ts string) string {
			if _, err := w.emu.ClickButton(w.ctx(), bob, ch, ts, actionID, value); err != nil {
				w.t.Fatal(err)
			}
			return ""
		}
	}
	card := func(w *world, _ string) string { return w.incident(1).CardTS }
	return []leftCase{
		{
			name: "view_submission/incident_update", form: true,
			open: func(w *world, ch string) string {
				ackText(w.t, w.slash(bob, ch, "update"))
				return w.pvUpdateForm(bob).ID
			},
			act: func(w *world, _, view string) string {
				ack, err := w.emu.SubmitView(w.ctx(), bob, view, map[string]any{
					"status": "monitoring", "severity": "SEV1", "summary": "the leak is contained",
				})
				if err != nil {
					w.t.Fatal(err)
				}
				return string(ack.Payload)
			},
		},
		{name: "block_actions/update on the card", open: card, act: click("update", "")},
		{
			name: "block_actions/role:comms on the card",
			open: card,
			act: func(w *world, ch, ts string) string {
				if _, err := w.emu.SelectUser(w.ctx(), bob, ch, ts, "role:comms", carol); err != nil {
					w.t.Fatal(err)
				}
				return ""
			},
		},
		{
			name: "block_actions/snooze on a reminder",
			open: func(w *world, ch string) string { return callTS(w.t, w.remReminder(ch, 1)) },
			act:  click("snooze", "15m"),
		},
		{
			name: "block_actions/archive_now",
			open: func(w *world, ch string) string {
				ackText(w.t, w.slash(bob, ch, "resolve the leak is contained"))
				w.advance(w.clock, 2*time.Hour)
				m, ok := w.channelSays(ch, "archived once the postmortem is drafted")
				if !ok {
					w.t.Fatal("no Archive now message")
				}
				return m.TS
			},
			act: click("archive_now", ""),
		},
		{
			name: "message_action/add_to_timeline",
			open: func(w *world, ch string) string {
				ts, err := w.emu.PostUserMessage(ch, bob, "the buyer's name is in the leaked deck")
				if err != nil {
					w.t.Fatal(err)
				}
				return ts
			},
			act: func(w *world, ch, ts string) string {
				if _, err := w.emu.MessageShortcut(w.ctx(), bob, ch, ts, "add_to_timeline"); err != nil {
					w.t.Fatal(err)
				}
				return ""
			},
		},
	}
}

// pvUpdateForm is the update form the bot opened last for user.
func (w *world) pvUpdateForm(user string) slackemu.View {
	w.t.Helper()
	var form slackemu.View
	w.waitFor("the update form", time.Minute, func() bool {
		for _, v := range w.emu.Views() {
			if v.UserID == user && v.CallbackID == "incident_update" {
				form = v
			}
		}
		return form.ID != ""
	})
	return form
}

// A private incident's forms, buttons, menus and shortcut act only for
// the members of its channel. Bob declares a private incident, opens a
// form or has a button on screen, and leaves the channel (or is removed);
// what he then submits or clicks is refused, he is told why, and nothing
// reaches the timeline, the channel or the incident.
func TestLeaversCannotActOnAPrivateIncident(t *testing.T) {
	t.Parallel()
	for _, c := range pvLeftCases() {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			w := newWorld(t, nil, func(cfg *config.Config) {
				cfg.Incidents.ArchiveAfter = time.Hour
				cfg.Incidents.PostmortemReminder = 0
			})
			ch := w.pvDeclarePrivate(1, bob, "Secret acquisition leaked").ID

			// Bob, still in the channel, has the form or the button before him.
			got := c.open(w, ch)
			w.idle()

			// He leaves; Slack tells the bot, which takes the incident off
			// his Home tab.
			published := len(w.emu.Calls("views.publish"))
			if _, err := w.emu.LeaveChannel(w.ctx(), bob, ch); err != nil {
				t.Fatal(err)
			}
			seen := 0
			if _, err := w.emu.WaitCall(w.ctx(), "views.publish", func(c slackemu.Call) bool {
				seen++
				return seen > published && c.Args["user_id"] == bob
			}); err != nil {
				t.Fatal(err)
			}
			before := w.pvLeftState(ch)
			calls := len(w.emu.Calls(""))

			// He submits or clicks all the same.
			payload := c.act(w, ch, got)
			w.idle()

			if after := w.pvLeftState(ch); after != before {
				t.Fatalf("the refused action changed things:\nbefore %s\nafter  %s", before, after)
			}
			for _, call := range w.emu.Calls("")[calls:] {
				switch call.Method {
				case "conversations.members", "response_url", "chat.postEphemeral":
				default:
					t.Errorf("the refused action made Slack call %s %v", call.Method, call.Args)
				}
			}
			const refused = "you are not in it any more"
			if c.form {
				var ack struct {
					Action string            `json:"response_action"`
					Errors map[string]string `json:"errors"`
				}
				if err := json.Unmarshal([]byte(payload), &ack); err != nil || ack.Action != "errors" || !strings.Contains(ack.Errors["summary"], refused) {
					t.Fatalf("the form was answered %q, want an error saying %q", payload, refused)
				}
			} else {
				w.ephemeralWith(bob, refused)
			}
		})
	}
}

// pvLeftState is what a refused action must leave as it was: INC-1 (its
// status, severity, roles, reminder, archive), its timeline, the
// channel's messages and whether the channel is archived.
func (w *world) pvLeftState(ch string) string {
	w.t.Helper()
	inc := w.incident(1)
	due, _ := w.remDue(1)
	var msgs []string
	for _, m := range w.emu.Messages(ch) {
		msgs = append(msgs, m.TS+" "+m.Text)
	}
	raw, err := json.Marshal(map[string]any{
		"incident": inc, "events": len(w.events(1)), "due": due,
		"messages": msgs, "archived": w.archived(ch),
	})
	if err != nil {
		w.t.Fatal(err)
	}
	return string(raw)
}
