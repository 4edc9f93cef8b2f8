package bot

import (
	"context"
	"errors"
	"net"
	"time"

	"github.com/slack-go/slack"
)

// Work done after an ack — reading a 📌'd message, answering through a
// response_url or with an ephemeral message, publishing the Home tab — has
// no outbox behind it, so a rate limit or a 5xx would lose it. It retries
// here instead, waiting what Slack asks, within bounds that keep an
// envelope's work (and a shutdown waiting for it) short.
const (
	afterAckAttempts = 5
	afterAckBudget   = 15 * time.Second
	afterAckBackoff  = 250 * time.Millisecond
)

// retry runs call until it succeeds, fails in a way a retry cannot fix,
// the attempts or the time budget run out, ctx ends or the bot stops, and
// returns its last error. A rate limit spends only the time budget, not an
// attempt. Only for work after an ack: before one, or inside a trigger_id's
// 3 s, there is no time to wait.
func (rp *replier) retry(ctx context.Context, call func() error) error {
	clk := rp.clock
	deadline := clk.Now().Add(afterAckBudget)
	for attempt := 1; ; {
		err := call()
		wait, again := retryWait(err, attempt)
		var rl *slack.RateLimitedError
		if errors.As(err, &rl) {
			// Slack refused the call: waiting is not a failed attempt; the
			// time budget alone bounds it.
			if !again || clk.Now().Add(wait).After(deadline) {
				return err
			}
		} else {
			if !again || attempt >= afterAckAttempts || clk.Now().Add(wait).After(deadline) {
				return err
			}
			attempt++
		}
		tick, stop := clk.After(wait)
		select {
		case <-tick:
		case <-ctx.Done():
			stop()
			return err
		case <-rp.stopping:
			stop()
			return err
		}
	}
}

// retryWait says whether a Slack call that failed with err is worth
// another try, and after how long: a 429 after its Retry-After (every call
// its limit covers is held that long anyway, see Transport); a 5xx, a
// transient error code or a network error after a backoff doubling from
// afterAckBackoff. Anything else — a permanent error code, a request the
// client refused to send — would fail the same way again.
func retryWait(err error, attempt int) (time.Duration, bool) {
	if err == nil || errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return 0, false
	}
	backoff := afterAckBackoff << min(attempt-1, 6)
	var (
		rl *slack.RateLimitedError
		sc slack.StatusCodeError
		se slack.SlackErrorResponse
		ne net.Error
	)
	switch {
	case errors.As(err, &rl):
		return max(rl.RetryAfter, afterAckBackoff), true
	case errors.As(err, &sc):
		return backoff, sc.Code == 429 || sc.Code >= 500
	case errors.As(err, &se):
		return backoff, transientCodes[se.Err]
	case errors.As(err, &ne):
		return backoff, true
	}
	return 0, false
}
