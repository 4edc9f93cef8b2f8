package app_test

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/incidentbot/incidentbot/config"
	"github.com/incidentbot/incidentbot/incident"
	"github.com/incidentbot/incidentbot/internal/clock"
	"github.com/incidentbot/incidentbot/internal/hookemu"
	"github.com/incidentbot/incidentbot/internal/pagerdutyemu"
	"github.com/incidentbot/incidentbot/internal/slackemu"
)

// pvSeenBy is everything user can see in the emulated workspace: every
// public channel and every private one they are in (name, topic, purpose,
// bookmarks, messages and thread replies, files), their DM with the bot,
// the ephemerals shown to them, and the modals and Home tab opened for
// them. It reads Slack's state, not the bot's.
func (w *world) pvSeenBy(user string) string {
	var b strings.Builder
	visible := map[string]bool{w.emu.DMChannel(user): true}
	for _, c := range w.emu.Channels() {
		if !c.Private || slices.Contains(c.Members, user) {
			visible[c.ID] = true
		}
	}
	for id := range visible {
		c, _ := w.emu.Channel(id)
		b.WriteString(c.Name + "\n" + c.Topic + "\n" + c.Purpose + "\n")
		for _, bm := range c.Bookmarks {
			b.WriteString(bm.Title + " " + bm.Link + "\n")
		}
		for _, m := range w.emu.Messages(id) {
			b.WriteString(m.Text + "\n" + blocksText(m.Blocks) + "\n")
		}
	}
	for _, f := range w.emu.Files() {
		if slices.ContainsFunc(f.Channels, func(c string) bool { return visible[c] }) {
			b.WriteString(f.Name + "\n" + f.Title + "\n" + string(f.Content) + "\n")
		}
	}
	for _, m := range w.emu.Ephemerals(user) {
		b.WriteString(m.Text + "\n" + blocksText(m.Blocks) + "\n")
	}
	for _, v := range w.emu.Views() {
		if v.UserID == user {
			b.WriteString(blocksText(v.View) + "\n")
		}
	}
	return b.String()
}

