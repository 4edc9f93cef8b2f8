package bot

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/incidentbot/incidentbot/config"
	"github.com/incidentbot/incidentbot/incident"
	"github.com/incidentbot/incidentbot/internal/mrkdwn"
	"github.com/incidentbot/incidentbot/internal/slackemu"
)

// Users of the fuzzed incidents.
const (
	fzAlice = "UALICE001"
	fzBob   = "UBOB00002"
	fzCarol = "UCAROL003"
)

// fuzzSettings is a configuration with the fuzzed service name, severity
// description and role name in it, or false when config validation (which
// `run` applies) would refuse it.
func fuzzSettings(service, sevDesc, roleName string) (incident.Settings, bool) {
	cfg := config.Default()
	cfg.Incidents.Severities[0].Description = sevDesc
	cfg.Incidents.Roles[1].Name = roleName // comms: named in reminders and on the card
	cfg.Incidents.Roles = append(cfg.Incidents.Roles, incident.Role{ID: "scribe", Name: roleName})
	cfg.Services = []config.Service{{Name: service, Experts: []string{fzCarol}, Runbook: fakeRunbook}}
	if err := cfg.ValidateLocal(); err != nil {
		return incident.Settings{}, false
	}
	return cfg.Settings(), true
}

func modalJSON(t *testing.T, v any) json.RawMessage {
	t.Helper()
	raw, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return raw
}

// checkSubmission fails unless ack is one Slack would take for the modal.
func checkSubmission(t *testing.T, modal, ack json.RawMessage) {
	t.Helper()
	for _, p := range slackemu.CheckSubmissionAck(modal, ack) {
		t.Errorf("view_submission ack %s: %s", ack, p)
	}
}

func textState(s string) map[string]any {
	return map[string]any{"type": "plain_text_input", "value": s}
}
func optionState(v string) map[string]any {
	return map[string]any{"type": "static_select", "selected_option": map[string]any{"value": v}}
}
func userState(u string) map[string]any {
	return map[string]any{"type": "users_select", "selected_user": u}
}

// FuzzRenderedBlocks runs a whole incident life with fuzzed content — title,
// summary, service name, severity description, role name, update text,
// next steps (also the resolve summary) and note (also the 📌'd message and
// the action item) — through the real handlers, renderers and outbox
// performer, and holds every Slack call to the emulator's Block Kit
// validator and the Web API's text limits, and every mrkdwn text to the
// no-injection property: truncated blocks are always within limits, and
// user text never pings @here/@channel/@everyone or disguises a link.
func FuzzRenderedBlocks(f *testing.F) {
	// More seeds, hostile and at the limits, are in testdata/fuzz.
	f.Add("checkout returns 500s", "card payments time out", "checkout", "Critical: customers broadly affected", "Communications Lead",
		"rolled back", "watch the error rate", "customers notified")
	f.Fuzz(func(t *testing.T, title, summary, service, sevDesc, roleName, update, nextSteps, note string) {
		settings, ok := fuzzSettings(service, sevDesc, roleName)
		if !ok {
			t.Skip("not a configuration run accepts")
		}
		fuzzLife(t, settings, title, summary, service, update, nextSteps, note)
	})
}

// The fuzzed life reaches every kind of message, form and text the bot
// sends to Slack.
func TestFuzzLifeCoversEveryRenderer(t *testing.T) {
	settings, _ := fuzzSettings("checkout", "Critical", "Communications Lead")
	methods := fuzzLife(t, settings, "db down", "errors", "checkout", "rolled back", "watch", "noted")
	for _, m := range []string{
		"conversations.create", "conversations.setTopic", "conversations.setPurpose", "conversations.invite",
		"chat.postMessage", "chat.update", "pins.add", "bookmarks.add", "views.open", "views.publish",
		"reactions.add", "response_url", "files.completeUploadExternal",
	} {
		if methods[m] == 0 {
			t.Errorf("the life never calls %s (calls: %v)", m, methods)
		}
	}
}

