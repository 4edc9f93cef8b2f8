package app_test

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime/pprof"
	"syscall"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/incidentbot/incidentbot/app"
	"github.com/incidentbot/incidentbot/config"
	"github.com/incidentbot/incidentbot/internal/clock"
	"github.com/incidentbot/incidentbot/internal/slackemu"
	"github.com/incidentbot/incidentbot/store/boltstore/bolttest"
	"github.com/incidentbot/incidentbot/templates"
)

// reminderBurst is how many open incidents have a reminder fall due at the
// same instant in the reminder-burst benchmarks.
const reminderBurst = 10_000

// burstProfileEnv names a file to write a CPU profile of the measured
// window only (from the instant the reminders fall due to the last one
// answered), without the 10,000 channels and incidents set up before it
// that -cpuprofile would include: `go tool pprof -top` of it splits the
// burst's CPU between the bot and the emulator.
const burstProfileEnv = "REMINDER_BURST_CPUPROFILE"

// BenchmarkRemindersDueAtOnce10k: 10,000 open SEV1 incidents, each with
// its channel, whose update reminders all fall due at the same instant (as
// after an outage longer than every interval). The bot runs on a fake
// clock, which the benchmark moves past the due time; it measures the real
// time from that instant until Slack has answered the last of the 10,000
// reminders' chat.postMessage calls ("s-to-slack"), with Slack's tier
// limits off, and the process's CPU per reminder over the same window
// ("cpu-ms/reminder": the bot's and the in-process emulator's together;
// on two cores the wall time is bound by it).
func BenchmarkRemindersDueAtOnce10k(b *testing.B) {
	for b.Loop() {
		b.StopTimer()
		r := startReminderBurst(b, reminderBurst, "SEV1", false)
		done := r.await(b)
		stopProfile := r.profile()
		cpu0 := cpuTime(b)
		b.StartTimer()
		began := time.Now()
		r.clk.Advance(r.due.Sub(r.clk.Now()))
		handed := since(began, <-done)
		b.StopTimer()
		cpu := cpuTime(b) - cpu0
		stopProfile()
		b.ReportMetric(handed.Seconds(), "s-to-slack")
		b.ReportMetric(float64(cpu.Microseconds())/1000/reminderBurst, "cpu-ms/reminder")
		r.stop()
		b.StartTimer()
	}
}

// BenchmarkRemindersDueAtOnceTiered10k is BenchmarkRemindersDueAtOnce10k
// with Slack's rate limits on (chat.postMessage: about one a second per
// channel, each reminder in a channel of its own, within the workspace's
// 300 a minute, bursts of 100). The clock is fake, so the benchmark moves
// it to each time the bot waits for, as real time would. It reports how
// long Slack's limits stretch the burst on Slack's clock ("slack-min",
// from the due instant to the last reminder answered), the posts Slack
// refused with a 429 per reminder delivered ("refused/reminder": a bot
// that paces stays near 0, one that hammers sends every waiting post again
// after each Retry-After), and the real time and CPU it took to drive.
// The incidents are SEV3 (a reminder an hour): at SEV1's 15 minutes,
// 10,000 incidents ask for 667 reminders a minute, more than the
// workspace's limit lets through at all, so the next round would fall due
// before this one is out.
func BenchmarkRemindersDueAtOnceTiered10k(b *testing.B) {
	for b.Loop() {
		b.StopTimer()
		r := startReminderBurst(b, reminderBurst, "SEV3", true)
		done := r.await(b)
		stopProfile := r.profile()
		cpu0 := cpuTime(b)
		b.StartTimer()
		r.clk.Advance(r.due.Sub(r.clk.Now()))
		r.drive(done)
		b.StopTimer()
		cpu := cpuTime(b) - cpu0
		stopProfile()
		posted, refused, last := r.tally()
		if posted != reminderBurst {
			b.Fatalf("%d reminders posted, want %d", posted, reminderBurst)
		}
		b.ReportMetric(last.Sub(r.due).Minutes(), "slack-min")
		b.ReportMetric(float64(refused)/float64(posted), "refused/reminder")
		b.ReportMetric(float64(cpu.Microseconds())/1000/reminderBurst, "cpu-ms/reminder")
		r.stop()
		b.StartTimer()
	}
}

// burst is a bot with n open incidents whose reminders fall due at due.
type burst struct {
	tb       testing.TB
	clk      *clock.Fake
	emu      *slackemu.Server
	app      *app.App
	due      time.Time
	channels map[string]bool
	stop     func()
}

