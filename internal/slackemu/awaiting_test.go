package slackemu

import (
	"testing"

	"github.com/slack-go/slack/socketmode"
)

// An envelope awaits its ack from delivery until the bot acks it.
func TestAwaitingAckCountsEnvelopesUntilTheirAck(t *testing.T) {
	emu := Start(t)
	user := emu.AddUser(User{Name: "ana"})
	release := make(chan struct{})
	during := make(chan int, 1)
	runBot(t, emu, func(c *socketmode.Client, ev socketmode.Event) {
		if ev.Request != nil && ev.Request.EnvelopeID != "" {
			during <- emu.AwaitingAck()
			<-release
			_ = c.Ack(*ev.Request)
		}
	})
	if n := emu.AwaitingAck(); n != 0 {
		t.Fatalf("%d awaiting before any delivery", n)
	}
	done := make(chan error, 1)
	go func() {
		_, err := emu.SlashCommand(testCtx(t), SlashCommand{UserID: user, Text: "help"})
		done <- err
	}()
	if n := <-during; n != 1 {
		t.Fatalf("%d awaiting while the bot handles the envelope, want 1", n)
	}
	close(release)
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if n := emu.AwaitingAck(); n != 0 {
		t.Fatalf("%d awaiting after the ack", n)
	}
}
