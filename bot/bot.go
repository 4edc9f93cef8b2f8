// Package bot is incidentbot's Slack adapter: it keeps the Socket Mode
// connection, acks and routes every envelope to the use-cases in commands/,
// renders Block Kit, and performs the outbox's Slack calls.
//
// It only translates. Bot routes each envelope to the handler of its kind
// (slashHandler, interactions, eventHandler), which turns it into use-case
// calls; Performer turns outbox jobs into Slack calls and records what they
// achieved through use-cases too, in the transaction that completes the
// job. No state changes here but through commands.
package bot

import (
	"context"
	"encoding/json"
	"sync"
	"time"

	"github.com/rs/zerolog"
	"github.com/slack-go/slack"
	"github.com/slack-go/slack/socketmode"

	"github.com/incidentbot/incidentbot/commands"
	"github.com/incidentbot/incidentbot/incident"
	"github.com/incidentbot/incidentbot/internal/clock"
	"github.com/incidentbot/incidentbot/internal/wake"
	"github.com/incidentbot/incidentbot/outbox"
	"github.com/incidentbot/incidentbot/templates"
)

// Metrics is everything the bot reports; *ops.Metrics satisfies it.
type Metrics interface {
	SocketMetrics
	outbox.Metrics
	SlackCall(method, err string)
}

// Config is what the adapter needs to know of the configuration, built by
// the wiring from the operator's settings and handed to each handler.
type Config struct {
	// Command is the slash command's name, such as "/incident".
	Command  string
	Settings incident.Settings
	// ChannelPrefix starts every incident channel's name ("inc").
	ChannelPrefix string
	// AnnounceChannel receives declarations and updates, DrillsChannel
	// drills' instead; "" for none.
	AnnounceChannel, DrillsChannel string
	// Silence is how long the socket may stay quiet before it reconnects
	// (zero takes the default).
	Silence time.Duration
}

// announceChannelFor is where inc is announced and its updates threaded,
// "" for nowhere (see incident.Announcements).
func (c Config) announceChannelFor(inc *incident.Incident) string {
	return incident.Announcements{Channel: c.AnnounceChannel, Drills: c.DrillsChannel}.ChannelFor(inc)
}

// Options wires a Bot. API, Store, Templates and Commands are required.
type Options struct {
	API *slack.Client
	// Web sends the posts the bot writes as JSON itself (reminders), with
	// API's token through API's HTTP client.
	Web *WebAPI
	// Store is the outbox's: its worker claims and completes jobs there.
	// The bot changes state only through Commands.
	Store     outbox.Store
	Templates *templates.Set
	Commands  *commands.Service
	Config    Config
	Log       zerolog.Logger
	Metrics   Metrics
	Clock     clock.Clock
	// Wake is the store's OnEnqueue signal, which the outbox worker
	// listens to (see outbox.Options.Wake).
	Wake *wake.Signal
	// Performers carry out the outbox jobs of other destinations, by job
	// kind (webhooks, PagerDuty); every other job is a Slack call.
	Performers map[string]outbox.Performer
}

// Bot is the running Slack adapter. It keeps the socket and the outbox
// worker running and routes each envelope to the handler of its kind.
type Bot struct {
	log          zerolog.Logger
	socket       *Socket
	worker       *outbox.Worker
	slash        *slashHandler
	interactions *interactions
	events       *eventHandler
	performer    *Performer
	announceCh   *announceChannels
	members      *members // channel member lists, see members.IsMember

	afters inflight

	// stopping is closed once Run's context ends, so that work after an
	// ack stops waiting to retry a Slack call (see retry).
	stopping     chan struct{}
	stoppingOnce sync.Once
}

// New builds a Bot. Give it the signal the store's OnEnqueue sends, so the outbox
// wakes as soon as a command commits.
func New(opt Options) *Bot {
	if opt.Clock == nil {
		opt.Clock = clock.Real{}
	}
	if opt.Metrics == nil {
		opt.Metrics = noMetrics{}
	}
	if opt.Config.Command == "" {
		opt.Config.Command = templates.DefaultCommand
	}
	b := &Bot{
		log:        opt.Log,
		stopping:   make(chan struct{}),
		members:    newMembers(opt.API, opt.Clock, opt.Log),
		announceCh: newAnnounceChannels(opt.API, opt.Log, opt.Config),
	}
	c := &core{
		renderer: &renderer{cfg: opt.Config, tmpl: opt.Templates, clock: opt.Clock, rules: opt.Commands},
		replier:  &replier{api: opt.API, log: opt.Log, command: opt.Config.Command, clock: opt.Clock, stopping: b.stopping},
		api:      opt.API, cmds: opt.Commands, cfg: opt.Config, log: opt.Log, members: b.members,
	}
	b.slash = &slashHandler{core: c}
	b.interactions = &interactions{core: c}
	b.events = &eventHandler{renderer: c.renderer, replier: c.replier, api: c.api, cmds: c.cmds, cfg: c.cfg, log: c.log, members: c.members}
	b.performer = &Performer{
		renderer: c.renderer, replier: c.replier, api: c.api, web: opt.Web, cmds: c.cmds, cfg: c.cfg, log: c.log,
		announceCh: b.announceCh, started: opt.Clock.Now(),
	}
	acks := &acking{}
	b.socket = &Socket{API: opt.API, Handler: b, Log: opt.Log, Metrics: opt.Metrics, Silence: opt.Config.Silence, Clock: opt.Clock, Acking: acks}
	b.worker = outbox.New(outbox.Options{
		Foreground:  acks,
		Store:       opt.Store,
		Performer:   outbox.ByKind(b.performer, opt.Performers),
		Wake:        opt.Wake,
		OnPermanent: b.performer.recordDeliveryFailure,
		Clock:       opt.Clock,
		Log:         opt.Log,
		Metrics:     opt.Metrics,
	})
	return b
}

