package bot

import (
	"context"
	"encoding/json"
	"testing"

	"github.com/rs/zerolog"
	"github.com/slack-go/slack"
	"github.com/slack-go/slack/socketmode"

	"github.com/incidentbot/incidentbot/internal/clock"
	"github.com/incidentbot/incidentbot/internal/slackemu"
)

// The outbox gives way to envelopes being handled (acking, given to the
// worker as its Foreground): an envelope counts from its arrival until its
// handler has returned, also when the handler panics.
func TestHandlersInProgressAreTheOutboxsForeground(t *testing.T) {
	for _, tt := range []struct {
		name  string
		panic bool
	}{{"handler returns", false}, {"handler panics", true}} {
		t.Run(tt.name, func(t *testing.T) {
			started, release := make(chan struct{}), make(chan struct{})
			emu := slackemu.Start(t)
			acks := &acking{}
			sock := &Socket{
				API: slack.New(emu.BotToken(), slack.OptionAppLevelToken(emu.AppToken()), slack.OptionAPIURL(emu.APIURL())),
				Handler: handlerFunc(func(ctx context.Context, req socketmode.Request) (any, func(context.Context)) {
					close(started)
					<-release
					if tt.panic {
						panic("boom")
					}
					return nil, nil
				}),
				Log: zerolog.Nop(), Clock: clock.NewFake(socketEpoch), Acking: acks,
			}
			ctx, cancel := context.WithCancel(context.Background())
			done := make(chan error, 1)
			go func() { done <- sock.Run(ctx) }()
			t.Cleanup(func() { cancel(); <-done })
			if err := sock.WaitConnected(testCtx(t)); err != nil {
				t.Fatal(err)
			}
			if acks.Busy() != nil {
				t.Fatal("busy before any envelope")
			}
			acked := make(chan error, 1)
			go func() {
				_, err := emu.Deliver(testCtx(t), slackemu.Envelope{Type: "slash_commands", Payload: json.RawMessage(`{"command":"/incident"}`)})
				acked <- err
			}()
			<-started
			idle := acks.Busy()
			if idle == nil {
				t.Fatal("not busy while the handler runs")
			}
			select {
			case <-idle:
				t.Fatal("idle while the handler runs")
			default:
			}
			close(release)
			if err := <-acked; err != nil {
				t.Fatal(err)
			}
			<-idle
			if acks.Busy() != nil {
				t.Fatal("still busy after the ack")
			}
		})
	}
}
