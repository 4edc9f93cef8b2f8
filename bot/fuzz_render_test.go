package bot

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/slack-go/slack"

	"github.com/incidentbot/incidentbot/commands"
	"github.com/incidentbot/incidentbot/incident"
	"github.com/incidentbot/incidentbot/internal/clock"
	"github.com/incidentbot/incidentbot/internal/mrkdwn"
	"github.com/incidentbot/incidentbot/templates"
)

// FuzzRenderers is FuzzRenderedBlocks without the store and the handlers:
// it renders one incident with fuzzed content and a fuzzed role holder
// (any string, not just a user ID) straight through the card, the
// announcement, the topic, both modals, the reminders and every post
// template, many times faster, to search the length arithmetic of
// truncation. Same properties: Slack accepts every block set and text, and
// no mrkdwn carries live markup.
func FuzzRenderers(f *testing.F) {
	// More seeds, hostile and at the limits, are in testdata/fuzz.
	f.Add("checkout returns 500s", "card payments time out", "checkout", "Critical", "Communications Lead", "rolled back", "watch it", "UBOB00002", false)
	tmpl, err := templates.Load("")
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, title, summary, service, sevDesc, roleName, text, nextSteps, holder string, private bool) {
		settings, ok := fuzzSettings(service, sevDesc, roleName)
		if !ok {
			t.Skip("not a configuration run accepts")
		}
		start := time.Date(2026, 1, 1, 9, 0, 0, 0, time.UTC)
		b := &renderer{cfg: Config{Settings: settings, Command: "/incident", AnnounceChannel: fakeAnnounce}, tmpl: tmpl,
			clock: clock.NewFake(start.Add(4 * time.Hour)),
			rules: &commands.Service{Settings: settings, AnnounceChannel: fakeAnnounce, Command: "/incident"}}
		inc := &incident.Incident{
			Number: 12345, Title: title, Summary: summary, Service: service, Severity: "SEV1", Status: incident.Identified,
			Private: private, DeclaredBy: holder, ChannelID: "CINC00001", CardTS: "1.1", AnnounceTS: "1.2",
			Roles:     map[string]string{incident.RoleCommander: holder, incident.RoleComms: holder, "scribe": fzBob},
			StartedAt: start, DeclaredAt: start, LastUpdateAt: start.Add(time.Hour), NextUpdateAt: start.Add(2 * time.Hour),
		}
		var calls []fakeCall
		message := func(method, text string, blocks []slack.Block, err error) {
			t.Helper()
			if err != nil {
				t.Fatal(err)
			}
			raw, err := json.Marshal(blocks)
			if err != nil {
				t.Fatal(err)
			}
			calls = append(calls, fakeCall{Method: method, Args: map[string]string{"text": text, "blocks": string(raw)}})
		}
		post := func(text string, err error, blocks ...slack.Block) {
			t.Helper()
			if len(blocks) == 0 {
				blocks = []slack.Block{section("post", text)}
			}
			message("chat.postMessage", text, blocks, err)
		}
		view := func(v any) {
			calls = append(calls, fakeCall{Method: "views.open", Args: map[string]string{"view": string(modalJSON(t, v))}})
		}

		blocks, fallback, err := b.cardBlocks(inc)
		message("chat.update", fallback, blocks, err)
		blocks, fallback, err = b.announcementBlocks(inc)
		message("chat.update", fallback, blocks, err)
		topic, err := b.topic(inc)
		if err != nil {
			t.Fatal(err)
		}
		calls = append(calls, fakeCall{Method: "conversations.setTopic", Args: map[string]string{"topic": topic, "purpose": safe(inc.Title, maxTopic)}})
		view(b.declareModal(holder, true))
		view(b.updateModal(inc))

		// The timeline events the post templates describe.
		events := []incident.Event{
			{Seq: 1, At: start, Kind: incident.EventDeclared, Actor: holder, Text: title, To: "SEV2"},
			{Seq: 2, At: start.Add(time.Minute), Kind: incident.EventRoleAssigned, Actor: holder, Role: "scribe", To: holder},
			{Seq: 3, At: start.Add(2 * time.Minute), Kind: incident.EventRoleHandoff, Actor: fzAlice, Role: incident.RoleCommander, From: fzAlice, To: holder},
			{Seq: 4, At: start.Add(3 * time.Minute), Kind: incident.EventSeverityChanged, Actor: holder, From: "SEV2", To: "SEV1"},
			{Seq: 5, At: start.Add(time.Hour), Kind: incident.EventUpdate, Actor: holder, Text: text, NextSteps: nextSteps, NextUpdate: start.Add(2 * time.Hour)},
			{Seq: 6, At: start.Add(2 * time.Hour), Kind: incident.EventSnoozed, Actor: holder, Text: text},
			{Seq: 7, At: start.Add(3 * time.Hour), Kind: incident.EventResolved, Actor: holder, Text: nextSteps},
		}
		for _, name := range []string{"role_assigned.tmpl", "role_handoff.tmpl", "role_commander.tmpl", "severity.tmpl", "snoozed.tmpl", "resolved.tmpl", "welcome.tmpl"} {
			for _, ev := range events {
				data := struct {
					incidentView
					Event eventView
				}{b.view(inc), b.eventView(ev)}
				text, err := b.render(name, data)
				post(text, err)
			}
		}
		for _, seq := range []uint64{5, 7} {
			uv, ok := b.updateAsOf(inc, events, seq)
			if !ok {
				t.Fatalf("no event %d", seq)
			}
			text, err := b.render("update.tmpl", struct {
				incidentView
				Update updateView
			}{b.view(inc), uv})
			post(fallbackText(text), err, section("update", text))
		}
		for _, kind := range []string{commands.ReminderUpdate, commands.ReminderEscalation} {
			v := b.reminderView(inc, commands.ReminderPayload{Kind: kind, At: start.Add(5 * time.Hour), Since: start, Missed: 3, Escalated: true})
			text, err := b.render("reminder.tmpl", v)
			if err != nil {
				t.Fatal(err)
			}
			calls = append(calls, fakeCall{Method: "chat.postMessage", Args: map[string]string{"text": fallbackText(text), "blocks": string(reminderBlocks(inc.ID(), text)(nil))}})
			text, err = b.render("reminder_escalation.tmpl", v)
			post(fallbackText(text), err)
		}
		inc.Status, inc.ResolvedAt = incident.Resolved, start.Add(3*time.Hour)
		v := b.reminderView(inc, commands.ReminderPayload{Kind: commands.ReminderPostmortem, At: start.Add(30 * time.Hour), Since: inc.ResolvedAt})
		text, err = b.render("postmortem_nudge.tmpl", v)
		post(fallbackText(text), err)
		blocks, fallback, err = b.cardBlocks(inc)
		message("chat.update", fallback, blocks, err)
		home, err := b.render("home_incident.tmpl", b.listItem(inc, holder))
		post(home, err)

		checkCalls(t, calls)
	})
}

// fallbackText is the text the bot sends next to blocks, truncated as
// postUpdate and postReminder do.
func fallbackText(text string) string { return mrkdwn.Truncate(text, maxMessageText) }
