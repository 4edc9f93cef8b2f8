package app_test

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/incidentbot/incidentbot/internal/slackemu"
)

// A declare form whose values Slack's client would never send (a forged
// or stale submission) is refused next to the field at fault, with
// response_action errors keyed by an input's block_id, and declares
// nothing.
func TestDeclareFormRefusesEachFieldNextToIt(t *testing.T) {
	t.Parallel()
	w := newWorld(t, nil, nil)
	form := w.openDeclareModal(alice)
	field := func(typ string, v any) map[string]any {
		switch typ {
		case "plain_text_input":
			return map[string]any{"type": typ, "value": v}
		case "users_select":
			return map[string]any{"type": typ, "selected_user": v}
		}
		return map[string]any{"type": typ, "selected_option": map[string]any{"text": map[string]any{"type": "plain_text", "text": v}, "value": v}}
	}
	for _, tt := range []struct {
		name, wantField, wantSays string
		change                    map[string]any
	}{
		{"a blank title", "title", "needs a title", map[string]any{"title": field("plain_text_input", " \t ")}},
		{"a severity not offered", "severity", "SEV9", map[string]any{"severity": field("static_select", "SEV9")}},
		{"no severity", "severity", "severity", map[string]any{"severity": map[string]any{"type": "static_select", "selected_option": nil}}},
		{"a blank summary", "summary", "what you know", map[string]any{"summary": field("plain_text_input", "  ")}},
		{"a service not in the catalogue", "service", `"billing" is not a known service`, map[string]any{"service": field("static_select", "billing")}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			values := map[string]any{
				"title":    field("plain_text_input", "Payments failing"),
				"severity": field("static_select", "SEV2"),
				"summary":  field("plain_text_input", "card payments time out"),
			}
			for k, v := range tt.change {
				values[k] = v
			}
			state := map[string]any{}
			for k, v := range values {
				state[k] = map[string]any{k: v}
			}
			ack, err := w.emu.Interact(w.ctx(), map[string]any{
				"type": "view_submission", "user": alice,
				"view": map[string]any{"id": form.ID, "type": "modal", "callback_id": "incident_declare", "state": map[string]any{"values": state}},
			})
			if err != nil {
				t.Fatal(err)
			}
			var p struct {
				ResponseAction string            `json:"response_action"`
				Errors         map[string]string `json:"errors"`
			}
			if err := json.Unmarshal(ack.Payload, &p); err != nil || p.ResponseAction != "errors" || len(p.Errors) != 1 ||
				!strings.Contains(strings.ToLower(p.Errors[tt.wantField]), strings.ToLower(tt.wantSays)) {
				t.Fatalf("ack %s, want an error on %s saying %q", ack.Payload, tt.wantField, tt.wantSays)
			}
		})
	}
	w.idle()
	if n := len(w.emu.Calls("conversations.create")); n != 0 {
		t.Fatalf("a refused form declared: %d channels created", n)
	}
	for _, p := range w.emu.Problems() {
		t.Errorf("Slack would not take the bot's answer: %+v", p)
	}
}

// The update form shows the severity's reminder interval as the next
// update's default, and Slack submits it like a choice. Changing the
// severity and leaving that default puts the next reminder on the new
// severity's cadence; a time picked by hand is kept.
func TestSeverityChangeInTheFormSetsTheNewCadence(t *testing.T) {
	t.Parallel()
	w := newWorld(t, nil, nil)
	_, ch := w.lcIncident(1, "SEV3", "search is slow")
	for i, tt := range []struct {
		values map[string]any
		want   time.Duration
	}{
		{map[string]any{"severity": "SEV1", "summary": "now failing for everyone"}, 15 * time.Minute}, // next_update left at SEV3's 1h
		{map[string]any{"severity": "SEV2", "summary": "partly back", "next_update": "2h"}, 2 * time.Hour},
		{map[string]any{"severity": "SEV4", "summary": "no customer impact now"}, 0}, // SEV4 has no reminders
	} {
		w.slash(bob, ch.ID, "update")
		w.lcSubmit(bob, w.lcUpdateForm(i+1), tt.values)
		w.idle()
		inc := w.incident(1)
		want := time.Time{}
		if tt.want > 0 {
			want = w.clock.Now().Add(tt.want)
		}
		if inc.Severity != tt.values["severity"] || !inc.NextUpdateAt.Equal(want) {
			t.Fatalf("after %v: %s, next update due %v, want %v", tt.values, inc.Severity, inc.NextUpdateAt, want)
		}
	}
}

// Slack's people picker offers bots and deactivated accounts as well; the
// declare form refuses them as commander next to the field, as the role
// command does, and declares with a person.
func TestDeclareFormRefusesACommanderWhoIsNotAPerson(t *testing.T) {
	t.Parallel()
	w := newWorld(t, nil, nil)
	robot := w.emu.AddUser(slackemu.User{Name: "deploybot", IsBot: true})
	gone := w.emu.AddUser(slackemu.User{Name: "gus", Deleted: true})
	form := w.openDeclareModal(alice)
	values := func(commander string) map[string]any {
		return map[string]any{"title": "Payments failing", "severity": "SEV2", "summary": "card payments time out", "commander": commander}
	}
	for _, tt := range []struct{ commander, says string }{
		{robot, "@deploybot is a bot"},
		{gone, "@gus is deactivated"},
	} {
		ack, err := w.emu.SubmitView(w.ctx(), alice, form.ID, values(tt.commander))
		if err != nil {
			t.Fatal(err)
		}
		if v, _ := w.emu.View(form.ID); v.Closed || !strings.Contains(v.Errors["commander"], tt.says) || len(v.Errors) != 1 {
			t.Fatalf("commander %s: ack %s, form errors %v", tt.commander, ack.Payload, v.Errors)
		}
	}
	if n := len(w.emu.Calls("conversations.create")); n != 0 {
		t.Fatalf("%d channels created for a refused form", n)
	}
	if ack, err := w.emu.SubmitView(w.ctx(), alice, form.ID, values(carol)); err != nil || len(ack.Payload) != 0 {
		t.Fatalf("a person as commander: ack %s, %v", ack.Payload, err)
	}
	w.declared(1, "Payments failing", alice, carol)
	if got := w.incident(1).Holder("commander"); got != carol {
		t.Fatalf("commander %q, want carol", got)
	}
	for _, p := range w.emu.Problems() {
		t.Errorf("Slack would not take the bot's answer: %+v", p)
	}
}
