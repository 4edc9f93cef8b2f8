package app_test

import (
	"context"
	"fmt"
	"io"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/incidentbot/incidentbot/app"
	"github.com/incidentbot/incidentbot/config"
	"github.com/incidentbot/incidentbot/internal/slackemu"
	"github.com/incidentbot/incidentbot/store/pgstore"
	"github.com/incidentbot/incidentbot/store/pgstore/pgtest"
	"github.com/incidentbot/incidentbot/templates"
)

// replicaBots runs n replicas of the bot in this process, each with its own
// Socket Mode connection to one emulated workspace, on the PostgreSQL
// database at dsn; idle reports when the shared outbox has drained.
func replicaBots(b *testing.B, n int, dsn string) (emu *slackemu.Server, user, announce string, idle func(context.Context) error) {
	b.Helper()
	emu = slackemu.Start(b, func(o *slackemu.Options) { o.Logf = func(string, ...any) {} })
	user = emu.AddUser(slackemu.User{Name: "ana"})
	announce = emu.CreateChannel("announcements", false, emu.BotUserID(), user)
	cfg := config.Default()
	cfg.Slack.BotToken, cfg.Slack.AppToken, cfg.Slack.APIURL = config.Secret(emu.BotToken()), config.Secret(emu.AppToken()), emu.APIURL()
	cfg.Store.Driver, cfg.Store.DSN = config.DriverPostgres, config.Secret(dsn)
	cfg.HTTP.Listen = ""
	cfg.Incidents.AnnounceChannel = announce
	tmpl, err := templates.Load("")
	if err != nil {
		b.Fatal(err)
	}
	for range n {
		a, err := app.Open(cfg, tmpl, zerolog.New(io.Discard))
		if err != nil {
			b.Fatal(err)
		}
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan struct{})
		go func() { defer close(done); _ = a.Run(ctx) }()
		b.Cleanup(func() { cancel(); <-done })
	}
	wctx, wcancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer wcancel()
	for emu.Connections() < n {
		if err := emu.WaitConnected(wctx); err != nil {
			b.Fatal(err)
		}
	}
	st, err := pgstore.Open(context.Background(), dsn, pgstore.Options{})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { st.Close() })
	idle = func(ctx context.Context) error {
		feed, stop := emu.Subscribe()
		defer stop()
		poll := time.NewTicker(50 * time.Millisecond)
		defer poll.Stop()
		for {
			if d, err := st.OutboxDepth(); err == nil && d == 0 {
				return nil
			}
			select {
			case <-feed:
			case <-poll.C:
			case <-ctx.Done():
				return ctx.Err()
			}
		}
	}
	return emu, user, announce, idle
}

// BenchmarkAckLatency200Concurrent3ReplicasPostgres is
// BenchmarkAckLatency200Concurrent against three replicas sharing one
// PostgreSQL: Slack spreads the 200 commands over their connections.
func BenchmarkAckLatency200Concurrent3ReplicasPostgres(b *testing.B) {
	emu, user, announce, idle := replicaBots(b, 3, pgtest.Private(b).DSN("postgres"))
	ackLatency200Drain(b, emu, idle, user, announce)
}

// BenchmarkDeclareUpdate is declare-then-update pairs per second, 20 at a
// time, on one bbolt bot: the declaration is acknowledged, its channel is
// created by the outbox, and an update is posted there.
func BenchmarkDeclareUpdate(b *testing.B) {
	emu, a, user, announce := benchBot(b)
	declareUpdate(b, emu, user, announce, a.Bot().WaitIdle)
}

// BenchmarkDeclareUpdate3ReplicasPostgres is BenchmarkDeclareUpdate on
// three replicas sharing one PostgreSQL.
func BenchmarkDeclareUpdate3ReplicasPostgres(b *testing.B) {
	emu, user, announce, idle := replicaBots(b, 3, pgtest.Private(b).DSN("postgres"))
	declareUpdate(b, emu, user, announce, idle)
}

var declaredRe = regexp.MustCompile(`Declared \*INC-(\d+)\*`)

func declareUpdate(b *testing.B, emu *slackemu.Server, user, announce string, idle func(context.Context) error) {
	const parallel = 20
	seq, pairs := 0, 0
	start := time.Now()
	for b.Loop() {
		var wg sync.WaitGroup
		for range parallel {
			seq++
			title := fmt.Sprintf("tp %d", seq)
			wg.Go(func() {
				ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
				defer cancel()
				ack, err := emu.SlashCommand(ctx, slackemu.SlashCommand{UserID: user, ChannelID: announce, Text: "declare SEV3 " + title})
				if err != nil || !declaredRe.Match(ack.Payload) {
					b.Errorf("declare %s: %v %s", title, err, ack.Payload)
					return
				}
				n := declaredRe.FindSubmatch(ack.Payload)[1]
				suffix := "-" + strings.ReplaceAll(title, " ", "-")
				var channel string
				find := func() bool {
					for _, c := range emu.Channels() {
						if strings.HasPrefix(c.Name, "inc-"+string(n)+"-") && strings.HasSuffix(c.Name, suffix) {
							channel = c.ID
							return true
						}
					}
					return false
				}
				if _, err := emu.WaitCall(ctx, "conversations.create", func(slackemu.Call) bool { return find() }); err != nil && !find() {
					b.Errorf("no channel for %s: %v", title, err)
					return
				}
				if _, err := emu.SlashCommand(ctx, slackemu.SlashCommand{UserID: user, ChannelID: channel, Text: "update still looking into it"}); err != nil {
					b.Errorf("update %s: %v", title, err)
				}
			})
		}
		wg.Wait()
		pairs += parallel
	}
	b.ReportMetric(float64(pairs)/time.Since(start).Seconds(), "pairs/s")
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	if err := idle(ctx); err != nil {
		b.Fatal(err)
	}
}

// BenchmarkStartupWith100kIncidentsPostgres is BenchmarkStartupWith100kIncidents
// on PostgreSQL: from opening the store (connect, check migrations) to the
// bot being connected and ready.
func BenchmarkStartupWith100kIncidentsPostgres(b *testing.B) {
	dsn := pgtest.Private(b).DSN("postgres")
	st, err := pgstore.Open(context.Background(), dsn, pgstore.Options{})
	if err != nil {
		b.Fatal(err)
	}
	seedInto(b, st, 100_000, 100)
	st.Close()
	emu := slackemu.Start(b, func(o *slackemu.Options) { o.Logf = func(string, ...any) {} })
	cfg := config.Default()
	cfg.Slack.BotToken, cfg.Slack.AppToken, cfg.Slack.APIURL = config.Secret(emu.BotToken()), config.Secret(emu.AppToken()), emu.APIURL()
	cfg.Store.Driver, cfg.Store.DSN = config.DriverPostgres, config.Secret(dsn)
	cfg.Store.Path = filepath.Join(b.TempDir(), "unused.db")
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
}