// startReminderBurst seeds n open incidents of severity sev, each with its
// channel, their reminders due a minute after the fake clock's start, and
// runs the bot against the emulator (tier limits on when tiers is set).
// configure, if given, changes the emulator and the configuration first.
func startReminderBurst(b testing.TB, n int, sev string, tiers bool, configure ...func(*burst, *config.Config)) *burst {
	b.Helper()
	start := time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)
	r := &burst{tb: b, clk: clock.NewFake(start), due: start.Add(time.Minute), channels: map[string]bool{}}
	r.emu = slackemu.Start(b, func(o *slackemu.Options) { o.Logf, o.Now, o.RateLimits = func(string, ...any) {}, r.clk.Now, tiers })
	ids := make([]string, n)
	for i := range ids {
		ids[i] = r.emu.CreateChannel(fmt.Sprintf("inc-%d-burst", i+1), false, r.emu.BotUserID())
		r.channels[ids[i]] = true
	}
	path := filepath.Join(b.TempDir(), "burst.db")
	bolttest.SeedDueReminders(b, path, ids, sev, start, r.due)
	cfg := emulatorConfig(r.emu, path)
	// The socket's liveness check runs on the fake clock, which the tiered
	// run moves half an hour on: no ping would look answered.
	cfg.Slack.SilenceTimeout = 100 * 365 * 24 * time.Hour
	for _, c := range configure {
		c(r, cfg)
	}
	tmpl, err := templates.Load("")
	if err != nil {
		b.Fatal(err)
	}
	if r.app, err = app.Open(cfg, tmpl, zerolog.New(io.Discard), app.WithClock(r.clk)); err != nil {
		b.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	stopped := make(chan struct{})
	go func() { defer close(stopped); _ = r.app.Run(ctx) }()
	r.stop = func() { cancel(); <-stopped }
	wctx, wcancel := context.WithTimeout(context.Background(), time.Minute)
	defer wcancel()
	if err := r.emu.WaitConnected(wctx); err != nil {
		b.Fatal(err)
	}
	return r
}

// await returns a channel that receives once Slack has answered every
// reminder: nothing but the reminders posts in the incidents' channels.
func (r *burst) await(b *testing.B) <-chan map[string]time.Time {
	reminder := func(c slackemu.Call) string {
		if ch, _ := c.Args["channel"].(string); c.OK && c.Method == "chat.postMessage" && r.channels[ch] {
			return "reminder"
		}
		return ""
	}
	return awaitCallsOn(b, r.emu, len(r.emu.Calls("")), map[string]int{"reminder": len(r.channels)}, reminder)
}

// drive lets time pass on the fake clock until done receives (see settle).
func (r *burst) drive(done <-chan map[string]time.Time) {
	r.settle()
	<-done
}

// settle lets time pass on the fake clock until the bot has nothing left
// to do: the scheduler fires what is due, then each step jumps the clock to
// when the outbox next has something to do (a Retry-After running out).
func (r *burst) settle() {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Minute)
	defer cancel()
	if err := r.app.Scheduler().Trigger(ctx); err != nil {
		r.tb.Fatal(err)
	}
	for {
		wake, err := r.app.Bot().WaitSettled(ctx)
		if err != nil {
			r.tb.Fatal("the outbox never settled:", err)
		}
		if wake.IsZero() {
			return
		}
		r.clk.Advance(wake.Sub(r.clk.Now()))
	}
}

// tally counts the reminders Slack took and the posts it refused with a
// 429, and says when (on Slack's clock) it took the last one.
func (r *burst) tally() (posted, refused int, last time.Time) {
	for _, c := range r.emu.Calls("chat.postMessage") {
		if ch, _ := c.Args["channel"].(string); !r.channels[ch] {
			continue
		}
		switch {
		case c.OK:
			posted++
			last = c.At
		case c.Status == 429:
			refused++
		}
	}
	return posted, refused, last
}

// profile starts the windowed CPU profile that burstProfileEnv asks for,
// and returns what stops it. Beside it, path.allocs0 and path.allocs1 are
// the allocation profiles at the window's start and end: `go tool pprof
// -sample_index=alloc_space -base path.allocs0 path.allocs1` is what the
// burst allocated.
func (r *burst) profile() func() {
	path := os.Getenv(burstProfileEnv)
	if path == "" {
		return func() {}
	}
	r.allocs(path + ".allocs0")
	f, err := os.Create(path)
	if err != nil {
		r.tb.Fatal(err)
	}
	if err := pprof.StartCPUProfile(f); err != nil {
		r.tb.Fatal(err)
	}
	return func() {
		pprof.StopCPUProfile()
		if err := f.Close(); err != nil {
			r.tb.Fatal(err)
		}
		r.allocs(path + ".allocs1")
	}
}

func (r *burst) allocs(path string) {
	f, err := os.Create(path)
	if err != nil {
		r.tb.Fatal(err)
	}
	defer f.Close()
	if err := pprof.Lookup("allocs").WriteTo(f, 0); err != nil {
		r.tb.Fatal(err)
	}
}

// cpuTime is the CPU the process has used so far, user and system.
func cpuTime(b *testing.B) time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		b.Fatal(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
