package app_test

import (
	"strings"
	"testing"
	"time"

	"github.com/incidentbot/incidentbot/config"
	"github.com/incidentbot/incidentbot/incident"
	"github.com/incidentbot/incidentbot/internal/clock"
	"github.com/incidentbot/incidentbot/internal/slackemu"
)

const week = 168 * time.Hour

// archWorld is a workspace with incidents.archive_after = after, and its
// fake clock, so a test steps through days at once.
func archWorld(t *testing.T, after time.Duration) (*world, *clock.Fake) {
	t.Helper()
	w := newWorld(t, nil, func(c *config.Config) {
		c.Incidents.ArchiveAfter = after
		c.Incidents.PostmortemReminder = 0
	})
	return w, w.clock
}

// advance moves the fake clock, runs a scheduler cycle at the new time,
// and waits until the outbox has done what it enqueued.
func (w *world) advance(clk *clock.Fake, d time.Duration) {
	w.t.Helper()
	clk.Advance(d)
	if err := w.app.Scheduler().Trigger(w.ctx()); err != nil {
		w.t.Fatal(err)
	}
	w.idle()
}

// archiveCalls counts conversations.archive calls for channel that succeeded.
func (w *world) archiveCalls(channel string) int {
	n := 0
	for _, c := range w.emu.Calls("conversations.archive") {
		if c.OK && c.Args["channel"] == channel {
			n++
		}
	}
	return n
}

// channelSays reports whether a message in channel contains text.
func (w *world) channelSays(channel, text string) (slackemu.Message, bool) {
	for _, m := range w.emu.Messages(channel) {
		if strings.Contains(m.Text+blocksText(m.Blocks), text) {
			return m, true
		}
	}
	return slackemu.Message{}, false
}

func (w *world) archived(channel string) bool {
	ch, ok := w.emu.Channel(channel)
	return ok && ch.Archived
}

