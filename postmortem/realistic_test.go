package postmortem_test

import (
	"context"
	"testing"
	"time"

	"github.com/incidentbot/incidentbot/commands"
	"github.com/incidentbot/incidentbot/incident"
	"github.com/incidentbot/incidentbot/internal/clock"
	"github.com/incidentbot/incidentbot/internal/mrkdwn"
	"github.com/incidentbot/incidentbot/postmortem"
	"github.com/incidentbot/incidentbot/store"
	"github.com/incidentbot/incidentbot/store/boltstore/bolttest"
)

// People of the realistic incident.
const (
	alice = "UALICE001"
	bob   = "UBOB00002"
	carol = "UCAROL003"
	dave  = "UDAVE0004"
)

func settings() incident.Settings {
	s := incident.DefaultSettings()
	s.Services = []incident.Service{{Name: "checkout", Experts: []string{carol}, Runbook: "https://wiki.example.com/runbooks/checkout"}}
	return s
}

// story writes a realistic incident through the store and the use-cases
// that exist, so the draft is tested on the records the bot really keeps:
// declared with a known impact start, roles taken and handed over, several
// status updates, a severity change, notes and a captured message, action
// items, resolution, and a postmortem request. Steps that belong to other
// use-cases are written as those use-cases record them.
func story(t testing.TB) (*commands.Service, postmortem.Record) {
	t.Helper()
	ctx := context.Background()
	clk := clock.NewFake(time.Date(2025, 3, 14, 9, 30, 0, 0, time.UTC))
	s := &commands.Service{Store: bolttest.Open(t), Settings: settings(), ChannelPrefix: "inc", Command: "/incident", Clock: clk}

	res, err := s.Declare(ctx, commands.DeclareInput{
		Title:    "Checkout returns 500s for card payments",
		Summary:  "Card payments fail with HTTP 500 since the 09:20 deploy.\n\nAbout 30% of checkouts are affected; *PayPal* still works.\n# not a heading",
		Severity: "SEV3", Service: "checkout", DeclaredBy: alice, IdempotencyKey: "declare-1",
	})
	if err != nil {
		t.Fatal(err)
	}
	n := res.Incident.Number
	const channel = "CINC1"

	// write applies one step as its use-case would, at the clock's time.
	write := func(after time.Duration, change func(inc *incident.Incident, now time.Time), evs ...incident.Event) {
		t.Helper()
		clk.Advance(after)
		now := clk.Now().UTC()
		err := s.Store.Update(ctx, func(tx store.Tx) error {
			inc, err := tx.Incident(n)
			if err != nil {
				return err
			}
			if change != nil {
				change(inc, now)
				if err := tx.PutIncident(inc); err != nil {
					return err
				}
			}
			for _, ev := range evs {
				if ev.At.IsZero() {
					ev.At = now
				}
				if _, err := tx.AppendEvent(n, ev); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}

	// The outbox made the channel; impact had begun ten minutes before.
	write(0, func(inc *incident.Incident, now time.Time) {
		inc.ChannelID, inc.ChannelName = channel, "inc-1-checkout-returns-500s-for-card-payments"
		inc.StartedAt = now.Add(-10 * time.Minute)
		inc.Impact = "Card checkouts failed for 30% of customers in the EU; about 1,200 orders were not placed."
	})
	write(2*time.Minute, func(inc *incident.Incident, _ time.Time) { inc.Roles[incident.RoleComms] = bob },
		incident.Event{Kind: incident.EventRoleAssigned, Actor: alice, Role: incident.RoleComms, To: bob})
	write(time.Minute, func(inc *incident.Incident, _ time.Time) { inc.Roles[incident.RoleOps] = carol },
		incident.Event{Kind: incident.EventRoleAssigned, Actor: alice, Role: incident.RoleOps, To: carol})
	write(3*time.Minute, func(inc *incident.Incident, now time.Time) { inc.LastUpdateAt = now },
		incident.Event{Kind: incident.EventUpdate, Actor: bob, Text: "Errors started with deploy 4812.\nRolling it back now.", NextSteps: "Watch the error rate for 15 minutes."})
	write(2*time.Minute, func(inc *incident.Incident, _ time.Time) { inc.Severity = "SEV2" },
		incident.Event{Kind: incident.EventSeverityChanged, Actor: alice, From: "SEV3", To: "SEV2"})
	write(2*time.Minute, func(inc *incident.Incident, _ time.Time) { inc.Status = incident.Identified },
		incident.Event{Kind: incident.EventStatusChanged, Actor: alice, From: "investigating", To: "identified"})
	write(time.Minute, nil,
		// Slash-command text is stored as the bot keeps it: decoded once
		// from the form Slack sends.
		incident.Event{Kind: incident.EventNote, Actor: carol, Text: mrkdwn.FromSlack("Connection pool exhausted after `max_conns: 10` shipped in <https://git.example.com/pr/4812|PR 4812>; <@UBOB00002> is on it &amp; <!here> knows.")})
	write(4*time.Minute, func(inc *incident.Incident, _ time.Time) { inc.Roles[incident.RoleCommander] = dave },
		incident.Event{Kind: incident.EventRoleHandoff, Actor: alice, Role: incident.RoleCommander, From: alice, To: dave})
	// A message captured with 📌 carries its own, earlier time.
	write(time.Minute, nil,
		incident.Event{Kind: incident.EventMessagePinned, Actor: dave, At: clk.Now().Add(-20 * time.Minute).UTC(), Text: "checkout-api p99 is 30s, 500s on /pay", Link: "https://example.slack.com/archives/CINC1/p1741944720000100"})
	write(5*time.Minute, func(inc *incident.Incident, _ time.Time) { inc.Status = incident.Monitoring },
		incident.Event{Kind: incident.EventStatusChanged, Actor: dave, From: "identified", To: "monitoring"},
		incident.Event{Kind: incident.EventUpdate, Actor: bob, Text: "Rollback complete; error rate back to 0.1%."})
	write(15*time.Minute, nil,
		incident.Event{Kind: incident.EventReminder, Text: "No status update for 15m."},
		incident.Event{Kind: incident.EventSnoozed, Actor: bob, Text: "15m"})

	clk.Advance(2 * time.Minute)
	for i, a := range []commands.ActionInput{
		{Text: mrkdwn.FromSlack("Add an alert on `pool_exhausted` &gt; 0 [now](https://evil.example) <!channel>"), Owner: carol},
		{Text: "Make the connection-pool size a reviewed config value", Owner: dave},
		{Text: "Write down the rollback steps in the runbook"},
	} {
		a.ChannelID, a.By, a.IdempotencyKey = channel, alice, "action-"+string(rune('a'+i))
		if _, err := s.AddActionItem(ctx, a); err != nil {
			t.Fatal(err)
		}
	}
	write(6*time.Minute, func(inc *incident.Incident, now time.Time) {
		inc.Resolution = "Deploy 4812 rolled back; pool size restored to 50."
		if err := inc.SetStatus(incident.Resolved, now); err != nil {
			t.Fatal(err)
		}
	},
		incident.Event{Kind: incident.EventStatusChanged, Actor: dave, From: "monitoring", To: "resolved"},
		incident.Event{Kind: incident.EventResolved, Actor: dave, Text: "Deploy 4812 rolled back; pool size restored to 50."})
	clk.Advance(time.Hour)
	if _, err := s.RecordPostmortem(ctx, commands.PostmortemInput{ChannelID: channel, By: bob, IdempotencyKey: "pm-1"}); err != nil {
		t.Fatal(err)
	}
	rec, err := s.IncidentRecord(n)
	if err != nil {
		t.Fatal(err)
	}
	return s, rec
}
