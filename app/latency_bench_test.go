package app_test

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"path/filepath"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/incidentbot/incidentbot/app"
	"github.com/incidentbot/incidentbot/config"
	"github.com/incidentbot/incidentbot/incident"
	"github.com/incidentbot/incidentbot/internal/slackemu"
	"github.com/incidentbot/incidentbot/store"
	"github.com/incidentbot/incidentbot/templates"
)

// The benchmarks in this file run the real bot against an emulator that
// holds every Web API call for a Slack-like round trip (slackemu
// Options.Latency), on real time: they measure time, so they wait for it.
// They are slow; run each a few times (-benchtime 1x or 3x). BENCHMARKS.md,
// "Latency on real Slack", records their results.

// slackLatencies are the round trips measured: none (the emulator as the
// tests see it), and fast, typical and slow real Slack.
var slackLatencies = []time.Duration{0, 50 * time.Millisecond, 150 * time.Millisecond, 300 * time.Millisecond}

// slowSlack is the real bot connected to an emulator with latency.
type slowSlack struct {
	b              *testing.B
	emu            *slackemu.Server
	app            *app.App
	user, announce string
	declared       uint64 // incidents declared so far
}

// startSlowSlack wires the bot as `incidentbot run` does (app.Open) against
// an emulator whose every call takes latency, with Slack's tier limits on
// when rateLimits, and declares one incident to warm it up: the process's
// first invite asks auth.test who the bot is, once. configure, if given,
// changes the configuration first (another store).
func startSlowSlack(b *testing.B, latency time.Duration, rateLimits bool, configure ...func(*config.Config)) *slowSlack {
	b.Helper()
	emu := slackemu.Start(b, func(o *slackemu.Options) {
		o.Logf, o.Latency, o.RateLimits = func(string, ...any) {}, latency, rateLimits
	})
	s := &slowSlack{b: b, emu: emu, user: emu.AddUser(slackemu.User{Name: "ana"})}
	s.announce = emu.CreateChannel("announcements", false, emu.BotUserID(), s.user)
	cfg := emulatorConfig(emu, filepath.Join(b.TempDir(), "bench.db"))
	cfg.Incidents.AnnounceChannel = s.announce
	for _, c := range configure {
		c(cfg)
	}
	tmpl, err := templates.Load("")
	if err != nil {
		b.Fatal(err)
	}
	if s.app, err = app.Open(cfg, tmpl, zerolog.New(io.Discard)); err != nil {
		b.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); _ = s.app.Run(ctx) }()
	b.Cleanup(func() { cancel(); <-done })
	if err := emu.WaitConnected(s.ctx()); err != nil {
		b.Fatal(err)
	}
	s.declare(1)
	return s
}

// emulatorConfig is the default configuration pointed at emu, with its
// store at path and no ops listener.
func emulatorConfig(emu *slackemu.Server, path string) *config.Config {
	cfg := config.Default()
	setToken(&cfg.Slack.BotToken, emu.BotToken())
	setToken(&cfg.Slack.AppToken, emu.AppToken())
	cfg.Slack.APIURL = emu.APIURL()
	cfg.Store.Path = path
	cfg.HTTP.Listen = ""
	return cfg
}

// setToken sets a token setting whatever string type holds it (a plain
// string, or a type that keeps it out of logs).
func setToken[T ~string](dst *T, v string) { *dst = T(v) }

func (s *slowSlack) ctx() context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	s.b.Cleanup(cancel)
	return ctx
}

// callKey names a successful call by method and, for messages, by the
// first block_id of what it carried (the card is "facts"); "" for calls
// that did not succeed.
func callKey(c slackemu.Call) string {
	if !c.OK {
		return ""
	}
	if blocks, ok := c.Args["blocks"].([]any); ok {
		for _, bl := range blocks {
			if id, _ := bl.(map[string]any)["block_id"].(string); id != "" {
				return c.Method + " " + id
			}
		}
	}
	return c.Method
}

// declarationCalls are the calls that make n declarations (one-liners, no
// service) complete: channel, topic, purpose, invites, the card posted and
// pinned, the first steps and the announcement.
func declarationCalls(n int) map[string]int {
	return map[string]int{
		"conversations.create": n, "conversations.setTopic": n, "conversations.setPurpose": n,
		"conversations.invite": n, "chat.postMessage facts": n, "pins.add": n,
		"chat.postMessage welcome": n, "chat.postMessage announcement": n,
	}
}

// updateCalls are the calls of one status update's fan-out: the update in
// the channel and in the announcement's thread, the card and the
// announcement edited, the topic set.
func updateCalls() map[string]int {
	return map[string]int{
		"chat.postMessage update": 2, "chat.update facts": 1, "chat.update announcement": 1, "conversations.setTopic": 1,
	}
}

