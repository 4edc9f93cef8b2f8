package app_test

import (
	"context"
	"testing"
	"time"

	"github.com/incidentbot/incidentbot/config"
	"github.com/incidentbot/incidentbot/internal/slackemu"
)

// declarationPosts are the posts of a declaration that people wait for:
// the card, the first steps and the announcement (as callKey names them).
var declarationPosts = []string{"chat.postMessage facts", "chat.postMessage welcome", "chat.postMessage announcement"}

// Five hundred reminders fall due at once against Slack's real limits, and
// an incident is declared just as the bot starts pacing them (the
// workspace's 300 posts a minute: 80 s of backlog), when none of the
// backlog has come back yet and the pacer has no spare allowance. The
// declaration's card, first steps and announcement are what people are
// waiting for: Slack takes them within seconds, ahead of the reminders,
// which still go out at the rate the limit allows.
func TestDeclarationOvertakesAPacedReminderBurst(t *testing.T) {
	t.Parallel() // self-contained and slow: it overlaps the others
	const n = 500
	d := declareDuringBurst(t, n)
	for _, k := range declarationPosts {
		took, ok := d.answered[k]
		switch {
		case !ok:
			t.Errorf("%s: never taken by Slack", k)
		case took > 3*time.Second:
			t.Errorf("%s: taken %v after the declaration, behind the reminders; want ≤ 3 s", k, took)
		default:
			t.Logf("%s: taken %v after the declaration", k, took)
		}
	}
	if d.posted != n {
		t.Fatalf("%d reminders posted, want %d", d.posted, n)
	}
	// The burst of 100 at once, the other 400 and the declaration's three
	// posts at 5 a second, a few seconds more for the outbox's spread.
	floor := 403 * time.Second / 5
	t.Logf("%d reminders in %v of Slack time (floor %v), %d posts refused", n, d.took, floor, d.refused)
	if d.took > floor+15*time.Second {
		t.Errorf("the reminders took %v of Slack time, the limit allows %v", d.took, floor)
	}
	if d.refused > n {
		t.Errorf("Slack refused %d posts for %d reminders: the bot hammers instead of pacing", d.refused, n)
	}
}

// BenchmarkDeclarationDuringTieredBurst10k is the test above at the size
// of BenchmarkRemindersDueAtOnceTiered10k (10,000 reminders, 33 min of
// Slack time): how long after the declaration, on Slack's clock, Slack
// took its announcement ("s-to-announcement") and its card ("s-to-card").
func BenchmarkDeclarationDuringTieredBurst10k(b *testing.B) {
	for b.Loop() {
		d := declareDuringBurst(b, reminderBurst)
		if d.posted != reminderBurst {
			b.Fatalf("%d reminders posted, want %d", d.posted, reminderBurst)
		}
		b.ReportMetric(d.answered["chat.postMessage announcement"].Seconds(), "s-to-announcement")
		b.ReportMetric(d.answered["chat.postMessage facts"].Seconds(), "s-to-card")
		b.ReportMetric(d.took.Minutes(), "slack-min")
	}
}

// burstDeclaration is what declareDuringBurst saw: when (after the
// declaration, on Slack's clock) Slack took each of declarationPosts,
// and the reminders as burst.tally counts them, took from the due time.
type burstDeclaration struct {
	answered        map[string]time.Duration
	posted, refused int
	took            time.Duration
}

// declareDuringBurst has n reminders fall due at once with Slack's tier
// limits on, declares an incident once the bot has started pacing them,
// and lets time pass until the bot has nothing left to do.
func declareDuringBurst(tb testing.TB, n int) burstDeclaration {
	tb.Helper()
	var user, announce string
	r := startReminderBurst(tb, n, "SEV3", true, func(r *burst, cfg *config.Config) {
		user = r.emu.AddUser(slackemu.User{Name: "ana"})
		announce = r.emu.CreateChannel("announcements", false, r.emu.BotUserID(), user)
		cfg.Incidents.AnnounceChannel = announce
	})
	defer r.stop()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Minute)
	defer cancel()
	r.clk.Advance(r.due.Sub(r.clk.Now()))
	if err := r.app.Scheduler().Trigger(ctx); err != nil {
		tb.Fatal(err)
	}
	// The bot sends what Slack takes at once (its burst of 100); the first
	// refusals show that the workspace's limit binds, and the bot gives
	// each waiting reminder a time of its own.
	if _, err := r.app.Bot().WaitSettled(ctx); err != nil {
		tb.Fatal("the outbox never settled:", err)
	}
	if posted, refused, _ := r.tally(); posted == n || refused == 0 {
		tb.Fatalf("%d of %d reminders posted, %d refused: Slack's limit never bound", posted, n, refused)
	}

	declared := r.clk.Now()
	from := len(r.emu.Calls(""))
	if _, err := r.emu.SlashCommand(ctx, slackemu.SlashCommand{UserID: user, ChannelID: announce, Command: "/incident", Text: "declare SEV1 checkout is down"}); err != nil {
		tb.Fatal(err)
	}
	// Time passes as it would: the clock jumps to each of the bot's
	// wake-ups until it has nothing left to do.
	for {
		wake, err := r.app.Bot().WaitSettled(ctx)
		if err != nil {
			tb.Fatal("the outbox never settled:", err)
		}
		if wake.IsZero() {
			break
		}
		r.clk.Advance(wake.Sub(r.clk.Now()))
	}
	d := burstDeclaration{answered: map[string]time.Duration{}}
	for _, c := range r.emu.Calls("")[from:] {
		k := callKey(c)
		if _, seen := d.answered[k]; !seen {
			d.answered[k] = c.At.Sub(declared)
		}
	}
	var last time.Time
	d.posted, d.refused, last = r.tally()
	d.took = last.Sub(r.due)
	return d
}
