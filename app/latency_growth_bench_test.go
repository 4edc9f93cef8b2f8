package app_test

import (
	"context"
	"fmt"
	"io"
	"path/filepath"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/incidentbot/incidentbot/app"
	"github.com/incidentbot/incidentbot/incident"
	"github.com/incidentbot/incidentbot/internal/clock"
	"github.com/incidentbot/incidentbot/internal/slackemu"
	"github.com/incidentbot/incidentbot/store"
	"github.com/incidentbot/incidentbot/store/boltstore"
	"github.com/incidentbot/incidentbot/templates"
)

// What grows with an incident's life or with the number of incidents,
// measured on the real paths (Slack answering at once): an update's cost
// against the timeline's length, the postmortem of a long incident, and a
// burst of reminders.

// growTimeline appends events to INC-n until its timeline holds total: a
// status update every tenth, notes otherwise, as a long incident's
// channel collects them.
func (s *slowSlack) growTimeline(n uint64, total int) {
	s.b.Helper()
	var have int
	if err := s.app.Store().View(func(tx store.Tx) error {
		evs, err := tx.Events(n)
		have = len(evs)
		return err
	}); err != nil {
		s.b.Fatal(err)
	}
	at := time.Now()
	for have < total {
		err := s.app.Store().Update(s.ctx(), func(tx store.Tx) error {
			for i := 0; i < 1000 && have < total; i++ {
				ev := incident.Event{At: at, Kind: incident.EventNote, Actor: s.user, Text: fmt.Sprintf("note %d: replica lag back under a second, watching the error rate on checkout", have)}
				if have%10 == 0 {
					ev.Kind, ev.Text, ev.NextSteps = incident.EventUpdate, fmt.Sprintf("update %d: still investigating the checkout errors", have), "keep watching"
				}
				if _, err := tx.AppendEvent(n, ev); err != nil {
					return err
				}
				have++
			}
			return nil
		})
		if err != nil {
			s.b.Fatal(err)
		}
	}
}

// BenchmarkStatusUpdateAtTimelineSize is one status update (the form
// submitted through Socket Mode, committed, and its five Slack calls
// done) on an incident whose timeline already holds 10, 1,000 or 10,000
// events. Allocations are the whole process's (the emulator's share is the
// same at every size); opening the form is not timed.
func BenchmarkStatusUpdateAtTimelineSize(b *testing.B) {
	for _, events := range []int{10, 1_000, 10_000} {
		b.Run(fmt.Sprintf("%devents", events), func(b *testing.B) {
			s := startSlowSlack(b, 0, false)
			s.growTimeline(1, events)
			channel := s.incident(1).ChannelID
			var fanOut []time.Duration
			k := 0
			b.ReportAllocs()
			for b.Loop() {
				b.StopTimer()
				v := s.openUpdateForm(channel)
				b.StartTimer()
				k++
				acked, reached := s.submitUpdate(v, k)
				fanOut = append(fanOut, since(acked, reached))
			}
			reportMedian(b, fanOut, 0, "fanout")
		})
	}
}

// BenchmarkPostmortemAt10kEvents is `/incident postmortem` on an incident
// with 10,000 timeline events, from the ack until the draft is shared in
// the channel (the timeline read, the draft rendered and uploaded).
func BenchmarkPostmortemAt10kEvents(b *testing.B) {
	s := startSlowSlack(b, 0, false)
	s.growTimeline(1, 10_000)
	channel := s.incident(1).ChannelID
	var shared []time.Duration
	for b.Loop() {
		done := s.awaitCalls(len(s.emu.Calls("")), map[string]int{"files.completeUploadExternal": 1})
		if _, err := s.emu.SlashCommand(s.ctx(), slackemu.SlashCommand{UserID: s.user, ChannelID: channel, Text: "postmortem"}); err != nil {
			b.Fatal(err)
		}
		acked := time.Now()
		shared = append(shared, since(acked, <-done))
	}
	reportMedian(b, shared, 0, "shared")
}

