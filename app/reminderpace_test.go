package app_test

import (
	"testing"
	"time"
)

// Three hundred reminders fall due at once against Slack's real limits.
// Each posts in a channel of its own, so the limit that binds is the
// workspace's for chat.postMessage: a burst of 100, then 300 a minute. The
// bot paces the rest instead of sending every waiting post again after
// each Retry-After, so Slack refuses a few posts, not thousands,
// and the burst takes the time the limit allows (the clock is fake: it
// jumps to each time the bot waits for).
func TestReminderBurstIsPacedUnderSlackLimits(t *testing.T) {
	t.Parallel() // self-contained and slow: it overlaps the others
	const n = 300
	r := startReminderBurst(t, n, "SEV3", true)
	defer r.stop()
	r.clk.Advance(r.due.Sub(r.clk.Now()))
	r.settle()

	posted, refused, last := r.tally()
	if posted != n {
		t.Fatalf("%d reminders posted, want %d", posted, n)
	}
	// The burst of 100 goes at once; the other 200 at 5 a second.
	floor := 200 * time.Second / 5
	took := last.Sub(r.due)
	t.Logf("%d reminders in %v of Slack time (floor %v), %d posts refused", n, took, floor, refused)
	// The first refusals are unavoidable: until the first 429s come back
	// the bot does not know the limit, and up to 128 posts are on their
	// way (Slack takes 100), more as the first answers free their slots
	// (how many depends on the machine's speed: 24–94 seen). A bot that
	// hammers has every waiting post refused again after each
	// Retry-After: 4,100 here before pacing.
	if refused > n {
		t.Errorf("Slack refused %d posts for %d reminders: the bot hammers instead of pacing", refused, n)
	}
	// The last posts may come back a few seconds after the time they were
	// given (the outbox spreads the retries of a rate limit).
	if took > floor+15*time.Second {
		t.Errorf("the reminders took %v of Slack time, the limit allows %v", took, floor)
	}
}
