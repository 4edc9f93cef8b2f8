// Package app wires incidentbot's parts together exactly as `incidentbot
// run` does, so that end-to-end tests run the real program in-process.
package app

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"os"
	"sync"
	"time"

	"github.com/rs/zerolog"
	"github.com/slack-go/slack"

	"github.com/incidentbot/incidentbot/bot"
	"github.com/incidentbot/incidentbot/commands"
	"github.com/incidentbot/incidentbot/config"
	"github.com/incidentbot/incidentbot/incident"
	"github.com/incidentbot/incidentbot/internal/clock"
	"github.com/incidentbot/incidentbot/internal/wake"
	"github.com/incidentbot/incidentbot/janitor"
	"github.com/incidentbot/incidentbot/ops"
	"github.com/incidentbot/incidentbot/scheduler"
	"github.com/incidentbot/incidentbot/store"
	"github.com/incidentbot/incidentbot/store/boltstore"
	"github.com/incidentbot/incidentbot/templates"
)

// App is the wired program: store, bot and ops listener.
type App struct {
	log   zerolog.Logger
	store Store
	bot   *bot.Bot
	sched *scheduler.Scheduler
	ops   *ops.Server
	// janitor prunes old delivery keys, so the store does not grow with
	// every reaction in the workspace.
	janitor *janitor.Janitor
	// storeFailed is closed when a commit fails to write: Run then stops
	// the bot and returns the store's error, so the supervisor restarts us.
	storeFailed chan struct{}
}

// Option adjusts how Open wires the program; `incidentbot run` uses none.
type Option func(*options)

type options struct {
	clock    clock.Clock
	openFile func(string, int, os.FileMode) (*os.File, error)
}

// WithClock runs every part on c: the times the use-cases and the store
// record, the scheduler's reminders, nudges and auto-archives, the
// janitor, and the bot's own timers (outbox retries and backoffs,
// rate-limit holds, the socket's liveness checks). Tests pass one fake
// clock, the emulated Slack's too, and step it instead of waiting.
func WithClock(c clock.Clock) Option { return func(o *options) { o.clock = c } }

// Open builds every part and hands them to each other. It fails when the
// store cannot be opened (locked by another process, unreadable path).
func Open(cfg *config.Config, tmpl *templates.Set, log zerolog.Logger, opts ...Option) (*App, error) {
	o := options{clock: clock.Real{}}
	for _, opt := range opts {
		opt(&o)
	}
	return open(cfg, tmpl, log, o)
}

