// Package bot is incidentbot's Slack adapter: it keeps the Socket Mode
// connection, acks and routes every envelope to the use-cases in commands/,
// renders Block Kit, and performs the outbox's Slack calls.
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
	"github.com/incidentbot/incidentbot/outbox"
	"github.com/incidentbot/incidentbot/templates"
)

// Metrics is everything the bot reports; *ops.Metrics satisfies it.
type Metrics interface {
	SocketMetrics
	outbox.Metrics
	SlackCall(method, err string)
}

// Options wires a Bot. API, Store and Templates are required.
type Options struct {
	API       *slack.Client
	Store     Store
	Templates *templates.Set
	Commands  *commands.Service
	Settings  incident.Settings
	// Command is the slash command's name, such as "/incident".
	Command string
	Log     zerolog.Logger
	Metrics Metrics
	Clock   clock.Clock
	// Socket tuning (zero values take defaults).
	Silence time.Duration
}

// Bot is the running Slack adapter.
type Bot struct {
	opt    Options
	api    *slack.Client
	store  Store
	log    zerolog.Logger
	socket *Socket
	worker *outbox.Worker
	// started is when this process began: outbox jobs enqueued earlier may
	// have been cut short by a crash (see uncertain).
	started time.Time

	selfMu sync.Mutex
	self   string // the bot's user ID, from auth.test

	afters inflight

	members    *members // channel member lists, see IsMember
	announceCh announceState

	// stopping is closed once Run's context ends, so that work after an
	// ack stops waiting to retry a Slack call (see retry).
	stopping     chan struct{}
	stoppingOnce sync.Once
}

// New builds a Bot. Wire b.Notify to the store's OnEnqueue so the outbox
// wakes as soon as a command commits.
func New(opt Options) *Bot {
	if opt.Clock == nil {
		opt.Clock = clock.Real{}
	}
	if opt.Metrics == nil {
		opt.Metrics = noMetrics{}
	}
	if opt.Command == "" {
		opt.Command = "/incident"
	}
	b := &Bot{opt: opt, api: opt.API, store: opt.Store, log: opt.Log, started: opt.Clock.Now(), stopping: make(chan struct{}), members: newMembers()}
	b.socket = &Socket{API: opt.API, Handler: b, Log: opt.Log, Metrics: opt.Metrics, Silence: opt.Silence, Clock: opt.Clock}
	b.worker = outbox.New(outbox.Options{
		Store:       opt.Store,
		Performer:   &performer{bot: b},
		OnPermanent: recordDeliveryFailure,
		Clock:       opt.Clock,
		Log:         opt.Log,
		Metrics:     opt.Metrics,
	})
	return b
}

// Notify wakes the outbox worker; safe to call from any goroutine.
func (b *Bot) Notify() { b.worker.Notify() }

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
	b.checkAnnounceChannel(checkCtx)
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
		var cmd slack.SlashCommand
		if err := json.Unmarshal(req.Payload, &cmd); err != nil {
			b.log.Warn().Err(err).Str("envelope", req.EnvelopeID).Msg("undecodable slash command")
			return ephemeral("Sorry, I could not read that command. Please try again."), nil
		}
		return b.slash(ctx, req, cmd)
	case string(socketmode.EventTypeInteractive):
		var cb slack.InteractionCallback
		if err := json.Unmarshal(req.Payload, &cb); err != nil {
			b.log.Warn().Err(err).Str("envelope", req.EnvelopeID).Msg("undecodable interaction")
			return nil, nil
		}
		return b.interaction(ctx, req, cb)
	case string(socketmode.EventTypeEventsAPI):
		return b.event(ctx, req)
	default:
		b.log.Warn().Str("type", req.Type).Str("envelope", req.EnvelopeID).Msg("unknown envelope type acked and ignored")
		return nil, nil
	}
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
