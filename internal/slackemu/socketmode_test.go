package slackemu

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/websocket"
	"github.com/slack-go/slack"
	"github.com/slack-go/slack/slackevents"
	"github.com/slack-go/slack/socketmode"
)

func TestSlackGoSlashCommandRoundTrip(t *testing.T) {
	emu := Start(t)
	ctx := testCtx(t)
	alice := emu.AddUser(User{RealName: "Alice"})
	ch := emu.CreateChannel("general", false, alice, emu.BotUserID())

	hello := make(chan struct{}, 1)
	got := make(chan slack.SlashCommand, 1)
	runBot(t, emu, func(client *socketmode.Client, evt socketmode.Event) {
		switch evt.Type {
		case socketmode.EventTypeHello:
			hello <- struct{}{}
		case socketmode.EventTypeSlashCommand:
			cmd := evt.Data.(slack.SlashCommand)
			got <- cmd
			_ = client.Ack(*evt.Request, map[string]any{"text": "usage: " + cmd.Text})
		}
	})
	mustNoErr(t, emu.WaitConnected(ctx))
	<-hello

	ack, err := emu.SlashCommand(ctx, SlashCommand{UserID: alice, ChannelID: ch, Text: "help"})
	mustNoErr(t, err)
	cmd := <-got
	if cmd.Command != "/incident" || cmd.ChannelName != "general" || cmd.UserName != "alice" ||
		cmd.TeamID != emu.TeamID() || cmd.APIAppID != emu.AppID() || cmd.TriggerID == "" ||
		!strings.HasPrefix(cmd.ResponseURL, emu.URL()) {
		t.Fatalf("slash command payload not filled like Slack's: %+v", cmd)
	}
	var payload struct{ Text string }
	mustNoErr(t, json.Unmarshal(ack.Payload, &payload))
	if payload.Text != "usage: help" || ack.EnvelopeID == "" {
		t.Fatalf("ack = %+v", ack)
	}
	eph := emu.Ephemerals(alice)
	if len(eph) != 1 || eph[0].Text != "usage: help" || eph[0].Channel != ch || !eph[0].Ephemeral {
		t.Fatalf("ephemerals = %+v", eph)
	}
	if n := len(emu.Messages(ch)); n != 0 {
		t.Fatalf("an ephemeral reply posted %d channel messages", n)
	}
}

func TestSlackGoInChannelAckPostsCommandAndReply(t *testing.T) {
	emu := Start(t)
	ctx := testCtx(t)
	alice := emu.AddUser(User{RealName: "Alice"})
	ch := emu.CreateChannel("ops", false, alice)
	runBot(t, emu, func(client *socketmode.Client, evt socketmode.Event) {
		if evt.Type == socketmode.EventTypeSlashCommand {
			_ = client.Ack(*evt.Request, map[string]any{"response_type": "in_channel", "text": "declared"})
		}
	})
	_, err := emu.SlashCommand(ctx, SlashCommand{UserID: alice, ChannelID: ch, Text: "declare db down"})
	mustNoErr(t, err)
	msgs := emu.Messages(ch)
	if len(msgs) != 2 || msgs[0].User != alice || msgs[0].Text != "/incident declare db down" ||
		msgs[1].User != emu.BotUserID() || msgs[1].Text != "declared" {
		t.Fatalf("messages = %+v", msgs)
	}
}

func TestSlackGoReconnectsAfterDisconnect(t *testing.T) {
	emu := Start(t)
	ctx := testCtx(t)
	alice := emu.AddUser(User{RealName: "Alice"})
	runBot(t, emu, ackAll)
	mustNoErr(t, emu.WaitConnected(ctx))

	emu.Disconnect("refresh_requested")
	opens := 0
	_, err := emu.WaitCall(ctx, "apps.connections.open", func(Call) bool { opens++; return opens == 2 })
	mustNoErr(t, err)
	// The next delivery waits for the new socket's hello and goes through it.
	_, err = emu.SlashCommand(ctx, SlashCommand{UserID: alice, Text: "help"})
	mustNoErr(t, err)
	if n := emu.Connections(); n != 1 {
		t.Fatalf("Connections() = %d after reconnect, want 1", n)
	}
}

func TestSlackGoReconnectsAfterDroppedConnection(t *testing.T) {
	emu := Start(t)
	ctx := testCtx(t)
	alice := emu.AddUser(User{RealName: "Alice"})
	runBot(t, emu, ackAll)
	mustNoErr(t, emu.WaitConnected(ctx))
	emu.DropConnections()
	_, err := emu.SlashCommand(ctx, SlashCommand{UserID: alice, Text: "help"})
	mustNoErr(t, err)
	if n := len(emu.Calls("apps.connections.open")); n < 2 {
		t.Fatalf("apps.connections.open called %d times, want a reconnect", n)
	}
}

