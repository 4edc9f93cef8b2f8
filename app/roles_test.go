package app_test

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/incidentbot/incidentbot/config"
	"github.com/incidentbot/incidentbot/incident"
	"github.com/incidentbot/incidentbot/internal/slackemu"
	"github.com/incidentbot/incidentbot/store"
)

// Users the role tests add to the workspace.
const (
	dana     = "UDANA0004"
	robot    = "UROBOT005" // a bot user
	departed = "UGONE0006" // deactivated
)

// roleWorld is a workspace with extra roles configured, a bot user and a
// deactivated user, and INC-1 declared by alice (its commander).
func roleWorld(t *testing.T) (*world, slackemu.Channel) {
	t.Helper()
	w := newWorld(t, nil, func(c *config.Config) {
		c.Incidents.Roles = append(c.Incidents.Roles,
			config.Role{ID: "scribe", Name: "Scribe"},
			config.Role{ID: "liaison", Name: "Customer Liaison"})
	})
	w.emu.AddUser(slackemu.User{ID: dana, Name: "dana", RealName: "Dana Diaz"})
	w.emu.AddUser(slackemu.User{ID: robot, Name: "deploybot", IsBot: true})
	w.emu.AddUser(slackemu.User{ID: departed, Name: "gus", Deleted: true})
	w.slash(alice, w.announce, "declare SEV2 checkout returns 500s")
	return w, w.declared(1, "", alice)
}

// roleMark counts what Slack has seen so far, so a test can look at what a
// role change added.
type roleMark struct {
	calls  map[string]int
	events int
}

var roleMethods = []string{"conversations.invite", "chat.update", "conversations.setTopic", "chat.postMessage", "chat.postEphemeral", "users.info"}

func (w *world) roleMark(n uint64) roleMark {
	m := roleMark{calls: map[string]int{}, events: len(w.events(n))}
	for _, method := range roleMethods {
		m.calls[method] = len(w.emu.Calls(method))
	}
	return m
}

// roleCallsSince returns the calls of method made after the mark.
func (w *world) roleCallsSince(m roleMark, method string) []slackemu.Call {
	return w.emu.Calls(method)[m.calls[method]:]
}

// rolePick picks user in the card's role:<id> select as picker.
func (w *world) rolePick(picker, role, user string) {
	w.t.Helper()
	inc := w.incident(1)
	ack, err := w.emu.SelectUser(w.ctx(), picker, inc.ChannelID, inc.CardTS, "role:"+role, user)
	if err != nil {
		w.t.Fatal(err)
	}
	if len(ack.Payload) != 0 {
		w.t.Fatalf("a pick was acked with %s; block_actions acks are bare", ack.Payload)
	}
}

// rolePickAnswer waits for the answer shown to user (only) after a pick,
// and fails unless it says want.
func (w *world) rolePickAnswer(user, want string) {
	w.t.Helper()
	call, err := w.emu.WaitCall(w.ctx(), "response_url", func(c slackemu.Call) bool {
		return strings.Contains(fmt.Sprint(c.Args["text"]), want)
	})
	if err != nil || !call.OK {
		w.t.Fatalf("no answer %q to the picker: %+v %v", want, call, err)
	}
	if call.Args["replace_original"] == true {
		w.t.Fatal("the answer to a pick replaced the card")
	}
	if !slices.ContainsFunc(w.emu.Ephemerals(user), func(m slackemu.Message) bool { return strings.Contains(m.Text, want) }) {
		w.t.Fatalf("%s was not shown %q", user, want)
	}
}

// roleSectionText is the card's section for role, as Slack shows it now.
func (w *world) roleSectionText(role string) string {
	w.t.Helper()
	inc := w.incident(1)
	for _, m := range w.emu.Messages(inc.ChannelID) {
		if m.TS != inc.CardTS {
			continue
		}
		var blocks []map[string]any
		if err := json.Unmarshal(m.Blocks, &blocks); err != nil {
			w.t.Fatal(err)
		}
		for _, b := range blocks {
			// By the picker's action_id: block_ids change on every redraw.
			if acc, _ := b["accessory"].(map[string]any); acc["action_id"] == "role:"+role {
				raw, _ := json.Marshal(b)
				return blocksText(raw)
			}
		}
		w.t.Fatalf("the card has no section for %s: %s", role, m.Blocks)
	}
	w.t.Fatal("no card")
	return ""
}

