package bot

import (
	"context"
	"encoding/json"
	"runtime"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gorilla/websocket"
	"github.com/rs/zerolog"
	"github.com/slack-go/slack"
	"github.com/slack-go/slack/socketmode"

	"github.com/incidentbot/incidentbot/internal/clock"
	"github.com/incidentbot/incidentbot/internal/slackemu"
)

// handlerFunc adapts a function to Handler.
type handlerFunc func(ctx context.Context, req socketmode.Request) (any, func(context.Context))

func (f handlerFunc) Handle(ctx context.Context, req socketmode.Request) (any, func(context.Context)) {
	return f(ctx, req)
}

var socketEpoch = time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)

// socketRig runs a Socket against an emulator on a fake clock; every pause
// between connections is reported on waits, then waits for the clock.
// The pause's timer is set before the pause is reported: a test that hears
// of it may Advance at once, and an Advance that came before the timer
// existed would be missed, leaving the socket paused for good.
type socketRig struct {
	emu   *slackemu.Server
	sock  *Socket
	clock *clock.Fake
	waits chan time.Duration
	done  chan error
}

func startSocket(t *testing.T, appToken string, h Handler, emuOpts ...func(*slackemu.Options)) *socketRig {
	t.Helper()
	emu := slackemu.Start(t, emuOpts...)
	if appToken == "" {
		appToken = emu.AppToken()
	}
	api := slack.New(emu.BotToken(), slack.OptionAppLevelToken(appToken), slack.OptionAPIURL(emu.APIURL()))
	r := &socketRig{emu: emu, clock: clock.NewFake(socketEpoch), waits: make(chan time.Duration, 16), done: make(chan error, 1)}
	r.sock = &Socket{API: api, Handler: h, Log: zerolog.Nop(), Clock: r.clock}
	r.sock.Wait = func(ctx context.Context, d time.Duration) bool {
		elapsed, stop := r.clock.After(d)
		defer stop()
		select {
		case r.waits <- d:
		case <-ctx.Done():
			return false
		}
		select {
		case <-elapsed:
			return true
		case <-ctx.Done():
			return false
		}
	}
	ctx, cancel := context.WithCancel(context.Background())
	go func() { r.done <- r.sock.Run(ctx) }()
	t.Cleanup(func() { cancel(); <-r.done })
	return r
}

func testCtx(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	t.Cleanup(cancel)
	return ctx
}

func nextWait(t *testing.T, r *socketRig) time.Duration {
	t.Helper()
	select {
	case d := <-r.waits:
		return d
	case <-time.After(10 * time.Second):
		t.Fatal("the socket never paused")
		return 0
	}
}

// connected waits for the socket's hello and for its link's first ping
// timer, so that the clock can be moved.
func (r *socketRig) connected(t *testing.T) {
	t.Helper()
	if err := r.sock.WaitConnected(testCtx(t)); err != nil {
		t.Fatal(err)
	}
	r.clock.WaitForTimers(1, testCtx(t).Done())
}

// waitConnLog waits until the emulator's connection log satisfies ok.
func waitConnLog(t *testing.T, emu *slackemu.Server, ok func([]slackemu.ConnEvent) bool) []slackemu.ConnEvent {
	t.Helper()
	feed, stop := emu.Subscribe()
	defer stop()
	ctx := testCtx(t)
	for {
		if log := emu.ConnectionLog(); ok(log) {
			return log
		}
		select {
		case <-feed:
		case <-ctx.Done():
			t.Fatalf("connection log never got there: %+v", emu.ConnectionLog())
		}
	}
}

// at is the position of socket conn's kind in log, or -1.
func at(log []slackemu.ConnEvent, conn int, kind string) int {
	for i, e := range log {
		if e.Conn == conn && e.Kind == kind {
			return i
		}
	}
	return -1
}

func bare(ctx context.Context, req socketmode.Request) (any, func(context.Context)) { return nil, nil }

func eventPayload(typ string) json.RawMessage {
	return json.RawMessage(`{"type":"event_callback","event_id":"Ev0SOCKET1","event":{"type":"` + typ + `"}}`)
}

