package app_test

import (
	"encoding/json"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/incidentbot/incidentbot/config"
	"github.com/incidentbot/incidentbot/incident"
	"github.com/incidentbot/incidentbot/internal/slackemu"
)

var validChannelName = regexp.MustCompile(`^[a-z0-9_-]{1,80}$`)

// declared checks everything a completed declaration leaves in Slack and
// returns the incident's channel.
func (w *world) declared(n uint64, title string, wantMembers ...string) slackemu.Channel {
	w.t.Helper()
	w.idle()
	inc := w.incident(n)
	if inc.ChannelID == "" || inc.CardTS == "" {
		w.t.Fatalf("%s not set up: %+v", inc.ID(), inc)
	}
	ch, ok := w.emu.Channel(inc.ChannelID)
	if !ok {
		w.t.Fatalf("channel %s does not exist", inc.ChannelID)
	}
	if !validChannelName.MatchString(ch.Name) || !strings.HasPrefix(ch.Name, fmt.Sprintf("inc-%d", n)) {
		w.t.Fatalf("channel name %q", ch.Name)
	}
	for _, u := range wantMembers {
		if !slices.Contains(ch.Members, u) {
			w.t.Fatalf("%s not invited to %s (members %v)", u, ch.Name, ch.Members)
		}
	}
	// The pinned card with a users_select per role and the update button.
	var card *slackemu.Message
	for _, m := range w.emu.Messages(ch.ID) {
		if m.TS == inc.CardTS {
			card = &m
		}
	}
	if card == nil || !card.Pinned {
		w.t.Fatalf("summary card %s missing or not pinned", inc.CardTS)
	}
	for _, action := range []string{"role:commander", "role:comms", "role:ops", "update"} {
		if !strings.Contains(blocksText(card.Blocks), `"action_id":"`+action+`"`) {
			w.t.Fatalf("card lacks %s: %s", action, card.Blocks)
		}
	}
	if !strings.Contains(ch.Topic, inc.Severity) {
		w.t.Fatalf("topic %q lacks the severity", ch.Topic)
	}
	if got := countChannels(w.emu, fmt.Sprintf("inc-%d-", n)); got != 1 {
		w.t.Fatalf("%d channels for %s", got, inc.ID())
	}
	return ch
}

func countChannels(emu *slackemu.Server, prefix string) int {
	n := 0
	for _, c := range emu.Channels() {
		if strings.HasPrefix(c.Name, prefix) || c.Name == strings.TrimSuffix(prefix, "-") {
			n++
		}
	}
	return n
}

// announcement returns the messages the bot posted in the announce channel.
func (w *world) announcements() []slackemu.Message {
	var out []slackemu.Message
	for _, m := range w.emu.Messages(w.announce) {
		if m.User == w.emu.BotUserID() && m.ThreadTS == "" {
			out = append(out, m)
		}
	}
	return out
}

func TestDeclareOneLiner(t *testing.T) {
	t.Parallel()
	w := newWorld(t, nil, nil)
	got := ackText(t, w.slash(alice, w.announce, "declare SEV1 checkout returns 500s"))
	if !strings.Contains(got, "INC-1") {
		t.Fatalf("reply %q", got)
	}
	// The channel first; then what goes in it, and the announcement, at
	// once; the pin and the first steps once the card is posted.
	calls := w.expectCalls(t,
		"conversations.create",
		anyOrder("conversations.setTopic", "conversations.setPurpose",
			"auth.test", // the bot's own ID, once per process, to leave it out of the invitation
			"conversations.invite",
			"chat.postMessage", "pins.add", // the card
			"chat.postMessage", // what to do now
			"chat.postMessage", // the announcement
		),
	)
	ch := w.declared(1, "checkout returns 500s", alice)
	if ch.Name != "inc-1-checkout-returns-500s" || calls[0].Args["name"] != ch.Name {
		t.Fatalf("channel name %q (asked for %v)", ch.Name, calls[0].Args["name"])
	}
	at := func(method, channel, text string) int {
		return slices.IndexFunc(calls, func(c slackemu.Call) bool {
			return c.Method == method && (channel == "" || c.Args["channel"] == channel) && strings.Contains(fmt.Sprint(c.Args), text)
		})
	}
	invite, card, pin, welcome := at("conversations.invite", ch.ID, ""), at("chat.postMessage", ch.ID, "facts"), at("pins.add", ch.ID, ""), at("chat.postMessage", ch.ID, "What to do now")
	if at("chat.postMessage", w.announce, "") < 0 || card < 0 || welcome < 0 || !(at("auth.test", "", "") < invite && card < pin && card < welcome) {
		t.Fatalf("out of order: the invitation must follow auth.test, the pin and the first steps the card's post")
	}
	if calls[invite].Args["users"] != alice {
		t.Fatalf("invited %v", calls[invite].Args["users"])
	}
	if msgs := w.emu.Messages(ch.ID); len(msgs) != 2 || !strings.Contains(blocksText(msgs[1].Blocks), "What to do now") {
		t.Fatal("the first steps do not show below the card")
	}
	inc := w.incident(1)
	ann := w.announcements()
	if len(ann) != 1 {
		t.Fatalf("%d announcements", len(ann))
	}
	body := blocksText(ann[0].Blocks)
	for _, want := range []string{"SEV1", "Critical: customers broadly affected", "<@" + alice + ">", "<#" + ch.ID + ">", "Investigating"} {
		if !strings.Contains(body, want) {
			t.Fatalf("announcement lacks %q: %s", want, body)
		}
	}
	if inc.AnnounceTS != ann[0].TS {
		t.Fatal("announcement ts not stored on the incident")
	}
	// What to do now, posted in the channel.
	if !slices.ContainsFunc(w.emu.Messages(ch.ID), func(m slackemu.Message) bool { return strings.Contains(blocksText(m.Blocks), "What to do now") }) {
		t.Fatal("no 'what to do now' message")
	}
	evs := w.events(1)
	if len(evs) == 0 || evs[0].Kind != incident.EventDeclared {
		t.Fatalf("timeline %+v", evs)
	}
}

