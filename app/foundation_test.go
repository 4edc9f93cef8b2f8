package app_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/incidentbot/incidentbot/config"
	"github.com/incidentbot/incidentbot/internal/slackemu"
)

var subcommands = []string{"declare", "update", "role", "severity", "resolve", "note", "action", "postmortem", "list", "help"}

func TestHelpIsAnsweredEphemerallyOverSocketMode(t *testing.T) {
	t.Parallel()
	w := newWorld(t, nil, nil)
	for _, text := range []string{"help", "", "  HELP  "} {
		ack := w.slash(alice, w.announce, text)
		got := ackText(t, ack)
		for _, sub := range subcommands {
			if !strings.Contains(got, "/incident "+sub) {
				t.Fatalf("usage for %q does not mention /incident %s:\n%s", text, sub, got)
			}
		}
	}
	eph := w.emu.Ephemerals(alice)
	if len(eph) != 3 || !strings.Contains(eph[0].Text, "/incident declare") {
		t.Fatalf("ephemerals shown to alice = %+v", eph)
	}
}

func TestUnknownSubcommandGetsUsageHint(t *testing.T) {
	t.Parallel()
	w := newWorld(t, nil, nil)
	got := ackText(t, w.slashMarkup(alice, w.announce, "frobnicate <!channel>"))
	if !strings.Contains(got, "frobnicate") || !strings.Contains(got, "/incident help") {
		t.Fatalf("reply %q", got)
	}
	if strings.Contains(got, "<!channel>") {
		t.Fatalf("reply echoes a special mention unescaped: %q", got)
	}
}

func TestReconnectsOnRefreshRequested(t *testing.T) {
	t.Parallel()
	w := newWorld(t, nil, nil)
	w.emu.Disconnect("refresh_requested")
	if _, err := w.emu.WaitCall(w.ctx(), "apps.connections.open", func(c slackemu.Call) bool {
		return len(w.emu.Calls("apps.connections.open")) >= 2
	}); err != nil {
		t.Fatal("no reconnect after refresh_requested:", err)
	}
	if err := w.emu.WaitConnected(w.ctx()); err != nil {
		t.Fatal(err)
	}
	if got := ackText(t, w.slash(alice, w.announce, "help")); !strings.Contains(got, "/incident declare") {
		t.Fatalf("after reconnect: %q", got)
	}
}

func TestDeafSocketIsReplaced(t *testing.T) {
	t.Parallel()
	w := newWorld(t, nil, func(c *config.Config) {
		c.Slack.SilenceTimeout = 300 * time.Millisecond
	})
	// The socket goes half-open: no pings, no pongs, no envelopes. The bot
	// must notice and reconnect.
	w.emu.BlackHole()
	// The bot pings every Silence/3 of its clock and gives the socket up
	// once nothing came back for Silence. Its monitor sets its next tick
	// on its own goroutine, so step the clock until the replacement is
	// asked for (each step waits a moment of real time for it).
	for i := 0; len(w.emu.Calls("apps.connections.open")) < 2; i++ {
		if i == 30 {
			t.Fatal("a silent socket was never replaced")
		}
		w.clock.Advance(100 * time.Millisecond)
		ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
		_, _ = w.emu.WaitCall(ctx, "apps.connections.open", func(slackemu.Call) bool {
			return len(w.emu.Calls("apps.connections.open")) >= 2
		})
		cancel()
	}
}

func TestUndecodableEnvelopesAreStillAcked(t *testing.T) {
	t.Parallel()
	w := newWorld(t, nil, nil)
	tests := []slackemu.Envelope{
		{Type: "interactive", Payload: json.RawMessage(`{"type": 42, "view": "nope"}`)},
		{Type: "slash_commands", Payload: json.RawMessage(`["not", "an", "object"]`)},
		{Type: "something_new", Payload: json.RawMessage(`{}`)},
		{Type: "events_api", Payload: json.RawMessage(`{"type":"event_callback","event_id":"Ev1","event":{"type":"reaction_added"}}`), RetryAttempt: 1, RetryReason: "timeout"},
	}
	for _, env := range tests {
		if _, err := w.emu.Deliver(w.ctx(), env); err != nil {
			t.Fatalf("%s envelope not acked: %v", env.Type, err)
		}
	}
	// Still serving.
	if got := ackText(t, w.slash(alice, w.announce, "help")); !strings.Contains(got, "/incident declare") {
		t.Fatalf("after bad envelopes: %q", got)
	}
}

func TestOpsEndpoints(t *testing.T) {
	t.Parallel()
	w := newWorld(t, nil, func(c *config.Config) { c.HTTP.Listen = "127.0.0.1:0" })
	base := "http://" + w.app.OpsAddr()
	get := func(path string) (int, string) {
		t.Helper()
		resp, err := http.Get(base + path)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		body, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(body)
	}
	if code, _ := get("/healthz"); code != 200 {
		t.Fatalf("/healthz %d", code)
	}
	if code, body := get("/readyz"); code != 200 {
		t.Fatalf("/readyz %d %s while connected", code, body)
	}
	w.slash(alice, w.announce, "help")
	code, metrics := get("/metrics")
	for _, want := range []string{
		`incidentbot_envelopes_total{type="slash_commands"}`,
		"incidentbot_ack_latency_seconds_bucket",
		`incidentbot_slack_api_calls_total{method="apps.connections.open"}`,
		"incidentbot_outbox_depth",
		"incidentbot_socket_connected 1",
	} {
		if code != 200 || !strings.Contains(metrics, want) {
			t.Fatalf("/metrics (%d) lacks %s", code, want)
		}
	}
	if strings.Contains(metrics, w.emu.BotToken()) || strings.Contains(metrics, w.emu.AppToken()) {
		t.Fatal("a token appears in /metrics")
	}
	// Slack switches Socket Mode off: not ready, and /readyz says why.
	w.emu.Disconnect("link_disabled")
	deadline := time.Now().Add(10 * time.Second)
	for {
		code, body := get("/readyz")
		if code == 503 && strings.Contains(body, "link_disabled") {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("/readyz still %d %q after link_disabled", code, body)
		}
		runtime.Gosched()
	}
}
