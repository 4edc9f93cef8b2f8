package app_test

import (
	"encoding/json"
	"slices"
	"strings"
	"testing"

	"github.com/incidentbot/incidentbot/internal/slackemu"
	"github.com/incidentbot/incidentbot/store"
)

// dupAck is a slash command's ephemeral reply with its buttons.
type dupAck struct {
	Text    string
	Buttons []string // action_id=value
	Blocks  string
}

func readDupAck(t *testing.T, ack slackemu.Ack) dupAck {
	t.Helper()
	var p struct {
		Text   string          `json:"text"`
		Blocks json.RawMessage `json:"blocks"`
	}
	if err := json.Unmarshal(ack.Payload, &p); err != nil {
		t.Fatalf("ack %s: %v", ack.Payload, err)
	}
	var blocks []struct {
		Elements []struct {
			Type   string `json:"type"`
			Action string `json:"action_id"`
			Value  string `json:"value"`
		} `json:"elements"`
	}
	_ = json.Unmarshal(p.Blocks, &blocks)
	out := dupAck{Text: p.Text, Blocks: blocksText(p.Blocks)}
	for _, b := range blocks {
		for _, e := range b.Elements {
			if e.Type == "button" {
				out.Buttons = append(out.Buttons, e.Action+"="+e.Value)
			}
		}
	}
	return out
}

// ephemeralWith finds the latest ephemeral shown to user that contains
// text.
func (w *world) ephemeralWith(user, text string) slackemu.Message {
	w.t.Helper()
	eph := w.emu.Ephemerals(user)
	for i := len(eph) - 1; i >= 0; i-- {
		if m := eph[i]; strings.Contains(m.Text+blocksText(m.Blocks), text) {
			return m
		}
	}
	w.t.Fatalf("no ephemeral for %s containing %q", user, text)
	return slackemu.Message{}
}

// incidentCount is how many incidents are open (none is resolved here).
func (w *world) incidentCount() int {
	w.t.Helper()
	var n int
	err := w.app.Store().View(func(tx store.Tx) error {
		open, err := tx.OpenIncidents()
		n = len(open)
		return err
	})
	if err != nil {
		w.t.Fatal(err)
	}
	return n
}

// A one-line declaration that looks like an open incident is held back
// with the warning, "Declare anyway" and "Join INC-1"; joining invites,
// and "Declare anyway" declares exactly once however often it is clicked.
// An unrelated title declares at once.
func TestOneLineDeclareWarnsOfAPossibleDuplicate(t *testing.T) {
	t.Parallel()
	w := newWorld(t, nil, nil)
	first := w.remDeclare(1, "SEV2", "Checkout returning 500 errors")

	ack := w.slash(bob, w.announce, "declare SEV2 checkout 500s")
	got := readDupAck(t, ack)
	assertText(t, got.Text, "Possibly the same as INC-1 (<#"+first.ChannelID+">)", "Checkout returning 500 errors")
	if len(got.Buttons) != 2 || !strings.HasPrefix(got.Buttons[0], "declare_anyway=") || got.Buttons[1] != "join_incident=INC-1" {
		t.Fatalf("buttons %v", got.Buttons)
	}
	w.idle()
	if n := w.incidentCount(); n != 1 {
		t.Fatalf("%d incidents after a warned declaration, want 1", n)
	}

	// Join INC-1: bob is invited to its channel, nothing is declared.
	warning := w.ephemeralWith(bob, "Possibly the same as INC-1")
	if _, err := w.emu.ClickButton(w.ctx(), bob, w.announce, warning.TS, "join_incident", "INC-1"); err != nil {
		t.Fatal(err)
	}
	w.idle()
	if ch, _ := w.emu.Channel(first.ChannelID); !slices.Contains(ch.Members, bob) {
		t.Fatalf("bob not invited to %s: %v", ch.Name, ch.Members)
	}
	w.ephemeralWith(bob, "Inviting you to <#"+first.ChannelID+">")
	if n := w.incidentCount(); n != 1 {
		t.Fatalf("%d incidents after Join, want 1", n)
	}

	// Declare anyway, clicked, then the same click delivered again (a
	// double click lands before the buttons are replaced): one incident.
	ack = w.slash(bob, w.announce, "declare SEV2 checkout 500s")
	got = readDupAck(t, ack)
	value := strings.TrimPrefix(got.Buttons[0], "declare_anyway=")
	warning = w.ephemeralWith(bob, "declare_anyway")
	if _, err := w.emu.ClickButton(w.ctx(), bob, w.announce, warning.TS, "declare_anyway", ""); err != nil {
		t.Fatal(err)
	}
	if _, err := w.emu.Interact(w.ctx(), map[string]any{
		"type": "block_actions", "user": bob,
		"container": map[string]any{"type": "message", "message_ts": warning.TS, "channel_id": w.announce, "is_ephemeral": true},
		"channel":   map[string]any{"id": w.announce, "name": "announcements"},
		"actions":   []any{map[string]any{"type": "button", "action_id": "declare_anyway", "block_id": "duplicate-actions", "value": value, "action_ts": "1.2"}},
	}); err != nil {
		t.Fatal(err)
	}
	w.declared(2, "checkout 500s", bob)
	if n := w.incidentCount(); n != 2 {
		t.Fatalf("%d incidents after Declare anyway twice, want 2", n)
	}
	w.ephemeralWith(bob, "Declared *INC-2*")

	// No false positive: an unrelated title declares at once.
	if got := ackText(t, w.slash(carol, w.announce, "declare SEV3 db disk full")); !strings.Contains(got, "Declared *INC-3*") {
		t.Fatalf("unrelated declaration answered %q", got)
	}
}

