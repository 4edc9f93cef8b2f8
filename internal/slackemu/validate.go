package slackemu

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"
)

// The validators below expose the emulator's own Block Kit checks, so that
// fuzz and unit tests can hold a renderer to exactly the rules the emulator
// (and Slack) apply to a chat.* or views.* call, without a server.

// ValidateMessageBlocks checks a message's blocks array (as chat.postMessage
// or chat.update would receive it) and returns Slack-style problems; none
// means Slack would accept it.
func ValidateMessageBlocks(blocks json.RawMessage) []string {
	if !isJSONArray(blocks) {
		return []string{"invalid_blocks_format"}
	}
	return validateBlocks(blocks, surfaceMessage, "/blocks")
}

// ValidateView checks a view object of type modal or home (as views.open,
// views.update or views.publish would receive it) and returns Slack-style
// problems; none means Slack would accept it.
func ValidateView(view json.RawMessage) []string {
	return validateView(view, "modal", "home")
}

// CheckSubmissionAck checks the ack payload of a view_submission for the
// modal view (the JSON the bot opened it with) as Slack would: empty or
// null closes the view; otherwise it must be a response_action Slack
// knows, an errors map must name only input blocks of the view and give
// each a message, and an update or push must carry a valid modal. It
// returns what Slack would show the user as an error; none means fine.
func CheckSubmissionAck(view, payload json.RawMessage) []string {
	if len(payload) == 0 || string(payload) == "null" {
		return nil
	}
	var resp struct {
		ResponseAction string          `json:"response_action"`
		Errors         json.RawMessage `json:"errors"`
		View           json.RawMessage `json:"view"`
	}
	if err := json.Unmarshal(payload, &resp); err != nil {
		return []string{"ack payload is not a response_action object: " + err.Error()}
	}
	switch resp.ResponseAction {
	case "":
		return []string{"ack payload without response_action: " + string(payload)}
	case "errors":
		var errs map[string]string
		if err := json.Unmarshal(resp.Errors, &errs); err != nil || len(errs) == 0 {
			return []string{"response_action errors needs a non-empty errors object of strings"}
		}
		var body map[string]any
		if err := json.Unmarshal(view, &body); err != nil {
			return []string{"view is not an object: " + err.Error()}
		}
		inputs := inputBlockIDs(body)
		var problems []string
		for key, msg := range errs {
			if !inputs[key] {
				problems = append(problems, fmt.Sprintf("errors: %q is not the block_id of an input block", key))
			}
			if strings.TrimSpace(msg) == "" {
				problems = append(problems, fmt.Sprintf("errors: %q has an empty message", key))
			}
		}
		slices.Sort(problems)
		return problems
	case "update", "push":
		return validateView(resp.View, "modal")
	case "clear":
		return nil
	default:
		return []string{fmt.Sprintf("unknown response_action %q", resp.ResponseAction)}
	}
}