// assertAssigned checks everything a role change leaves behind since mark:
// the holder in the store and on the timeline, the invitation, the card
// edited in place, the topic rewritten, and the message in the channel.
func (w *world) assertAssigned(m roleMark, role, holder, by, prev string, wantInChannel ...string) incident.Event {
	w.t.Helper()
	w.idle()
	inc := w.incident(1)
	if got := inc.Holder(role); got != holder {
		w.t.Fatalf("%s held by %q, want %q", role, got, holder)
	}
	evs := w.events(1)[m.events:]
	if len(evs) != 1 {
		w.t.Fatalf("timeline gained %+v, want one role event", evs)
	}
	ev := evs[0]
	wantKind := incident.EventRoleAssigned
	if prev != "" {
		wantKind = incident.EventRoleHandoff
	}
	if ev.Kind != wantKind || ev.Role != role || ev.To != holder || ev.From != prev || ev.Actor != by {
		w.t.Fatalf("event %+v, want %s of %s from %q to %s by %s", ev, wantKind, role, prev, holder, by)
	}
	invited := false
	for _, c := range w.roleCallsSince(m, "conversations.invite") {
		invited = invited || (c.Args["channel"] == inc.ChannelID && strings.Contains(fmt.Sprint(c.Args["users"]), holder))
	}
	ch, _ := w.emu.Channel(inc.ChannelID)
	if !invited && !slices.Contains(ch.Members, holder) {
		w.t.Fatalf("%s was neither invited nor a member", holder)
	}
	if !slices.Contains(ch.Members, holder) {
		w.t.Fatalf("%s is not in the channel: %v", holder, ch.Members)
	}
	updated := false
	for _, c := range w.roleCallsSince(m, "chat.update") {
		raw, _ := json.Marshal(c.Args["blocks"])
		updated = updated || (c.OK && c.Args["ts"] == inc.CardTS && strings.Contains(blocksText(raw), "<@"+holder+">"))
	}
	if !updated {
		w.t.Fatalf("the card was not updated in place with %s", holder)
	}
	if sec := w.roleSectionText(role); !strings.Contains(sec, "<@"+holder+">") || !strings.Contains(sec, `"initial_user":"`+holder+`"`) {
		w.t.Fatalf("the card's %s section does not show %s: %s", role, holder, sec)
	}
	if topics := w.roleCallsSince(m, "conversations.setTopic"); len(topics) == 0 || !topics[len(topics)-1].OK {
		w.t.Fatal("the topic was not rewritten")
	}
	if cur, _ := w.emu.Channel(inc.ChannelID); !strings.Contains(cur.Topic, "<@"+inc.Holder(incident.RoleCommander)+">") {
		w.t.Fatalf("topic %q does not show the commander", cur.Topic)
	}
	var said string
	for _, c := range w.roleCallsSince(m, "chat.postMessage") {
		if c.Args["channel"] == inc.ChannelID {
			said += c.Args["text"].(string) + "\n"
		}
	}
	for _, want := range append([]string{"<@" + holder + ">"}, wantInChannel...) {
		if !strings.Contains(said, want) {
			w.t.Fatalf("the channel was told %q, which lacks %q", said, want)
		}
	}
	for _, c := range w.emu.Calls("") {
		assertNoInjection(w.t, c)
	}
	return ev
}

func TestPickingARoleOnTheCardAssignsIt(t *testing.T) {
	t.Parallel()
	w, _ := roleWorld(t)
	if sec := w.roleSectionText("comms"); !strings.Contains(sec, "IC covers Communications Lead") || !strings.Contains(sec, "<@"+alice+">") {
		t.Fatalf("an empty role does not say the commander covers it: %s", sec)
	}
	m := w.roleMark(1)
	told := len(w.emu.Ephemerals(alice))
	w.rolePick(alice, "comms", bob)
	w.assertAssigned(m, "comms", bob, alice, "", "is now *Communications Lead*", "assigned by <@"+alice+">")
	if n := len(w.emu.Ephemerals(alice)) - told; n != 0 {
		t.Fatalf("a pick that worked also sent %d ephemeral messages", n)
	}
}

