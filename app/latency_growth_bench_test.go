package app_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/incidentbot/incidentbot/incident"
	"github.com/incidentbot/incidentbot/internal/slackemu"
	"github.com/incidentbot/incidentbot/store"
)

// What grows with an incident's life or with the number of incidents,
// measured on the real paths (Slack answering at once): an update's cost
// against the timeline's length and the postmortem of a long incident (a
// burst of reminders: reminderburst_bench_test.go).

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