func TestDeclareDefaultsToLeastSevere(t *testing.T) {
	t.Parallel()
	w := newWorld(t, nil, nil)
	w.slash(bob, w.announce, "declare search is slow")
	ch := w.declared(1, "search is slow", bob)
	if !strings.HasPrefix(ch.Topic, "SEV4") || ch.Name != "inc-1-search-is-slow" {
		t.Fatalf("channel %s, topic %q: want SEV4, the title", ch.Name, ch.Topic)
	}
}

func TestDeclareRejectsMalformedSeverity(t *testing.T) {
	t.Parallel()
	w := newWorld(t, nil, nil)
	for _, text := range []string{"declare SEV9 db down", "declare sev db down"} {
		got := ackText(t, w.slash(alice, w.announce, text))
		for _, want := range []string{"SEV1", "SEV2", "SEV3", "SEV4"} {
			if !strings.Contains(got, want) {
				t.Fatalf("%q: reply %q does not list %s", text, got, want)
			}
		}
	}
	if len(w.emu.Calls("conversations.create")) != 0 {
		t.Fatal("a rejected declaration created a channel")
	}
}

// submitDeclare opens the modal with /incident declare and submits values.
func (w *world) openDeclareModal(user string) slackemu.View {
	w.t.Helper()
	if ack := w.slash(user, w.announce, "declare"); len(ack.Payload) != 0 && ackText(w.t, ack) != "" {
		w.t.Fatalf("declare replied %s instead of opening the modal", ack.Payload)
	}
	call, err := w.emu.WaitCall(w.ctx(), "views.open", nil)
	if err != nil || !call.OK {
		w.t.Fatalf("views.open: %+v %v", call, err)
	}
	views := w.emu.Views()
	return views[len(views)-1]
}

