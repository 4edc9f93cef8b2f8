package bot

import (
	"encoding/json"
	"testing"

	"github.com/slack-go/slack/socketmode"

	"github.com/incidentbot/incidentbot/commands"
	"github.com/incidentbot/incidentbot/config"
)

// Bits of FuzzViewSubmission's shape byte: how the submitted state departs
// from what Slack's client sends.
const (
	shapeNoTitle       = 1 << iota // the title (or status) block is missing
	shapeNoSeverity                // the severity block is missing
	shapeNoSummary                 // the summary block is missing
	shapeBadTypes                  // selects carry strings, inputs numbers
	shapeUnknownBlock              // a block the modal does not have
	shapeNoUser                    // no user ID
	shapeNoViewID                  // no view ID (no idempotency key)
	shapeUnknownOption             // options the modal does not offer
	shapeNoServices                // no service catalogue: the declare form has no service block
	shapeNoState                   // the view carries no state at all
)

// FuzzViewSubmission feeds the declare and update submissions arbitrary
// state — strings of any length and encoding, unknown options, missing
// fields, wrong JSON types, any private_metadata — through the real
// decoder (Handle). It must never panic, and its ack must be one Slack
// takes: nothing (the modal closes), or response_action errors whose keys
// are input blocks of that modal, each with a message, in a frame under
// 20 KiB.
func FuzzViewSubmission(f *testing.F) {
	// More seeds — unknown options, missing fields, wrong types, huge
	// values, bad private_metadata — are in testdata/fuzz.
	f.Add(false, "Payments failing", "SEV2", "card payments time out", "checkout", "UBOB00002", "private", "", "", "", "", uint16(0))
	f.Add(true, "", "SEV1", "rolled back", "", "", "", "identified", "watch it", "30m", "INC-1", uint16(0))
	f.Fuzz(func(t *testing.T, update bool, title, severity, summary, service, commander, private, status, nextSteps, nextUpdate, metadata string, shape uint16) {
		cfg := config.Default()
		if shape&shapeNoServices == 0 {
			cfg.Services = []config.Service{{Name: "checkout", Experts: []string{fzCarol}, Runbook: fakeRunbook}}
		}
		w := newFuzzWorld(t, cfg.Settings())
		if _, err := w.cmds.Declare(t.Context(), commands.DeclareInput{Title: "db down", Severity: "SEV2", DeclaredBy: fzAlice}); err != nil {
			t.Fatal(err)
		}

		text := func(s string) any {
			if shape&shapeBadTypes != 0 {
				return map[string]any{"type": "plain_text_input", "value": len(s)}
			}
			return textState(s)
		}
		option := func(v string) any {
			if shape&shapeBadTypes != 0 {
				return map[string]any{"type": "static_select", "selected_option": v}
			}
			return optionState(v)
		}
		values := map[string]any{}
		set := func(bit uint16, block string, v any) {
			if shape&bit == 0 {
				values[block] = v
			}
		}
		user, viewMetadata, callback := fzAlice, "", declareCallback
		var modal []byte
		if update {
			callback, viewMetadata = updateCallback, metadata
			modal = modalJSON(t, w.b.slash.updateModal(w.incident(1)))
			set(shapeNoTitle, fieldStatus, option(status))
			set(shapeNoSeverity, fieldSeverity, option(severity))
			set(shapeNoSummary, fieldSummary, text(summary))
			values[fieldNextSteps] = text(nextSteps)
			values[fieldNextUpdate] = option(nextUpdate)
		} else {
			modal = modalJSON(t, w.b.slash.declareModal(fzAlice, false))
			set(shapeNoTitle, fieldTitle, text(title))
			set(shapeNoSeverity, fieldSeverity, option(severity))
			set(shapeNoSummary, fieldSummary, text(summary))
			values[fieldService] = option(service)
			values[fieldCommander] = userState(commander)
			values[fieldPrivate] = map[string]any{"type": "checkboxes", "selected_options": []any{map[string]any{"value": private}}}
		}
		if shape&shapeUnknownBlock != 0 {
			values["bogus"] = text(title)
		}
		if shape&shapeUnknownOption != 0 {
			values[fieldSeverity] = map[string]any{"type": "static_select", "selected_option": map[string]any{"value": severity, "text": map[string]any{"type": "plain_text", "text": title}}}
		}
		if shape&shapeNoUser != 0 {
			user = ""
		}
		viewID := "VFUZZ00001"
		if shape&shapeNoViewID != 0 {
			viewID = ""
		}
		state := map[string]any{}
		for block, v := range values {
			state[block] = map[string]any{block: v}
		}
		view := map[string]any{"id": viewID, "callback_id": callback, "private_metadata": viewMetadata,
			"state": map[string]any{"values": state}}
		if shape&shapeNoState != 0 {
			delete(view, "state")
		}
		ack := w.handle("interactive", map[string]any{
			"type": "view_submission", "user": map[string]any{"id": user}, "trigger_id": "1.1.fuzz", "view": view,
		})
		checkSubmission(t, modal, ack)
		checkAcks(t, w.acks)
		checkCalls(t, w.slack.takeCalls())
	})
}

