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
	"github.com/incidentbot/incidentbot/config"
	"github.com/incidentbot/incidentbot/internal/clock"
	"github.com/incidentbot/incidentbot/internal/slackemu"
	"github.com/incidentbot/incidentbot/store/boltstore"
	"github.com/incidentbot/incidentbot/store/boltstore/bolttest"
	"github.com/incidentbot/incidentbot/store/pgstore"
	"github.com/incidentbot/incidentbot/store/pgstore/pgtest"
	"github.com/incidentbot/incidentbot/store/storecopy"
	"github.com/incidentbot/incidentbot/templates"
)

// replicaBurst is n reminders falling due in as many channels, in groups
// burstGroupEvery apart, run by replicas of the bot on one PostgreSQL
// database, on one fake clock (Slack's too), with Slack's tier limits on.
type replicaBurst struct {
	*burst
	apps []*app.App
	// last is when the last reminders fall due.
	last time.Time
}

// startReplicaBurst seeds n open SEV3 incidents, each with its channel and
// its reminder due, in groups equal parts, the first a minute after the
// clock's start and each next burstGroupEvery later, into a fresh
// PostgreSQL (through `store copy` from a seeded bbolt file), and starts
// replicas bots on it. configure, if given, changes the emulator and the
// configuration first.
func startReplicaBurst(tb testing.TB, replicas, n, groups int, configure ...func(*burst, *config.Config)) *replicaBurst {
	tb.Helper()
	dsn := pgtest.Private(tb).DSN("postgres")
	start := time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)
	r := &replicaBurst{burst: &burst{tb: tb, clk: clock.NewFake(start), due: start.Add(time.Minute), channels: map[string]bool{}}}
	r.emu = slackemu.Start(tb, func(o *slackemu.Options) { o.Logf, o.Now, o.RateLimits = func(string, ...any) {}, r.clk.Now, true })
	ids := make([]string, n)
	for i := range ids {
		ids[i] = r.emu.CreateChannel(fmt.Sprintf("inc-%d-burst", i+1), false, r.emu.BotUserID())
		r.channels[ids[i]] = true
	}
	seedPostgres(tb, dsn, func(path string) {
		for g := range groups {
			r.last = r.due.Add(time.Duration(g) * burstGroupEvery)
			bolttest.SeedDueReminders(tb, path, ids[g*n/groups:(g+1)*n/groups], "SEV3", start, r.last)
		}
	})
	cfg := emulatorConfig(r.emu, filepath.Join(tb.TempDir(), "unused.db"))
	cfg.Store.Driver, cfg.Store.DSN = config.DriverPostgres, config.Secret(dsn)
	// The socket's liveness check runs on the fake clock, which the run
	// moves minutes on: no ping would look answered.
	cfg.Slack.SilenceTimeout = 100 * 365 * 24 * time.Hour
	for _, c := range configure {
		c(r.burst, cfg)
	}
	tmpl, err := templates.Load("")
	if err != nil {
		tb.Fatal(err)
	}
	var stops []func()
	for range replicas {
		a, err := app.Open(cfg, tmpl, zerolog.New(io.Discard), app.WithClock(r.clk))
		if err != nil {
			tb.Fatal(err)
		}
		ctx, cancel := context.WithCancel(context.Background())
		stopped := make(chan struct{})
		go func() { defer close(stopped); _ = a.Run(ctx) }()
		stops = append(stops, func() { cancel(); <-stopped })
		r.apps = append(r.apps, a)
	}
	r.app = r.apps[0]
	r.stop = func() {
		for _, stop := range stops {
			stop()
		}
	}
	wctx, wcancel := context.WithTimeout(context.Background(), time.Minute)
	defer wcancel()
	for r.emu.Connections() < replicas {
		if err := r.emu.WaitConnected(wctx); err != nil {
			tb.Fatal(err)
		}
	}
	return r
}

// seedPostgres has seed write a bbolt file and copies it into the empty
// database at dsn, as `incidentbot store copy` would.
func seedPostgres(tb testing.TB, dsn string, seed func(path string)) {
	tb.Helper()
	path := filepath.Join(tb.TempDir(), "seed.db")
	seed(path)
	src, err := boltstore.Open(path, boltstore.Options{NoSync: true})
	if err != nil {
		tb.Fatal(err)
	}
	defer src.Close()
	dst, err := pgstore.Open(context.Background(), dsn, pgstore.Options{})
	if err != nil {
		tb.Fatal(err)
	}
	defer dst.Close()
	if _, err := storecopy.Copy(context.Background(), src, dst); err != nil {
		tb.Fatal(err)
	}
}

