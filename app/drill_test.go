package app_test

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/incidentbot/incidentbot/config"
	"github.com/incidentbot/incidentbot/internal/slackemu"
)

const drillMark = "🧪 DRILL"

// drWorld is a workspace with #announcements and, when drills is set, a
// #drills channel (the bot in it) configured as incidents.drills_channel.
// mutate may adjust the config further.
func drWorld(t *testing.T, drills bool, mutate func(*config.Config)) (*world, string) {
	t.Helper()
	w := newWorld(t, nil, mutate)
	if !drills {
		return w, ""
	}
	ch := w.emu.CreateChannel("drills", false, w.emu.BotUserID(), alice, bob)
	w.cfg.Incidents.DrillsChannel = ch
	w.restart()
	return w, ch
}

// drBotPosts are the bot's messages in channel, thread replies included.
func (w *world) drBotPosts(channel string) []slackemu.Message {
	var out []slackemu.Message
	for _, m := range w.emu.Messages(channel) {
		if m.User == w.emu.BotUserID() {
			out = append(out, m)
		}
	}
	return out
}

// drNothingIn fails if the bot ever wrote to channel (post or edit).
func (w *world) drNothingIn(channel string) {
	w.t.Helper()
	if posts := w.drBotPosts(channel); len(posts) != 0 {
		w.t.Fatalf("the bot posted %d message(s) in %s, e.g. %s", len(posts), channel, posts[0].Text)
	}
	for _, m := range []string{"chat.postMessage", "chat.update"} {
		for _, c := range w.emu.Calls(m) {
			if c.Args["channel"] == channel {
				w.t.Fatalf("%s to %s: %v", m, channel, c.Args["text"])
			}
		}
	}
}

// drMarked fails unless every message holds the drill marker.
func drMarked(t *testing.T, what string, msgs []slackemu.Message) {
	t.Helper()
	if len(msgs) == 0 {
		t.Fatalf("no %s", what)
	}
	for _, m := range msgs {
		if body := m.Text + blocksText(m.Blocks); !strings.Contains(body, drillMark) {
			t.Fatalf("%s is not marked %q: %s", what, drillMark, body)
		}
	}
}

// A drill declared in one line runs the whole flow marked 🧪 DRILL: its
// channel, card, topic, welcome, updates, list, Home and postmortem say so;
// it is announced in the drills channel, with its updates in that thread,
// and the announce channel hears nothing.
func TestDrillBySlashAnnouncedOnlyInTheDrillsChannel(t *testing.T) {
	t.Parallel()
	w, drills := drWorld(t, true, nil)

	got := ackText(t, w.slash(alice, w.announce, "drill SEV2 DB failover"))
	if !strings.Contains(got, "INC-1") || !strings.Contains(got, drillMark) || !strings.Contains(got, "announced in <#"+drills+"> only") {
		t.Fatalf("drill replied %q", got)
	}
	ch := w.declared(1, "DB failover", alice)
	inc := w.incident(1)
	if !inc.Drill || inc.Severity != "SEV2" || inc.Title != "DB failover" {
		t.Fatalf("incident %+v", inc)
	}
	if ch.Name != "inc-1-drill-db-failover" {
		t.Fatalf("channel name %q, want inc-1-drill-db-failover", ch.Name)
	}
	if !strings.HasPrefix(ch.Topic, drillMark+" · SEV2") {
		t.Fatalf("topic %q is not marked", ch.Topic)
	}
	drMarked(t, "card", w.lcPosted(ch.ID, "role:commander"))
	drMarked(t, "welcome", w.lcPosted(ch.ID, "What to do now"))

	// Announced in #drills, never in #announcements.
	ann := w.drBotPosts(drills)
	if len(ann) != 1 || ann[0].TS != inc.AnnounceTS {
		t.Fatalf("drills channel has %d bot messages (announce ts %q)", len(ann), inc.AnnounceTS)
	}
	drMarked(t, "announcement", ann)

	// Both ways of updating are marked and reach the drills thread.
	w.slash(bob, ch.ID, "update")
	w.lcSubmit(bob, w.lcUpdateForm(1), map[string]any{"status": "identified", "severity": "SEV2", "summary": "replica promoted"})
	ackText(t, w.slash(alice, ch.ID, "severity SEV1"))
	ackText(t, w.slash(alice, ch.ID, "role commander <@"+bob+">"))
	w.idle()
	drMarked(t, "update in the channel", w.lcPosted(ch.ID, "Status update: INC-1"))
	thread := func(want string) []slackemu.Message {
		var out []slackemu.Message
		for _, m := range w.lcPosted(drills, want) {
			if m.ThreadTS == inc.AnnounceTS {
				out = append(out, m)
			}
		}
		return out
	}
	drMarked(t, "update in the thread", thread("replica promoted"))
	drMarked(t, "escalation in the thread", thread("changed the severity"))
	drMarked(t, "commander change in the thread", thread("is now commanding"))

	// Listed and on Home, marked.
	if list := w.pvList(carol); !strings.Contains(list, "*INC-1* · "+drillMark) {
		t.Fatalf("list does not mark the drill:\n%s", list)
	}
	if home := w.pvHome(carol); !strings.Contains(home, drillMark+" · INC-1") {
		t.Fatalf("Home does not mark the drill:\n%s", home)
	}

	ackText(t, w.slash(bob, ch.ID, "resolve failover worked"))
	ackText(t, w.slash(bob, ch.ID, "postmortem"))
	w.idle()
	drMarked(t, "resolution in the thread", thread("Resolved: INC-1"))
	if ann := w.drBotPosts(drills); ann[0].Updates == 0 {
		t.Fatal("the drills announcement was never refreshed")
	}
	files := w.emu.Files()
	if len(files) != 1 || !strings.HasPrefix(string(files[0].Content), "# "+drillMark+" · INC-1: DB failover") {
		t.Fatalf("postmortem draft is not marked: %d files", len(files))
	}

	w.drNothingIn(w.announce)
}

