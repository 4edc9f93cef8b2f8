package app_test

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/incidentbot/incidentbot/internal/slackemu"
)

// formInput is one input block of a form, as a script that fills the form
// by its identifiers sees it.
type formInput struct {
	blockID, actionID, element string
	optional, multiline        bool
	options                    []string // option values offered
	initial                    string   // initial_user or initial_option's value
	initialOptions             []string // checkboxes ticked at first
}

func (f formInput) String() string {
	return fmt.Sprintf("%s/%s %s optional=%v multiline=%v options=%v initial=%q ticked=%v",
		f.blockID, f.actionID, f.element, f.optional, f.multiline, f.options, f.initial, f.initialOptions)
}

// formInputs reads a view's callback_id, private_metadata and input blocks.
func formInputs(t *testing.T, v slackemu.View) (callbackID, metadata string, inputs []formInput) {
	t.Helper()
	type option struct {
		Value string `json:"value"`
	}
	var view struct {
		CallbackID      string `json:"callback_id"`
		PrivateMetadata string `json:"private_metadata"`
		Submit          *struct {
			Text string `json:"text"`
		} `json:"submit"`
		Blocks []struct {
			Type     string `json:"type"`
			BlockID  string `json:"block_id"`
			Optional bool   `json:"optional"`
			Element  struct {
				Type           string   `json:"type"`
				ActionID       string   `json:"action_id"`
				Multiline      bool     `json:"multiline"`
				Options        []option `json:"options"`
				InitialUser    string   `json:"initial_user"`
				InitialOption  *option  `json:"initial_option"`
				InitialOptions []option `json:"initial_options"`
			} `json:"element"`
		} `json:"blocks"`
	}
	if err := json.Unmarshal(v.View, &view); err != nil {
		t.Fatal(err)
	}
	if view.Submit == nil || view.Submit.Text == "" {
		t.Fatalf("form %s has no submit button", view.CallbackID)
	}
	values := func(opts []option) []string {
		var out []string
		for _, o := range opts {
			out = append(out, o.Value)
		}
		return out
	}
	for _, b := range view.Blocks {
		if b.Type != "input" {
			continue
		}
		in := formInput{
			blockID: b.BlockID, actionID: b.Element.ActionID, element: b.Element.Type,
			optional: b.Optional, multiline: b.Element.Multiline,
			options: values(b.Element.Options), initial: b.Element.InitialUser,
			initialOptions: values(b.Element.InitialOptions),
		}
		if b.Element.InitialOption != nil {
			in.initial = b.Element.InitialOption.Value
		}
		inputs = append(inputs, in)
	}
	return view.CallbackID, view.PrivateMetadata, inputs
}

func sameInputs(got, want []formInput) bool {
	return slices.EqualFunc(got, want, func(a, b formInput) bool { return a.String() == b.String() })
}

// The declare form, opened by `declare` and by `drill` alone, is what a
// script filling it by its identifiers expects: callback incident_declare;
// each input's block_id and action_id both the field's name; title,
// severity and summary required; severity offering the severity names;
// the commander picker showing the declarer; private and drill as
// checkboxes, drill ticked for a drill. Submitted untouched but for the
// required fields, it declares with the declarer in command.
func TestDeclareFormMatchesTheContract(t *testing.T) {
	t.Parallel()
	w := newWorld(t, nil, nil)
	want := func(user string, drill bool) []formInput {
		var ticked []string
		if drill {
			ticked = []string{"drill"}
		}
		return []formInput{
			{blockID: "title", actionID: "title", element: "plain_text_input"},
			{blockID: "severity", actionID: "severity", element: "static_select", options: []string{"SEV1", "SEV2", "SEV3", "SEV4"}},
			{blockID: "summary", actionID: "summary", element: "plain_text_input", multiline: true},
			{blockID: "service", actionID: "service", element: "static_select", optional: true, options: []string{"checkout"}},
			{blockID: "commander", actionID: "commander", element: "users_select", optional: true, initial: user},
			{blockID: "private", actionID: "private", element: "checkboxes", optional: true, options: []string{"private"}},
			{blockID: "drill", actionID: "drill", element: "checkboxes", optional: true, options: []string{"drill"}, initialOptions: ticked},
		}
	}
	for i, tt := range []struct {
		user, text string
		drill      bool
	}{
		{bob, "declare", false},
		{alice, "DRILL", true},
	} {
		if ack := w.slash(tt.user, w.announce, tt.text); ackText(t, ack) != "" {
			t.Fatalf("/incident %s answered %s instead of opening the form", tt.text, ack.Payload)
		}
		var form slackemu.View
		if _, err := w.emu.WaitCall(w.ctx(), "views.open", func(slackemu.Call) bool {
			views := w.emu.Views()
			if len(views) == i+1 {
				form = views[i]
				return true
			}
			return false
		}); err != nil {
			t.Fatalf("/incident %s opened no form: %v", tt.text, err)
		}
		callback, _, inputs := formInputs(t, form)
		if callback != "incident_declare" || !sameInputs(inputs, want(tt.user, tt.drill)) {
			t.Fatalf("/incident %s opened %s with inputs\n%v\nwant\n%v", tt.text, callback, inputs, want(tt.user, tt.drill))
		}
		ack, err := w.emu.SubmitView(w.ctx(), tt.user, form.ID, map[string]any{"title": "Queue backlog " + tt.text, "severity": "SEV3", "summary": "jobs wait"})
		if err != nil || len(ack.Payload) != 0 {
			t.Fatalf("submit: ack %s, %v", ack.Payload, err)
		}
		w.idle()
		inc := w.incident(uint64(i + 1))
		if inc.Holder("commander") != tt.user || inc.Drill != tt.drill || inc.Private || inc.Severity != "SEV3" {
			t.Fatalf("/incident %s form declared %+v", tt.text, inc)
		}
	}
}