// A socket that goes half-open (nothing in, nothing out) is noticed after
// 30 s of the bot's clock; its successor says hello before it is closed.
func TestSilentSocketIsReplacedBeforeItIsClosed(t *testing.T) {
	r := startSocket(t, "", handlerFunc(bare))
	r.connected(t)
	r.emu.BlackHole()

	// 20 s without a pong: still within the silence allowed.
	r.clock.Advance(20 * time.Second)
	r.clock.WaitForTimers(1, testCtx(t).Done())
	if n := len(r.emu.Calls("apps.connections.open")); n != 1 {
		t.Fatalf("replaced after 20 s of silence (%d connection attempts)", n)
	}
	// 30 s: the socket is dead.
	r.clock.Advance(10 * time.Second)
	log := waitConnLog(t, r.emu, func(log []slackemu.ConnEvent) bool { return at(log, 1, "closed") >= 0 })
	hello2, closed1 := at(log, 2, "hello"), at(log, 1, "closed")
	if hello2 < 0 || hello2 > closed1 {
		t.Fatalf("the old socket was closed before the new one said hello: %+v", log)
	}
	if _, err := r.emu.Deliver(testCtx(t), slackemu.Envelope{Type: "events_api", Payload: eventPayload("app_mention")}); err != nil {
		t.Fatal("the new socket does not serve:", err)
	}
}

// The bot's own pings keep a quiet socket alive even when Slack sends no
// pings of its own.
func TestPingsKeepAQuietSocket(t *testing.T) {
	r := startSocket(t, "", handlerFunc(bare), func(o *slackemu.Options) { o.PingInterval = -1 })
	r.connected(t)
	for range 9 { // 90 s
		r.clock.Advance(10 * time.Second)
		r.clock.WaitForTimers(1, testCtx(t).Done())
		r.waitPong(t)
	}
	if n := len(r.emu.Calls("apps.connections.open")); n != 1 || !r.sock.Connected() {
		t.Fatalf("a socket answering pings was replaced (%d connection attempts)", n)
	}
}

// waitPong waits until the current link has heard from Slack at the
// clock's current time: the pong to the ping just sent.
func (r *socketRig) waitPong(t *testing.T) {
	t.Helper()
	now := r.clock.Now().UnixNano()
	tick := time.NewTicker(time.Millisecond)
	defer tick.Stop()
	ctx := testCtx(t)
	for {
		if l, _ := r.sock.current(); l != nil && l.heard.Load() == now {
			return
		}
		select {
		case <-tick.C:
		case <-ctx.Done():
			t.Fatal("no pong to the bot's ping")
		}
	}
}

// Slack warns, the bot opens a second socket, then closes the first while
// an envelope that came on it is still being handled: its ack still
// reaches Slack, once.
func TestAckInFlightSurvivesTheSocketItCameOn(t *testing.T) {
	started, release := make(chan string, 4), make(chan struct{})
	r := startSocket(t, "", handlerFunc(func(ctx context.Context, req socketmode.Request) (any, func(context.Context)) {
		started <- req.EnvelopeID
		<-release
		return nil, nil
	}))
	r.connected(t)
	acked := make(chan error, 1)
	go func() {
		_, err := r.emu.Deliver(testCtx(t), slackemu.Envelope{Type: "events_api", Payload: eventPayload("app_mention")})
		acked <- err
	}()
	<-started
	r.emu.Disconnect("warning")
	log := waitConnLog(t, r.emu, func(log []slackemu.ConnEvent) bool { return at(log, 1, "closed") >= 0 })
	if at(log, 2, "hello") > at(log, 1, "closed") || at(log, 2, "hello") < 0 {
		t.Fatalf("the warned socket was closed before its successor said hello: %+v", log)
	}
	close(release)
	if err := <-acked; err != nil {
		t.Fatal("the ack was lost with its socket:", err)
	}
	if len(started) != 0 {
		t.Fatal("the envelope was handled twice")
	}
	if p := r.emu.Problems(); len(p) != 0 {
		t.Fatalf("problems: %+v", p)
	}
}