// fuzzLife runs the incident life and checks everything it sends to
// Slack; it returns how often each method was called.
func fuzzLife(t *testing.T, settings incident.Settings, title, summary, service, update, nextSteps, note string) map[string]int {
	t.Helper()
	w := newFuzzWorld(t, settings)
	methods := map[string]int{}
	checked := 0
	check := func() {
		t.Helper()
		calls := w.slack.takeCalls()
		for _, c := range calls {
			methods[c.Method]++
		}
		checkCalls(t, calls)
		checkAcks(t, w.acks[checked:])
		checked = len(w.acks)
		if t.Failed() {
			t.FailNow()
		}
	}

	// Declare through the modal, as Slack's client would submit it.
	w.slash(fzAlice, fakeAnnounce, "help")
	w.slash(fzAlice, fakeAnnounce, "declare")
	modal := modalJSON(t, w.b.slash.declareModal(fzAlice, false))
	values := map[string]any{
		fieldTitle: textState(title), fieldSeverity: optionState("SEV1"), fieldSummary: textState(summary),
		fieldService: optionState(mrkdwn.Truncate(service, 150)), fieldCommander: userState(fzAlice),
	}
	ack := w.submit(fzAlice, declareCallback, "", values)
	checkSubmission(t, modal, ack)
	if string(ack) != "null" {
		// A blank title or summary is sent back; the user adds a word.
		values[fieldTitle], values[fieldSummary] = textState("x "+title), textState("x "+summary)
		ack = w.submit(fzAlice, declareCallback, "", values)
		checkSubmission(t, modal, ack)
	}
	w.drain()
	check()
	inc := w.incident(1)
	if inc.ChannelID == "" || inc.CardTS == "" || inc.AnnounceTS == "" {
		t.Fatalf("declaration did not complete: %+v (ack %s)", inc, ack)
	}
	ch := inc.ChannelID

	// Roles: a pick on the card and a slash command.
	w.action(fzAlice, ch, inc.CardTS, map[string]any{"action_id": "role:comms", "block_id": "role-comms", "type": "users_select", "selected_user": fzBob})
	w.slash(fzAlice, ch, "role scribe <@"+fzCarol+"|carol>")
	w.slash(fzAlice, ch, "role commander <@"+fzBob+"|bob>")
	w.drain()
	check()

	// A status update through its modal.
	w.slash(fzBob, ch, "update")
	updModal := modalJSON(t, w.b.slash.updateModal(w.incident(1)))
	ack = w.submit(fzBob, updateCallback, inc.ID(), map[string]any{
		fieldStatus: optionState("identified"), fieldSeverity: optionState("SEV2"),
		fieldSummary: textState(update), fieldNextSteps: textState(nextSteps), fieldNextUpdate: optionState(""),
	})
	checkSubmission(t, updModal, ack)
	w.drain()
	check()

	// Severity, a note, a 📌 and an action item.
	w.slash(fzAlice, ch, "severity SEV1")
	w.slash(fzAlice, ch, "note "+note)
	w.slack.mu.Lock()
	w.slack.history = note
	w.slack.mu.Unlock()
	w.event(map[string]any{"type": "reaction_added", "user": fzBob, "reaction": "pushpin", "item_user": fzAlice,
		"item": map[string]any{"type": "message", "channel": ch, "ts": "1767225000.000100"}, "event_ts": "1767225600.000200"})
	w.slash(fzAlice, ch, "action "+note+" <@"+fzBob+"|bob>")
	w.slash(fzAlice, ch, "list")
	w.event(map[string]any{"type": "app_home_opened", "user": fzBob, "tab": "home"})
	w.drain()
	check()

	// Reminders: three ignored ones escalate to the announcement's
	// thread; a snooze.
	for range 3 {
		w.clock.Advance(time.Hour)
		if _, err := w.cmds.DueReminders(t.Context(), w.clock.Now()); err != nil {
			t.Fatal(err)
		}
		w.drain()
	}
	w.action(fzBob, ch, "1767225600.000001", map[string]any{"action_id": actionSnooze, "block_id": "reminder-actions", "type": "button", "value": "15m"})
	w.drain()
	check()

	// Resolve, the postmortem nudge, the draft.
	w.slash(fzAlice, ch, "resolve "+nextSteps)
	w.drain()
	w.clock.Advance(25 * time.Hour)
	if _, err := w.cmds.DueReminders(t.Context(), w.clock.Now()); err != nil {
		t.Fatal(err)
	}
	w.drain()
	w.slash(fzAlice, ch, "postmortem")
	w.drain()
	check()
	return methods
}
