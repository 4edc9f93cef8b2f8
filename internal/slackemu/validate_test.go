package slackemu

import (
	"encoding/json"
	"strings"
	"testing"
)

func TestValidateMessageBlocks(t *testing.T) {
	tests := []struct {
		name   string
		blocks string
		want   string // a substring of the only problem; "" = valid
	}{
		{"valid", `[{"type":"section","text":{"type":"mrkdwn","text":"hi"}}]`, ""},
		{"not an array", `{"type":"divider"}`, "invalid_blocks_format"},
		{"too long", string(js([]any{section(txt("mrkdwn", 3001))})), "must be less than 3001 characters [json-pointer:/blocks/0/text/text]"},
		{"input in a message", `[{"type":"input","label":{"type":"plain_text","text":"x"},"element":{"type":"plain_text_input","action_id":"a"}}]`, "input blocks are only allowed"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := ValidateMessageBlocks(json.RawMessage(tt.blocks))
			if tt.want == "" && len(got) != 0 || tt.want != "" && (len(got) != 1 || !strings.Contains(got[0], tt.want)) {
				t.Fatalf("problems %q, want %q", got, tt.want)
			}
		})
	}
}

func TestExportedValidateView(t *testing.T) {
	input := `{"type":"input","block_id":"title","label":{"type":"plain_text","text":"Title"},"element":{"type":"plain_text_input","action_id":"title"}}`
	tests := []struct {
		name, view, want string
	}{
		{"modal", `{"type":"modal","title":{"type":"plain_text","text":"T"},"submit":{"type":"plain_text","text":"Go"},"blocks":[` + input + `]}`, ""},
		{"home", `{"type":"home","blocks":[{"type":"divider"}]}`, ""},
		{"modal without submit", `{"type":"modal","title":{"type":"plain_text","text":"T"},"blocks":[` + input + `]}`, "missing required field: submit"},
		{"title too long", `{"type":"modal","title":{"type":"plain_text","text":"` + strings.Repeat("t", 25) + `"},"blocks":[]}`, "must be less than 25 characters"},
		{"wrong type", `{"type":"workflow_step","blocks":[]}`, "must be a valid enum value"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := ValidateView(json.RawMessage(tt.view))
			if tt.want == "" && len(got) != 0 || tt.want != "" && (len(got) != 1 || !strings.Contains(got[0], tt.want)) {
				t.Fatalf("problems %q, want %q", got, tt.want)
			}
		})
	}
}

func TestCheckSubmissionAck(t *testing.T) {
	view := json.RawMessage(`{"type":"modal","title":{"type":"plain_text","text":"T"},"submit":{"type":"plain_text","text":"Go"},"blocks":[
		{"type":"context","block_id":"intro","elements":[{"type":"mrkdwn","text":"x"}]},
		{"type":"input","block_id":"title","label":{"type":"plain_text","text":"Title"},"element":{"type":"plain_text_input","action_id":"title"}}]}`)
	tests := []struct {
		name, payload, want string
	}{
		{"empty closes", ``, ""},
		{"null closes", `null`, ""},
		{"errors on an input", `{"response_action":"errors","errors":{"title":"Say what is wrong."}}`, ""},
		{"errors on a context block", `{"response_action":"errors","errors":{"intro":"no"}}`, `"intro" is not the block_id of an input block`},
		{"errors on no block", `{"response_action":"errors","errors":{"service":"no"}}`, `"service" is not the block_id`},
		{"empty message", `{"response_action":"errors","errors":{"title":" "}}`, "empty message"},
		{"no errors", `{"response_action":"errors","errors":{}}`, "non-empty errors"},
		{"clear", `{"response_action":"clear"}`, ""},
		{"unknown action", `{"response_action":"close"}`, `unknown response_action "close"`},
		{"missing action", `{"text":"hi"}`, "without response_action"},
		{"update with a bad view", `{"response_action":"update","view":{"type":"modal","blocks":[]}}`, "missing required field: title"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := CheckSubmissionAck(view, json.RawMessage(tt.payload))
			if tt.want == "" && len(got) != 0 || tt.want != "" && (len(got) != 1 || !strings.Contains(got[0], tt.want)) {
				t.Fatalf("problems %q, want %q", got, tt.want)
			}
		})
	}
}