func TestRoleSlashCommandAssignsIt(t *testing.T) {
	t.Parallel()
	w, ch := roleWorld(t)
	m := w.roleMark(1)
	w.skipCalls()
	got := ackText(t, w.slash(alice, ch.ID, "role ops <@"+dana+"|dana>"))
	if !strings.Contains(got, "<@"+dana+"> is now *Operations Lead* for INC-1") {
		t.Fatalf("reply %q", got)
	}
	calls := w.expectCalls(t,
		"users.info", // before the ack: is the assignee someone who can hold a role?
		anyOrder(
			"conversations.invite "+ch.ID,
			"chat.update "+ch.ID, // the card
			"conversations.setTopic "+ch.ID,
			"chat.update "+w.announce, // the announcement
			"chat.postMessage "+ch.ID, // who holds the role now
		),
	)
	// The message waits until dana is in the channel and on the card.
	at := func(method string) int {
		return slices.IndexFunc(calls, func(c slackemu.Call) bool { return c.Method == method && c.Args["channel"] == ch.ID })
	}
	if post := at("chat.postMessage"); post < at("conversations.invite") || post < at("chat.update") {
		t.Fatal("the role was said in the channel before dana was in it and on the card")
	}
	w.assertAssigned(m, "ops", dana, alice, "", "is now *Operations Lead*", "technical work")
}

func TestRoleSlashCommandTakesANamePrefix(t *testing.T) {
	t.Parallel()
	w, ch := roleWorld(t)
	m := w.roleMark(1)
	ackText(t, w.slash(bob, ch.ID, "role Communications <@"+bob+">"))
	w.assertAssigned(m, "comms", bob, bob, "")
	if said := w.emu.Messages(ch.ID); strings.Contains(said[len(said)-1].Text, "assigned by") {
		t.Fatalf("someone who takes a role themselves is said to be assigned by themselves: %q", said[len(said)-1].Text)
	}
}

func TestCommanderHandoffReachesTimelineChannelAndAnnouncement(t *testing.T) {
	t.Parallel()
	w, ch := roleWorld(t)
	m := w.roleMark(1)
	w.skipCalls()
	got := ackText(t, w.slash(carol, ch.ID, "role commander <@"+bob+"|bob>"))
	if !strings.Contains(got, "passes from <@"+alice+"> to <@"+bob+">") {
		t.Fatalf("reply %q", got)
	}
	calls := w.expectCalls(t,
		"users.info",
		anyOrder(
			"conversations.invite "+ch.ID,
			"chat.update "+ch.ID, // the card
			"conversations.setTopic "+ch.ID,
			"chat.update "+w.announce,      // the announcement
			"chat.postMessage "+ch.ID,      // the handoff, in the channel
			"chat.postMessage "+w.announce, // and in the announcement's thread
		),
	)
	// The channel's message waits until bob is in and on the card.
	at := func(method, channel string) int {
		return slices.IndexFunc(calls, func(c slackemu.Call) bool { return c.Method == method && c.Args["channel"] == channel })
	}
	if post := at("chat.postMessage", ch.ID); post < at("conversations.invite", ch.ID) || post < at("chat.update", ch.ID) {
		t.Fatal("the handoff was said in the channel before bob was in it and on the card")
	}
	ev := w.assertAssigned(m, "commander", bob, carol, alice, "handoff", "<@"+alice+">", "handed over by <@"+carol+">", "brief them")
	if ev.At.IsZero() {
		t.Fatal("the handoff has no time")
	}
	inc := w.incident(1)
	// The topic names the new commander.
	if cur, _ := w.emu.Channel(ch.ID); !strings.Contains(cur.Topic, "<@"+bob+">") || strings.Contains(cur.Topic, alice) {
		t.Fatalf("topic %q", cur.Topic)
	}
	// The announcement is edited in place and its thread says who commands.
	ann := w.announcements()
	if len(ann) != 1 || ann[0].Updates == 0 || !strings.Contains(blocksText(ann[0].Blocks), "*Commander:* <@"+bob+">") {
		t.Fatalf("announcement not refreshed: %+v", ann)
	}
	var thread []string
	for _, msg := range w.emu.Messages(w.announce) {
		if msg.ThreadTS == inc.AnnounceTS && msg.TS != inc.AnnounceTS {
			thread = append(thread, msg.Text)
		}
	}
	if len(thread) != 1 || !strings.Contains(thread[0], "<@"+bob+"> is now commanding INC-1, taking over from <@"+alice+">") {
		t.Fatalf("announcement thread %q", thread)
	}
	// The commander's row on the card.
	if sec := w.roleSectionText("commander"); !strings.Contains(sec, "<@"+bob+">") || strings.Contains(sec, alice) {
		t.Fatalf("commander section %s", sec)
	}
	// Roles nobody holds are now covered by the new commander.
	if sec := w.roleSectionText("ops"); !strings.Contains(sec, "IC covers Operations Lead: <@"+bob+">") {
		t.Fatalf("ops section %s", sec)
	}
}

