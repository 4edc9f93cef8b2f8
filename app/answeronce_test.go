package app_test

import (
	"strings"
	"testing"
	"time"

	"github.com/incidentbot/incidentbot/incident"
	"github.com/incidentbot/incidentbot/internal/slackemu"
)

// outboxGrace is how long a stopping bot waits for the jobs in flight.
const outboxGrace = 3 * time.Second

// The bot goes down while it works on "Add to timeline": as it reads the
// message (nothing is recorded yet), or as it answers (Slack has the
// answer, the bot never heard back). Started again, it finishes the work
// it was doing, and bob, who used the shortcut once, reads the answer
// once, and the message is on the timeline once.
func TestShortcutAnsweredOnceAcrossACrash(t *testing.T) {
	t.Parallel()
	for _, held := range []string{"conversations.history", "response_url"} {
		t.Run("down during "+held, func(t *testing.T) {
			t.Parallel()
			shortcutCrash(t, held)
		})
	}
}

// shortcutCrash plays TestShortcutAnsweredOnceAcrossACrash with the bot
// stopped while Slack holds its call of method.
func shortcutCrash(t *testing.T, method string) {
	w := newWorld(t, nil, nil)
	_, ch := w.lcIncident(1, "SEV2", "cdn errors")
	ts, err := w.emu.PostUserMessage(ch.ID, carol, "purged the edge cache at 10:02")
	if err != nil {
		t.Fatal(err)
	}

	w.crashWhileSlackHolds(method, func() {
		if _, err := w.emu.MessageShortcut(w.ctx(), bob, ch.ID, ts, "add_to_timeline"); err != nil {
			t.Fatal(err)
		}
	}, func(c slackemu.Call) bool { return c.OK })

	var answers []string
	for _, m := range w.emu.Ephemerals(bob) {
		if strings.Contains(m.Text, "timeline") {
			answers = append(answers, m.Text)
		}
	}
	if len(answers) != 1 || !strings.Contains(answers[0], "Added to INC-1's timeline") {
		t.Fatalf("bob was answered %d times, want once: %q", len(answers), answers)
	}
	pinned := 0
	for _, e := range w.events(1) {
		if e.Kind == incident.EventMessagePinned {
			pinned++
		}
	}
	if pinned != 1 {
		t.Fatalf("the message is on the timeline %d times, want once", pinned)
	}
	if m := w.lcMessage(ch.ID, ts); len(m.Reactions) != 1 {
		t.Fatalf("the message is marked %v, want once", m.Reactions)
	}
}

// crashWhileSlackHolds has act start something whose next call of method
// Slack holds; the bot stops under it (waiting out its grace for the job in
// flight, then cutting it short); Slack then answers the call (the first
// that answered accepts), and the bot is started again on the same store
// and left to finish.
func (w *world) crashWhileSlackHolds(method string, act func(), answered func(slackemu.Call) bool) {
	w.t.Helper()
	held, release := make(chan struct{}), make(chan struct{})
	w.emu.Fail(method, slackemu.Fault{Times: 1, OnCall: func() { close(held); <-release }})
	act()
	select {
	case <-held:
	case <-w.ctx().Done():
		w.t.Fatalf("no %s call", method)
	}
	stopped := make(chan struct{})
	go func() { defer close(stopped); w.stop() }()
	if w.clock.WaitForTimerBy(w.clock.Now().Add(outboxGrace), stopped) {
		w.clock.Advance(outboxGrace)
	}
	<-stopped
	close(release)
	if _, err := w.emu.WaitCall(w.ctx(), method, answered); err != nil {
		w.t.Fatalf("Slack never answered the %s call: %v", method, err)
	}
	w.start()
	w.idle()
}
