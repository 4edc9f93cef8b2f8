package bot

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"github.com/rs/zerolog"
	"github.com/slack-go/slack"

	"github.com/incidentbot/incidentbot/commands"
	"github.com/incidentbot/incidentbot/incident"
	"github.com/incidentbot/incidentbot/internal/clock"
	"github.com/incidentbot/incidentbot/internal/slackemu"
	"github.com/incidentbot/incidentbot/store/boltstore"
	"github.com/incidentbot/incidentbot/templates"
)

// runEmuBot runs the whole Bot, on a bbolt store and the clock clk,
// against emu, until the test ends.
func runEmuBot(t *testing.T, emu *slackemu.Server, clk *clock.Fake) *Bot {
	t.Helper()
	st, err := boltstore.Open(filepath.Join(t.TempDir(), "bot.db"), boltstore.Options{NoSync: true, MaxBatchDelay: time.Millisecond, Now: clk.Now})
	if err != nil {
		t.Fatal(err)
	}
	tmpl, err := templates.Load("")
	if err != nil {
		t.Fatal(err)
	}
	api := slack.New(emu.BotToken(), slack.OptionAppLevelToken(emu.AppToken()), slack.OptionAPIURL(emu.APIURL()))
	settings := incident.DefaultSettings()
	svc := &commands.Service{Store: st, Settings: settings, ChannelPrefix: "inc", Command: "/incident", Clock: clk}
	b := New(Options{API: api, Store: st, Templates: tmpl, Commands: svc, Settings: settings,
		Command: "/incident", Log: zerolog.Nop(), Clock: clk})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- b.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Error(err)
		}
		_ = st.Close()
	})
	if err := b.WaitConnected(testCtx(t)); err != nil {
		t.Fatal(err)
	}
	clk.WaitForTimers(1, testCtx(t).Done()) // the socket's first ping
	return b
}

// The bot's socket goes half-open while Slack sends it an event. Slack's
// pings and the bot's go unanswered; 30 s later on the bot's clock it
// opens a new socket, Slack redelivers the event there, and the bot acts
// on it once.
func TestBlackHoledSocketLosesNoEvent(t *testing.T) {
	emu := slackemu.Start(t)
	dana := emu.AddUser(slackemu.User{RealName: "Dana Diaz"})
	clk := clock.NewFake(socketEpoch)
	b := runEmuBot(t, emu, clk)

	feed, stop := emu.Subscribe()
	defer stop()
	emu.BlackHole()
	acked := make(chan slackemu.Ack, 1)
	go func() {
		ack, err := emu.Event(testCtx(t), map[string]any{"type": "app_home_opened", "user": dana, "channel": "D0DANA001", "tab": "home"})
		if err != nil {
			t.Error("the event was never acked:", err)
		}
		acked <- ack
	}()
	for c := range feed {
		if c.Kind == slackemu.ChangeDelivery {
			break // written into the black hole
		}
	}
	clk.Advance(30 * time.Second)

	ack := <-acked
	if ack.RetryAttempt != 1 {
		t.Fatalf("acked attempt %d, want the first redelivery", ack.RetryAttempt)
	}
	if err := b.WaitIdle(testCtx(t)); err != nil {
		t.Fatal(err)
	}
	published := 0
	for _, c := range emu.Calls("views.publish") {
		if c.OK && c.Args["user_id"] == dana {
			published++
		}
	}
	if published != 1 {
		t.Fatalf("Dana's Home tab was published %d times, want once", published)
	}
	log := emu.ConnectionLog()
	if h := at(log, 2, "hello"); h < 0 || (at(log, 1, "closed") >= 0 && at(log, 1, "closed") < h) {
		t.Fatalf("connection log %+v", log)
	}
	for _, p := range emu.Problems() {
		if p.Kind != "timeout" || p.Type != "events_api" {
			t.Errorf("problem %+v", p)
		}
	}
}
