package app_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/incidentbot/incidentbot/internal/slackemu"
)

// BenchmarkLifecycleFanOutOnSlowSlack sends a resolution, an escalation
// (SEV2 to SEV1) and a commander handoff, each to a fresh incident, through
// Socket Mode and measures, from the ack, the time until every call it
// implies is done ("fanout"), at each round-trip latency. Declaring the
// incident is not timed.
func BenchmarkLifecycleFanOutOnSlowSlack(b *testing.B) {
	refreshes := map[string]int{"chat.update facts": 1, "conversations.setTopic": 1, "chat.update announcement": 1}
	with := func(extra map[string]int) map[string]int {
		out := map[string]int{}
		for _, m := range []map[string]int{refreshes, extra} {
			for k, v := range m {
				out[k] += v
			}
		}
		return out
	}
	changes := []struct {
		name  string
		text  string
		calls map[string]int
	}{
		// The final update in the channel and the thread, then the next
		// step below it in the channel.
		{"resolve", "resolve rolled back", with(map[string]int{"chat.postMessage update": 2, "chat.postMessage post": 1})},
		// The change in the channel and the thread.
		{"escalation", "severity SEV1", with(map[string]int{"chat.postMessage post": 2})},
		// The new commander invited; the handoff in the thread and, once
		// they are in and on the card, in the channel.
		{"handoff", "role commander <@%s>", with(map[string]int{"conversations.invite": 1, "chat.postMessage post": 2})},
	}
	for _, c := range changes {
		for _, latency := range slackLatencies {
			b.Run(c.name+"/"+latencyName(latency), func(b *testing.B) {
				s := startSlowSlack(b, latency, false)
				next := s.emu.AddUser(slackemu.User{Name: "bo"})
				text := c.text
				if c.name == "handoff" {
					text = fmt.Sprintf(text, next)
				}
				var fanOut []time.Duration
				for b.Loop() {
					b.StopTimer()
					s.declare(s.declared + 1)
					channel := s.incident(s.declared).ChannelID
					b.StartTimer()
					done := s.awaitCalls(len(s.emu.Calls("")), c.calls)
					if _, err := s.emu.SlashCommand(s.ctx(), slackemu.SlashCommand{UserID: s.user, ChannelID: channel, Text: text}); err != nil {
						b.Fatal(err)
					}
					acked := time.Now()
					fanOut = append(fanOut, since(acked, <-done))
				}
				reportMedian(b, fanOut, latency, "fanout")
			})
		}
	}
}
