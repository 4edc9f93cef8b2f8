package slackemu

import (
	"encoding/json"
	"testing"
)

// Deliveries hands back each envelope as sent, so a test can redeliver it.
func TestDeliveriesRecordsEnvelopesForRedelivery(t *testing.T) {
	emu := Start(t)
	runBot(t, emu, ackAll)
	ctx := testCtx(t)
	u := emu.AddUser(User{Name: "ana"})
	first, err := emu.SlashCommand(ctx, SlashCommand{UserID: u, Text: "help"})
	if err != nil {
		t.Fatal(err)
	}
	got := emu.Deliveries()
	if len(got) != 1 || got[0].ID != first.EnvelopeID || got[0].Type != "slash_commands" || !got[0].AcceptsResponsePayload {
		t.Fatalf("deliveries %+v", got)
	}
	var p struct {
		Text string `json:"text"`
	}
	if err := json.Unmarshal(got[0].Payload, &p); err != nil || p.Text != "help" {
		t.Fatalf("payload %s: %v", got[0].Payload, err)
	}
	again := got[0]
	again.RetryAttempt, again.RetryReason = 1, "timeout"
	if _, err := emu.Deliver(ctx, again); err != nil {
		t.Fatal(err)
	}
	got = emu.Deliveries()
	if len(got) != 2 || got[1].ID != first.EnvelopeID || got[1].RetryAttempt != 1 || string(got[1].Payload) != string(got[0].Payload) {
		t.Fatalf("redelivery recorded as %+v", got)
	}
	// The copy is the caller's: changing it changes nothing recorded.
	got[0].Payload[0] = 'x'
	if emu.Deliveries()[0].Payload[0] == 'x' {
		t.Fatal("Deliveries shares its payload bytes")
	}
}