// A private incident's whole life — declared with a service, updated,
// raised to SEV1, its commander handed over, notes, an action item owned
// by an outsider, a 📌, reminders ignored until they would escalate,
// resolved, its postmortem drafted, its channel archived — while an
// outsider who shares the announce channel asks for the list, the Home
// tab and a declaration of their own. Everything the outsider can see in
// Slack, the PagerDuty page and the bot's log are then searched for what
// only its members may read: its title, summary, updates, notes, channel.
// The announcement says it exists and who commands it; nothing more.
func TestPrivateIncidentLifeShowsOutsidersNothing(t *testing.T) {
	t.Parallel()
	clk := clock.NewFake(worldStart)
	pd := pagerdutyemu.Start(t)
	hook := hookemu.Start(t, hookSecret, clk.Now) // every event, public incidents only
	w := newWorldOnClock(t, clk, nil, func(c *config.Config) {
		pdWith(pd, pdRoutingKey)(c)
		whWithHooks(config.Webhook{URL: hook.URL, Secret: config.Secret(hookSecret)})(c)
		c.Incidents.ArchiveAfter = time.Hour
		c.Incidents.PostmortemReminder = 30 * time.Minute
		c.Incidents.Severities = []config.Severity{
			{Name: "SEV1", Description: "Critical", Reminder: time.Second},
			{Name: "SEV2", Description: "Major", Reminder: time.Hour},
			{Name: "SEV3", Description: "Minor", Reminder: time.Hour},
		}
	})
	dave := w.emu.AddUser(slackemu.User{ID: "UDAVE0004", Name: "dave", RealName: "Dave Dunn"})

	// Alice declares; carol, the service's expert, is invited; bob is
	// not, though he reads the announce channel.
	v := w.openDeclareModal(alice)
	if _, err := w.emu.SubmitView(w.ctx(), alice, v.ID, map[string]any{
		"title": "Payroll export leaked", "severity": "SEV2", "summary": "salary table exposed to contractors",
		"service": "checkout", "commander": alice, "private": []string{"private"},
	}); err != nil {
		t.Fatal(err)
	}
	ch := w.declared(1, "", alice, carol)
	if !ch.Private || slices.Contains(ch.Members, bob) {
		t.Fatalf("channel %+v", ch)
	}

	w.slash(alice, ch.ID, "update")
	w.lcSubmit(alice, w.lcUpdateForm(2), map[string]any{"status": "identified", "severity": "SEV2", "summary": "rotated the exporter credentials", "next_steps": "audit the bucket policy"})
	w.slash(alice, ch.ID, "severity SEV1")
	w.slash(alice, ch.ID, "note contractors group had read access")
	w.slash(alice, ch.ID, "action review contractor grants <@"+bob+"|bob>")
	ts, err := w.emu.PostUserMessage(ch.ID, carol, "found the leaky bucket acl")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := w.emu.React(w.ctx(), alice, ch.ID, ts, "pushpin"); err != nil {
		t.Fatal(err)
	}
	w.idle()
	w.slash(alice, ch.ID, "role commander <@"+carol+"|carol>")
	w.idle()
	// SEV1 reminds every second: the third reminder in a row is where a
	// public incident's would reach the announcement's thread.
	w.remReminder(ch.ID, 3)
	w.idle()

	// The outsiders look around meanwhile.
	for _, u := range []string{bob, dave} {
		pvShows(t, u+"'s list", w.pvList(u), []string{"No open incidents"}, nil)
		w.pvHome(u)
	}
	w.slash(bob, w.announce, "declare SEV3 payroll export slow")
	w.idle()

	w.slash(carol, ch.ID, "resolve revoked the contractor grant")
	w.idle()
	w.slash(carol, ch.ID, "postmortem")
	w.idle()
	w.advance(clk, 2*time.Hour)
	if !w.archived(ch.ID) {
		t.Fatal("the private channel was not archived")
	}
	if len(w.emu.Files()) != 1 {
		t.Fatalf("%d postmortem drafts", len(w.emu.Files()))
	}

	inc := w.incident(1)
	// What happened, in the words of its members; then where.
	said := []string{
		"Payroll export leaked", "salary table", "rotated the exporter", "bucket policy",
		"contractors group", "review contractor grants", "leaky bucket", "revoked the contractor",
	}
	secrets := append(slices.Clone(said), ch.ID, ch.Name, "payroll-export-leaked")
	// The members saw it all (so every path above was taken)...
	member := w.pvSeenBy(carol)
	for _, s := range secrets {
		if !strings.Contains(member, s) {
			t.Fatalf("carol, a member, never saw %q: the life did not run", s)
		}
	}
	// ...the outsiders nothing but its existence and its commander.
	for _, u := range []string{bob, dave} {
		seen := w.pvSeenBy(u)
		for _, s := range secrets {
			if strings.Contains(seen, s) {
				t.Errorf("%s, not in the channel, can see %q", u, s)
			}
		}
		if !strings.Contains(seen, "private incident") || !strings.Contains(seen, "INC-1") {
			t.Errorf("%s was not told a private incident exists", u)
		}
	}

	// Slack unfurls no link the bot posts: a preview would carry another
	// page's text wherever the message goes. A form post carries "false",
	// a JSON one false.
	for _, c := range w.emu.Calls("chat.postMessage") {
		if c.OK && fmt.Sprint(c.Args["unfurl_links"]) != "false" {
			t.Errorf("chat.postMessage in %v without unfurl_links=false: %v", c.Args["channel"], c.Args["unfurl_links"])
		}
	}

	// A webhook endpoint without private: true hears of bob's incident
	// and of nothing of INC-1's life.
	if got := whTypes(hook.Accepted()); len(got) == 0 || slices.ContainsFunc(got, func(s string) bool { return strings.HasPrefix(s, "INC-1 ") }) {
		t.Errorf("the public webhook endpoint got %q, want INC-2's events only", got)
	}

	// PagerDuty, a third party, is paged with the ID, severity and service
	// (what routes the page) and the commander, never with what happened.
	if got := pdActions(pd); strings.Join(got, ",") != "trigger INC-1 error,resolve INC-1" {
		t.Errorf("PagerDuty got %q", got)
	}
	for _, ev := range pd.Accepted() {
		raw, _ := json.Marshal(ev)
		for _, s := range append(slices.Clone(said), "payroll-export-leaked") {
			if strings.Contains(string(raw), s) {
				t.Errorf("PagerDuty was sent %q: %s", s, raw)
			}
		}
	}

	// The log is read by whoever runs the bot, and shipped wherever they
	// ship logs: it names incidents by ID only.
	logs := w.logs.String()
	for _, s := range append(said, ch.Name, "payroll-export-leaked") {
		if strings.Contains(logs, s) {
			t.Errorf("the log shows %q:\n%s", s, grepLines(logs, s))
		}
	}
	if inc.Status != incident.Resolved {
		t.Fatalf("INC-1 is %s", inc.Status)
	}
}