// archive_after after the resolution, an incident with a postmortem draft
// has its channel archived once, with a notice first, across restarts; one
// without a draft waits for it (or for its commander's Archive now); an
// open incident is never archived.
func TestAutoArchiveAcrossRestarts(t *testing.T) {
	t.Parallel()
	w, clk := archWorld(t, week)
	drafted := w.remDeclare(1, "SEV4", "cache stampede")
	undrafted := w.remDeclare(2, "SEV4", "dns flap")
	confirmed := w.remDeclare(3, "SEV4", "cert expiry")
	open := w.remDeclare(4, "SEV4", "queue backlog")
	ackText(t, w.slash(alice, drafted.ChannelID, "postmortem"))
	for _, inc := range []*incident.Incident{drafted, undrafted, confirmed} {
		ackText(t, w.slash(alice, inc.ChannelID, "resolve"))
	}
	w.idle()

	// A day short of archive_after: nothing happens, even across a restart.
	w.advance(clk, week-24*time.Hour)
	w.restart()
	w.advance(clk, 23*time.Hour)
	if n := len(w.emu.Calls("conversations.archive")); n != 0 {
		t.Fatalf("%d archive calls before archive_after", n)
	}

	// archive_after has passed: the drafted incident's channel gets the
	// notice, then is archived; the others are told what they wait for.
	w.advance(clk, time.Hour)
	notice, ok := w.channelSays(drafted.ChannelID, "Archiving this channel")
	if !ok {
		t.Fatal("no archive notice in the drafted incident's channel")
	}
	assertText(t, notice.Text, "INC-1", "postmortem is drafted", "7 days")
	if !w.archived(drafted.ChannelID) || w.archiveCalls(drafted.ChannelID) != 1 {
		t.Fatalf("INC-1 archived=%v after %d calls", w.archived(drafted.ChannelID), w.archiveCalls(drafted.ChannelID))
	}
	for _, inc := range []*incident.Incident{undrafted, confirmed} {
		if w.archived(inc.ChannelID) {
			t.Fatalf("%s archived without a postmortem", inc.ID())
		}
		m, ok := w.channelSays(inc.ChannelID, "archived once the postmortem is drafted")
		if !ok || !strings.Contains(blocksText(m.Blocks), `"action_id":"archive_now"`) {
			t.Fatalf("%s: no waiting message with Archive now (%+v)", inc.ID(), m)
		}
	}
	if w.archived(open.ChannelID) {
		t.Fatal("an open incident was archived")
	}

	// Restarting and letting weeks pass archives nothing twice, and
	// nothing open.
	w.restart()
	w.advance(clk, 3*week)
	if n := w.archiveCalls(drafted.ChannelID); n != 1 {
		t.Fatalf("INC-1 archived %d times", n)
	}
	if w.archived(undrafted.ChannelID) || w.archived(confirmed.ChannelID) || w.archived(open.ChannelID) {
		t.Fatal("a channel was archived without a postmortem, a confirmation, or while open")
	}
	var waits int
	for _, m := range w.emu.Messages(undrafted.ChannelID) {
		if strings.Contains(m.Text, "archived once the postmortem is drafted") {
			waits++
		}
	}
	if waits != 1 {
		t.Fatalf("%d waiting messages, want 1", waits)
	}

	// Drafting the postmortem archives at once: the draft, the notice,
	// then the archive.
	ackText(t, w.slash(alice, undrafted.ChannelID, "postmortem"))
	w.idle()
	if !w.archived(undrafted.ChannelID) {
		t.Fatal("INC-2 not archived after its postmortem was drafted")
	}
	if _, ok := w.channelSays(undrafted.ChannelID, "Archiving this channel"); !ok {
		t.Fatal("INC-2 archived without a notice")
	}
	shared := false
	for _, m := range w.emu.Messages(undrafted.ChannelID) {
		for _, f := range m.Files {
			shared = shared || f.Name == "INC-2-postmortem.md"
		}
	}
	if !shared {
		t.Fatal("INC-2's draft was not shared before the archive")
	}

	// Archive now: only the commander's click counts, and a second click
	// archives nothing twice.
	m, _ := w.channelSays(confirmed.ChannelID, "archived once the postmortem is drafted")
	if _, err := w.emu.ClickButton(w.ctx(), bob, confirmed.ChannelID, m.TS, "archive_now", ""); err != nil {
		t.Fatal(err)
	}
	w.idle()
	if w.archived(confirmed.ChannelID) {
		t.Fatal("a non-commander's click archived the channel")
	}
	for range 2 {
		if _, err := w.emu.ClickButton(w.ctx(), alice, confirmed.ChannelID, m.TS, "archive_now", ""); err != nil {
			t.Fatal(err)
		}
		w.idle()
	}
	if !w.archived(confirmed.ChannelID) || w.archiveCalls(confirmed.ChannelID) != 1 {
		t.Fatalf("INC-3 archived=%v after %d calls", w.archived(confirmed.ChannelID), w.archiveCalls(confirmed.ChannelID))
	}
	notice, _ = w.channelSays(confirmed.ChannelID, "Archiving this channel")
	assertText(t, notice.Text, "commander chose to archive it without a postmortem")
	if evs := remEventsOf(w.events(3), incident.EventArchived); len(evs) != 1 || evs[0].Actor != alice {
		t.Fatalf("archive events %+v", evs)
	}
	if w.archived(open.ChannelID) || !w.incident(4).Open() {
		t.Fatal("the open incident was archived")
	}
}

// incidents.archive_after 0 (the default) never archives.
func TestAutoArchiveOff(t *testing.T) {
	t.Parallel()
	w, clk := archWorld(t, 0)
	inc := w.remDeclare(1, "SEV4", "cache stampede")
	ackText(t, w.slash(alice, inc.ChannelID, "postmortem"))
	ackText(t, w.slash(alice, inc.ChannelID, "resolve"))
	w.idle()
	w.advance(clk, 52*week)
	if n := len(w.emu.Calls("conversations.archive")); n != 0 || w.archived(inc.ChannelID) {
		t.Fatalf("%d archive calls with auto-archive off", n)
	}
	if _, ok, err := w.app.Store().NextArchive(); ok || err != nil {
		t.Fatalf("archive entries left: %v, %v", ok, err)
	}
}

func assertText(t *testing.T, got string, want ...string) {
	t.Helper()
	for _, s := range want {
		if !strings.Contains(got, s) {
			t.Fatalf("%q does not contain %q", got, s)
		}
	}
}