func TestEventRedeliveryThroughSlackGo(t *testing.T) {
	// The first attempt must time out; the second must be acked in time even on a
	// loaded machine, hence a generous deadline.
	emu := Start(t, func(o *Options) { o.AckTimeout = 2 * time.Second })
	ctx := testCtx(t)
	type attempt struct {
		n      int
		reason string
		id     string
	}
	seen := make(chan attempt, 4)
	runBot(t, emu, func(client *socketmode.Client, evt socketmode.Event) {
		if evt.Type != socketmode.EventTypeEventsAPI {
			return
		}
		ev := evt.Data.(slackevents.EventsAPIEvent)
		cb := ev.Data.(*slackevents.EventsAPICallbackEvent)
		seen <- attempt{evt.Request.RetryAttempt, evt.Request.RetryReason, cb.EventID}
		if evt.Request.RetryAttempt == 1 { // the bot "was busy" for the first attempt
			_ = client.Ack(*evt.Request)
		}
	})
	ack, err := emu.Event(ctx, map[string]any{"type": "app_home_opened", "user": "U1", "channel": "D1", "tab": "home"})
	mustNoErr(t, err)
	if ack.RetryAttempt != 1 {
		t.Fatalf("acked attempt = %d, want 1", ack.RetryAttempt)
	}
	first, second := <-seen, <-seen
	if first.n != 0 || first.reason != "" || second.n != 1 || second.reason != "timeout" || first.id != second.id || first.id == "" {
		t.Fatalf("attempts = %+v, %+v", first, second)
	}
	if len(emu.Timeouts()) != 0 {
		t.Fatalf("event timeouts must not count as user-visible: %v", emu.Timeouts())
	}
}

func TestUnackedSlashCommandIsATimeout(t *testing.T) {
	emu := Start(t, func(o *Options) { o.AckTimeout = 100 * time.Millisecond })
	ctx := testCtx(t)
	alice := emu.AddUser(User{RealName: "Alice"})
	runBot(t, emu, func(*socketmode.Client, socketmode.Event) {}) // never acks
	_, err := emu.SlashCommand(ctx, SlashCommand{UserID: alice, Text: "help"})
	if !errors.Is(err, ErrNoAck) {
		t.Fatalf("err = %v, want ErrNoAck", err)
	}
	if n := len(emu.Timeouts()); n != 1 {
		t.Fatalf("Timeouts() = %d entries, want 1", n)
	}
	if n := len(emu.Calls("")); n == 0 {
		t.Fatal("no calls recorded")
	}
}

// rawSocket connects a bare WebSocket client, as slack-go would, and reads hello.
func rawSocket(t *testing.T, emu *Server) *websocket.Conn {
	t.Helper()
	_, url, err := apiClient(emu).StartSocketModeContext(testCtx(t))
	mustNoErr(t, err)
	ws, _, err := websocket.DefaultDialer.Dial(url, nil)
	mustNoErr(t, err)
	t.Cleanup(func() { _ = ws.Close() })
	var hello map[string]any
	mustNoErr(t, ws.ReadJSON(&hello))
	if hello["type"] != "hello" {
		t.Fatalf("first frame = %v, want hello", hello)
	}
	return ws
}

func TestOversizedAckIsDroppedAndTimesOut(t *testing.T) {
	emu := Start(t, func(o *Options) { o.AckTimeout = 200 * time.Millisecond })
	ctx := testCtx(t)
	alice := emu.AddUser(User{RealName: "Alice"})
	ws := rawSocket(t, emu)
	done := make(chan error, 1)
	go func() {
		_, err := emu.SlashCommand(ctx, SlashCommand{UserID: alice, Text: "help"})
		done <- err
	}()
	var env struct {
		EnvelopeID string `json:"envelope_id"`
	}
	mustNoErr(t, ws.ReadJSON(&env))
	big, _ := json.Marshal(map[string]any{"envelope_id": env.EnvelopeID, "payload": map[string]any{"text": strings.Repeat("x", 20480)}})
	mustNoErr(t, ws.WriteMessage(websocket.TextMessage, big))
	if err := <-done; !errors.Is(err, ErrNoAck) {
		t.Fatalf("err = %v, want ErrNoAck", err)
	}
	kinds := map[string]bool{}
	for _, p := range emu.Problems() {
		kinds[p.Kind] = true
	}
	if !kinds["oversized_ack"] || !kinds["timeout"] {
		t.Fatalf("problems = %+v", emu.Problems())
	}
}

func TestEleventhSocketGetsTooManyWebsockets(t *testing.T) {
	emu := Start(t)
	for range maxConnections {
		rawSocket(t, emu)
	}
	_, url, err := apiClient(emu).StartSocketModeContext(testCtx(t))
	mustNoErr(t, err)
	ws, _, err := websocket.DefaultDialer.Dial(url, nil)
	mustNoErr(t, err)
	defer ws.Close()
	var frame map[string]any
	mustNoErr(t, ws.ReadJSON(&frame))
	if frame["type"] != "disconnect" || frame["reason"] != "too_many_websockets" {
		t.Fatalf("frame = %v", frame)
	}
	if n := emu.Connections(); n != maxConnections {
		t.Fatalf("Connections() = %d", n)
	}
}

