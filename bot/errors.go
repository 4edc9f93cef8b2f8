package bot

import (
	"context"
	"errors"
	"time"

	"github.com/slack-go/slack"

	"github.com/incidentbot/incidentbot/outbox"
	"github.com/incidentbot/incidentbot/store"
)

// transientCodes are Slack error codes that a later retry may not get.
var transientCodes = map[string]bool{
	"internal_error": true, "fatal_error": true, "service_unavailable": true,
	"request_timeout": true, "ratelimited": true, "rate_limited": true,
	"team_added_to_org": true,
}

// classify maps an error from a Slack call to the outbox's vocabulary:
// 429 → retry after Slack's Retry-After; 5xx, network errors and Slack's
// transient codes → retry with backoff; any other Slack error → permanent.
func classify(err error) error {
	if err == nil {
		return nil
	}
	var rl *slack.RateLimitedError
	if errors.As(err, &rl) {
		return outbox.RetryAfter(max(rl.RetryAfter, time.Second), err)
	}
	var sc slack.StatusCodeError
	if errors.As(err, &sc) {
		switch {
		case sc.Code == 429:
			// A 429 without Retry-After: refused all the same, so a wait,
			// not an attempt that may have happened.
			return outbox.RetryAfter(time.Second, err)
		case sc.Code >= 500:
			return err
		}
		return outbox.Permanent(err)
	}
	var se slack.SlackErrorResponse
	if errors.As(err, &se) {
		if se.Err == "ratelimited" || se.Err == "rate_limited" {
			// Slack's 200 OK form of a refusal (chat.postMessage's
			// "rate_limited"): nothing was posted.
			return outbox.RetryAfter(time.Second, err)
		}
		if transientCodes[se.Err] {
			return err
		}
		return outbox.Permanent(err)
	}
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return err
	}
	return err // network and decode errors: worth another try
}

// slackCode returns Slack's error code ("name_taken") for err, or "".
func slackCode(err error) string {
	var se slack.SlackErrorResponse
	if errors.As(err, &se) {
		return se.Err
	}
	return ""
}

// triggerExchanged reports whether views.open refused a trigger_id because
// it was used already. Slack gives a trigger_id to this app alone, so the
// form was opened by an earlier delivery of the same interaction: Slack
// redelivers envelopes whose ack it missed.
func triggerExchanged(err error) bool {
	code := slackCode(err)
	return code == "exchanged_trigger_id" || code == "trigger_exchanged"
}

// storeErr classifies a failed read of what a job needs: what does not
// exist will not appear on a retry, but a store that cannot answer just
// now (a database restarting) will, and giving up would drop an
// acknowledged side effect.
func storeErr(err error) error {
	if errors.Is(err, store.ErrNotFound) {
		return outbox.Permanent(err)
	}
	return err
}
