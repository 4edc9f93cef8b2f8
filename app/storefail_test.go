//go:build linux

package app_test

import (
	"context"
	"errors"
	"io"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/incidentbot/incidentbot/app"
	"github.com/incidentbot/incidentbot/config"
	"github.com/incidentbot/incidentbot/incident"
	"github.com/incidentbot/incidentbot/internal/clock"
	"github.com/incidentbot/incidentbot/internal/diskfault"
	"github.com/incidentbot/incidentbot/internal/slackemu"
	"github.com/incidentbot/incidentbot/store"
	"github.com/incidentbot/incidentbot/templates"
)

// The disk fills up under the running bot: the command whose commit fails
// is answered "Not saved", /readyz says why with a 503, one error line is
// logged, and the bot stops with the store's error (so `run` exits non-zero
// and the supervisor restarts it) instead of retrying the commit.
func TestDiskFullStopsTheBotTruthfully(t *testing.T) {
	t.Parallel()
	clk := clock.NewFake(worldStart)
	emu := slackemu.Start(t, func(o *slackemu.Options) { o.Now = clk.Now })
	emu.AddUser(slackemu.User{ID: alice, Name: "alice", RealName: "Alice Aalto"})
	announce := emu.CreateChannel("announcements", false, emu.BotUserID(), alice)
	cfg := config.Default()
	cfg.Slack.BotToken, cfg.Slack.AppToken, cfg.Slack.APIURL = config.Secret(emu.BotToken()), config.Secret(emu.AppToken()), emu.APIURL()
	cfg.Store.Path = filepath.Join(t.TempDir(), "incidentbot.db")
	cfg.HTTP.Listen = "127.0.0.1:0"
	cfg.Incidents.AnnounceChannel = announce
	if err := cfg.Validate(); err != nil {
		t.Fatal(err)
	}
	tmpl, err := templates.Load(cfg.Templates.Dir)
	if err != nil {
		t.Fatal(err)
	}
	logs := &syncBuffer{}
	disk := &diskfault.Disk{}
	t.Cleanup(disk.Close)
	a, err := app.Open(cfg, tmpl, zerolog.New(logs).Level(zerolog.DebugLevel), app.WithClock(clk), app.WithStoreFile(disk.OpenFile))
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	done := make(chan error, 1)
	go func() { done <- a.Run(ctx) }()
	if err := a.Bot().WaitConnected(ctx); err != nil {
		t.Fatal(err)
	}
	slash := func(text string) string {
		t.Helper()
		ack, err := emu.SlashCommand(ctx, slackemu.SlashCommand{UserID: alice, ChannelID: announce, Command: "/incident", Text: text})
		if err != nil {
			t.Fatalf("/incident %s: %v", text, err)
		}
		return ackText(t, ack)
	}

	if got := slash("declare SEV1 checkout is down"); !strings.Contains(got, "Declared *INC-1*") {
		t.Fatalf("declare before the disk filled: %q", got)
	}
	if err := a.Bot().WaitIdle(ctx); err != nil {
		t.Fatal(err)
	}

	// One outbox job is in flight (a 📌 capture whose read of the message
	// Slack holds) when the disk fills: the bot's shutdown waits for it, so
	// /readyz can be asked after the failure and before the listener
	// closes. Every other job is completed by then, so the next command's
	// commit is the first write to fail (a completion failing first would
	// stop the bot before that command is answered).
	ch, ok := emu.ChannelByName("inc-1-checkout-is-down")
	if !ok {
		t.Fatal("no incident channel")
	}
	ts, err := emu.PostUserMessage(ch.ID, alice, "the card processor answers 503")
	if err != nil {
		t.Fatal(err)
	}
	held, release := make(chan struct{}), make(chan struct{})
	emu.Fail("conversations.history", slackemu.Fault{Times: 1, OnCall: func() { close(held); <-release }})
	if _, err := emu.React(ctx, alice, ch.ID, ts, "pushpin"); err != nil {
		t.Fatal(err)
	}
	select {
	case <-held:
	case <-ctx.Done():
		t.Fatal("the capture's read of the message never came")
	}
	if err := disk.Fail(); err != nil {
		t.Fatal(err)
	}
	if got := slash("declare SEV2 payments are slow"); got != incident.ErrNotSaved.Message {
		t.Fatalf("declare on a full disk answered %q, want %q", got, incident.ErrNotSaved.Message)
	}
	resp, err := http.Get("http://" + a.OpsAddr() + "/readyz")
	close(release)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusServiceUnavailable || strings.Count(strings.TrimSpace(string(body)), "\n") != 0 || !strings.Contains(string(body), "cannot write") {
		t.Fatalf("/readyz after the failure: %d %q", resp.StatusCode, body)
	}

	select {
	case err := <-done:
		var werr *store.WriteError
		if !errors.As(err, &werr) {
			t.Fatalf("Run returned %v, want the store's write error", err)
		}
	case <-ctx.Done():
		t.Fatal("the bot kept running after its store failed")
	}
	var failures int
	for _, line := range strings.Split(logs.String(), "\n") {
		if strings.Contains(line, `"level":"error"`) && strings.Contains(line, "store cannot write") {
			failures++
		}
	}
	if failures != 1 {
		t.Fatalf("%d error lines about the store, want 1:\n%s", failures, logs)
	}
	for _, tok := range []string{emu.BotToken(), emu.AppToken()} {
		if strings.Contains(logs.String(), tok) {
			t.Fatal("a token appeared in the logs")
		}
	}
}
