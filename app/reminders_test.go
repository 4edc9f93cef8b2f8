package app_test

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/incidentbot/incidentbot/config"
	"github.com/incidentbot/incidentbot/incident"
	"github.com/incidentbot/incidentbot/internal/slackemu"
	"github.com/incidentbot/incidentbot/store"
	"github.com/incidentbot/incidentbot/store/boltstore"
)

// remWorld is a workspace whose SEV1 reminds every second (SEV2 every
// minute, SEV3 hourly, SEV4 never), with the postmortem nudge after
// postmortem (0 = off).
func remWorld(t *testing.T, postmortem time.Duration) *world {
	t.Helper()
	return newWorld(t, nil, func(c *config.Config) {
		c.Incidents.Severities = []config.Severity{
			{Name: "SEV1", Description: "Critical", Reminder: time.Second},
			{Name: "SEV2", Description: "Major", Reminder: time.Minute},
			{Name: "SEV3", Description: "Minor", Reminder: time.Hour},
			{Name: "SEV4", Description: "Low", Reminder: 0},
		}
		c.Incidents.PostmortemReminder = postmortem
	})
}

// remDeclare declares INC-n at sev and returns it once its channel, card
// and announcement are in place.
func (w *world) remDeclare(n uint64, sev, title string) *incident.Incident {
	w.t.Helper()
	if got := ackText(w.t, w.slash(alice, w.announce, "declare "+sev+" "+title)); !strings.Contains(got, incident.FormatID(n)) {
		w.t.Fatalf("declare replied %q", got)
	}
	w.declared(n, title, alice)
	return w.incident(n)
}

// callText is what a posting call shows: its text and its blocks.
func callText(c slackemu.Call) string {
	raw, _ := json.Marshal(c.Args["blocks"])
	return fmt.Sprint(c.Args["text"]) + "\n" + blocksText(raw)
}

// callTS is the ts of the message a chat.postMessage call posted.
func callTS(t *testing.T, c slackemu.Call) string {
	t.Helper()
	var r struct {
		TS string `json:"ts"`
	}
	if err := json.Unmarshal(c.Response, &r); err != nil || r.TS == "" {
		t.Fatalf("no ts in %s: %v", c.Response, err)
	}
	return r.TS
}

// isReminder reports whether c posted a status-update reminder in channel.
func isReminder(c slackemu.Call, channel string) bool {
	return c.OK && c.Args["channel"] == channel && strings.Contains(callText(c), `"action_id":"snooze"`)
}

// remReminder lets time pass until the k-th status-update reminder
// (counting from 1) is posted in channel, and returns it.
func (w *world) remReminder(channel string, k int) slackemu.Call {
	w.t.Helper()
	w.waitFor(fmt.Sprintf("reminder #%d in %s", k, channel), 2*time.Hour, func() bool { return w.remCount(channel) >= k })
	seen := 0
	for _, c := range w.emu.Calls("chat.postMessage") {
		if isReminder(c, channel) {
			if seen++; seen == k {
				return c
			}
		}
	}
	panic("unreachable: remCount counted it")
}

func (w *world) remCount(channel string) int {
	n := 0
	for _, c := range w.emu.Calls("chat.postMessage") {
		if isReminder(c, channel) {
			n++
		}
	}
	return n
}

// remDue is when INC-n's next reminder is due; false when none is.
func (w *world) remDue(n uint64) (time.Time, bool) {
	w.t.Helper()
	var (
		due time.Time
		ok  bool
	)
	err := w.app.Store().View(func(tx store.Tx) error {
		var err error
		due, ok, err = tx.Reminder(n)
		return err
	})
	if err != nil {
		w.t.Fatal(err)
	}
	return due, ok
}

func remEventsOf(evs []incident.Event, kind incident.EventKind) []incident.Event {
	var out []incident.Event
	for _, e := range evs {
		if e.Kind == kind {
			out = append(out, e)
		}
	}
	return out
}

// remButtons lists the reminder's buttons as action_id=value, and checks
// that no action_id repeats within a block (Block Kit's rule).
func remButtons(t *testing.T, c slackemu.Call) []string {
	t.Helper()
	raw, _ := json.Marshal(c.Args["blocks"])
	var blocks []struct {
		BlockID  string `json:"block_id"`
		Elements []struct {
			Type     string `json:"type"`
			ActionID string `json:"action_id"`
			Value    string `json:"value"`
		} `json:"elements"`
	}
	if err := json.Unmarshal(raw, &blocks); err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, b := range blocks {
		ids := map[string]bool{}
		for _, e := range b.Elements {
			if e.Type != "button" {
				continue
			}
			if ids[e.ActionID] {
				t.Fatalf("block %s repeats action_id %s", b.BlockID, e.ActionID)
			}
			ids[e.ActionID] = true
			out = append(out, e.ActionID+"="+e.Value)
		}
	}
	return out
}