func TestTicketIsSingleUseAndPingsAreSent(t *testing.T) {
	emu := Start(t, func(o *Options) { o.PingInterval = 10 * time.Millisecond })
	_, url, err := apiClient(emu).StartSocketModeContext(testCtx(t))
	mustNoErr(t, err)
	ws, _, err := websocket.DefaultDialer.Dial(url, nil)
	mustNoErr(t, err)
	defer ws.Close()
	if _, _, err := websocket.DefaultDialer.Dial(url, nil); err == nil {
		t.Fatal("a ticket was accepted twice")
	}
	pinged := make(chan struct{}, 1)
	ws.SetPingHandler(func(string) error {
		select {
		case pinged <- struct{}{}:
		default:
		}
		return nil
	})
	go func() {
		for {
			if _, _, err := ws.ReadMessage(); err != nil {
				return
			}
		}
	}()
	select {
	case <-pinged:
	case <-testCtx(t).Done():
		t.Fatal("no server PING")
	}
}

func TestDeliverRawEnvelopes(t *testing.T) {
	emu := Start(t)
	ctx := testCtx(t)
	eventIDs := make(chan string, 2)
	badFrames := make(chan struct{}, 1)
	runBot(t, emu, func(client *socketmode.Client, evt socketmode.Event) {
		switch evt.Type {
		case socketmode.EventTypeEventsAPI:
			eventIDs <- evt.Data.(slackevents.EventsAPIEvent).Data.(*slackevents.EventsAPICallbackEvent).EventID
			_ = client.Ack(*evt.Request)
		case socketmode.EventTypeErrorBadMessage:
			// slack-go does not ack what it cannot decode; a bot must, by envelope_id.
			var env struct {
				EnvelopeID string `json:"envelope_id"`
			}
			_ = json.Unmarshal(evt.Data.(*socketmode.ErrorBadMessage).Message, &env)
			_ = client.AckCtx(ctx, env.EnvelopeID, nil)
			badFrames <- struct{}{}
		}
	})
	env := emu.EventEnvelope(map[string]any{"type": "member_joined_channel", "user": "U1", "channel": "C1"})
	first, err := emu.Deliver(ctx, env)
	mustNoErr(t, err)
	env.ID = ""
	second, err := emu.Deliver(ctx, env) // the same event again, as after a lost ack
	mustNoErr(t, err)
	firstEvent, secondEvent := <-eventIDs, <-eventIDs
	if first.EnvelopeID == second.EnvelopeID || firstEvent != secondEvent {
		t.Fatal("a redelivered event must keep its event_id under a new envelope_id")
	}
	_, err = emu.Deliver(ctx, Envelope{Type: "telepathy", Payload: json.RawMessage(`{}`)})
	mustNoErr(t, err)
	<-badFrames
}

func TestSlashResponseURLExpires(t *testing.T) {
	clock := NewClock(time.Unix(1_700_000_000, 0))
	emu := Start(t, func(o *Options) { o.Now = clock.Now })
	ctx := testCtx(t)
	alice := emu.AddUser(User{RealName: "Alice"})
	urls := make(chan string, 1)
	runBot(t, emu, func(client *socketmode.Client, evt socketmode.Event) {
		if evt.Type == socketmode.EventTypeSlashCommand {
			_ = client.Ack(*evt.Request)
			urls <- evt.Data.(slack.SlashCommand).ResponseURL
		}
	})
	_, err := emu.SlashCommand(ctx, SlashCommand{UserID: alice, Text: "list"})
	mustNoErr(t, err)
	if got := emu.Ephemerals(alice); len(got) != 0 {
		t.Fatalf("an empty ack showed %+v", got)
	}
	url := <-urls
	api := apiClient(emu)
	_, _, err = api.PostMessage("", slack.MsgOptionResponseURL(url, slack.ResponseTypeInChannel), slack.MsgOptionText("No open incidents", false))
	mustNoErr(t, err)
	if msgs := emu.Messages(alice); len(msgs) != 1 || msgs[0].Text != "No open incidents" {
		t.Fatalf("DM messages = %+v", msgs)
	}
	clock.Advance(31 * time.Minute)
	_, _, err = api.PostMessage("", slack.MsgOptionResponseURL(url, slack.ResponseTypeEphemeral), slack.MsgOptionText("late", false))
	if err == nil {
		t.Fatal("a response_url worked after 30 minutes")
	}
	if calls := emu.Calls("response_url"); calls[len(calls)-1].Error != "expired_url" {
		t.Fatalf("last response_url call = %+v", calls[len(calls)-1])
	}
}