// The update form, from `update` and from the card's and a reminder's
// `update` button: callback incident_update, private_metadata the
// incident's ID, status offering the four statuses, severity the
// severity names, summary required, next_steps and next_update optional,
// next_update offering durations (15m, 30m, 1h among them) with the
// severity's reminder interval chosen.
func TestUpdateFormMatchesTheContract(t *testing.T) {
	t.Parallel()
	w := newWorld(t, nil, nil)
	inc, ch := w.lcIncident(1, "SEV3", "search is slow")
	if ack := w.slash(bob, ch.ID, "  UPDATE "); ackText(t, ack) != "" {
		t.Fatalf("update answered %s instead of opening the form", ack.Payload)
	}
	fromSlash := w.lcUpdateForm(1)
	if _, err := w.emu.ClickButton(w.ctx(), carol, ch.ID, inc.CardTS, "update", "INC-1"); err != nil {
		t.Fatal(err)
	}
	fromCard := w.lcUpdateForm(2)
	for _, form := range []slackemu.View{fromSlash, fromCard} {
		callback, metadata, inputs := formInputs(t, form)
		if callback != "incident_update" || metadata != "INC-1" {
			t.Fatalf("update form: callback_id %q, private_metadata %q", callback, metadata)
		}
		byID := map[string]formInput{}
		var order []string
		for _, in := range inputs {
			if in.blockID != in.actionID {
				t.Fatalf("input %v: block_id and action_id differ", in)
			}
			byID[in.blockID] = in
			order = append(order, in.blockID)
		}
		if want := []string{"status", "severity", "summary", "next_steps", "next_update"}; !slices.Equal(order, want) {
			t.Fatalf("inputs %v, want %v", order, want)
		}
		checks := []struct {
			field, element string
			optional       bool
			options        []string
			initial        string
		}{
			{"status", "static_select", false, []string{"investigating", "identified", "monitoring", "resolved"}, "investigating"},
			{"severity", "static_select", false, []string{"SEV1", "SEV2", "SEV3", "SEV4"}, "SEV3"},
			{"summary", "plain_text_input", false, nil, ""},
			{"next_steps", "plain_text_input", true, nil, ""},
		}
		for _, c := range checks {
			in := byID[c.field]
			if in.element != c.element || in.optional != c.optional || !slices.Equal(in.options, c.options) || in.initial != c.initial {
				t.Fatalf("%s: %v", c.field, in)
			}
		}
		next := byID["next_update"]
		for _, d := range []string{"15m", "30m", "1h"} {
			if !slices.Contains(next.options, d) {
				t.Fatalf("next_update offers %v, not %s", next.options, d)
			}
		}
		if next.element != "static_select" || !next.optional || next.initial != "1h" {
			t.Fatalf("next_update %v: want SEV3's 1h chosen", next)
		}
	}
	// Submitted with only what changed, the rest as shown.
	w.lcSubmit(carol, fromCard, map[string]any{"summary": "index rebuilt"})
	w.checkUpdateLanded(1, "index rebuilt", "Investigating", "SEV3")
}

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