// The first reminder names the comms lead and carries the update and snooze
// buttons; the second also names the commander; the third also tells the
// announcement's thread; resolving stops them.
func TestRemindersNameTheCommsLeadEscalateAndStopOnResolve(t *testing.T) {
	t.Parallel()
	w := remWorld(t, 0)
	inc := w.remDeclare(1, "SEV4", "checkout <!channel> down @here") // SEV4: no reminders yet
	ch := inc.ChannelID
	ackText(t, w.slash(alice, ch, "role comms <@"+bob+">"))
	w.skipCalls()
	// Escalating to SEV1 re-computes the schedule from its 1s interval.
	ackText(t, w.slash(alice, ch, "severity SEV1"))
	w.expectCalls(t, anyOrder(
		"chat.postMessage "+ch,
		"chat.postMessage "+w.announce, // an escalation, in the announcement's thread
		"chat.update "+ch,              // the card
		"conversations.setTopic "+ch,
		"chat.update "+w.announce, // the announcement
	))

	first := w.remReminder(ch, 1)
	w.expectCalls(t, "chat.postMessage "+ch)
	assertNoInjection(t, first)
	text := callText(first)
	for _, want := range []string{"<@" + bob + ">", "*INC-1*", "no status update for", "none since it was declared", "/incident update"} {
		if !strings.Contains(text, want) {
			t.Fatalf("first reminder lacks %q: %s", want, text)
		}
	}
	if strings.Contains(text, "<@"+alice+">") || strings.Contains(text, "in a row") {
		t.Fatalf("first reminder escalated already: %s", text)
	}
	if got, want := remButtons(t, first), []string{"update=INC-1", "snooze=15m", "snooze=30m", "snooze=1h"}; !slices.Equal(got, want) {
		t.Fatalf("buttons %v, want %v", got, want)
	}

	second := w.remReminder(ch, 2)
	w.expectCalls(t, "chat.postMessage "+ch)
	if text := callText(second); !strings.Contains(text, "<@"+bob+">") || !strings.Contains(text, "<@"+alice+">") || !strings.Contains(text, "reminder 2 in a row") {
		t.Fatalf("second reminder does not name the commander too: %s", text)
	}

	inc = w.incident(1)
	line := w.waitCall("chat.postMessage", time.Minute, func(c slackemu.Call) bool {
		return c.OK && c.Args["channel"] == w.announce && c.Args["thread_ts"] == inc.AnnounceTS && strings.Contains(callText(c), "No status update on *INC-1*")
	})
	w.expectCalls(t, anyOrder("chat.postMessage "+ch, "chat.postMessage "+w.announce)) // the third, and the thread told
	assertNoInjection(t, line)
	if w.remCount(ch) < 3 {
		t.Fatalf("the thread heard of the silence before the third reminder (%d)", w.remCount(ch))
	}

	if inc := w.incident(1); inc.MissedUpdates < 3 {
		t.Fatalf("missed updates = %d", inc.MissedUpdates)
	}
	ackText(t, w.slash(alice, ch, "resolve rolled back"))
	w.idle()
	if _, ok := w.remDue(1); ok {
		t.Fatal("a resolved incident still has a reminder scheduled")
	}
	n := len(remEventsOf(w.events(1), incident.EventReminder))
	if n < 3 || n != w.remCount(ch) {
		t.Fatalf("%d reminders on the timeline, %d in the channel", n, w.remCount(ch))
	}
}

// remUpdateForm waits for the k-th views.open and returns the modal.
func (w *world) remUpdateForm(k int) slackemu.View {
	w.t.Helper()
	seen := 0
	call, err := w.emu.WaitCall(w.ctx(), "views.open", func(slackemu.Call) bool { seen++; return seen == k })
	if err != nil || !call.OK {
		w.t.Fatalf("views.open #%d: %+v %v", k, call, err)
	}
	for _, v := range w.emu.Views() {
		if v.TriggerID == call.Args["trigger_id"] {
			return v
		}
	}
	w.t.Fatalf("no view for trigger %v", call.Args["trigger_id"])
	return slackemu.View{}
}

func (w *world) remSubmitUpdate(k int, values map[string]any) {
	w.t.Helper()
	v := w.remUpdateForm(k)
	if _, err := w.emu.SubmitView(w.ctx(), bob, v.ID, values); err != nil {
		w.t.Fatal(err)
	}
	w.idle()
}

