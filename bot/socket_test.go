package bot

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/rs/zerolog"
	"github.com/slack-go/slack"
	"github.com/slack-go/slack/socketmode"

	"github.com/incidentbot/incidentbot/internal/slackemu"
)

// handlerFunc adapts a function to Handler.
type handlerFunc func(ctx context.Context, req socketmode.Request) (any, func(context.Context))

func (f handlerFunc) Handle(ctx context.Context, req socketmode.Request) (any, func(context.Context)) {
	return f(ctx, req)
}

// socketRig runs a Socket against an emulator; every pause between
// connections is reported on waits instead of slept.
type socketRig struct {
	emu   *slackemu.Server
	sock  *Socket
	waits chan time.Duration
	done  chan error
}

func startSocket(t *testing.T, appToken string, h Handler) *socketRig {
	t.Helper()
	emu := slackemu.Start(t)
	if appToken == "" {
		appToken = emu.AppToken()
	}
	api := slack.New(emu.BotToken(), slack.OptionAppLevelToken(appToken), slack.OptionAPIURL(emu.APIURL()))
	r := &socketRig{emu: emu, waits: make(chan time.Duration, 16), done: make(chan error, 1)}
	r.sock = &Socket{API: api, Handler: h, Log: zerolog.Nop(), Silence: time.Minute,
		Wait: func(ctx context.Context, d time.Duration) bool {
			select {
			case r.waits <- d:
			case <-ctx.Done():
				return false
			}
			if d == 0 {
				return true
			}
			<-ctx.Done() // a real pause would outlast the test
			return false
		}}
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

func bare(ctx context.Context, req socketmode.Request) (any, func(context.Context)) { return nil, nil }

func TestDisconnectReasonsThatForbidReconnectingBackOff(t *testing.T) {
	tests := []struct {
		reason  string
		atLeast time.Duration
		status  string
	}{
		{"link_disabled", time.Minute, "link_disabled"},
		{"too_many_websockets", 30 * time.Second, "too_many_websockets"},
	}
	for _, tt := range tests {
		t.Run(tt.reason, func(t *testing.T) {
			r := startSocket(t, "", handlerFunc(bare))
			if err := r.emu.WaitConnected(testCtx(t)); err != nil {
				t.Fatal(err)
			}
			r.emu.Disconnect(tt.reason)
			if d := nextWait(t, r); d < tt.atLeast {
				t.Fatalf("after %s the socket waits %v before reconnecting, want ≥ %v", tt.reason, d, tt.atLeast)
			}
			if err := r.sock.Status(); err == nil || !strings.Contains(err.Error(), tt.status) {
				t.Fatalf("status = %v, want it to explain %s", err, tt.status)
			}
			if n := len(r.emu.Calls("apps.connections.open")); n != 1 {
				t.Fatalf("%d connection attempts, want no reconnect while waiting", n)
			}
		})
	}
}

func TestRefreshRequestedReconnectsAtOnce(t *testing.T) {
	r := startSocket(t, "", handlerFunc(bare))
	if err := r.emu.WaitConnected(testCtx(t)); err != nil {
		t.Fatal(err)
	}
	r.emu.Disconnect("refresh_requested")
	if d := nextWait(t, r); d != 0 {
		t.Fatalf("waited %v before reconnecting after refresh_requested", d)
	}
	if _, err := r.emu.WaitCall(testCtx(t), "apps.connections.open", func(slackemu.Call) bool {
		return len(r.emu.Calls("apps.connections.open")) == 2
	}); err != nil {
		t.Fatal(err)
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
