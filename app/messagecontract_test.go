package app_test

import (
	"strings"
	"testing"
	"time"
)

// The announcement and a status update say what the contract promises, as
// a reader finds them: the announcement the issue, its severity and what it
// means, its status, who commands, where the team coordinates and who else
// is involved; a status update (in the channel and the announcement's
// thread) the issue, the service, the time since it started, severity,
// status, what changed, the next steps, who manages and who is involved.
func TestAnnouncementAndStatusUpdateSayWhatWasPromised(t *testing.T) {
	t.Parallel()
	w := newWorld(t, nil, nil)
	form := w.openDeclareModal(alice)
	if _, err := w.emu.SubmitView(w.ctx(), alice, form.ID, map[string]any{
		"title": "Payments failing", "severity": "SEV2", "summary": "card payments time out",
		"service": "checkout", "commander": bob,
	}); err != nil {
		t.Fatal(err)
	}
	ch := w.declared(1, "Payments failing", alice, bob, carol)
	inc := w.incident(1)
	text := func(channel, ts string) string {
		m := w.lcMessage(channel, ts)
		return m.Text + "\n" + blocksText(m.Blocks)
	}
	says := func(what, body string, want ...string) {
		t.Helper()
		for _, s := range want {
			if !strings.Contains(body, s) {
				t.Errorf("%s does not say %q:\n%s", what, s, body)
			}
		}
	}
	says("the announcement", text(w.announce, inc.AnnounceTS),
		"Payments failing", "SEV2", "Major: a key feature degraded", "Investigating",
		"<@"+bob+">", "<#"+ch.ID+">", "<@"+carol+">")

	w.clock.Advance(80 * time.Minute)
	w.slash(alice, ch.ID, "update")
	w.lcSubmit(alice, w.lcUpdateForm(2), map[string]any{
		"status": "identified", "summary": "a bad deploy of the payment service", "next_steps": "roll it back",
	})
	w.idle()
	update := w.lcPosted(ch.ID, "a bad deploy of the payment service")
	thread := w.lcThread(inc)
	if len(update) != 1 || len(thread) != 1 {
		t.Fatalf("%d updates in the channel, %d in the announcement's thread", len(update), len(thread))
	}
	for what, m := range map[string]string{"the update in the channel": update[0].TS, "the update in the thread": thread[0].TS} {
		channel := ch.ID
		if m == thread[0].TS {
			channel = w.announce
		}
		says(what, text(channel, m),
			"Payments failing", "checkout", "1h 20m", "SEV2", "Identified",
			"a bad deploy of the payment service", "roll it back", "<@"+bob+">", "<@"+carol+">")
	}
	says("the refreshed announcement", text(w.announce, inc.AnnounceTS), "Identified")
}