// settled waits until no replica has anything in flight or due, and
// returns the earliest time one of them next wakes (zero: none will).
// Every replica is asked twice: a replica settles only while nothing
// wakes it, and only its own commits and timers do, so two rounds that
// agree saw all of them settled at once.
func (r *replicaBurst) settled(ctx context.Context) time.Time {
	round := func() []time.Time {
		wakes := make([]time.Time, len(r.apps))
		for i, a := range r.apps {
			wake, err := a.Bot().WaitSettled(ctx)
			if err != nil {
				r.tb.Fatal("the outbox never settled:", err)
			}
			wakes[i] = wake
		}
		return wakes
	}
	for {
		first, second := round(), round()
		same := true
		for i := range first {
			same = same && first[i].Equal(second[i])
		}
		if !same {
			continue
		}
		var next time.Time
		for _, w := range first {
			if !w.IsZero() && (next.IsZero() || w.Before(next)) {
				next = w
			}
		}
		return next
	}
}

// fire has every replica's scheduler look at the schedule at once, as
// their timers would at the due time: the replicas fire the due reminders
// between them, and each one's outbox worker, woken by its own commits,
// claims from the jobs they enqueued.
func (r *replicaBurst) fire(ctx context.Context) {
	errs := make(chan error, len(r.apps))
	for _, a := range r.apps {
		go func() { errs <- a.Scheduler().Trigger(ctx) }()
	}
	for range r.apps {
		if err := <-errs; err != nil {
			r.tb.Fatal(err)
		}
	}
}

// drain lets time pass on the fake clock, jumping to each replica's next
// wake-up (or, with nothing in the outbox, to the next second while
// reminders are still to fall due), until none has anything left to do.
func (r *replicaBurst) drain(ctx context.Context) {
	for r.step(ctx) {
	}
}

// step moves the clock to the replicas' next wake-up and has their
// schedulers fire what is due then; false when there is none.
func (r *replicaBurst) step(ctx context.Context) bool {
	wake := r.settled(ctx)
	if wake.IsZero() {
		if !r.clk.Now().Before(r.last) {
			return false
		}
		wake = r.clk.Now().Add(time.Second)
	}
	r.clk.Advance(wake.Sub(r.clk.Now()))
	r.fire(ctx)
	return true
}

// declareDuringReplicaBurst is declareDuringBurst on replicas bots sharing
// one PostgreSQL.
func declareDuringReplicaBurst(tb testing.TB, replicas, n, groups int) burstDeclaration {
	tb.Helper()
	var user, announce string
	r := startReplicaBurst(tb, replicas, n, groups, func(r *burst, cfg *config.Config) {
		user = r.emu.AddUser(slackemu.User{Name: "ana"})
		announce = r.emu.CreateChannel("announcements", false, r.emu.BotUserID(), user)
		cfg.Incidents.AnnounceChannel = announce
	})
	defer r.stop()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Minute)
	defer cancel()
	// Every replica's worker asleep before the clock jumps: a claim made
	// with the clock read before the jump would hold a lease that ran out
	// a minute ago, which another replica takes over at once.
	r.settled(ctx)
	r.clk.Advance(r.due.Sub(r.clk.Now()))
	r.fire(ctx)
	// The replicas send what Slack takes at once (its burst of 100), are
	// refused the rest, and pace them; the groups fall due one after
	// another. The declaration comes when the last has fallen due: the
	// backlog is longest then.
	for r.clk.Now().Before(r.last) {
		if !r.step(ctx) {
			tb.Fatal("the replicas settled with reminders still to fall due")
		}
	}
	if posted, refused, _ := r.tally(); posted == n || refused == 0 {
		tb.Fatalf("%d of %d reminders posted, %d refused: Slack's limit never bound", posted, n, refused)
	}
	r.settled(ctx)

	declared := r.clk.Now()
	from := len(r.emu.Calls(""))
	if _, err := r.emu.SlashCommand(ctx, slackemu.SlashCommand{UserID: user, ChannelID: announce, Command: "/incident", Text: "declare SEV1 checkout is down"}); err != nil {
		tb.Fatal(err)
	}
	r.drain(ctx)
	d := burstDeclaration{answered: map[string]time.Duration{}}
	for _, c := range r.emu.Calls("")[from:] {
		k := callKey(c)
		if _, seen := d.answered[k]; !seen {
			d.answered[k] = c.At.Sub(declared)
		}
	}
	var last time.Time
	d.posted, d.refused, last = r.tally()
	d.took = last.Sub(r.due)
	if d.posted != n {
		r.twice()
	}
	return d
}

// twice logs each reminder Slack took more than once, with the job each
// post names in its metadata: two jobs, or one job run twice.
func (r *replicaBurst) twice() {
	seen := map[string]slackemu.Call{}
	for _, c := range r.emu.Calls("chat.postMessage") {
		ch, _ := c.Args["channel"].(string)
		if !c.OK || !r.channels[ch] {
			continue
		}
		if was, dup := seen[ch]; dup {
			r.tb.Logf("%s: posted at %v (%v) and at %v (%v)", ch, was.At.Sub(r.due), was.Args["metadata"], c.At.Sub(r.due), c.Args["metadata"])
		}
		seen[ch] = c
	}
}
