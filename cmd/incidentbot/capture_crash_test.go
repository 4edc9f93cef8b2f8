package main

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/incidentbot/incidentbot/incident"
	"github.com/incidentbot/incidentbot/internal/slackemu"
	"github.com/incidentbot/incidentbot/store"
	"github.com/incidentbot/incidentbot/store/boltstore"
)

// A 📌 acked by a process that is then killed -9 before it read the
// message still reaches the timeline, once, after a restart; and the
// envelope delivered again (as Slack does when it missed the ack) adds
// nothing.
func TestCaptureSurvivesAKillRightAfterItsAck(t *testing.T) {
	emu := slackemu.Start(t, func(o *slackemu.Options) { o.Logf = func(string, ...any) {} })
	user := emu.AddUser(slackemu.User{Name: "ana"})
	announce := emu.CreateChannel("announcements", false, emu.BotUserID(), user)
	storePath := filepath.Join(t.TempDir(), "incidentbot.db")
	cfgPath := filepath.Join(t.TempDir(), "config.yaml")
	if err := os.WriteFile(cfgPath, []byte(crashConfig), 0o600); err != nil {
		t.Fatal(err)
	}
	env := botEnv(emu, storePath, announce, t.TempDir())
	logs := &lockedBuffer{}
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()

	// An incident, its channel, and a message in it.
	a, stop := startInProcess(t, cfgPath, env, logs)
	if ack, err := emu.SlashCommand(ctx, slackemu.SlashCommand{UserID: user, ChannelID: announce, Text: "declare SEV2 checkout down"}); err != nil || !strings.Contains(string(ack.Payload), "INC-1") {
		t.Fatalf("declare: %s %v", ack.Payload, err)
	}
	if err := a.Bot().WaitIdle(ctx); err != nil {
		t.Fatal(err)
	}
	stop()
	var channel string
	for _, c := range emu.Channels() {
		if strings.HasPrefix(c.Name, "inc-1-") {
			channel = c.ID
		}
	}
	ts, err := emu.PostUserMessage(channel, user, "rolled back deploy 4411")
	if err != nil {
		t.Fatal(err)
	}

	// The built binary acks the 📌 and is killed as it starts reading the
	// message: the ack went out, the work after it did not happen.
	bot := startBot(t, emu, storePath, announce, logs, "--config", cfgPath)
	if err := waitConnections(ctx, emu); err != nil {
		t.Fatal(err)
	}
	reading, killed := make(chan struct{}), make(chan struct{})
	emu.Fail("conversations.history", slackemu.Fault{Times: 1, OnCall: func() {
		close(reading)
		<-killed
	}})
	first := len(emu.Deliveries())
	if _, err := emu.React(ctx, user, channel, ts, "pushpin"); err != nil {
		t.Fatal("the 📌 was not acked:", err)
	}
	select {
	case <-reading:
	case <-ctx.Done():
		t.Fatal("the bot never read the pinned message")
	}
	bot.kill(t)
	close(killed)
	if err := waitDisconnected(ctx, emu); err != nil {
		t.Fatal(err)
	}
	if n := len(emu.Calls("reactions.add")); n != 0 {
		t.Fatalf("%d reactions.add before the restart", n)
	}

	// Restarted, and handed the same envelope again.
	a, stop = startInProcess(t, cfgPath, env, logs)
	again := emu.Deliveries()[first]
	again.ID, again.RetryAttempt, again.RetryReason = "", 1, "timeout"
	if _, err := emu.Deliver(ctx, again); err != nil {
		t.Fatal(err)
	}
	if err := a.Bot().WaitIdle(ctx); err != nil {
		t.Fatal(err)
	}
	stop()

	st, err := boltstore.Open(storePath, boltstore.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	var pins []incident.Event
	err = st.View(func(tx store.Tx) error {
		evs, err := tx.Events(1)
		for _, e := range evs {
			if e.Kind == incident.EventMessagePinned {
				pins = append(pins, e)
			}
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(pins) != 1 || pins[0].Text != "rolled back deploy 4411" || pins[0].Actor != user || pins[0].Link == "" {
		t.Fatalf("captured %+v, want the message once\n%s", pins, tail(logs.String()))
	}
	marks := 0
	for _, c := range emu.Calls("reactions.add") {
		if c.OK && c.Args["timestamp"] == ts {
			marks++
		}
	}
	if marks != 1 {
		t.Fatalf("the message was marked %d times, want once", marks)
	}
}
