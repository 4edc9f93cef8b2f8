package slackemu

import (
	"testing"
	"time"

	"github.com/gorilla/websocket"
)

// A black-holed socket swallows the envelope sent to it and the ack sent
// on it; Slack redelivers on the next healthy socket, and the connection
// log tells the story.
func TestBlackHoleLosesBothWaysAndRedeliversElsewhere(t *testing.T) {
	emu := Start(t, func(o *Options) { o.AckTimeout = 300 * time.Millisecond })
	ctx := testCtx(t)
	first := rawSocket(t, emu)
	if ids := emu.BlackHole(); len(ids) != 1 || ids[0] != 1 {
		t.Fatalf("BlackHole() = %v", ids)
	}
	changes, stop := emu.Subscribe()
	defer stop()
	type result struct {
		ack Ack
		err error
	}
	done := make(chan result, 1)
	go func() {
		ack, err := emu.Event(ctx, map[string]any{"type": "app_mention", "text": "hi"})
		done <- result{ack, err}
	}()
	for c := range changes {
		if c.Kind == ChangeDelivery {
			break
		}
	}
	lost := emu.Deliveries()[0]
	// The client acks the first attempt (it cannot have seen it): dropped.
	mustNoErr(t, first.WriteJSON(map[string]any{"envelope_id": lost.ID}))

	second := rawSocket(t, emu)
	_ = second.SetReadDeadline(time.Now().Add(10 * time.Second)) // fail, not hang
	var env struct {
		EnvelopeID   string `json:"envelope_id"`
		RetryAttempt int    `json:"retry_attempt"`
		RetryReason  string `json:"retry_reason"`
	}
	mustNoErr(t, second.ReadJSON(&env))
	if env.RetryAttempt != 1 || env.RetryReason != "timeout" || env.EnvelopeID == lost.ID {
		t.Fatalf("redelivery = %+v", env)
	}
	mustNoErr(t, second.WriteJSON(map[string]any{"envelope_id": env.EnvelopeID}))
	r := <-done
	if r.err != nil || r.ack.RetryAttempt != 1 {
		t.Fatalf("Event = %+v, %v", r.ack, r.err)
	}
	for _, p := range emu.Problems() {
		if p.Kind != "timeout" || p.EnvelopeID != lost.ID {
			t.Errorf("problem %+v: the dropped ack must not count", p)
		}
	}

	mustNoErr(t, first.WriteControl(websocket.CloseMessage, websocket.FormatCloseMessage(websocket.CloseNormalClosure, ""), time.Now().Add(time.Second)))
	_ = first.Close()
	for emu.Connections() != 1 {
		select {
		case <-changes:
		case <-ctx.Done():
			t.Fatal("the closed socket was never dropped")
		}
	}
	var got []string
	for _, e := range emu.ConnectionLog() {
		got = append(got, e.Kind+" "+string(rune('0'+e.Conn)))
	}
	want := []string{"hello 1", "black_hole 1", "hello 2", "closed 1"}
	if len(got) != len(want) {
		t.Fatalf("connection log %v, want %v", got, want)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("connection log %v, want %v", got, want)
		}
	}
}