// The declare form warns when it is submitted: the same form comes back
// (response_action update) with the warning and a link to the channel, and
// submitting it again declares. A form unlike any open incident declares
// at once.
func TestDeclareFormWarnsOfAPossibleDuplicate(t *testing.T) {
	t.Parallel()
	w := newWorld(t, nil, nil)
	first := w.remDeclare(1, "SEV2", "Checkout returning 500 errors")

	v := w.openDeclareModal(bob)
	values := map[string]any{"title": "checkout 500s", "severity": "SEV2", "summary": "card payments fail", "service": "checkout"}
	ack, err := w.emu.SubmitView(w.ctx(), bob, v.ID, values)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(ack.Payload), `"response_action":"update"`) {
		t.Fatalf("submission answered %s", ack.Payload)
	}
	warned, ok := w.emu.View(v.ID)
	if !ok || warned.Closed {
		t.Fatal("the form closed instead of warning")
	}
	body := blocksText(warned.View)
	assertText(t, body, "Possibly the same as INC-1 (<#"+first.ChannelID+">)", "Checkout returning 500 errors", "Declare anyway", `"initial_value":"checkout 500s"`, `"initial_value":"card payments fail"`)
	w.idle()
	if n := w.incidentCount(); n != 1 {
		t.Fatalf("%d incidents after a warned submission, want 1", n)
	}

	ack, err = w.emu.SubmitView(w.ctx(), bob, v.ID, values)
	if err != nil {
		t.Fatal(err)
	}
	if len(ack.Payload) != 0 {
		t.Fatalf("second submission answered %s", ack.Payload)
	}
	w.declared(2, "checkout 500s", bob)

	// Unrelated title and no service: declared at once.
	v = w.nextDeclareModal(carol)
	ack, err = w.emu.SubmitView(w.ctx(), carol, v.ID, map[string]any{"title": "db disk full", "severity": "SEV3", "summary": "writes fail"})
	if err != nil || len(ack.Payload) != 0 {
		t.Fatalf("unrelated submission answered %s, %v", ack.Payload, err)
	}
	w.declared(3, "db disk full", carol)
}

// A private incident is named only to the members of its channel: someone
// else declaring the same thing hears nothing of it (and declares), while a
// member is warned but offered nothing to join.
func TestDuplicateWarningKeepsPrivateIncidentsPrivate(t *testing.T) {
	t.Parallel()
	w := newWorld(t, nil, nil)
	secret := w.pvDeclarePrivate(1, alice, "Checkout returning 500 errors")

	got := ackText(t, w.slash(bob, w.announce, "declare SEV2 checkout 500s"))
	if !strings.Contains(got, "Declared *INC-2*") || strings.Contains(got, "INC-1") || strings.Contains(got, secret.ID) {
		t.Fatalf("non-member's declaration answered %q", got)
	}
	w.declared(2, "checkout 500s", bob)

	member := readDupAck(t, w.slash(alice, w.announce, "declare SEV2 checkout 500 errors"))
	assertText(t, member.Text, "INC-1 (<#"+secret.ID+">)")
	for _, b := range member.Buttons {
		if strings.HasPrefix(b, "join_incident=INC-1") {
			t.Fatalf("a private incident offered to join: %v", member.Buttons)
		}
	}
}

// nextDeclareModal opens another declare form, for user, and returns it.
func (w *world) nextDeclareModal(user string) slackemu.View {
	w.t.Helper()
	n := len(w.emu.Calls("views.open"))
	ack := w.slash(user, w.announce, "declare")
	if len(ack.Payload) != 0 && ackText(w.t, ack) != "" {
		w.t.Fatalf("declare replied %s", ack.Payload)
	}
	seen := 0
	call, err := w.emu.WaitCall(w.ctx(), "views.open", func(slackemu.Call) bool { seen++; return seen == n+1 })
	if err != nil || !call.OK {
		w.t.Fatalf("views.open: %+v %v", call, err)
	}
	views := w.emu.Views()
	return views[len(views)-1]
}

// The warning quotes the other incident's title defanged: a broadcast
// mention typed literally into it (Slack sends it escaped) pings nobody.
func TestDuplicateWarningIsEscaped(t *testing.T) {
	t.Parallel()
	w := newWorld(t, nil, nil)
	w.slash(alice, w.announce, "declare SEV3 Checkout <!channel> returns 500s")
	w.declared(1, "", alice)
	got := readDupAck(t, w.slash(bob, w.announce, "declare SEV3 checkout 500s"))
	assertText(t, got.Text, "Possibly the same as INC-1")
	for _, s := range []string{got.Text, got.Blocks} {
		if specialMention.MatchString(s) {
			t.Fatalf("warning carries a live mention or link: %s", s)
		}
	}
}
