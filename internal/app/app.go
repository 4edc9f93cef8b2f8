// Package app wires incidentbot's parts together exactly as `incidentbot
// run` does, so that end-to-end tests run the real program in-process.
package app

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"sync"
	"time"

	"github.com/rs/zerolog"
	"github.com/slack-go/slack"

	"github.com/incidentbot/incidentbot/bot"
	"github.com/incidentbot/incidentbot/commands"
	"github.com/incidentbot/incidentbot/internal/clock"
	"github.com/incidentbot/incidentbot/internal/config"
	"github.com/incidentbot/incidentbot/internal/ops"
	"github.com/incidentbot/incidentbot/internal/scheduler"
	"github.com/incidentbot/incidentbot/store"
	"github.com/incidentbot/incidentbot/templates"
)

// App is the wired program: store, bot and ops listener.
type App struct {
	log   zerolog.Logger
	store *store.Store
	bot   *bot.Bot
	sched *scheduler.Scheduler
	ops   *ops.Server
}

// Open builds every part and hands them to each other. It fails when the
// store cannot be opened (locked by another process, unreadable path).
func Open(cfg *config.Config, tmpl *templates.Set, log zerolog.Logger) (*App, error) {
	return OpenOnClock(cfg, tmpl, log, clock.Real{})
}

// OpenOnClock is Open with the bot's timers (outbox retries, rate-limit
// holds, reminders) and the store's timestamps on clk, so that tests can
// run minutes of Slack's rate limits on a fake clock.
func OpenOnClock(cfg *config.Config, tmpl *templates.Set, log zerolog.Logger, clk clock.Clock) (*App, error) {
	reg := ops.NewRegistry()
	metrics := ops.NewMetrics(reg)

	// The store calls back into the bot after each commit that enqueued
	// work; the bot does not exist yet, so go through a late-bound hook.
	var notify struct {
		sync.Mutex
		fn func()
	}
	st, err := store.Open(cfg.Store.Path, store.Options{MaxBatchDelay: 2 * time.Millisecond, Now: clk.Now, OnEnqueue: func() {
		notify.Lock()
		fn := notify.fn
		notify.Unlock()
		if fn != nil {
			fn()
		}
	}})
	if err != nil {
		return nil, err
	}

	api := slack.New(cfg.Slack.BotToken,
		slack.OptionAppLevelToken(cfg.Slack.AppToken),
		slack.OptionAPIURL(cfg.Slack.APIURL),
		slack.OptionHTTPClient(&http.Client{
			Timeout:   30 * time.Second,
			Transport: bot.Transport(http.DefaultTransport, metrics, clk),
		}),
	)
	settings := cfg.Settings()
	svc := &commands.Service{
		Store:              st,
		Settings:           settings,
		ChannelPrefix:      cfg.Incidents.ChannelPrefix,
		AnnounceChannel:    cfg.Incidents.AnnounceChannel,
		Command:            cfg.Slack.Command,
		PostmortemReminder: cfg.Incidents.PostmortemReminder,
		Clock:              clk,
	}
	b := bot.New(bot.Options{
		API:       api,
		Store:     st,
		Templates: tmpl,
		Commands:  svc,
		Settings:  settings,
		Command:   cfg.Slack.Command,
		Log:       log,
		Metrics:   metrics,
		Silence:   cfg.Slack.SilenceTimeout,
		Clock:     clk,
	})
	sched := scheduler.New(scheduler.Options{Reminders: svc, Log: log, Clock: clk})
	notify.Lock()
	notify.fn = func() {
		b.Notify()
		sched.Notify()
	}
	notify.Unlock()

	ready := func() error {
		if err := b.Ready(); err != nil {
			return err
		}
		return nil
	}
	srv := ops.NewServer(cfg.HTTP.Listen, reg, ready, log)
	// Drafts are read-only: a Service with the same store and settings suffices.
	srv.Handle(PostmortemRoute, postmortemHandler(&commands.Service{Store: st, Settings: settings, Command: cfg.Slack.Command}, tmpl, log))
	if cfg.HTTP.Listen != "" {
		// Bind now, so a taken port fails start-up with a clear error and
		// the address is known before Run.
		if err := srv.Listen(); err != nil {
			st.Close()
			return nil, fmt.Errorf("http.listen: %w", err)
		}
	}
	return &App{log: log, store: st, bot: b, sched: sched, ops: srv}, nil
}

// Run serves until ctx ends, then shuts down in order: stop reading, finish
// acks and jobs in flight, stop the ops listener, close the store.
func (a *App) Run(ctx context.Context) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var wg sync.WaitGroup
	var opsErr error
	wg.Add(1)
	go func() {
		defer wg.Done()
		if err := a.ops.Run(ctx); err != nil {
			opsErr = err
			cancel()
		}
	}()
	wg.Add(1)
	go func() {
		defer wg.Done()
		_ = a.sched.Run(ctx) // returns only when ctx ends
	}()
	a.log.Info().Msg("starting")
	botErr := a.bot.Run(ctx)
	cancel()
	wg.Wait()
	closeErr := a.store.Close()
	return errors.Join(botErr, opsErr, closeErr)
}

// Bot exposes the running bot (tests wait on its outbox).
func (a *App) Bot() *bot.Bot { return a.bot }

// OpsAddr is the ops listener's address ("" when disabled).
func (a *App) OpsAddr() string { return a.ops.Addr() }

// Store exposes the store (tests inspect state).
func (a *App) Store() *store.Store { return a.store }
