package app_test

import (
	"bytes"
	"context"
	"encoding/json"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/incidentbot/incidentbot/app"
	"github.com/incidentbot/incidentbot/config"
	"github.com/incidentbot/incidentbot/incident"
	"github.com/incidentbot/incidentbot/internal/clock"
	"github.com/incidentbot/incidentbot/internal/slackemu"
	"github.com/incidentbot/incidentbot/store"
	"github.com/incidentbot/incidentbot/templates"
)

// Users seeded in every emulated workspace.
const (
	alice   = "UALICE001" // declares
	bob     = "UBOB00002"
	carol   = "UCAROL003" // the checkout expert
	runbook = "https://wiki.example.com/runbooks/checkout"
)

// world is an emulated Slack workspace with the real bot connected to it.
type world struct {
	t        *testing.T
	clock    clock.Clock // the bot's; Slack's too when fake (newWorldOnClock)
	emu      *slackemu.Server
	cfg      *config.Config
	app      *app.App
	announce string
	logs     *syncBuffer
	cancel   context.CancelFunc
	done     chan error
	// appOpts are passed to app.Open on every start (a fake clock).
	appOpts []app.Option
}

// newWorld starts an emulator, seeds it, and runs the bot against it, wired
// exactly as `incidentbot run` wires it. mutate may adjust the config;
// appOpts adjust the wiring (a fake clock).
func newWorld(t *testing.T, emuOpts func(*slackemu.Options), mutate func(*config.Config), appOpts ...app.Option) *world {
	t.Helper()
	return newWorldOnClock(t, nil, emuOpts, mutate, appOpts...)
}

// newWorldOnClock is newWorld with Slack and the bot both on clk (nil: the
// wall clock), so a test can let minutes of rate limits pass at once.
func newWorldOnClock(t *testing.T, clk *clock.Fake, emuOpts func(*slackemu.Options), mutate func(*config.Config), appOpts ...app.Option) *world {
	t.Helper()
	opts := []func(*slackemu.Options){}
	var botClock clock.Clock = clock.Real{}
	if clk != nil {
		botClock = clk
		opts = append(opts, func(o *slackemu.Options) { o.Now = clk.Now })
	}
	if emuOpts != nil {
		opts = append(opts, emuOpts)
	}
	emu := slackemu.Start(t, opts...)
	emu.AddUser(slackemu.User{ID: alice, Name: "alice", RealName: "Alice Aalto"})
	emu.AddUser(slackemu.User{ID: bob, Name: "bob", RealName: "Bob Berg"})
	emu.AddUser(slackemu.User{ID: carol, Name: "carol", RealName: "Carol Chen"})
	w := &world{t: t, clock: botClock, emu: emu, logs: &syncBuffer{}, appOpts: appOpts}
	w.announce = emu.CreateChannel("announcements", false, emu.BotUserID(), alice, bob)

	cfg := config.Default()
	cfg.Slack.BotToken = emu.BotToken()
	cfg.Slack.AppToken = emu.AppToken()
	cfg.Slack.APIURL = emu.APIURL()
	cfg.Store.Path = filepath.Join(t.TempDir(), "incidentbot.db")
	cfg.HTTP.Listen = ""
	cfg.Log.Level = "debug"
	cfg.Incidents.AnnounceChannel = w.announce
	cfg.Services = []config.Service{{Name: "checkout", Experts: []string{carol}, Runbook: runbook}}
	if mutate != nil {
		mutate(cfg)
	}
	if err := cfg.Validate(); err != nil {
		t.Fatal(err)
	}
	w.cfg = cfg
	w.start()
	t.Cleanup(w.stop)
	return w
}

// start runs the bot and waits until its socket is up.
func (w *world) start() {
	w.t.Helper()
	tmpl, err := templates.Load(w.cfg.Templates.Dir)
	if err != nil {
		w.t.Fatal(err)
	}
	log := zerolog.New(w.logs).Level(zerolog.DebugLevel).With().Timestamp().Logger()
	var a *app.App
	if len(w.appOpts) > 0 {
		a, err = app.Open(w.cfg, tmpl, log, w.appOpts...)
	} else {
		a, err = app.OpenOnClock(w.cfg, tmpl, log, w.clock)
	}
	if err != nil {
		w.t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	w.app, w.cancel, w.done = a, cancel, make(chan error, 1)
	go func() { w.done <- a.Run(ctx) }()
	wctx, wcancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer wcancel()
	if err := w.app.Bot().WaitConnected(wctx); err != nil {
		w.t.Fatal("bot never connected:", err)
	}
}

// stop shuts the bot down gracefully and checks no token was ever logged.
func (w *world) stop() {
	if w.cancel == nil {
		return
	}
	w.cancel()
	select {
	case err := <-w.done:
		if err != nil {
			w.t.Errorf("bot stopped with %v", err)
		}
	case <-time.After(10 * time.Second):
		w.t.Error("bot did not stop within 10s of cancellation")
	}
	w.cancel = nil
	logs := w.logs.String()
	for _, tok := range []string{w.emu.BotToken(), w.emu.AppToken()} {
		if strings.Contains(logs, tok) {
			w.t.Errorf("a token appeared in the logs")
		}
	}
}

// restart stops the bot and starts a new one on the same store.
func (w *world) restart() {
	w.t.Helper()
	w.stop()
	w.start()
}

func (w *world) ctx() context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	w.t.Cleanup(cancel)
	return ctx
}

// slash sends `/incident text` as user from channel and returns the ack.
func (w *world) slash(user, channel, text string) slackemu.Ack {
	w.t.Helper()
	ack, err := w.emu.SlashCommand(w.ctx(), slackemu.SlashCommand{UserID: user, ChannelID: channel, Command: "/incident", Text: text})
	if err != nil {
		w.t.Fatalf("/incident %s: %v", text, err)
	}
	return ack
}

// ackText is the text of a slash command's ack payload.
func ackText(t *testing.T, ack slackemu.Ack) string {
	t.Helper()
	var p struct {
		ResponseType string `json:"response_type"`
		Text         string `json:"text"`
	}
	if len(ack.Payload) == 0 {
		return ""
	}
	if err := json.Unmarshal(ack.Payload, &p); err != nil {
		t.Fatalf("ack payload %s: %v", ack.Payload, err)
	}
	if p.ResponseType != "" && p.ResponseType != "ephemeral" {
		t.Fatalf("reply is %q, want ephemeral", p.ResponseType)
	}
	return p.Text
}

// idle waits until the outbox has carried out every pending job.
func (w *world) idle() {
	w.t.Helper()
	if err := w.app.Bot().WaitIdle(w.ctx()); err != nil {
		w.t.Fatal("outbox never drained:", err)
	}
}

// incident loads INC-n from the bot's store.
func (w *world) incident(n uint64) *incident.Incident {
	w.t.Helper()
	var inc *incident.Incident
	err := w.app.Store().View(func(tx store.Tx) error {
		var err error
		inc, err = tx.Incident(n)
		return err
	})
	if err != nil {
		w.t.Fatal(err)
	}
	return inc
}

func (w *world) events(n uint64) []incident.Event {
	w.t.Helper()
	var evs []incident.Event
	err := w.app.Store().View(func(tx store.Tx) error {
		var err error
		evs, err = tx.Events(n)
		return err
	})
	if err != nil {
		w.t.Fatal(err)
	}
	return evs
}

// syncBuffer is a goroutine-safe log sink.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}
