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

// world is an emulated Slack workspace with the real bot connected to it,
// both on one fake clock: time passes only when the test lets it (idle,
// waitFor, waitCall, clock.Advance), so no test waits on the wall clock.
type world struct {
	t        *testing.T
	clock    *clock.Fake // the bot's, its store's and Slack's
	emu      *slackemu.Server
	cfg      *config.Config
	app      *app.App
	announce string
	logs     *syncBuffer
	cancel   context.CancelFunc
	done     chan error
	// read is how much of the emulator's call feed expectCalls has read.
	read int
}

// worldStart is when every world's clock starts, unless the test picks
// its own (newWorldOnClock).
var worldStart = time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)

// newWorld starts an emulator, seeds it, and runs the bot against it, wired
// exactly as `incidentbot run` wires it, on a fake clock reading
// worldStart. mutate may adjust the config.
func newWorld(t *testing.T, emuOpts func(*slackemu.Options), mutate func(*config.Config)) *world {
	t.Helper()
	return newWorldOnClock(t, clock.NewFake(worldStart), emuOpts, mutate)
}

// newWorldOnClock is newWorld on clk.
func newWorldOnClock(t *testing.T, clk *clock.Fake, emuOpts func(*slackemu.Options), mutate func(*config.Config)) *world {
	t.Helper()
	opts := []func(*slackemu.Options){func(o *slackemu.Options) { o.Now = clk.Now }}
	if emuOpts != nil {
		opts = append(opts, emuOpts)
	}
	emu := slackemu.Start(t, opts...)
	emu.AddUser(slackemu.User{ID: alice, Name: "alice", RealName: "Alice Aalto"})
	emu.AddUser(slackemu.User{ID: bob, Name: "bob", RealName: "Bob Berg"})
	emu.AddUser(slackemu.User{ID: carol, Name: "carol", RealName: "Carol Chen"})
	w := &world{t: t, clock: clk, emu: emu, logs: &syncBuffer{}}
	w.announce = emu.CreateChannel("announcements", false, emu.BotUserID(), alice, bob)

	cfg := config.Default()
	cfg.Slack.BotToken = config.Secret(emu.BotToken())
	cfg.Slack.AppToken = config.Secret(emu.AppToken())
	cfg.Slack.APIURL = emu.APIURL()
	cfg.Store.Path = filepath.Join(t.TempDir(), "incidentbot.db")
	cfg.HTTP.Listen = ""
	cfg.Log.Level = "debug"
	cfg.Incidents.AnnounceChannel = w.announce
	cfg.Services = []config.Service{{Name: "checkout", Experts: []string{carol}, Runbook: runbook}}
	// The socket's liveness check runs on the fake clock, and a test that
	// jumps it an hour or a year ahead jumps past every ping that real
	// time would have had answered meanwhile: the socket would look
	// silent and be replaced under an envelope on its way. Only a test of
	// that check (TestDeafSocketIsReplaced) sets a real silence.
	cfg.Slack.SilenceTimeout = 100 * 365 * 24 * time.Hour
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
	a, err := app.Open(w.cfg, tmpl, log, app.WithClock(w.clock))
	if err != nil {
		w.t.Fatal(err)
	}
	before := len(w.emu.Calls(""))
	ctx, cancel := context.WithCancel(context.Background())
	w.app, w.cancel, w.done = a, cancel, make(chan error, 1)
	go func() { w.done <- a.Run(ctx) }()
	wctx, wcancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer wcancel()
	if err := w.app.Bot().WaitConnected(wctx); err != nil {
		w.t.Fatal("bot never connected:", err)
	}
	// A transcript starts after the start-up checks, unless calls before
	// the start are still unread.
	if calls := len(w.emu.Calls("")); w.read == 0 || w.read == before {
		w.read = calls
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

// idle waits until the outbox has carried out every pending job. It lets
// time pass as real time would: whenever the bot has nothing to do but
// wait out a Retry-After or a backoff, the clock jumps to its next wake-up.
func (w *world) idle() {
	w.t.Helper()
	w.idleUntil(w.ctx())
}

// idleWithin is idle with a budget of real time for the whole wait rather
// than for each step: a burst under the tier limits is minutes of Slack
// time, and the clock stops at every instant a refused call was told to
// come back, a few per hold since those instants are spread.
func (w *world) idleWithin(budget time.Duration) {
	w.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), budget)
	defer cancel()
	w.idleUntil(ctx)
}

func (w *world) idleUntil(ctx context.Context) {
	w.t.Helper()
	for {
		wake, err := w.app.Bot().WaitSettled(ctx)
		if err != nil {
			w.t.Fatal("the outbox never settled:", err)
		}
		if wake.IsZero() {
			break
		}
		w.clock.Advance(wake.Sub(w.clock.Now()))
	}
	if err := w.app.Bot().WaitIdle(ctx); err != nil {
		w.t.Fatal("outbox never drained:", err)
	}
}

// waitFor returns once done says so, letting time pass until it does:
// each step does what is due (a scheduler cycle, the outbox's work) and
// then moves the clock to the next timer any part of the bot has
// set, as real time would, for at most limit of fake time.
func (w *world) waitFor(what string, limit time.Duration, done func() bool) {
	w.t.Helper()
	end := w.clock.Now().Add(limit)
	for {
		if err := w.app.Scheduler().Trigger(w.ctx()); err != nil {
			w.t.Fatal(err)
		}
		w.idle()
		if done() {
			return
		}
		next, ok := w.clock.Next()
		if !ok || next.After(end) {
			w.t.Fatalf("%s: not within %v of fake time", what, limit)
		}
		w.clock.Advance(next.Sub(w.clock.Now()))
	}
}

// waitCall is waitFor the first Slack call of method ("" = any) that match
// (nil = any) accepts, and returns it.
func (w *world) waitCall(method string, limit time.Duration, match func(slackemu.Call) bool) slackemu.Call {
	w.t.Helper()
	var got slackemu.Call
	w.waitFor("a "+method+" call", limit, func() bool {
		for _, c := range w.emu.Calls(method) {
			if match == nil || match(c) {
				got = c
				return true
			}
		}
		return false
	})
	return got
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
