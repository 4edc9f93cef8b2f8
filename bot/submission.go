package bot

import (
	"github.com/slack-go/slack"

	"github.com/incidentbot/incidentbot/internal/mrkdwn"
)

// maxFieldError bounds the text of a form error. Messages may quote what
// was submitted, and the ack carrying them must stay under Slack's 20 KiB
// frame: a bigger one is dropped (the socket sends a bare ack instead),
// which closes the form as if it had been accepted.
const maxFieldError = 500

// fieldError is the view_submission ack that shows msg under the input
// block field and keeps the form open.
func fieldError(field, msg string) *slack.ViewSubmissionResponse {
	return slack.NewErrorsViewSubmissionResponse(map[string]string{field: mrkdwn.Truncate(msg, maxFieldError)})
}

// stateValues are a view submission's input values, block_id → action_id →
// value; nil when the payload has no state (Slack always sends one, but a
// nil would otherwise panic the handler and lose the submission).
func stateValues(cb slack.InteractionCallback) map[string]map[string]slack.BlockAction {
	if cb.View.State == nil {
		return nil
	}
	return cb.View.State.Values
}