// awaitCalls follows the emulator's call log from call index from on (it
// wakes on each recorded call, never polls) until every key of want has
// been seen as often as want says, and returns when each key got there.
// It runs in the background; read the result from the channel.
func (s *slowSlack) awaitCalls(from int, want map[string]int) <-chan map[string]time.Time {
	return awaitCallsOn(s.b, s.emu, from, want, callKey)
}

// awaitCallsOn is awaitCalls on any emulator, with calls named by key.
func awaitCallsOn(b *testing.B, emu *slackemu.Server, from int, want map[string]int, key func(slackemu.Call) string) <-chan map[string]time.Time {
	out := make(chan map[string]time.Time, 1)
	ready := make(chan struct{})
	go func() {
		got, reached, i := map[string]int{}, map[string]time.Time{}, 0
		first := true
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
		defer cancel()
		_, err := emu.WaitCall(ctx, "", func(c slackemu.Call) bool {
			if first {
				first = false
				close(ready)
			}
			if i++; i <= from {
				return false
			}
			k := key(c)
			if w, ok := want[k]; ok {
				if got[k]++; got[k] == w {
					reached[k] = time.Now()
				}
			}
			return len(reached) == len(want)
		})
		if err != nil {
			b.Errorf("waiting for %v: %v (got %v)", want, err, got)
		}
		out <- reached
	}()
	<-ready // the log is being read: nothing recorded from now on is missed
	return out
}

// since is how long after start the last of reached came.
func since(start time.Time, reached map[string]time.Time) time.Duration {
	var last time.Time
	for _, t := range reached {
		if t.After(last) {
			last = t
		}
	}
	return last.Sub(start)
}

// declare sends `/incident declare` for INC-n and waits until it is
// complete; it returns when it was acked and when each call landed.
func (s *slowSlack) declare(n uint64) (acked time.Time, reached map[string]time.Time) {
	s.b.Helper()
	done := s.awaitCalls(len(s.emu.Calls("")), declarationCalls(1))
	if _, err := s.emu.SlashCommand(s.ctx(), slackemu.SlashCommand{UserID: s.user, ChannelID: s.announce, Text: fmt.Sprintf("declare SEV2 latency %d", n)}); err != nil {
		s.b.Fatal(err)
	}
	acked = time.Now()
	reached = <-done
	s.declared = n
	return acked, reached
}

// openUpdateForm runs `/incident update` in channel and returns the modal
// once Slack has opened it.
func (s *slowSlack) openUpdateForm(channel string) slackemu.View {
	s.b.Helper()
	from := len(s.emu.Calls(""))
	if _, err := s.emu.SlashCommand(s.ctx(), slackemu.SlashCommand{UserID: s.user, ChannelID: channel, Text: "update"}); err != nil {
		s.b.Fatal(err)
	}
	i := 0
	call, err := s.emu.WaitCall(s.ctx(), "", func(c slackemu.Call) bool { i++; return i > from && c.Method == "views.open" })
	if err != nil || !call.OK {
		s.b.Fatalf("views.open: %+v %v", call, err)
	}
	for _, v := range s.emu.Views() {
		if v.TriggerID == call.Args["trigger_id"] {
			return v
		}
	}
	s.b.Fatalf("no view for trigger %v", call.Args["trigger_id"])
	return slackemu.View{}
}

// submitUpdate submits the update form v (update number k) and waits until
// its fan-out is done; it returns when the submission was acked and when
// each call landed.
func (s *slowSlack) submitUpdate(v slackemu.View, k int) (acked time.Time, reached map[string]time.Time) {
	s.b.Helper()
	status := []string{"identified", "monitoring"}[k%2]
	done := s.awaitCalls(len(s.emu.Calls("")), updateCalls())
	if _, err := s.emu.SubmitView(s.ctx(), s.user, v.ID, map[string]any{"status": status, "severity": "SEV2", "summary": fmt.Sprintf("update %d", k)}); err != nil {
		s.b.Fatal(err)
	}
	acked = time.Now()
	return acked, <-done
}

func (s *slowSlack) incident(n uint64) *incident.Incident {
	s.b.Helper()
	var inc *incident.Incident
	if err := s.app.Store().View(func(tx store.Tx) (err error) { inc, err = tx.Incident(n); return err }); err != nil {
		s.b.Fatal(err)
	}
	return inc
}

// checkComplete fails unless INC-first…INC-last each have a channel, a
// card and an announcement recorded, once the outbox is idle.
func (s *slowSlack) checkComplete(first, last uint64) {
	s.b.Helper()
	if err := s.app.Bot().WaitIdle(s.ctx()); err != nil { // the last answers' results are stored
		s.b.Fatal(err)
	}
	for n := first; n <= last; n++ {
		if inc := s.incident(n); inc.ChannelID == "" || inc.CardTS == "" || inc.AnnounceTS == "" {
			s.b.Fatalf("%s incomplete: %+v", inc.ID(), inc)
		}
	}
}

