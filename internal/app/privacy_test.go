package app_test

import (
	"strings"
	"testing"

	"github.com/incidentbot/incidentbot/internal/slackemu"
)

// pvDeclarePrivate declares INC-n through the form as a private incident
// commanded by user, and returns its channel (user and the bot in it).
func (w *world) pvDeclarePrivate(n uint64, user, title string) slackemu.Channel {
	w.t.Helper()
	v := w.openDeclareModal(user)
	if _, err := w.emu.SubmitView(w.ctx(), user, v.ID, map[string]any{
		"title": title, "severity": "SEV1", "summary": "do not share", "commander": user,
		"private": []string{"private"},
	}); err != nil {
		w.t.Fatal(err)
	}
	ch := w.declared(n, "", user)
	if !ch.Private {
		w.t.Fatal("channel is not private")
	}
	return ch
}

// pvList is user's `/incident list` reply.
func (w *world) pvList(user string) string {
	w.t.Helper()
	return ackText(w.t, w.slash(user, w.announce, "list"))
}

// pvHome opens user's App Home tab and returns what the bot published.
func (w *world) pvHome(user string) string {
	w.t.Helper()
	before := 0
	for _, c := range w.emu.Calls("views.publish") {
		if c.OK && c.Args["user_id"] == user {
			before++
		}
	}
	if _, err := w.emu.Event(w.ctx(), map[string]any{"type": "app_home_opened", "user": user, "channel": w.emu.DMChannel(user), "tab": "home"}); err != nil {
		w.t.Fatal(err)
	}
	seen := 0
	if _, err := w.emu.WaitCall(w.ctx(), "views.publish", func(c slackemu.Call) bool {
		if !c.OK || c.Args["user_id"] != user {
			return false
		}
		seen++
		return seen > before
	}); err != nil {
		w.t.Fatal(err)
	}
	for _, v := range w.emu.Views() {
		if v.Type == "home" && v.UserID == user {
			return blocksText(v.View)
		}
	}
	w.t.Fatalf("no home view for %s", user)
	return ""
}

// pvShows fails unless text shows every want and none of hidden.
func pvShows(t *testing.T, who, text string, want, hidden []string) {
	t.Helper()
	for _, s := range want {
		if !strings.Contains(text, s) {
			t.Fatalf("%s lacks %q:\n%s", who, s, text)
		}
	}
	for _, s := range hidden {
		if strings.Contains(text, s) {
			t.Fatalf("%s reveals %q:\n%s", who, s, text)
		}
	}
}

// A private incident shows in `/incident list` and on the Home tab to the
// members of its channel only; a public one shows to everyone. Someone who
// leaves the channel stops seeing it at once: Slack's member_left_channel
// drops the bot's cached member list.
func TestPrivateIncidentShownOnlyToChannelMembers(t *testing.T) {
	w := newWorld(t, nil, nil)
	priv := w.pvDeclarePrivate(1, alice, "Secret acquisition leaked")
	w.slash(bob, w.announce, "declare SEV3 disk filling on db-7")
	w.declared(2, "", bob)
	secret := []string{"INC-1", "Secret acquisition", priv.ID, priv.Name}

	member, stranger := w.pvList(alice), w.pvList(bob)
	pvShows(t, "alice's list", member, []string{"*2 open incidents*", "*INC-1*", "Secret acquisition leaked", "<#" + priv.ID + ">", "*INC-2*", "disk filling"}, nil)
	pvShows(t, "bob's list", stranger, []string{"*1 open incident*", "*INC-2*", "disk filling"}, secret)

	pvShows(t, "alice's home", w.pvHome(alice), []string{"INC-1", "Secret acquisition leaked", "INC-2", "disk filling"}, nil)
	pvShows(t, "bob's home", w.pvHome(bob), []string{"INC-2", "disk filling"}, secret)

	// Alice leaves the private channel; her member list was cached by the
	// lists above.
	if _, err := w.emu.LeaveChannel(w.ctx(), alice, priv.ID); err != nil {
		t.Fatal(err)
	}
	pvShows(t, "alice's list after leaving", w.pvList(alice), []string{"*1 open incident*", "*INC-2*"}, secret)
	pvShows(t, "alice's home after leaving", w.pvHome(alice), []string{"INC-2", "disk filling", "You hold no role"}, secret)
	// Carol, who never was in it, never saw it.
	pvShows(t, "carol's list", w.pvList(carol), []string{"*INC-2*"}, secret)
}

// When Slack cannot say who is in a private incident's channel, the
// incident stays hidden, even from its members, and the reply says that
// something was left out; the log says why.
func TestPrivateIncidentHiddenWhenMembershipCannotBeChecked(t *testing.T) {
	w := newWorld(t, nil, nil)
	priv := w.pvDeclarePrivate(1, alice, "Secret acquisition leaked")
	w.emu.Fail("conversations.members", slackemu.Fault{Error: "internal_error"})
	got := w.pvList(alice)
	pvShows(t, "alice's list", got, []string{"No open incidents", "1 private incident not shown", "Try again"}, []string{"Secret", priv.ID})
	pvShows(t, "alice's home", w.pvHome(alice), []string{"1 private incident not shown"}, []string{"Secret", priv.ID})
	if !strings.Contains(w.logs.String(), "conversations.members failed") {
		t.Fatal("the log does not say why the incident was hidden")
	}
	w.emu.ClearFaults()
	pvShows(t, "alice's list once Slack answers", w.pvList(alice), []string{"*INC-1*", "Secret acquisition leaked"}, []string{"not shown"})
}