// Without incidents.drills_channel a drill declared through the form is
// announced nowhere: every post stays in its own channel. The form's drill
// box is an optional checkbox like private, and `/incident drill` opens
// the form with it ticked.
func TestDrillByModalWithoutDrillsChannelIsAnnouncedNowhere(t *testing.T) {
	t.Parallel()
	w, _ := drWorld(t, false, nil)

	if ack := w.slash(alice, w.announce, "drill"); len(ack.Payload) != 0 && ackText(t, ack) != "" {
		t.Fatalf("drill replied %s instead of opening the form", ack.Payload)
	}
	if _, err := w.emu.WaitCall(w.ctx(), "views.open", nil); err != nil {
		t.Fatal(err)
	}
	v := w.emu.Views()[0]
	body := string(v.View)
	for _, want := range []string{`"block_id":"drill"`, `"action_id":"drill"`, `"value":"drill"`, `"initial_options":[{`} {
		if !strings.Contains(body, want) {
			t.Fatalf("drill form lacks %s: %s", want, body)
		}
	}
	w.slash(bob, w.announce, "declare")
	if _, err := w.emu.WaitCall(w.ctx(), "views.open", func(c slackemu.Call) bool { return c.Args["trigger_id"] != v.TriggerID }); err != nil {
		t.Fatal(err)
	}
	if plain := w.emu.Views()[1]; strings.Contains(string(plain.View), `"initial_options"`) {
		t.Fatalf("the declare form ticks the drill box: %s", plain.View)
	}

	ack, err := w.emu.SubmitView(w.ctx(), alice, v.ID, map[string]any{
		"title": "Region evacuation", "severity": "SEV1", "summary": "game day: us-east is gone", "drill": []string{"drill"},
	})
	if err != nil || len(ack.Payload) != 0 {
		t.Fatalf("submit: %s %v", ack.Payload, err)
	}
	ch := w.declared(1, "Region evacuation", alice)
	if !w.incident(1).Drill || ch.Name != "inc-1-drill-region-evacuation" {
		t.Fatalf("declared %q as %+v", ch.Name, w.incident(1))
	}
	ackText(t, w.slash(alice, ch.ID, "role commander <@"+bob+">"))
	ackText(t, w.slash(bob, ch.ID, "resolve evacuated"))
	w.idle()

	if inc := w.incident(1); inc.AnnounceTS != "" {
		t.Fatalf("a drill without a drills channel was announced (%s)", inc.AnnounceTS)
	}
	for _, c := range w.emu.Calls("chat.postMessage") {
		if c.Args["channel"] != ch.ID {
			t.Fatalf("posted outside the drill's channel: %v in %v", c.Args["text"], c.Args["channel"])
		}
	}
	w.drNothingIn(w.announce)

	// A real incident declared next is still announced as before.
	ackText(t, w.slash(alice, w.announce, "declare SEV2 real outage"))
	w.declared(2, "real outage", alice)
	if ann := w.announcements(); len(ann) != 1 || strings.Contains(blocksText(ann[0].Blocks), drillMark) {
		t.Fatalf("real incident's announcements: %+v", ann)
	}
	// The declarer of a one-line drill is told it is announced nowhere.
	if got := ackText(t, w.slash(bob, w.announce, "drill tabletop")); !strings.Contains(got, "announced nowhere") {
		t.Fatalf("drill replied %q", got)
	}
}

// Reminders work in a drill, and the escalation after three ignored ones
// goes to the drills channel's thread, not the announce channel.
func TestDrillRemindersEscalateToTheDrillsThread(t *testing.T) {
	t.Parallel()
	w, drills := drWorld(t, true, func(c *config.Config) {
		c.Incidents.Severities = []config.Severity{
			{Name: "SEV1", Description: "Critical", Reminder: time.Second},
			{Name: "SEV2", Description: "Major", Reminder: time.Hour},
		}
	})
	if got := ackText(t, w.slash(alice, w.announce, "drill SEV1 cache stampede")); !strings.Contains(got, "announced in <#"+drills+"> only") {
		t.Fatalf("drill replied %q", got)
	}
	w.declared(1, "cache stampede", alice)
	inc := w.incident(1)
	ch := inc.ChannelID

	w.remReminder(ch, 1)
	line := w.waitCall("chat.postMessage", time.Minute, func(c slackemu.Call) bool {
		return c.OK && c.Args["thread_ts"] == inc.AnnounceTS && strings.Contains(callText(c), "No status update on *INC-1*")
	})
	if line.Args["channel"] != drills || !strings.Contains(callText(line), drillMark) {
		t.Fatalf("escalation went to %v: %s", line.Args["channel"], callText(line))
	}
	ackText(t, w.slash(alice, ch, "resolve stampede over"))
	w.idle()
	if n := w.remCount(ch); n < 3 {
		t.Fatalf("%d reminders in the drill's channel", n)
	}
	if slices.ContainsFunc(w.emu.Calls("chat.postMessage"), func(c slackemu.Call) bool { return c.Args["channel"] == w.announce }) {
		t.Fatal("a drill's reminder reached the announce channel")
	}
	w.drNothingIn(w.announce)
}