// reminderBurst is how many open incidents have a reminder fall due at the
// same instant in BenchmarkRemindersDueAtOnce10k.
const reminderBurst = 10_000

// BenchmarkRemindersDueAtOnce10k: 10,000 open SEV1 incidents, each with
// its channel, whose update reminders all fall due at the same instant (as
// after an outage longer than every interval). The bot runs on a fake
// clock, which the benchmark moves past the due time; it measures the real
// time until all 10,000 reminders are handed to Slack (chat.postMessage
// answered), Slack's tier limits off.
func BenchmarkRemindersDueAtOnce10k(b *testing.B) {
	for b.Loop() {
		b.StopTimer()
		start := time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)
		due := start.Add(time.Minute)
		clk := clock.NewFake(start)
		emu := slackemu.Start(b, func(o *slackemu.Options) { o.Logf, o.Now = func(string, ...any) {}, clk.Now })
		channels := map[string]bool{}
		ids := make([]string, reminderBurst)
		for i := range ids {
			ids[i] = emu.CreateChannel(fmt.Sprintf("inc-%d-burst", i+1), false, emu.BotUserID())
			channels[ids[i]] = true
		}
		path := filepath.Join(b.TempDir(), "burst.db")
		seedReminders(b, path, ids, start, due)
		cfg := emulatorConfig(emu, path)
		tmpl, err := templates.Load("")
		if err != nil {
			b.Fatal(err)
		}
		a, err := app.Open(cfg, tmpl, zerolog.New(io.Discard), app.WithClock(clk))
		if err != nil {
			b.Fatal(err)
		}
		ctx, cancel := context.WithCancel(context.Background())
		stopped := make(chan struct{})
		go func() { defer close(stopped); _ = a.Run(ctx) }()
		wctx, wcancel := context.WithTimeout(context.Background(), time.Minute)
		if err := emu.WaitConnected(wctx); err != nil {
			b.Fatal(err)
		}
		wcancel()
		// Nothing but the reminders posts in the incidents' channels.
		reminder := func(c slackemu.Call) string {
			if ch, _ := c.Args["channel"].(string); c.OK && c.Method == "chat.postMessage" && channels[ch] {
				return "reminder"
			}
			return ""
		}
		done := awaitCallsOn(b, emu, len(emu.Calls("")), map[string]int{"reminder": reminderBurst}, reminder)
		b.StartTimer()
		began := time.Now()
		clk.Advance(due.Sub(start))
		handed := since(began, <-done)
		b.StopTimer()
		b.ReportMetric(handed.Seconds(), "s-to-slack")
		cancel()
		<-stopped
		b.StartTimer()
	}
}

// seedReminders writes one open SEV1 incident per channel of ids, declared
// at declared, its update reminder due at due.
func seedReminders(b *testing.B, path string, ids []string, declared, due time.Time) {
	b.Helper()
	st, err := boltstore.Open(path, boltstore.Options{NoSync: true})
	if err != nil {
		b.Fatal(err)
	}
	defer st.Close()
	const chunk = 1000
	for from := 0; from < len(ids); from += chunk {
		err := st.Update(context.Background(), func(tx store.Tx) error {
			for _, ch := range ids[from:min(from+chunk, len(ids))] {
				inc := &incident.Incident{Title: "checkout returns 500s", Severity: "SEV1", Status: incident.Investigating,
					DeclaredBy: "UANA00001", Roles: map[string]string{incident.RoleCommander: "UANA00001"},
					StartedAt: declared, DeclaredAt: declared, NextUpdateAt: due}
				if err := tx.CreateIncident(inc); err != nil {
					return err
				}
				inc.ChannelID = ch
				if err := tx.PutIncident(inc); err != nil {
					return err
				}
				if _, err := tx.AppendEvent(inc.Number, incident.Event{At: declared, Kind: incident.EventDeclared, Actor: "UANA00001", Text: inc.Title, To: inc.Severity}); err != nil {
					return err
				}
				if err := tx.SetReminder(inc.Number, due); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			b.Fatal(err)
		}
	}
}