func open(cfg *config.Config, tmpl *templates.Set, log zerolog.Logger, o options) (*App, error) {
	reg := ops.NewRegistry()
	metrics := ops.NewMetrics(reg)
	incMetrics := ops.NewIncidentMetrics(reg)

	// The wake-up signals exist before the store that sends them and the
	// outbox worker and scheduler, built from that store, that hear them.
	enqueued, scheduled := wake.New(), wake.New()
	storeFailed := make(chan struct{})
	st, err := openStore(cfg, boltstore.Options{MaxBatchDelay: 2 * time.Millisecond, Now: o.clock.Now, IndexArchives: cfg.Incidents.ArchiveAfter > 0, OnIncident: incMetrics.Observe, OnEnqueue: enqueued.Notify, OnSchedule: scheduled.Notify, OnWriteFailure: func(err error) {
		// Called once, before the failed command hears back: by the time
		// its user reads "Not saved", /readyz already says why.
		log.Error().Err(err).Msg("store cannot write: answering \"Not saved\" and stopping, so that a restart reads the file afresh")
		close(storeFailed)
	}, OpenFile: o.openFile, OnUnreadable: func(err error) {
		log.Error().Err(err).Str("store", cfg.Store.Path).Msg("store: skipped what cannot be read; the other reminders and incidents carry on")
	}})
	if err != nil {
		return nil, err
	}
	storeMetrics(reg, st)
	for _, w := range st.Warnings() {
		log.Warn().Str("store", cfg.Store.Path).Msg("store damaged but readable: " + w)
	}

	slackHTTP := &http.Client{
		Timeout:   30 * time.Second,
		Transport: slackTransport(st, metrics, o.clock),
	}
	api := slack.New(cfg.Slack.BotToken.Reveal(),
		slack.OptionAppLevelToken(cfg.Slack.AppToken.Reveal()),
		slack.OptionAPIURL(cfg.Slack.APIURL),
		slack.OptionHTTPClient(slackHTTP),
	)
	settings := cfg.Settings()
	svc := &commands.Service{
		Store:              st,
		Settings:           settings,
		ChannelPrefix:      cfg.Incidents.ChannelPrefix,
		AnnounceChannel:    cfg.Incidents.AnnounceChannel,
		DrillsChannel:      cfg.Incidents.DrillsChannel,
		Command:            cfg.Slack.Command,
		PostmortemReminder: cfg.Incidents.PostmortemReminder,
		ArchiveAfter:       cfg.Incidents.ArchiveAfter,
		Clock:              o.clock,
		Alerts:             alertPolicy(cfg.Alertmanager),
	}
	dests, performers, err := integrations(cfg, st, o.clock)
	if err != nil {
		st.Close()
		return nil, err
	}
	svc.Destinations = dests
	reg.MustRegister(ops.NewIncidentGauges(func() ([]*incident.Incident, error) {
		var open []*incident.Incident
		err := st.View(func(tx store.Tx) error {
			var err error
			open, err = tx.OpenIncidents()
			return err
		})
		return open, err
	}, settings.SeverityNames(), o.clock.Now))
	b := bot.New(bot.Options{
		API:       api,
		Web:       bot.NewWebAPI(slackHTTP, cfg.Slack.APIURL, cfg.Slack.BotToken.Reveal()),
		Store:     st,
		Templates: tmpl,
		Commands:  svc,
		Config: bot.Config{
			Command:         cfg.Slack.Command,
			Settings:        settings,
			ChannelPrefix:   cfg.Incidents.ChannelPrefix,
			AnnounceChannel: cfg.Incidents.AnnounceChannel,
			DrillsChannel:   cfg.Incidents.DrillsChannel,
			Silence:         cfg.Slack.SilenceTimeout,
		},
		Log:     log,
		Metrics: metrics,
		Clock:   o.clock,
		Wake:    enqueued,
		// Webhook and PagerDuty jobs go to their own performers.
		Performers: performers,
	})
	sched := scheduler.New(scheduler.Options{Reminders: svc, Wake: scheduled, Log: log, Clock: o.clock, Poll: schedulerPoll(st)})

	ready := func() error {
		if err := storeReady(st); err != nil {
			return err
		}
		if err := b.Ready(); err != nil {
			return err
		}
		return nil
	}
	srv := ops.NewServer(cfg.HTTP.Listen, reg, ready, log)
	srv.Notes(b.ReadyNotes) // an unusable announce channel is reported, not a reason to stop serving
	// Incident data only for a caller with http.token; without one the
	// route does not exist (404, like any unknown path). Drafts are
	// read-only: a Service with the same store and settings suffices.
	if cfg.HTTP.Token != "" {
		pm := postmortemHandler(&commands.Service{Store: st, Settings: settings, Command: cfg.Slack.Command}, tmpl, log)
		srv.Handle(PostmortemRoute, ops.RequireBearer(cfg.HTTP.Token.Reveal(), pm, log))
		registerIntegrations(srv, svc, cfg.HTTP.Token.Reveal(), log)
	}
	if cfg.HTTP.Listen != "" {
		// Bind now, so a taken port fails start-up with a clear error and
		// the address is known before Run.
		if err := srv.Listen(); err != nil {
			st.Close()
			return nil, fmt.Errorf("http.listen: %w", err)
		}
	}
	jan := janitor.New(janitor.Options{Pruner: svc, Log: log, Clock: o.clock})
	return &App{log: log, store: st, bot: b, sched: sched, ops: srv, janitor: jan, storeFailed: storeFailed}, nil
}

// Run serves until ctx ends, then shuts down in order: stop reading, finish
// acks and jobs in flight, stop the ops listener, close the store. When a
// commit fails to write it shuts down the same way (the ops listener
// answering 503 until the bot has stopped) and returns the store's error.
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
	wg.Add(1)
	go func() {
		defer wg.Done()
		_ = a.janitor.Run(ctx) // returns only when ctx ends
	}()
	// A commit that failed to write stops the bot (acks and jobs in flight
	// finish) so that Run returns the store's error and the supervisor
	// restarts us on a store whose state is read afresh.
	botCtx, stopBot := context.WithCancel(ctx)
	defer stopBot()
	go func() {
		select {
		case <-a.storeFailed:
			stopBot()
		case <-botCtx.Done():
		}
	}()
	a.log.Info().Msg("starting")
	botErr := a.bot.Run(botCtx)
	cancel()
	wg.Wait()
	closeErr := a.store.Close()
	return errors.Join(a.store.WriteFailure(), botErr, opsErr, closeErr)
}

// Bot exposes the running bot (tests wait on its outbox).
func (a *App) Bot() *bot.Bot { return a.bot }

// OpsAddr is the ops listener's address ("" when disabled).
func (a *App) OpsAddr() string { return a.ops.Addr() }

// Janitor exposes the store's pruner (tests trigger it).
func (a *App) Janitor() *janitor.Janitor { return a.janitor }

// Store exposes the store (tests inspect state).
func (a *App) Store() Store { return a.store }

// Scheduler exposes the reminder scheduler (tests step it on a fake clock).
func (a *App) Scheduler() *scheduler.Scheduler { return a.sched }