// An update posted from the reminder's own button restarts the clock at
// the update's "next update by", and the count of ignored reminders starts
// over.
func TestUpdateRestartsTheReminderClock(t *testing.T) {
	t.Parallel()
	w := remWorld(t, 0)
	inc := w.remDeclare(1, "SEV1", "login fails")
	ch := inc.ChannelID
	first := w.remReminder(ch, 1)
	w.remReminder(ch, 2)

	if _, err := w.emu.ClickButton(w.ctx(), bob, ch, callTS(t, first), "update", "INC-1"); err != nil {
		t.Fatal(err)
	}
	w.remSubmitUpdate(1, map[string]any{"status": "identified", "severity": "SEV1", "summary": "expired certificate", "next_update": "15m"})
	inc = w.incident(1)
	if due, ok := w.remDue(1); !ok || !due.Equal(inc.LastUpdateAt.Add(15*time.Minute)) || inc.MissedUpdates != 0 {
		t.Fatalf("after an update promising 15m: due %v (%v), last update %v, missed %d", due, ok, inc.LastUpdateAt, inc.MissedUpdates)
	}

	// An update that promises nothing restarts the severity's interval;
	// the reminder after it counts from the update, as the first in a row.
	before := w.remCount(ch)
	w.slash(bob, ch, "update")
	w.remSubmitUpdate(2, map[string]any{"status": "monitoring", "severity": "SEV1", "summary": "certificate renewed"})
	next := w.remReminder(ch, before+1)
	text := callText(next)
	if strings.Contains(text, "in a row") || strings.Contains(text, "since it was declared") {
		t.Fatalf("the reminder after an update does not start over: %s", text)
	}
	evs := remEventsOf(w.events(1), incident.EventReminder)
	update := remEventsOf(w.events(1), incident.EventUpdate)
	if last := evs[len(evs)-1]; last.At.Before(update[len(update)-1].At.Add(time.Second)) {
		t.Fatalf("reminder at %v, less than an interval after the update at %v", last.At, update[len(update)-1].At)
	}
}

// Snooze pushes the next reminder back by the chosen duration, says so in
// the channel and on the timeline, and answers only the clicker.
func TestSnoozeDelaysTheReminder(t *testing.T) {
	t.Parallel()
	w := remWorld(t, 0)
	inc := w.remDeclare(1, "SEV1", "search is slow")
	ch := inc.ChannelID
	ts := callTS(t, w.remReminder(ch, 1))

	clicked := w.clock.Now()
	if _, err := w.emu.ClickButton(w.ctx(), bob, ch, ts, "snooze", "1h"); err != nil {
		t.Fatal(err)
	}
	w.idle()
	due, ok := w.remDue(1)
	if !ok || due.Before(clicked.Add(time.Hour)) || due.After(w.clock.Now().Add(time.Hour+time.Second)) {
		t.Fatalf("after snoozing 1h the reminder is due %v (clicked %v)", due, clicked)
	}
	snoozes := remEventsOf(w.events(1), incident.EventSnoozed)
	if len(snoozes) != 1 || snoozes[0].Actor != bob || snoozes[0].To != "1h" {
		t.Fatalf("timeline %+v", snoozes)
	}
	said := "<@" + bob + "> snoozed the status-update reminder for 1h"
	if !slices.ContainsFunc(w.emu.Messages(ch), func(m slackemu.Message) bool { return strings.Contains(m.Text, said) }) {
		t.Fatalf("the channel was not told %q", said)
	}
	if !slices.ContainsFunc(w.emu.Ephemerals(bob), func(m slackemu.Message) bool { return strings.Contains(m.Text, "Snoozed.") }) {
		t.Fatal("the clicker was not told when the next reminder comes")
	}

	// Another click on a shorter snooze pushes it further, from the due time.
	if _, err := w.emu.ClickButton(w.ctx(), alice, ch, ts, "snooze", "15m"); err != nil {
		t.Fatal(err)
	}
	w.idle()
	if again, _ := w.remDue(1); !again.Equal(due.Add(15 * time.Minute)) {
		t.Fatalf("second snooze: due %v, want %v", again, due.Add(15*time.Minute))
	}

	// Once resolved, the old reminder's snooze explains itself.
	ackText(t, w.slash(alice, ch, "resolve fixed"))
	w.idle()
	if _, err := w.emu.ClickButton(w.ctx(), bob, ch, ts, "snooze", "30m"); err != nil {
		t.Fatal(err)
	}
	w.waitCall("response_url", 0, func(c slackemu.Call) bool {
		return strings.Contains(fmt.Sprint(c.Args["text"]), "is resolved")
	})
	if n := len(remEventsOf(w.events(1), incident.EventSnoozed)); n != 2 {
		t.Fatalf("%d snoozes on the timeline, want 2", n)
	}
}

