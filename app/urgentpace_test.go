package app_test

import (
	"context"
	"testing"
	"time"

	"github.com/incidentbot/incidentbot/config"
	"github.com/incidentbot/incidentbot/internal/slackemu"
)

// Five hundred reminders fall due at once against Slack's real limits, and
// an incident is declared just as the bot starts pacing them (the
// workspace's 300 posts a minute: 80 s of backlog), when none of the
// backlog has come back yet and the pacer has no spare allowance. The
// declaration's card, first steps and announcement are what people are
// waiting for: Slack takes them within seconds, ahead of the reminders,
// which still go out at the rate the limit allows.
func TestDeclarationOvertakesAPacedReminderBurst(t *testing.T) {
	const n = 500
	var user, announce string
	r := startReminderBurst(t, n, "SEV3", true, func(r *burst, cfg *config.Config) {
		user = r.emu.AddUser(slackemu.User{Name: "ana"})
		announce = r.emu.CreateChannel("announcements", false, r.emu.BotUserID(), user)
		cfg.Incidents.AnnounceChannel = announce
	})
	defer r.stop()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	r.clk.Advance(r.due.Sub(r.clk.Now()))
	if err := r.app.Scheduler().Trigger(ctx); err != nil {
		t.Fatal(err)
	}
	// The bot sends what Slack takes at once (its burst of 100); the first
	// refusals show that the workspace's limit binds, and the bot gives
	// each waiting reminder a time of its own, 80 s of them.
	if _, err := r.app.Bot().WaitSettled(ctx); err != nil {
		t.Fatal("the outbox never settled:", err)
	}
	if posted, refused, _ := r.tally(); posted == n || refused == 0 {
		t.Fatalf("%d of %d reminders posted, %d refused: Slack's limit never bound", posted, n, refused)
	}

	declared := r.clk.Now()
	from := len(r.emu.Calls(""))
	if _, err := r.emu.SlashCommand(ctx, slackemu.SlashCommand{UserID: user, ChannelID: announce, Command: "/incident", Text: "declare SEV1 checkout is down"}); err != nil {
		t.Fatal(err)
	}
	answered := map[string]time.Duration{} // the declaration's post → when Slack took it
	// Time passes as it would: the clock jumps to each of the bot's
	// wake-ups until it has nothing left to do.
	for {
		wake, err := r.app.Bot().WaitSettled(ctx)
		if err != nil {
			t.Fatal("the outbox never settled:", err)
		}
		if wake.IsZero() {
			break
		}
		r.clk.Advance(wake.Sub(r.clk.Now()))
	}
	for _, c := range r.emu.Calls("")[from:] {
		switch k := callKey(c); k {
		case "chat.postMessage facts", "chat.postMessage announcement", "chat.postMessage welcome":
			if _, ok := answered[k]; !ok {
				answered[k] = c.At.Sub(declared)
			}
		}
	}
	for _, k := range []string{"chat.postMessage facts", "chat.postMessage announcement", "chat.postMessage welcome"} {
		took, ok := answered[k]
		switch {
		case !ok:
			t.Errorf("%s: never taken by Slack", k)
		case took > 3*time.Second:
			t.Errorf("%s: taken %v after the declaration, behind the reminders; want ≤ 3 s", k, took)
		default:
			t.Logf("%s: taken %v after the declaration", k, took)
		}
	}

	posted, refused, last := r.tally()
	if posted != n {
		t.Fatalf("%d reminders posted, want %d", posted, n)
	}
	// The burst of 100 at once, the other 400 and the declaration's three
	// posts at 5 a second, a few seconds more for the outbox's spread.
	floor := 403 * time.Second / 5
	took := last.Sub(r.due)
	t.Logf("%d reminders in %v of Slack time (floor %v), %d posts refused", n, took, floor, refused)
	if took > floor+15*time.Second {
		t.Errorf("the reminders took %v of Slack time, the limit allows %v", took, floor)
	}
	if refused > n {
		t.Errorf("Slack refused %d posts for %d reminders: the bot hammers instead of pacing", refused, n)
	}
}
