package app_test

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"runtime/pprof"
	"slices"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/incidentbot/incidentbot/app"
	"github.com/incidentbot/incidentbot/config"
	"github.com/incidentbot/incidentbot/incident"
	"github.com/incidentbot/incidentbot/internal/slackemu"
	"github.com/incidentbot/incidentbot/store"
	"github.com/incidentbot/incidentbot/store/boltstore"
	"github.com/incidentbot/incidentbot/templates"
)

// benchBot runs the real bot against an emulator for benchmarks; mutate
// changes the configuration (another store driver).
func benchBot(b *testing.B, mutate ...func(*config.Config)) (*slackemu.Server, *app.App, string, string) {
	b.Helper()
	emu := slackemu.Start(b, func(o *slackemu.Options) { o.Logf = func(string, ...any) {} })
	user := emu.AddUser(slackemu.User{Name: "ana"})
	announce := emu.CreateChannel("announcements", false, emu.BotUserID(), user)
	cfg := config.Default()
	cfg.Slack.BotToken, cfg.Slack.AppToken, cfg.Slack.APIURL = config.Secret(emu.BotToken()), config.Secret(emu.AppToken()), emu.APIURL()
	cfg.Store.Path = filepath.Join(b.TempDir(), "bench.db")
	cfg.HTTP.Listen = ""
	cfg.Incidents.AnnounceChannel = announce
	for _, m := range mutate {
		m(cfg)
	}
	tmpl, err := templates.Load("")
	if err != nil {
		b.Fatal(err)
	}
	a, err := app.Open(cfg, tmpl, zerolog.New(io.Discard))
	if err != nil {
		b.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); _ = a.Run(ctx) }()
	b.Cleanup(func() { cancel(); <-done })
	wctx, wcancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer wcancel()
	if err := emu.WaitConnected(wctx); err != nil {
		b.Fatal(err)
	}
	return emu, a, user, announce
}

// BenchmarkAckLatency200Concurrent sends 200 slash commands at once (one-line
// declarations: parsed, validated and committed to the store before the
// ack) and reports the ack latency seen by Slack, p50 and p99.
func BenchmarkAckLatency200Concurrent(b *testing.B) {
	emu, a, user, announce := benchBot(b)
	ackLatency200(b, emu, a, user, announce)
}

func ackLatency200(b *testing.B, emu *slackemu.Server, a *app.App, user, announce string) {
	ackLatency200Drain(b, emu, a.Bot().WaitIdle, user, announce)
}

// ackLatency200Drain is ackLatency200 with idle saying when the outbox has
// drained (over replicas: every replica's). Besides the latencies it
// reports the CPU the whole process (bot and emulator) spent per round
// until the last ack: on a shared machine the wall time varies with the
// load, this much less. With ACK_PROFILE_DIR set, each round's window, from
// the first command sent to the last ack, is CPU-profiled into a file of its
// own there (win-*.pprof): a profile of the whole benchmark is mostly the
// outbox draining between rounds. With ACK_ROUNDS set, each round's p99,
// CPU and minor page faults (memory touched for the first time) are
// printed: a process's first round, on fresh stacks and heap, is not like
// the others, and the run's p99 mixes them.
func ackLatency200Drain(b *testing.B, emu *slackemu.Server, idle func(context.Context) error, user, announce string) {
	var all []time.Duration
	var cpu time.Duration
	rounds := 0
	seq := 0
	profDir := os.Getenv("ACK_PROFILE_DIR")
	perRound := os.Getenv("ACK_ROUNDS") != ""
	for b.Loop() {
		rounds++
		stopProfile := func() {}
		if profDir != "" {
			stopProfile = profileWindow(b, profDir)
		}
		before := rusage(b)
		cpu -= processCPU(b)
		lat := make([]time.Duration, 200)
		var wg sync.WaitGroup
		for i := range 200 {
			seq++
			text := fmt.Sprintf("declare SEV3 load %d", seq)
			wg.Add(1)
			go func() {
				defer wg.Done()
				ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
				defer cancel()
				ack, err := emu.SlashCommand(ctx, slackemu.SlashCommand{UserID: user, ChannelID: announce, Text: text})
				if err != nil {
					b.Error(err)
					return
				}
				lat[i] = ack.Latency
			}()
		}
		wg.Wait()
		cpu += processCPU(b)
		stopProfile()
		if perRound {
			after := rusage(b)
			sorted := slices.Sorted(slices.Values(lat))
			fmt.Fprintf(os.Stderr, "round %d: p99 %.1f ms, cpu %.1f ms, minflt %d\n", rounds,
				float64(sorted[len(sorted)*99/100].Microseconds())/1000,
				float64(after.Utime.Nano()+after.Stime.Nano()-before.Utime.Nano()-before.Stime.Nano())/1e6,
				after.Minflt-before.Minflt)
		}
		all = append(all, lat...)
		b.StopTimer()
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
		if err := idle(ctx); err != nil { // let the outbox drain between rounds
			b.Fatal(err)
		}
		cancel()
		b.StartTimer()
	}
	slices.Sort(all)
	b.ReportMetric(float64(all[len(all)/2].Microseconds())/1000, "p50-ms")
	b.ReportMetric(float64(all[len(all)*99/100].Microseconds())/1000, "p99-ms")
	b.ReportMetric(float64(cpu.Microseconds())/1000/float64(rounds), "cpu-ms/round")
}