// median reports the median of ds in milliseconds as metric, and in round
// trips (metric with "-rt" for "-ms") when latency is set.
func reportMedian(b *testing.B, ds []time.Duration, latency time.Duration, unit string) {
	slices.Sort(ds)
	m := ds[len(ds)/2]
	b.ReportMetric(float64(m.Microseconds())/1000, unit+"-ms")
	if latency > 0 {
		b.ReportMetric(float64(m)/float64(latency), unit+"-rt")
	}
}

func latencyName(d time.Duration) string { return fmt.Sprintf("%dms", d.Milliseconds()) }

// BenchmarkDeclarationOnSlowSlack declares one incident at a time through
// Socket Mode and measures, from the ack, the time until the announcement
// is posted ("announced") and until the declaration is complete
// ("complete": channel, topic, purpose, invites, card posted and pinned,
// first steps, announcement), at each round-trip latency.
func BenchmarkDeclarationOnSlowSlack(b *testing.B) { declarationOnSlowSlack(b) }

// declarationOnSlowSlack is BenchmarkDeclarationOnSlowSlack on the store
// configure sets up (bbolt when none).
func declarationOnSlowSlack(b *testing.B, configure ...func(*testing.B, *config.Config)) {
	for _, latency := range slackLatencies {
		b.Run(latencyName(latency), func(b *testing.B) {
			var setup []func(*config.Config)
			for _, c := range configure {
				setup = append(setup, func(cfg *config.Config) { c(b, cfg) })
			}
			s := startSlowSlack(b, latency, false, setup...)
			var announced, complete []time.Duration
			for b.Loop() {
				acked, reached := s.declare(s.declared + 1)
				announced = append(announced, reached["chat.postMessage announcement"].Sub(acked))
				complete = append(complete, since(acked, reached))
			}
			s.checkComplete(1, s.declared)
			reportMedian(b, announced, latency, "announced")
			reportMedian(b, complete, latency, "complete")
		})
	}
}

// BenchmarkStatusUpdateFanOutOnSlowSlack submits the update form of an
// incident through Socket Mode and measures, from the submission's ack,
// the time until every post and edit it implies is done (the update in
// the channel and the announcement's thread, the card and the
// announcement edited, the topic set). Opening the form is not timed.
func BenchmarkStatusUpdateFanOutOnSlowSlack(b *testing.B) {
	for _, latency := range slackLatencies {
		b.Run(latencyName(latency), func(b *testing.B) {
			s := startSlowSlack(b, latency, false)
			channel := s.incident(1).ChannelID
			var fanOut []time.Duration
			k := 0
			for b.Loop() {
				b.StopTimer()
				v := s.openUpdateForm(channel)
				b.StartTimer()
				k++
				acked, reached := s.submitUpdate(v, k)
				fanOut = append(fanOut, since(acked, reached))
			}
			reportMedian(b, fanOut, latency, "fanout")
		})
	}
}

// BenchmarkTwentyDeclarationsAtOnceOnSlowSlack sends 20 declarations at
// the same moment and measures the time from sending them until every one
// is complete ("all-complete") and until all 20 are announced
// ("all-announced"). "150ms-tiers" adds the emulator's Slack tier limits
// (conversations.create and the other Tier 2 methods 20/min with a burst,
// chat.postMessage 1/s per channel with a burst of 5) on real time.
func BenchmarkTwentyDeclarationsAtOnceOnSlowSlack(b *testing.B) {
	type variant struct {
		name       string
		latency    time.Duration
		rateLimits bool
	}
	var variants []variant
	for _, l := range slackLatencies {
		variants = append(variants, variant{latencyName(l), l, false})
	}
	variants = append(variants, variant{"150ms-tiers", 150 * time.Millisecond, true})
	for _, v := range variants {
		b.Run(v.name, func(b *testing.B) {
			const n = 20
			s := startSlowSlack(b, v.latency, v.rateLimits)
			var all, announced []time.Duration
			for b.Loop() {
				first := s.declared + 1
				done := s.awaitCalls(len(s.emu.Calls("")), declarationCalls(n))
				start := time.Now()
				var wg sync.WaitGroup
				for i := range n {
					wg.Go(func() {
						text := fmt.Sprintf("declare SEV2 burst %d", first+uint64(i))
						if _, err := s.emu.SlashCommand(s.ctx(), slackemu.SlashCommand{UserID: s.user, ChannelID: s.announce, Text: text}); err != nil {
							b.Error(err)
						}
					})
				}
				wg.Wait()
				reached := <-done
				all = append(all, since(start, reached))
				announced = append(announced, reached["chat.postMessage announcement"].Sub(start))
				s.declared += n
			}
			s.checkComplete(1, s.declared)
			refused := map[string]int{}
			for _, c := range s.emu.Calls("") {
				if c.Status == http.StatusTooManyRequests {
					refused[c.Method]++
				}
			}
			if len(refused) > 0 {
				b.Logf("refused with 429 (Slack's tier limits): %v", refused)
			}
			reportMedian(b, announced, v.latency, "all-announced")
			reportMedian(b, all, v.latency, "all-complete")
		})
	}
}