// Slack keeps showing the last Home tab the bot published, until the bot
// publishes another: someone who leaves a private incident's channel gets
// theirs published again at once, without the incident, rather than
// keeping it on screen until they next open the tab.
func TestLeavingAPrivateChannelRepublishesTheHomeTab(t *testing.T) {
	t.Parallel()
	w := newWorld(t, nil, nil)
	priv := w.pvDeclarePrivate(1, alice, "Secret acquisition leaked")
	pvShows(t, "alice's home", w.pvHome(alice), []string{"Secret acquisition leaked"}, nil)

	published := len(w.emu.Calls("views.publish"))
	if _, err := w.emu.LeaveChannel(w.ctx(), alice, priv.ID); err != nil {
		t.Fatal(err)
	}
	seen := 0
	if _, err := w.emu.WaitCall(w.ctx(), "views.publish", func(c slackemu.Call) bool {
		seen++
		return seen > published && c.OK && c.Args["user_id"] == alice
	}); err != nil {
		t.Fatal("alice's Home tab was not published again after she left:", err)
	}
	var home string
	for _, v := range w.emu.Views() {
		if v.Type == "home" && v.UserID == alice {
			home = blocksText(v.View)
		}
	}
	pvShows(t, "alice's home once she left", home, []string{"No open incidents"}, []string{"INC-1", "Secret", priv.ID})

	// Leaving a public channel changes nobody's Home tab.
	w.slash(bob, w.announce, "declare SEV3 disk filling on db-7")
	pub := w.declared(2, "", bob)
	published = len(w.emu.Calls("views.publish"))
	if _, err := w.emu.LeaveChannel(w.ctx(), bob, pub.ID); err != nil {
		t.Fatal(err)
	}
	w.idle()
	if n := len(w.emu.Calls("views.publish")); n != published {
		t.Fatalf("%d Home tabs published when bob left a public incident's channel", n-published)
	}
}

// A private incident whose channel cannot be created (every name taken)
// is logged and recorded by its ID, not by the channel name its title
// makes.
func TestPrivateChannelFailureIsLoggedWithoutTheTitle(t *testing.T) {
	t.Parallel()
	w := newWorld(t, nil, nil)
	w.emu.Fail("conversations.create", slackemu.Fault{Error: "name_taken"})
	v := w.openDeclareModal(alice)
	if _, err := w.emu.SubmitView(w.ctx(), alice, v.ID, map[string]any{
		"title": "Payroll export leaked", "severity": "SEV2", "summary": "do not share", "commander": alice,
		"private": []string{"private"},
	}); err != nil {
		t.Fatal(err)
	}
	w.idle()
	logs := w.logs.String()
	if !strings.Contains(logs, "no free channel name for INC-1") {
		t.Fatalf("the log does not say the channel could not be created:\n%s", grepLines(logs, "create"))
	}
	if strings.Contains(strings.ToLower(logs), "payroll") {
		t.Errorf("the log shows the title:\n%s", grepLines(strings.ToLower(logs), "payroll"))
	}
}
