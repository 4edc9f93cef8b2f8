package app_test

import (
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/incidentbot/incidentbot/commands"
	"github.com/incidentbot/incidentbot/config"
	"github.com/incidentbot/incidentbot/internal/slackemu"
	"github.com/incidentbot/incidentbot/templates"
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
	t.Parallel()
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
	t.Parallel()
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

// opsToken is the http.token of tests that turn the incident routes on.
const opsToken = "ops-token-0123456789abcdef0123456789abcdef"

// opsGet fetches path from the ops listener, with "Authorization: auth"
// unless auth is "".
func (w *world) opsGet(path, auth string) (*http.Response, string) {
	w.t.Helper()
	req, err := http.NewRequestWithContext(w.ctx(), http.MethodGet, "http://"+w.app.OpsAddr()+path, nil)
	if err != nil {
		w.t.Fatal(err)
	}
	if auth != "" {
		req.Header.Set("Authorization", auth)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		w.t.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		w.t.Fatal(err)
	}
	return resp, string(body)
}

// The postmortem route answers only a caller with http.token: no token or
// a wrong one gets 401 with a Bearer challenge and no data; the right one
// gets the draft, a private incident's too (a token is an operator, who sees
// every incident). The probes stay open and carry no incident data.
func TestOpsListenerPostmortemNeedsTheToken(t *testing.T) {
	t.Parallel()
	w := newWorld(t, nil, func(c *config.Config) { c.HTTP.Listen, c.HTTP.Token = "127.0.0.1:0", opsToken })
	pub := w.pmStory()
	priv := w.pvDeclarePrivate(2, bob, "Secret acquisition leaked")
	w.idle()
	const route = "/incidents/INC-1/postmortem.md"
	tmpl, err := templates.Load("")
	if err != nil {
		t.Fatal(err)
	}
	want, err := (&commands.Service{Store: w.app.Store(), Settings: w.cfg.Settings(), Command: w.cfg.Slack.Command}).DraftPostmortem(1, tmpl, nil)
	if err != nil {
		t.Fatal(err)
	}
	title := w.incident(1).Title

	for _, auth := range []string{"", "Bearer wrong-token", "Bearer " + opsToken[:len(opsToken)-1], "Basic " + opsToken, opsToken} {
		resp, body := w.opsGet(route, auth)
		if resp.StatusCode != http.StatusUnauthorized || !strings.HasPrefix(resp.Header.Get("WWW-Authenticate"), "Bearer") {
			t.Fatalf("GET with %q: %d %q, want 401 with a Bearer challenge", auth, resp.StatusCode, resp.Header.Get("WWW-Authenticate"))
		}
		if strings.Contains(body, title) || strings.Contains(body, alice) {
			t.Fatalf("GET with %q reveals the incident: %s", auth, body)
		}
	}
	if resp, body := w.opsGet(route, "Bearer "+opsToken); resp.StatusCode != http.StatusOK || body != want {
		t.Fatalf("GET with the token: %d\n%s", resp.StatusCode, body)
	}
	if resp, _ := w.opsGet("/incidents/INC-9/postmortem.md", "Bearer "+opsToken); resp.StatusCode != http.StatusNotFound {
		t.Fatalf("unknown incident with the token: %d, want 404", resp.StatusCode)
	}
	for _, auth := range []string{"", "Bearer wrong-token"} {
		if resp, body := w.opsGet("/incidents/INC-2/postmortem.md", auth); resp.StatusCode != http.StatusUnauthorized || strings.Contains(body, "Secret") || strings.Contains(body, priv.ID) {
			t.Fatalf("private incident with %q: %d %s", auth, resp.StatusCode, body)
		}
	}
	if resp, body := w.opsGet("/incidents/INC-2/postmortem.md", "Bearer "+opsToken); resp.StatusCode != http.StatusOK || !strings.Contains(body, "Secret acquisition leaked") {
		t.Fatalf("private incident with the token (an operator): %d %s", resp.StatusCode, body)
	}

	// The probes need no credentials and say nothing about incidents.
	for _, path := range []string{"/healthz", "/readyz", "/metrics"} {
		resp, body := w.opsGet(path, "")
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("GET %s: %d", path, resp.StatusCode)
		}
		for _, s := range []string{title, "Secret", "INC-", alice, bob, pub.ID, priv.ID, pub.Name, priv.Name} {
			if strings.Contains(body, s) {
				t.Fatalf("GET %s shows %q:\n%s", path, s, body)
			}
		}
	}
}

// Without http.token the postmortem route does not exist: 404 as for any
// unknown path, whatever the caller sends.
func TestOpsListenerWithoutTokenServesNoIncident(t *testing.T) {
	t.Parallel()
	w := newWorld(t, nil, func(c *config.Config) { c.HTTP.Listen = "127.0.0.1:0" })
	w.pmStory()
	w.idle()
	_, unknown := w.opsGet("/no/such/path", "")
	for _, auth := range []string{"", "Bearer anything", "Bearer "} {
		resp, body := w.opsGet("/incidents/INC-1/postmortem.md", auth)
		if resp.StatusCode != http.StatusNotFound || body != unknown || resp.Header.Get("WWW-Authenticate") != "" {
			t.Fatalf("GET with %q: %d %q %q, want the 404 of an unknown path", auth, resp.StatusCode, resp.Header.Get("WWW-Authenticate"), body)
		}
	}
	if resp, _ := w.opsGet("/healthz", ""); resp.StatusCode != http.StatusOK {
		t.Fatalf("/healthz: %d", resp.StatusCode)
	}
}

// A private incident whose channel could not be created is shown to its
// declarer and its role holders (the people the bot would have invited),
// and to nobody else.
func TestPrivateIncidentWithoutChannelShownToDeclarerAndRoles(t *testing.T) {
	t.Parallel()
	w := newWorld(t, nil, nil)
	w.emu.Fail("conversations.create", slackemu.Fault{Error: "restricted_action"})
	v := w.openDeclareModal(alice)
	if _, err := w.emu.SubmitView(w.ctx(), alice, v.ID, map[string]any{
		"title": "Secret acquisition leaked", "severity": "SEV1", "summary": "do not share", "commander": bob,
		"private": []string{"private"},
	}); err != nil {
		t.Fatal(err)
	}
	w.idle()
	if inc := w.incident(1); inc.ChannelID != "" || !inc.Private {
		t.Fatalf("want a private incident without a channel: %+v", inc)
	}
	for _, user := range []string{alice, bob} {
		pvShows(t, user+"'s list", w.pvList(user), []string{"*INC-1*", "Secret acquisition leaked", "channel not created yet"}, nil)
	}
	pvShows(t, "carol's list", w.pvList(carol), []string{"No open incidents"}, []string{"INC-1", "Secret"})
	pvShows(t, "carol's home", w.pvHome(carol), []string{"No open incidents"}, []string{"INC-1", "Secret"})
	if n := len(w.emu.Calls("conversations.members")); n != 0 {
		t.Fatalf("%d conversations.members calls for an incident without a channel", n)
	}
}