// FuzzHandleEnvelope feeds Handle arbitrary envelopes — any type, any
// payload bytes — as a broken or hostile socket might: it must never panic
// (a panic loses the envelope's work), and its ack must encode within
// Slack's frame limit.
func FuzzHandleEnvelope(f *testing.F) {
	f.Add("slash_commands", []byte(`{"command":"/incident","text":"declare SEV1 db down","user_id":"UALICE001","channel_id":"CANNOUNCE1","trigger_id":"1.1.x"}`))
	f.Add("interactive", []byte(`{"type":"view_submission","user":{"id":"UALICE001"},"view":{"id":"V1","callback_id":"incident_update","private_metadata":"INC-1","state":{"values":{"status":{"status":{"type":"static_select","selected_option":{"value":"resolved"}}}}}}}`))
	f.Add("interactive", []byte(`{"type":"block_actions","user":{"id":"UALICE001"},"channel":{"id":"CINC1"},"container":{"message_ts":"1.1"},"actions":[{"action_id":"role:comms","selected_user":"UBOB00002","action_ts":"1.2"}]}`))
	f.Add("interactive", []byte(`{"type":"block_actions","user":{"id":"UALICE001"},"actions":[{"action_id":"snooze","value":"9999999h"}]}`))
	f.Add("interactive", []byte(`{"type":"message_action","callback_id":"add_to_timeline","user":{"id":"UALICE001"},"channel":{"id":"CINC1"},"message":{"ts":"x","text":"<!channel>"}}`))
	f.Add("events_api", []byte(`{"type":"event_callback","event_id":"Ev1","event":{"type":"reaction_added","user":"U1","reaction":"pushpin","item":{"type":"message","channel":"C1","ts":"1.1"}}}`))
	f.Add("events_api", []byte(`{"type":"event_callback","event_id":"Ev2","event":{"type":"app_home_opened","user":"U1","tab":"home"}}`))
	f.Add("hello", []byte(`null`))
	f.Fuzz(func(t *testing.T, typ string, payload []byte) {
		cfg := config.Default()
		w := newFuzzWorld(t, cfg.Settings())
		if _, err := w.cmds.Declare(t.Context(), commands.DeclareInput{Title: "db down", Severity: "SEV2", DeclaredBy: fzAlice}); err != nil {
			t.Fatal(err)
		}
		ack, after := w.b.Handle(t.Context(), socketmode.Request{Type: typ, EnvelopeID: "env-1", Payload: payload})
		raw, err := json.Marshal(ack)
		if err != nil {
			t.Fatalf("ack does not encode: %v", err)
		}
		if len(raw) >= 20*1024-64 {
			t.Fatalf("ack of %d bytes", len(raw))
		}
		if after != nil {
			after(t.Context())
		}
	})
}
