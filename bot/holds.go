package bot

import (
	"context"
	"net/http"
	"time"

	"github.com/incidentbot/incidentbot/internal/clock"
)

// SharedHolds is a store that replicas share and that keeps Slack's
// rate-limit holds for all of them (the PostgreSQL store). Slack limits
// the workspace, not the process: a Retry-After that one replica learned
// applies to every replica's calls under the same limit, and each replica
// that learned it by being refused would spend another 429 of the app's.
type SharedHolds interface {
	// HoldSlack records that calls under key are refused until then.
	HoldSlack(ctx context.Context, key string, until time.Time) error
	// SlackHold returns until when calls under key are held; zero: not.
	SlackHold(ctx context.Context, key string) (time.Time, error)
}

// sharedHoldTimeout bounds the look-up before a Slack call. A database
// that is slow or away must not stall the bot's calls to Slack: without
// an answer the call goes ahead, and a 429 from Slack still holds this
// replica (and is recorded for the others once the database is back).
const sharedHoldTimeout = time.Second

// SharedTransport is Transport whose holds are also kept in holds, so that
// a 429 seen by one replica holds every replica's calls under its limit,
// and, when pace is not nil, whose pacing of posts under the workspace's
// limit keeps one schedule in pace for every replica (pace.go).
func SharedTransport(next http.RoundTripper, m CallMetrics, clk clock.Clock, holds SharedHolds, pace SharedPace) http.RoundTripper {
	t := Transport(next, m, clk).(*transport)
	t.shared = holds
	t.posts.shared = pace
	return t
}

// wait is how long calls under key are still held: by this replica's own
// holds, else by the shared ones (remembered here, so that the calls
// during a hold do not ask the database again).
func (t *transport) wait(ctx context.Context, key string) time.Duration {
	if wait := t.cooldown(key); wait > 0 || t.shared == nil {
		return wait
	}
	ctx, cancel := context.WithTimeout(ctx, sharedHoldTimeout)
	defer cancel()
	until, err := t.shared.SlackHold(ctx, key)
	if err != nil || !until.After(t.now()) {
		return 0
	}
	t.holdUntil(key, until)
	return until.Sub(t.now())
}

// holdFor holds calls under key for d, here and, when the store is shared,
// for every replica.
func (t *transport) holdFor(ctx context.Context, key string, d time.Duration) {
	until := t.now().Add(d)
	t.holdUntil(key, until)
	if t.shared == nil {
		return
	}
	// The request's context may end with the response; the hold must
	// still be written.
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), sharedHoldTimeout)
	defer cancel()
	_ = t.shared.HoldSlack(ctx, key, until)
}