// profileWindow starts a CPU profile into a new file in dir and returns
// what stops it.
func profileWindow(b *testing.B, dir string) (stop func()) {
	f, err := os.CreateTemp(dir, "win-*.pprof")
	if err != nil {
		b.Fatal(err)
	}
	if err := pprof.StartCPUProfile(f); err != nil {
		b.Fatal(err)
	}
	return func() {
		pprof.StopCPUProfile()
		if err := f.Close(); err != nil {
			b.Fatal(err)
		}
	}
}

// processCPU is the CPU time (user and system) the process has used.
func processCPU(b *testing.B) time.Duration {
	ru := rusage(b)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

func rusage(b *testing.B) syscall.Rusage {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		b.Fatal(err)
	}
	return ru
}

// BenchmarkDeclareEndToEnd50 declares 50 incidents at once and measures the
// time until every one is fully set up in Slack (channel, invites, pinned
// card, first steps, announcement), and the Web API calls per declaration.
func BenchmarkDeclareEndToEnd50(b *testing.B) {
	emu, a, user, announce := benchBot(b)
	seq := 0
	callsBefore := len(emu.Calls(""))
	declared := 0
	for b.Loop() {
		var wg sync.WaitGroup
		for range 50 {
			seq++
			text := fmt.Sprintf("declare SEV2 e2e %d", seq)
			wg.Add(1)
			go func() {
				defer wg.Done()
				ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
				defer cancel()
				if _, err := emu.SlashCommand(ctx, slackemu.SlashCommand{UserID: user, ChannelID: announce, Text: text}); err != nil {
					b.Error(err)
				}
			}()
		}
		wg.Wait()
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
		if err := a.Bot().WaitIdle(ctx); err != nil {
			b.Fatal(err)
		}
		cancel()
		declared += 50
	}
	calls := 0
	for _, c := range emu.Calls("")[callsBefore:] {
		if c.Method != "apps.connections.open" {
			calls++
		}
	}
	b.ReportMetric(float64(calls)/float64(declared), "calls/declaration")
}

// BenchmarkStartupWith100kIncidents measures the time from opening a store
// holding 100,000 incidents (100 of them open) to the bot being connected
// and ready, and reports the store's size per incident.
func BenchmarkStartupWith100kIncidents(b *testing.B) {
	dir := b.TempDir()
	path := filepath.Join(dir, "big.db")
	seedStore(b, path, 100_000, 100)
	fi, err := os.Stat(path)
	if err != nil {
		b.Fatal(err)
	}
	emu := slackemu.Start(b, func(o *slackemu.Options) { o.Logf = func(string, ...any) {} })
	cfg := config.Default()
	cfg.Slack.BotToken, cfg.Slack.AppToken, cfg.Slack.APIURL = config.Secret(emu.BotToken()), config.Secret(emu.AppToken()), emu.APIURL()
	cfg.Store.Path = path
	cfg.HTTP.Listen = ""
	tmpl, err := templates.Load("")
	if err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		ready, stop := startUntilReady(b, emu, cfg, tmpl)
		b.ReportMetric(float64(ready.Microseconds())/1000, "ms-to-ready")
		b.StopTimer()
		stop()
		b.StartTimer()
	}
	b.ReportMetric(float64(fi.Size())/100_000, "bytes/incident")
}

// startUntilReady opens the app on cfg, runs it, and returns how long it
// took from opening the store to a connected socket, and how to stop it.
func startUntilReady(b *testing.B, emu *slackemu.Server, cfg *config.Config, tmpl *templates.Set) (time.Duration, func()) {
	b.Helper()
	start := time.Now()
	a, err := app.Open(cfg, tmpl, zerolog.New(io.Discard))
	if err != nil {
		b.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); _ = a.Run(ctx) }()
	wctx, wcancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer wcancel()
	for a.Bot().Ready() != nil {
		if err := emu.WaitConnected(wctx); err != nil {
			b.Fatal(err)
		}
		runtime.Gosched()
	}
	return time.Since(start), func() { cancel(); <-done }
}

// seedStore writes n incidents, the first open of them open, the rest
// resolved, each with a few timeline events.
func seedStore(b *testing.B, path string, n, open int) {
	b.Helper()
	st, err := boltstore.Open(path, boltstore.Options{NoSync: true})
	if err != nil {
		b.Fatal(err)
	}
	defer st.Close()
	seedInto(b, st, n, open)
}

// seedInto is seedStore over any store (the PostgreSQL one too).
func seedInto(b *testing.B, st interface {
	Update(context.Context, func(store.Tx) error) error
}, n, open int) {
	b.Helper()
	const chunk = 5000
	for done := 0; done < n; done += chunk {
		err := st.Update(context.Background(), func(tx store.Tx) error {
			for i := done; i < min(done+chunk, n); i++ {
				now := time.Now()
				inc := &incident.Incident{Title: fmt.Sprintf("incident %d with a typical title", i), Summary: "customers see errors at checkout; retries fail",
					Severity: "SEV2", Status: incident.Investigating, DeclaredBy: "U1", Roles: map[string]string{"commander": "U1"},
					StartedAt: now, DeclaredAt: now}
				if err := tx.CreateIncident(inc); err != nil {
					return err
				}
				inc.ChannelID = fmt.Sprintf("C%08d", i)
				if i >= open {
					inc.Status, inc.ResolvedAt = incident.Resolved, now
				}
				if err := tx.PutIncident(inc); err != nil {
					return err
				}
				for _, k := range []incident.EventKind{incident.EventDeclared, incident.EventRoleAssigned, incident.EventUpdate, incident.EventResolved} {
					if _, err := tx.AppendEvent(inc.Number, incident.Event{Kind: k, Actor: "U1", Text: "something happened"}); err != nil {
						return err
					}
				}
			}
			return nil
		})
		if err != nil {
			b.Fatal(err)
		}
	}
}