func TestHandoffOfAnotherRoleTellsBothPeopleButNotTheAnnouncementThread(t *testing.T) {
	t.Parallel()
	w, _ := roleWorld(t)
	w.rolePick(alice, "comms", bob)
	w.idle()
	m := w.roleMark(1)
	w.rolePick(alice, "comms", carol)
	w.assertAssigned(m, "comms", carol, alice, bob, "Communications Lead handoff", "<@"+bob+"> → <@"+carol+">")
	inc := w.incident(1)
	for _, msg := range w.emu.Messages(w.announce) {
		if msg.ThreadTS == inc.AnnounceTS && msg.TS != inc.AnnounceTS {
			t.Fatalf("a comms handoff was posted in the announcement thread: %q", msg.Text)
		}
	}
}

func TestExtraConfiguredRolesWorkLikeTheBuiltInOnes(t *testing.T) {
	t.Parallel()
	w, ch := roleWorld(t)
	for _, role := range []string{"scribe", "liaison"} {
		if sec := w.roleSectionText(role); !strings.Contains(sec, `"action_id":"role:`+role+`"`) {
			t.Fatalf("the card has no picker for %s: %s", role, sec)
		}
	}
	m := w.roleMark(1)
	w.rolePick(bob, "scribe", dana)
	w.assertAssigned(m, "scribe", dana, bob, "", "is now *Scribe*")
	m = w.roleMark(1)
	ackText(t, w.slash(alice, ch.ID, "role customer <@"+carol+">"))
	w.assertAssigned(m, "liaison", carol, alice, "", "is now *Customer Liaison*")
	// The announcement lists everyone involved.
	if body := blocksText(w.announcements()[0].Blocks); !strings.Contains(body, "<@"+dana+">") || !strings.Contains(body, "<@"+carol+">") {
		t.Fatalf("announcement does not list the new role holders: %s", body)
	}
}

// assertNothingChanged checks that a refused assignment left no trace.
func (w *world) assertNothingChanged(m roleMark, roles map[string]string) {
	w.t.Helper()
	w.idle()
	if got := w.incident(1).Roles; !mapsEqual(got, roles) {
		w.t.Fatalf("roles changed to %v", got)
	}
	if n := len(w.events(1)); n != m.events {
		w.t.Fatalf("timeline changed: %+v", w.events(1)[m.events:])
	}
	for _, method := range []string{"conversations.invite", "conversations.setTopic", "chat.postMessage"} {
		if calls := w.roleCallsSince(m, method); len(calls) != 0 {
			w.t.Fatalf("a refused assignment made %d %s calls", len(calls), method)
		}
	}
}

func mapsEqual(a, b map[string]string) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if b[k] != v {
			return false
		}
	}
	return true
}