// An envelope_id seen again (on another socket, across a replacement) is
// acked again but not handled again.
func TestRepeatedEnvelopeIsAckedNotHandledAgain(t *testing.T) {
	var handled atomic.Int32
	r := startSocket(t, "", handlerFunc(func(ctx context.Context, req socketmode.Request) (any, func(context.Context)) {
		handled.Add(1)
		return nil, nil
	}))
	r.connected(t)
	env := slackemu.Envelope{ID: "5f3c2a10-0000-4000-8000-00000000dup1", Type: "events_api", Payload: eventPayload("app_mention")}
	if _, err := r.emu.Deliver(testCtx(t), env); err != nil {
		t.Fatal(err)
	}
	r.emu.Disconnect("warning")
	waitConnLog(t, r.emu, func(log []slackemu.ConnEvent) bool { return at(log, 1, "closed") >= 0 })
	if _, err := r.emu.Deliver(testCtx(t), env); err != nil {
		t.Fatal("the repeated envelope was not acked:", err)
	}
	if n := handled.Load(); n != 1 {
		t.Fatalf("handled %d times", n)
	}
}

func TestDisconnectReasonsThatForbidReconnectingBackOff(t *testing.T) {
	tests := []struct {
		reason   string
		atLeast  time.Duration // every pause, in a row of five
		atMost   time.Duration
		lastWait time.Duration // the fifth pause, at least
	}{
		// Socket Mode switched off: back within a minute of it being on again.
		{"link_disabled", 15 * time.Second, time.Minute, time.Minute},
		// Ten sockets already: give Slack time to drop dead ones.
		{"too_many_websockets", 30 * time.Second, time.Minute, 30 * time.Second},
	}
	for _, tt := range tests {
		t.Run(tt.reason, func(t *testing.T) {
			r := startSocket(t, "", handlerFunc(bare))
			var d time.Duration
			for i := range 5 {
				r.connected(t)
				r.emu.Disconnect(tt.reason)
				d = nextWait(t, r)
				if d < tt.atLeast || d > tt.atMost {
					t.Fatalf("after %s #%d the socket waits %v before reconnecting, want %v to %v", tt.reason, i+1, d, tt.atLeast, tt.atMost)
				}
				if err := r.sock.Status(); err == nil || !strings.Contains(err.Error(), tt.reason) {
					t.Fatalf("status = %v, want it to explain %s", err, tt.reason)
				}
				if n := len(r.emu.Calls("apps.connections.open")); n != i+1 {
					t.Fatalf("%d connection attempts, want no reconnect while waiting", n)
				}
				r.clock.Advance(d)
			}
			if d < tt.lastWait {
				t.Fatalf("the fifth pause is %v, want ≥ %v", d, tt.lastWait)
			}
		})
	}
}

func TestRefreshRequestedReconnectsAtOnce(t *testing.T) {
	r := startSocket(t, "", handlerFunc(bare))
	r.connected(t)
	r.emu.Disconnect("refresh_requested")
	if _, err := r.emu.WaitCall(testCtx(t), "apps.connections.open", func(slackemu.Call) bool {
		return len(r.emu.Calls("apps.connections.open")) == 2
	}); err != nil {
		t.Fatal(err)
	}
	r.connected(t)
	select {
	case d := <-r.waits:
		t.Fatalf("waited %v before reconnecting after refresh_requested", d)
	default:
	}
}

func TestRefusedAppTokenStopsTheLoop(t *testing.T) {
	r := startSocket(t, "xapp-1-A0-0-wrong", handlerFunc(bare))
	select {
	case err := <-r.done:
		if err == nil || !strings.Contains(err.Error(), "slack.app_token") || strings.Contains(err.Error(), "wrong") {
			t.Fatalf("Run returned %v", err)
		}
		r.done <- err // for the cleanup
	case d := <-r.waits:
		t.Fatalf("the socket retried (waiting %v) with a refused token", d)
	}
}

func TestPanickingHandlerStillAcks(t *testing.T) {
	r := startSocket(t, "", handlerFunc(func(ctx context.Context, req socketmode.Request) (any, func(context.Context)) {
		panic("boom")
	}))
	if _, err := r.emu.Deliver(testCtx(t), slackemu.Envelope{Type: "slash_commands", Payload: json.RawMessage(`{"command":"/incident"}`)}); err != nil {
		t.Fatal("envelope of a panicking handler was not acked:", err)
	}
}

