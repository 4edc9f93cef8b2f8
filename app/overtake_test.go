package app_test

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/incidentbot/incidentbot/commands"
	"github.com/incidentbot/incidentbot/config"
	"github.com/incidentbot/incidentbot/incident"
	"github.com/incidentbot/incidentbot/internal/slackemu"
	"github.com/incidentbot/incidentbot/store"
)

// Five hundred reminders fall due at once against Slack's real limits (80 s
// of backlog), and with them the reminder of an incident declared a minute
// before: it takes its place at the end of the backlog. Its commander then
// posts the update the reminder asks for: Slack takes the update's post
// within seconds, ahead of the reminder, and the reminder, asking for an
// update that has been posted, is never posted at all.
func TestAnUpdateOvertakesItsPacedReminder(t *testing.T) {
	t.Parallel() // self-contained and slow: it overlaps the others
	const n = 500
	var user, announce string
	r := startReminderBurst(t, n, "SEV3", true, func(r *burst, cfg *config.Config) {
		user = r.emu.AddUser(slackemu.User{Name: "ana"})
		announce = r.emu.CreateChannel("announcements", false, r.emu.BotUserID(), user)
		cfg.Incidents.AnnounceChannel = announce
		i := slices.IndexFunc(cfg.Incidents.Severities, func(s config.Severity) bool { return s.Name == "SEV1" })
		cfg.Incidents.Severities[i].Reminder = r.due.Sub(r.clk.Now())
	})
	defer r.stop()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	// settle lets time pass until the bot has nothing to do before until.
	settle := func(until time.Time) {
		t.Helper()
		for {
			wake, err := r.app.Bot().WaitSettled(ctx)
			if err != nil {
				t.Fatal("the outbox never settled:", err)
			}
			if wake.IsZero() || wake.After(until) {
				if until.After(r.clk.Now()) {
					r.clk.Advance(until.Sub(r.clk.Now()))
				}
				return
			}
			r.clk.Advance(wake.Sub(r.clk.Now()))
		}
	}
	if _, err := r.emu.SlashCommand(ctx, slackemu.SlashCommand{UserID: user, ChannelID: announce, Command: "/incident", Text: "declare SEV1 checkout is down"}); err != nil {
		t.Fatal(err)
	}
	settle(r.clk.Now())
	r.clk.Advance(r.due.Sub(r.clk.Now()))
	if err := r.app.Scheduler().Trigger(ctx); err != nil {
		t.Fatal(err)
	}
	settle(r.clk.Now())
	if posted, refused, _ := r.tally(); posted == n || refused == 0 {
		t.Fatalf("%d of %d reminders posted, %d refused: Slack's limit never bound", posted, n, refused)
	}

	var inc *incident.Incident
	number := uint64(n + 1) // the burst's are 1 to n
	if err := r.app.Store().View(func(tx store.Tx) (err error) { inc, err = tx.Incident(number); return err }); err != nil {
		t.Fatal(err)
	}
	if inc.MissedUpdates != 1 {
		t.Fatalf("%s: %d reminders fired, want 1", inc.ID(), inc.MissedUpdates)
	}
	jobs, err := r.app.Store().PendingJobs(0)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.ContainsFunc(jobs, func(j store.Job) bool {
		return j.Incident == number && j.Kind == commands.JobReminder && j.NotBefore.After(r.clk.Now().Add(30*time.Second))
	}) {
		t.Fatalf("%s's reminder is not in the paced backlog", inc.ID())
	}

	// The commander posts the update the reminder asks for.
	if _, err := r.emu.SlashCommand(ctx, slackemu.SlashCommand{UserID: user, ChannelID: inc.ChannelID, Command: "/incident", Text: "update"}); err != nil {
		t.Fatal(err)
	}
	open, err := r.emu.WaitCall(ctx, "views.open", func(c slackemu.Call) bool { return c.OK })
	if err != nil {
		t.Fatal(err)
	}
	var form string
	for _, v := range r.emu.Views() {
		if v.TriggerID == open.Args["trigger_id"] {
			form = v.ID
		}
	}
	submitted := r.clk.Now()
	if _, err := r.emu.SubmitView(ctx, user, form, map[string]any{"status": "identified", "severity": "SEV1", "summary": "expired certificate", "next_update": "1h"}); err != nil {
		t.Fatal(err)
	}
	settle(submitted.Add(5 * time.Minute)) // the burst is out, the next reminder not due

	var update, reminders int
	for _, c := range r.emu.Calls("chat.postMessage") {
		if !c.OK || c.Args["channel"] != inc.ChannelID || c.At.Before(submitted) {
			continue
		}
		switch text := callText(c); {
		case strings.Contains(text, `"action_id":"snooze"`):
			reminders++
			t.Logf("a reminder posted %v after the update was submitted", c.At.Sub(submitted))
		case strings.Contains(text, "expired certificate") && update == 0:
			update++
			if took := c.At.Sub(submitted); took > 3*time.Second {
				t.Errorf("the update was taken by Slack %v after it was submitted, behind its reminder; want ≤ 3 s", took)
			} else {
				t.Logf("the update was taken by Slack %v after it was submitted", took)
			}
		}
	}
	if update == 0 {
		t.Error("the update was never posted in the incident's channel")
	}
	if reminders != 0 {
		t.Errorf("%d reminders posted after the update they asked for", reminders)
	}
	if posted, _, _ := r.tally(); posted != n {
		t.Errorf("%d of the burst's %d reminders posted", posted, n)
	}
}