func TestBadRoleCommandsAreAnsweredAndChangeNothing(t *testing.T) {
	t.Parallel()
	w, ch := roleWorld(t)
	tests := []struct {
		name, channel, text string
		want                []string
		askSlack            bool // whether users.info must be asked
	}{
		{"outside an incident channel", w.announce, "role ops <@" + bob + ">", []string{"only in an incident's channel", "/incident list"}, false},
		{"unknown role", ch.ID, "role chef <@" + bob + ">", []string{`"chef" is not a role`, "`commander`", "`comms`", "`ops`", "`scribe`", "`liaison` (Customer Liaison)"}, false},
		{"ambiguous role", ch.ID, "role comm <@" + bob + ">", []string{"`commander` or `comms`"}, false},
		{"no user", ch.ID, "role ops", []string{"say who takes the ops role"}, false},
		{"no role", ch.ID, "role", []string{"say which role and who takes it"}, false},
		{"malformed mention", ch.ID, "role ops @bob", []string{`"@bob" is not a mention`}, false},
		{"a bot", ch.ID, "role ops <@" + robot + "|deploybot>", []string{"@deploybot is a bot", "roles go to people"}, true},
		{"a deactivated user", ch.ID, "role comms <@" + departed + "|gus>", []string{"@gus is deactivated"}, true},
		{"an unknown user", ch.ID, "role comms <@UNOBODY99>", []string{"cannot find the user UNOBODY99"}, true},
		{"the bot itself", ch.ID, "role scribe <@" + w.emu.BotUserID() + ">", []string{"is a bot"}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := w.roleMark(1)
			// The text is what Slack sends: a person picked as you type
			// @ arrives as <@U…|name> markup, even one the workspace no
			// longer knows (a departed guest, a Slack Connect user).
			got := ackText(t, w.slashMarkup(bob, tt.channel, tt.text))
			for _, want := range tt.want {
				if !strings.Contains(got, want) {
					t.Fatalf("reply %q lacks %q", got, want)
				}
			}
			w.assertNothingChanged(m, map[string]string{"commander": alice})
			if asked := len(w.roleCallsSince(m, "users.info")) > 0; asked != tt.askSlack {
				t.Fatalf("users.info asked: %v, want %v", asked, tt.askSlack)
			}
		})
	}
	// Still serving.
	m := w.roleMark(1)
	ackText(t, w.slash(bob, ch.ID, "role ops <@"+bob+">"))
	w.assertAssigned(m, "ops", bob, bob, "")
}

func TestRefusedPickIsExplainedToThePickerAndRedrawsTheCard(t *testing.T) {
	t.Parallel()
	w, _ := roleWorld(t)
	for _, tt := range []struct{ user, want string }{
		{robot, "@deploybot is a bot"},
		{departed, "@gus is deactivated"},
	} {
		m := w.roleMark(1)
		cardUpdates := len(w.emu.Calls("chat.update"))
		w.rolePick(bob, "comms", tt.user) // bob only previews the channel: no member
		w.rolePickAnswer(bob, tt.want)
		w.assertNothingChanged(m, map[string]string{"commander": alice})
		// The card is redrawn so its picker shows nobody again, not the
		// refused choice.
		if len(w.emu.Calls("chat.update")) == cardUpdates {
			t.Fatal("the card was not redrawn after a refused pick")
		}
		if sec := w.roleSectionText("comms"); strings.Contains(sec, tt.user) || strings.Contains(sec, "initial_user") {
			t.Fatalf("the comms picker shows %s: %s", tt.user, sec)
		}
	}
	// Still serving.
	m := w.roleMark(1)
	w.rolePick(bob, "comms", carol)
	w.assertAssigned(m, "comms", carol, bob, "")
}

func TestPickingTheHolderAgainChangesNothing(t *testing.T) {
	t.Parallel()
	w, ch := roleWorld(t)
	m := w.roleMark(1)
	w.rolePick(bob, "commander", alice)
	w.rolePickAnswer(bob, "already holds *Incident Commander*")
	w.assertNothingChanged(m, map[string]string{"commander": alice})
	got := ackText(t, w.slash(bob, ch.ID, "role ic <@"+alice+">"))
	if !strings.Contains(got, "<@"+alice+"> already holds *Incident Commander* for INC-1; nothing changed.") {
		t.Fatalf("reply %q", got)
	}
	w.assertNothingChanged(m, map[string]string{"commander": alice})
}