func TestOversizedAckIsSentBare(t *testing.T) {
	big := strings.Repeat("x", 25_000)
	r := startSocket(t, "", handlerFunc(func(ctx context.Context, req socketmode.Request) (any, func(context.Context)) {
		return ephemeral(big), nil
	}))
	ack, err := r.emu.Deliver(testCtx(t), slackemu.Envelope{Type: "slash_commands", Payload: json.RawMessage(`{"command":"/incident"}`)})
	if err != nil {
		t.Fatal("oversized reply was dropped instead of acked:", err)
	}
	if len(ack.Payload) != 0 {
		t.Fatalf("ack carried %d bytes", len(ack.Payload))
	}
}

// The app already has Slack's ten sockets when Slack asks the bot to
// reconnect: the new socket is refused with too_many_websockets, and the
// bot keeps serving on the old one while it waits to try again.
func TestTooManyWebsocketsKeepsTheOldSocketServing(t *testing.T) {
	r := startSocket(t, "", handlerFunc(bare))
	r.connected(t)
	api := slack.New(r.emu.BotToken(), slack.OptionAppLevelToken(r.emu.AppToken()), slack.OptionAPIURL(r.emu.APIURL()))
	var others []*websocket.Conn
	for range 9 { // other copies of the app
		_, url, err := api.StartSocketModeContext(testCtx(t))
		if err != nil {
			t.Fatal(err)
		}
		ws, _, err := websocket.DefaultDialer.Dial(url, nil)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = ws.Close() })
		others = append(others, ws)
	}
	// All ten said hello. Socket 10's hello alone does not say so: a
	// socket numbered earlier may say hello later, and the count of 9
	// awaited after others[0] closes would then come too early.
	waitConnLog(t, r.emu, func(log []slackemu.ConnEvent) bool { return r.emu.Connections() == 10 })

	r.emu.Disconnect("warning")
	d := nextWait(t, r)
	if d < 30*time.Second || d > time.Minute {
		t.Fatalf("after too_many_websockets the bot waits %v, want 30 s to 1 min", d)
	}
	if !r.sock.Connected() || at(r.emu.ConnectionLog(), 1, "closed") >= 0 {
		t.Fatalf("the old socket stopped serving: %+v", r.emu.ConnectionLog())
	}
	// One of the others goes away; after the pause the bot moves over.
	_ = others[0].Close()
	waitConnLog(t, r.emu, func(log []slackemu.ConnEvent) bool { return r.emu.Connections() == 9 })
	r.clock.Advance(d)
	log := waitConnLog(t, r.emu, func(log []slackemu.ConnEvent) bool { return at(log, 1, "closed") >= 0 })
	// Sockets 2 to 10 are the others', 11 was refused; 12 is the bot's next.
	if h := at(log, 12, "hello"); h < 0 || h > at(log, 1, "closed") {
		t.Fatalf("connection log %+v", log)
	}
}

// A handler goroutine that acked its envelope waits for the next one, so
// a burst's envelopes do not each start a goroutine and grow its stack;
// after handlerIdle without one it ends.
func TestHandlerGoroutineServesTheNextEnvelope(t *testing.T) {
	r := startSocket(t, "", handlerFunc(func(ctx context.Context, req socketmode.Request) (any, func(context.Context)) {
		return nil, nil
	}))
	idle := clock.NewFake(socketEpoch)
	p := &r.sock.pool
	p.mu.Lock()
	p.clock = idle
	p.mu.Unlock()
	r.connected(t)
	deliver := func() {
		t.Helper()
		if _, err := r.emu.Deliver(testCtx(t), slackemu.Envelope{Type: "events_api", Payload: eventPayload("app_mention")}); err != nil {
			t.Fatal(err)
		}
	}
	for i := range 3 {
		deliver()
		// The handler offers itself before it starts its idle timer.
		idle.WaitForTimers(1, testCtx(t).Done())
		if n := p.started.Load(); n != 1 {
			t.Fatalf("after envelope %d: %d handler goroutines started, want 1", i+1, n)
		}
	}
	idle.Advance(handlerIdle)
	ctx := testCtx(t)
	for p.live.Load() != 0 {
		if ctx.Err() != nil {
			t.Fatal("the idle handler goroutine did not end")
		}
		runtime.Gosched()
	}
	deliver()
	if n := p.started.Load(); n != 2 {
		t.Fatalf("after the idle one ended: %d handler goroutines started, want 2", n)
	}
}
