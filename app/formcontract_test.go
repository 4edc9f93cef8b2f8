package app_test

import (
	"encoding/json"
	"fmt"
	"slices"
	"testing"

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