func TestARedeliveredPickAssignsOnce(t *testing.T) {
	t.Parallel()
	w, ch := roleWorld(t)
	inc := w.incident(1)
	payload := map[string]any{
		"type": "block_actions", "user": alice,
		"container": map[string]any{"type": "message", "message_ts": inc.CardTS, "channel_id": ch.ID},
		"channel":   map[string]any{"id": ch.ID, "name": ch.Name},
		"actions": []any{map[string]any{
			"type": "users_select", "action_id": "role:ops", "block_id": "role-ops", "selected_user": bob, "action_ts": "1764126000.000100",
		}},
	}
	m := w.roleMark(1)
	told := len(w.emu.Ephemerals(alice))
	for range 2 {
		if _, err := w.emu.Interact(w.ctx(), payload); err != nil {
			t.Fatal(err)
		}
	}
	w.assertAssigned(m, "ops", bob, alice, "")
	if n := len(w.emu.Ephemerals(alice)) - told; n != 0 {
		t.Fatalf("a redelivered pick sent %d ephemeral messages", n)
	}
}

func TestRolesOfAResolvedIncidentCanChangeWithAWord(t *testing.T) {
	t.Parallel()
	w, ch := roleWorld(t)
	err := w.app.Store().Update(context.Background(), func(tx store.Tx) error {
		inc, err := tx.Incident(1)
		if err != nil {
			return err
		}
		if err := inc.SetStatus(incident.Resolved, inc.DeclaredAt); err != nil {
			return err
		}
		return tx.PutIncident(inc)
	})
	if err != nil {
		t.Fatal(err)
	}
	m := w.roleMark(1)
	got := ackText(t, w.slash(alice, ch.ID, "role scribe <@"+dana+">"))
	if !strings.Contains(got, "is now *Scribe*") || !strings.Contains(got, "INC-1 is resolved") {
		t.Fatalf("reply %q", got)
	}
	w.assertAssigned(m, "scribe", dana, alice, "", "INC-1 is resolved")
	if inc := w.incident(1); inc.Open() {
		t.Fatal("assigning a role reopened the incident")
	}
	// A pick says so too.
	w.rolePick(alice, "ops", carol)
	w.rolePickAnswer(alice, "INC-1 is resolved")
}

func TestRoleChangesSurviveARestartWithoutDoubles(t *testing.T) {
	t.Parallel()
	w, ch := roleWorld(t)
	w.emu.Fail("chat.postMessage", slackemu.Fault{Status: 502, AfterEffect: true, Times: 1})
	m := w.roleMark(1)
	ackText(t, w.slash(alice, ch.ID, "role comms <@"+bob+">"))
	w.restart()
	w.assertAssigned(m, "comms", bob, alice, "")
	n := 0
	for _, msg := range w.emu.Messages(ch.ID) {
		if strings.Contains(msg.Text, "is now *Communications Lead*") {
			n++
		}
	}
	if n != 1 {
		t.Fatalf("%d assignment messages after a lost answer and a restart", n)
	}
}

// A card posted before a role was removed from the configuration still
// offers it until redrawn: picking it is refused, not taken for a prefix of
// another role, and the card loses the stale picker.
func TestPickingARoleNoLongerConfigured(t *testing.T) {
	t.Parallel()
	w, _ := roleWorld(t)
	w.cfg.Incidents.Roles = w.cfg.Incidents.Roles[:4] // commander, comms, ops, scribe
	w.restart()
	m := w.roleMark(1)
	w.rolePick(alice, "liaison", bob)
	w.rolePickAnswer(alice, "The liaison role is no longer configured")
	w.assertNothingChanged(m, map[string]string{"commander": alice})
	inc := w.incident(1)
	for _, msg := range w.emu.Messages(inc.ChannelID) {
		if msg.TS == inc.CardTS && strings.Contains(string(msg.Blocks), "role:liaison") {
			t.Fatalf("the card still offers the removed role: %s", msg.Blocks)
		}
	}
}