// A reminder that fell due while the bot was down fires once, promptly,
// after the restart, however many intervals were missed.
func TestReminderMissedDuringDowntimeFiresOnceAfterRestart(t *testing.T) {
	t.Parallel()
	w := remWorld(t, 0)
	inc := w.remDeclare(1, "SEV2", "queue backlog") // reminds every minute
	w.idle()
	w.stop()
	st, err := boltstore.Open(w.cfg.Store.Path, boltstore.Options{})
	if err != nil {
		t.Fatal(err)
	}
	err = st.Update(context.Background(), func(tx store.Tx) error {
		return tx.SetReminder(1, w.clock.Now().Add(-10*time.Minute)) // ten intervals ago
	})
	if cerr := st.Close(); err != nil || cerr != nil {
		t.Fatal(err, cerr)
	}

	started := w.clock.Now()
	w.start()
	r := w.remReminder(inc.ChannelID, 1)
	if lag := r.At.Sub(started); lag > 5*time.Second {
		t.Fatalf("the overdue reminder came %v after the restart", lag)
	}
	w.idle()
	if n := w.remCount(inc.ChannelID); n != 1 {
		t.Fatalf("%d reminders after the restart, want 1", n)
	}
	if n := len(remEventsOf(w.events(1), incident.EventReminder)); n != 1 {
		t.Fatalf("%d reminders on the timeline, want 1", n)
	}
	if due, ok := w.remDue(1); !ok || due.Before(started.Add(time.Minute)) || due.After(w.clock.Now().Add(time.Minute)) {
		t.Fatalf("next reminder due %v, want a minute after it fired", due)
	}
}

// A reminder scheduled before a restart fires after it, from the schedule
// in the store.
func TestReminderScheduledBeforeRestartFiresAfterIt(t *testing.T) {
	t.Parallel()
	w := remWorld(t, 0)
	inc := w.remDeclare(1, "SEV3", "slow reports") // hourly: will not fire on its own here
	w.stop()
	st, err := boltstore.Open(w.cfg.Store.Path, boltstore.Options{})
	if err != nil {
		t.Fatal(err)
	}
	err = st.Update(context.Background(), func(tx store.Tx) error {
		return tx.SetReminder(1, w.clock.Now().Add(3*time.Second)) // due while the new process runs
	})
	if cerr := st.Close(); err != nil || cerr != nil {
		t.Fatal(err, cerr)
	}
	w.start()
	if n := w.remCount(inc.ChannelID); n != 0 {
		t.Fatalf("%d reminders before they were due", n)
	}
	w.remReminder(inc.ChannelID, 1)
}

// incidents.postmortem_reminder after resolution, the commander of an
// incident without a postmortem draft is reminded to write one; an incident
// that has one is left alone.
func TestPostmortemNudge(t *testing.T) {
	t.Parallel()
	w := remWorld(t, time.Second)
	drafted := w.remDeclare(1, "SEV4", "cache stampede")
	forgotten := w.remDeclare(2, "SEV4", "dns flap")
	ackText(t, w.slash(alice, drafted.ChannelID, "postmortem"))
	ackText(t, w.slash(alice, drafted.ChannelID, "resolve"))
	ackText(t, w.slash(alice, forgotten.ChannelID, "resolve"))

	nudge := w.waitCall("chat.postMessage", time.Minute, func(c slackemu.Call) bool {
		return c.OK && c.Args["channel"] == forgotten.ChannelID && strings.Contains(callText(c), "has no postmortem yet")
	})
	assertNoInjection(t, nudge)
	if text := callText(nudge); !strings.Contains(text, "<@"+alice+">") || !strings.Contains(text, "`/incident postmortem`") {
		t.Fatalf("nudge %s", text)
	}
	w.idle()
	for _, m := range w.emu.Messages(drafted.ChannelID) {
		if strings.Contains(m.Text, "has no postmortem yet") {
			t.Fatal("an incident with a draft was nudged")
		}
	}
	if _, ok, err := w.app.Store().NextPostmortemNudge(); ok || err != nil {
		t.Fatalf("nudges left scheduled: %v, %v", ok, err)
	}
}

// Nobody triggers the scheduler here: an escalation's commit wakes it
// through the store's schedule signal, it sets its timer for the new
// reminder, and the reminder comes when the clock gets there.
func TestAnEscalationWakesTheScheduler(t *testing.T) {
	t.Parallel()
	w := remWorld(t, 0)
	inc := w.remDeclare(1, "SEV4", "disk filling") // SEV4: no reminder, no timer
	ackText(t, w.slash(alice, inc.ChannelID, "severity SEV1"))
	due, ok := w.remDue(1)
	if !ok {
		t.Fatal("no reminder scheduled after the escalation")
	}
	if !w.clock.WaitForTimerBy(due, w.ctx().Done()) {
		t.Fatal("the scheduler never woke up to set a timer for the new reminder")
	}
	w.clock.Advance(due.Sub(w.clock.Now()))
	if _, err := w.emu.WaitCall(w.ctx(), "chat.postMessage", func(c slackemu.Call) bool { return isReminder(c, inc.ChannelID) }); err != nil {
		t.Fatal("the reminder never came:", err)
	}
}