func TestDeclareThroughTheModal(t *testing.T) {
	t.Parallel()
	w := newWorld(t, nil, nil)
	v := w.openDeclareModal(alice)
	body := string(v.View)
	for _, want := range []string{`"callback_id":"incident_declare"`, `"block_id":"title"`, `"block_id":"severity"`, `"block_id":"summary"`, `"block_id":"service"`, `"block_id":"commander"`, `"block_id":"private"`, "Critical: customers broadly affected"} {
		if !strings.Contains(body, want) {
			t.Fatalf("modal lacks %s: %s", want, body)
		}
	}
	ack, err := w.emu.SubmitView(w.ctx(), alice, v.ID, map[string]any{
		"title": "Payments failing", "severity": "SEV2", "summary": "card payments time out",
		"service": "checkout", "commander": bob,
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(ack.Payload) != 0 {
		t.Fatalf("valid submission answered %s", ack.Payload)
	}
	ch := w.declared(1, "Payments failing", alice, bob, carol)
	inc := w.incident(1)
	if inc.Holder("commander") != bob || inc.Service != "checkout" || inc.Summary != "card payments time out" {
		t.Fatalf("%+v", inc)
	}
	if len(ch.Bookmarks) != 1 || ch.Bookmarks[0].Link != runbook {
		t.Fatalf("bookmarks %+v", ch.Bookmarks)
	}
}

func TestModalValidationErrorsComeBackInTheAck(t *testing.T) {
	t.Parallel()
	w := newWorld(t, nil, nil)
	v := w.openDeclareModal(alice)
	ack, err := w.emu.SubmitView(w.ctx(), alice, v.ID, map[string]any{
		"title": "   ", "severity": "SEV2", "summary": "x",
	})
	if err != nil {
		t.Fatal(err)
	}
	var p struct {
		ResponseAction string            `json:"response_action"`
		Errors         map[string]string `json:"errors"`
	}
	if err := json.Unmarshal(ack.Payload, &p); err != nil || p.ResponseAction != "errors" || p.Errors["title"] == "" {
		t.Fatalf("ack %s", ack.Payload)
	}
	if len(w.emu.Calls("conversations.create")) != 0 {
		t.Fatal("an invalid submission declared an incident")
	}
}

func TestPrivateIncidentAnnouncementRevealsNothing(t *testing.T) {
	t.Parallel()
	w := newWorld(t, nil, nil)
	v := w.openDeclareModal(alice)
	if _, err := w.emu.SubmitView(w.ctx(), alice, v.ID, map[string]any{
		"title": "Secret acquisition leaked", "severity": "SEV1", "summary": "confidential",
		"private": []string{"private"},
	}); err != nil {
		t.Fatal(err)
	}
	ch := w.declared(1, "", alice)
	if !ch.Private {
		t.Fatal("channel is not private")
	}
	ann := w.announcements()
	if len(ann) != 1 {
		t.Fatalf("%d announcements", len(ann))
	}
	all := ann[0].Text + blocksText(ann[0].Blocks)
	if strings.Contains(all, "acquisition") || strings.Contains(all, "confidential") || strings.Contains(all, ch.ID) {
		t.Fatalf("private announcement reveals details: %s", all)
	}
	if !strings.Contains(all, "<@"+alice+">") {
		t.Fatalf("private announcement does not name the commander: %s", all)
	}
}

func TestNameTakenTriesNextSuffix(t *testing.T) {
	t.Parallel()
	w := newWorld(t, nil, nil)
	w.emu.CreateChannel("inc-1-db-down", false)
	w.slash(alice, w.announce, "declare SEV2 db down")
	w.idle()
	inc := w.incident(1)
	if inc.ChannelName != "inc-1-db-down-2" {
		t.Fatalf("channel %q, want inc-1-db-down-2", inc.ChannelName)
	}
}

func TestHostileAndHugeInputsNeverReachSlackBroken(t *testing.T) {
	t.Parallel()
	w := newWorld(t, nil, nil)
	title := strings.Repeat("🔥 ¡¿ — ", 70) + strings.Repeat("x", 10_000)
	v := w.openDeclareModal(alice)
	// The modal caps the title; the one-liner carries the huge one.
	if _, err := w.emu.SubmitView(w.ctx(), alice, v.ID, map[string]any{
		"title": "<!channel> <https://evil.example|click> & co @here", "severity": "SEV3",
		"summary": strings.Repeat("s", 3000),
	}); err != nil {
		t.Fatal(err)
	}
	w.slash(alice, w.announce, "declare SEV3 "+title)
	w.idle()
	for _, c := range w.emu.Calls("") {
		if !c.OK && c.Method != "conversations.create" {
			t.Fatalf("%s failed: %s %s", c.Method, c.Error, c.Response)
		}
	}
	for _, n := range []uint64{1, 2} {
		ch := w.declared(n, "")
		if !validChannelName.MatchString(ch.Name) {
			t.Fatalf("invalid channel name %q", ch.Name)
		}
	}
	for _, c := range w.emu.Calls("") {
		assertNoInjection(t, c)
	}
}

func TestRedeliveredDeclarationDeclaresOnce(t *testing.T) {
	t.Parallel()
	w := newWorld(t, nil, nil)
	payload := json.RawMessage(fmt.Sprintf(`{"command":"/incident","text":"declare SEV2 db down","user_id":%q,"channel_id":%q,"trigger_id":"111.222.abc","team_id":"T1"}`, alice, w.announce))
	for attempt := range 3 {
		if _, err := w.emu.Deliver(w.ctx(), slackemu.Envelope{ID: "env-1", Type: "slash_commands", Payload: payload, AcceptsResponsePayload: true, RetryAttempt: attempt}); err != nil {
			t.Fatal(err)
		}
	}
	w.idle()
	if n := len(w.emu.Calls("conversations.create")); n != 1 {
		t.Fatalf("%d channels created for one declaration", n)
	}
	if len(w.announcements()) != 1 {
		t.Fatal("announced more than once")
	}
}

func TestSlackRateLimitsAndOutagesDelayButNeverLoseADeclaration(t *testing.T) {
	t.Parallel()
	w := newWorld(t, nil, nil)
	w.emu.Fail("conversations.create", slackemu.Fault{Status: 429, RetryAfter: time.Second, Times: 2})
	w.emu.Fail("chat.postMessage", slackemu.Fault{Status: 503, Times: 2})
	w.emu.Fail("conversations.invite", slackemu.Fault{Status: 500, Times: 1})
	w.slash(alice, w.announce, "declare SEV1 everything is on fire")
	w.declared(1, "", alice)
	if len(w.announcements()) != 1 {
		t.Fatal("announcement missing after faults")
	}
	creates := w.emu.Calls("conversations.create")
	if len(creates) < 3 {
		t.Fatalf("%d create calls", len(creates))
	}
	for i := 1; i < len(creates); i++ {
		if creates[i-1].Status == 429 && creates[i].At.Sub(creates[i-1].At) < time.Second {
			t.Fatalf("retried %v after a 429 with Retry-After: 1", creates[i].At.Sub(creates[i-1].At))
		}
	}
}

// blocksText is the blocks' JSON with Go's HTML-safe escapes undone.
func blocksText(raw json.RawMessage) string {
	return strings.NewReplacer(`\u003c`, "<", `\u003e`, ">", `\u0026`, "&").Replace(string(raw))
}

var (
	specialMention = regexp.MustCompile(`<!(channel|here|everyone|subteam)|<https?://evil`)
	autoMention    = regexp.MustCompile(`(?i)@(here|channel|everyone)`)
)

// assertNoInjection fails if user text in a call could notify or link:
// every mrkdwn text object and every top-level text must be escaped and
// defanged (plain_text objects are not parsed by Slack).
func assertNoInjection(t *testing.T, c slackemu.Call) {
	t.Helper()
	check := func(where, s string) {
		if specialMention.MatchString(s) || autoMention.MatchString(s) {
			t.Fatalf("%s: %s carries a live mention or link: %q", c.Method, where, s)
		}
	}
	if s, ok := c.Args["text"].(string); ok {
		check("text", s)
	}
	for _, k := range []string{"topic", "purpose"} {
		if s, ok := c.Args[k].(string); ok {
			check(k, s)
		}
	}
	var walk func(v any)
	walk = func(v any) {
		switch x := v.(type) {
		case map[string]any:
			if x["type"] == "mrkdwn" {
				if s, ok := x["text"].(string); ok {
					check("mrkdwn block", s)
				}
			}
			for _, e := range x {
				walk(e)
			}
		case []any:
			for _, e := range x {
				walk(e)
			}
		}
	}
	walk(c.Args["blocks"])
	walk(c.Args["view"])
}

// Slack creates the channel but the answer is lost (the bot crashed, or the
// connection dropped): the retry finds name_taken and must adopt the
// channel it made rather than create inc-1-…-2.
func TestLostCreateAnswerAdoptsTheChannel(t *testing.T) {
	t.Parallel()
	w := newWorld(t, nil, nil)
	w.emu.Fail("conversations.create", slackemu.Fault{Status: 500, AfterEffect: true, Times: 1})
	w.slash(alice, w.announce, "declare SEV2 db down")
	ch := w.declared(1, "", alice)
	if ch.Name != "inc-1-db-down" {
		t.Fatalf("adopted %q, want inc-1-db-down", ch.Name)
	}
	if n := len(w.emu.Channels()); n != 2 { // announcements + the incident's
		t.Fatalf("%d channels, want 2", n)
	}
}

// A post whose answer is lost is found again by its job metadata, not
// posted twice.
func TestLostPostAnswerIsNotPostedTwice(t *testing.T) {
	t.Parallel()
	w := newWorld(t, nil, nil)
	w.emu.Fail("chat.postMessage", slackemu.Fault{Status: 502, AfterEffect: true, Times: 1})
	w.slash(alice, w.announce, "declare SEV2 db down")
	ch := w.declared(1, "", alice)
	cards := 0
	for _, m := range w.emu.Messages(ch.ID) {
		if strings.Contains(blocksText(m.Blocks), `"action_id":"role:commander"`) {
			cards++
		}
	}
	if cards != 1 {
		t.Fatalf("%d summary cards after a lost answer", cards)
	}
}

// Experts Slack refuses (unknown or deactivated) become timeline notes;
// everyone else is still invited.
func TestUninvitableExpertsBecomeTimelineNotes(t *testing.T) {
	t.Parallel()
	w := newWorld(t, func(o *slackemu.Options) {}, func(c *config.Config) {
		c.Services = []config.Service{{Name: "checkout", Experts: []string{carol, "UGONE0001", "UDEACT001"}}}
	})
	w.emu.AddUser(slackemu.User{ID: "UDEACT001", Name: "dave", Deleted: true})
	v := w.openDeclareModal(alice)
	if _, err := w.emu.SubmitView(w.ctx(), alice, v.ID, map[string]any{
		"title": "cart empty", "severity": "SEV2", "summary": "carts lose items", "service": "checkout",
	}); err != nil {
		t.Fatal(err)
	}
	w.declared(1, "", alice, carol)
	var notes []string
	for _, ev := range w.events(1) {
		if ev.Kind == incident.EventNote {
			notes = append(notes, ev.Text)
		}
		if ev.Kind == incident.EventDeliveryFailed {
			t.Fatalf("invite failure recorded as a failed delivery: %+v", ev)
		}
	}
	joined := strings.Join(notes, "\n")
	if !strings.Contains(joined, "UGONE0001") || !strings.Contains(joined, "UDEACT001") {
		t.Fatalf("timeline notes %q do not name the refused users", joined)
	}
}

func TestResubmittedModalDeclaresOnce(t *testing.T) {
	t.Parallel()
	w := newWorld(t, nil, nil)
	v := w.openDeclareModal(alice)
	payload := map[string]any{
		"type": "view_submission", "user": alice,
		"view": map[string]any{
			"id": v.ID, "callback_id": "incident_declare", "hash": "1.a",
			"state": map[string]any{"values": map[string]any{
				"title":    map[string]any{"title": map[string]any{"type": "plain_text_input", "value": "db down"}},
				"severity": map[string]any{"severity": map[string]any{"type": "static_select", "selected_option": map[string]any{"value": "SEV2", "text": map[string]any{"type": "plain_text", "text": "SEV2"}}}},
				"summary":  map[string]any{"summary": map[string]any{"type": "plain_text_input", "value": strings.Repeat("long summary ", 4000)}},
			}},
		},
	}
	for range 2 {
		if _, err := w.emu.Interact(w.ctx(), payload); err != nil {
			t.Fatal(err)
		}
	}
	w.idle()
	if n := len(w.emu.Calls("conversations.create")); n != 1 {
		t.Fatalf("%d channels for one submitted modal", n)
	}
	// A 52,000-character summary (a client that ignores max_length) still
	// reaches Slack within its limits.
	for _, c := range w.emu.Calls("") {
		if !c.OK {
			t.Fatalf("%s failed: %s %s", c.Method, c.Error, c.Response)
		}
	}
}

func TestLostBookmarkAnswerAddsOneBookmark(t *testing.T) {
	t.Parallel()
	w := newWorld(t, nil, nil)
	w.emu.Fail("bookmarks.add", slackemu.Fault{Status: 500, AfterEffect: true, Times: 1})
	v := w.openDeclareModal(alice)
	if _, err := w.emu.SubmitView(w.ctx(), alice, v.ID, map[string]any{
		"title": "checkout down", "severity": "SEV1", "summary": "500s", "service": "checkout",
	}); err != nil {
		t.Fatal(err)
	}
	ch := w.declared(1, "", alice)
	if len(ch.Bookmarks) != 1 {
		t.Fatalf("%d bookmarks after a lost answer", len(ch.Bookmarks))
	}
}

// Slack escapes slash-command text; what users see must be what they typed.
func TestSlashTextIsShownAsTyped(t *testing.T) {
	t.Parallel()
	w := newWorld(t, nil, nil)
	w.slash(alice, w.announce, "declare SEV2 search & browse slow for <@"+bob+"|bob> <3")
	w.idle()
	inc := w.incident(1)
	if inc.Title != "search & browse slow for <@"+bob+"> <3" {
		t.Fatalf("stored title %q", inc.Title)
	}
	ann := blocksText(w.announcements()[0].Blocks)
	if !strings.Contains(ann, "search &amp; browse slow for <@"+bob+"> &lt;3") {
		t.Fatalf("announcement does not show the title as typed (with a live mention): %s", ann)
	}
}
