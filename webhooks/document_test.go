package webhooks_test

import (
	"testing"
	"time"

	"github.com/incidentbot/incidentbot/commands"
	"github.com/incidentbot/incidentbot/incident"
	"github.com/incidentbot/incidentbot/webhooks"
)

// The body is contract (docs/webhooks.md): these are byte for byte what
// receivers parse.
func TestRenderIsTheDocumentedShape(t *testing.T) {
	at := time.Date(2026, 3, 1, 9, 30, 0, 0, time.UTC)
	snap := commands.Snapshot{Number: 42, UUID: "0b9f2c1e-6d7a-4e43-9a57-2f1b3c4d5e6f", Title: "Checkout errors", Severity: "SEV1",
		Status: incident.Identified, Service: "checkout", Commander: "UALICE001"}
	const inc42 = `"incident":{"id":"INC-42","number":42,"uuid":"0b9f2c1e-6d7a-4e43-9a57-2f1b3c4d5e6f","title":"Checkout errors","severity":"SEV1","status":"identified","service":"checkout","commander":"UALICE001","private":false,"drill":false,"channel_id":"C0INC42","url":"https://slack.com/app_redirect?channel=C0INC42"}`
	for _, tt := range []struct {
		typ  string
		ev   incident.Event
		want string
	}{
		{incident.TypeSeverityChanged, incident.Event{Seq: 4, At: at, Kind: incident.EventSeverityChanged, Actor: "UBOB00002", From: "SEV2", To: "SEV1"},
			`{"type":"incident.severity_changed","timestamp":"2026-03-01T09:30:00Z","data":{` + inc42 + `,"seq":4,"actor":"UBOB00002","from":"SEV2","to":"SEV1"}}`},
		{incident.TypeUpdated, incident.Event{Seq: 5, At: at, Kind: incident.EventUpdate, Actor: "UBOB00002", Text: "Rolled back", NextSteps: "Watch errors", NextUpdate: at.Add(30 * time.Minute)},
			`{"type":"incident.updated","timestamp":"2026-03-01T09:30:00Z","data":{` + inc42 + `,"seq":5,"actor":"UBOB00002","text":"Rolled back","next_steps":"Watch errors","next_update":"2026-03-01T10:00:00Z"}}`},
		{incident.TypeRoleAssigned, incident.Event{Seq: 6, At: at, Kind: incident.EventRoleHandoff, Actor: "UBOB00002", Role: "comms", From: "UBOB00002", To: "UCAROL003"},
			`{"type":"incident.role_assigned","timestamp":"2026-03-01T09:30:00Z","data":{` + inc42 + `,"seq":6,"actor":"UBOB00002","from":"UBOB00002","to":"UCAROL003","role":"comms"}}`},
		{incident.TypeActionItemCreated, incident.Event{Seq: 7, At: at, Kind: incident.EventAction, Actor: "UBOB00002", Text: "Add a canary", To: "UCAROL003"},
			`{"type":"action_item.created","timestamp":"2026-03-01T09:30:00Z","data":{` + inc42 + `,"seq":7,"actor":"UBOB00002","text":"Add a canary","owner":"UCAROL003"}}`},
	} {
		got, err := webhooks.Render(commands.WebhookPayload{Type: tt.typ, Incident: snap, Event: tt.ev}, "C0INC42")
		if err != nil {
			t.Fatal(err)
		}
		if string(got) != tt.want {
			t.Errorf("%s:\n got %s\nwant %s", tt.typ, got, tt.want)
		}
	}
	got, err := webhooks.Render(commands.WebhookPayload{Type: incident.TypeDeclared, Incident: commands.Snapshot{Number: 1, Title: "t", Severity: "SEV3", Status: incident.Investigating},
		Event: incident.Event{Seq: 1, At: at, Kind: incident.EventDeclared}}, "")
	if err != nil {
		t.Fatal(err)
	}
	want := `{"type":"incident.declared","timestamp":"2026-03-01T09:30:00Z","data":{"incident":{"id":"INC-1","number":1,"uuid":"","title":"t","severity":"SEV3","status":"investigating","service":null,"commander":null,"private":false,"drill":false,"channel_id":null,"url":null},"seq":1}}`
	if string(got) != want {
		t.Errorf("no channel yet:\n got %s\nwant %s", got, want)
	}
}