// WaitIdle blocks until every envelope received so far has had all its
// effects: the work handlers do after their ack has finished, and the
// outbox has nothing pending (tests, shutdown).
func (b *Bot) WaitIdle(ctx context.Context) error {
	if err := b.afters.wait(ctx); err != nil {
		return err
	}
	return b.worker.WaitIdle(ctx)
}

// WaitSettled blocks until the outbox has nothing in flight and nothing
// due, and returns when its next job is due (zero: nothing is pending).
// Tests on a fake clock advance it to that time, as real time would.
func (b *Bot) WaitSettled(ctx context.Context) (time.Time, error) {
	return b.worker.WaitSettled(ctx)
}

// WaitConnected blocks until the socket is connected and Slack said hello.
func (b *Bot) WaitConnected(ctx context.Context) error { return b.socket.WaitConnected(ctx) }

// Ready reports whether the bot can serve: the socket is connected.
func (b *Bot) Ready() error { return b.socket.Status() }

// Run serves until ctx ends: the socket loop and the outbox worker. It
// returns after both have stopped (acks sent, the jobs in flight finished
// or left pending for the next start).
func (b *Bot) Run(ctx context.Context) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	checkCtx, checkCancel := context.WithTimeout(ctx, announceCheckTimeout)
	b.announceCh.check(checkCtx)
	checkCancel()
	go func() {
		<-ctx.Done()
		b.stoppingOnce.Do(func() { close(b.stopping) })
	}()
	var wg sync.WaitGroup
	var workerErr error
	wg.Add(1)
	go func() {
		defer wg.Done()
		workerErr = b.worker.Run(ctx)
	}()
	err := b.socket.Run(ctx)
	cancel()
	wg.Wait()
	if err != nil {
		return err
	}
	return workerErr
}

// Handle routes one envelope; see Handler.
func (b *Bot) Handle(ctx context.Context, req socketmode.Request) (any, func(context.Context)) {
	ack, after := b.route(ctx, req)
	return ack, b.afters.track(after)
}

func (b *Bot) route(ctx context.Context, req socketmode.Request) (any, func(context.Context)) {
	switch req.Type {
	case string(socketmode.EventTypeSlashCommand):
		return b.slash.slash(ctx, req)
	case string(socketmode.EventTypeInteractive):
		return b.interactive(ctx, req)
	case string(socketmode.EventTypeEventsAPI):
		return b.events.event(ctx, req)
	default:
		b.log.Warn().Str("type", req.Type).Str("envelope", req.EnvelopeID).Msg("unknown envelope type acked and ignored")
		return nil, nil
	}
}

// interactive decodes and handles an interaction. It is a function of its
// own, never inlined, because slack.InteractionCallback is ~4 KiB: as a
// local of route it made every envelope's frame that large, and a slash
// command's handler then needed a 16 KiB stack instead of 8 KiB.
//
//go:noinline
func (b *Bot) interactive(ctx context.Context, req socketmode.Request) (any, func(context.Context)) {
	var cb slack.InteractionCallback
	if err := json.Unmarshal(req.Payload, &cb); err != nil {
		b.log.Warn().Err(err).Str("envelope", req.EnvelopeID).Msg("undecodable interaction")
		return nil, nil
	}
	return b.interactions.interaction(ctx, req, cb)
}

// ReadyNotes are lines /readyz shows without failing: problems that stop
// one feature, not the bot (see docs/announce-channel.md).
func (b *Bot) ReadyNotes() []string {
	return b.announceCh.notes()
}

// ephemeral is a slash-command ack payload shown only to the invoker.
func ephemeral(text string) map[string]any {
	return map[string]any{"response_type": "ephemeral", "text": text}
}

type noMetrics struct{}

func (noMetrics) Envelope(string)            {}
func (noMetrics) AckLatency(time.Duration)   {}
func (noMetrics) SocketConnected(bool)       {}
func (noMetrics) Reconnect(string)           {}
func (noMetrics) OutboxDepth(int)            {}
func (noMetrics) OutboxDone(string)          {}
func (noMetrics) OutboxFailure(string, bool) {}
func (noMetrics) SlackCall(string, string)   {}
