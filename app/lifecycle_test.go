package app_test

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/slack-go/slack"

	"github.com/incidentbot/incidentbot/incident"
	"github.com/incidentbot/incidentbot/internal/slackemu"
)

// lcIncident declares INC-n at sev from the announcements channel and
// returns it with its channel, once everything the declaration implies is
// done.
func (w *world) lcIncident(n uint64, sev, title string) (*incident.Incident, slackemu.Channel) {
	w.t.Helper()
	if got := ackText(w.t, w.slash(alice, w.announce, "declare "+sev+" "+title)); !strings.Contains(got, incident.FormatID(n)) {
		w.t.Fatalf("declare replied %q", got)
	}
	ch := w.declared(n, title, alice)
	return w.incident(n), ch
}

// lcUpdateForm waits for the k-th views.open (counting from 1) and returns
// the update modal it opened.
func (w *world) lcUpdateForm(k int) slackemu.View {
	w.t.Helper()
	seen := 0
	call, err := w.emu.WaitCall(w.ctx(), "views.open", func(slackemu.Call) bool { seen++; return seen == k })
	if err != nil || !call.OK {
		w.t.Fatalf("views.open #%d: %+v %v", k, call, err)
	}
	for _, v := range w.emu.Views() {
		if v.TriggerID == call.Args["trigger_id"] {
			if v.CallbackID != "incident_update" {
				w.t.Fatalf("opened %q, want the update modal", v.CallbackID)
			}
			return v
		}
	}
	w.t.Fatalf("no view for trigger %v", call.Args["trigger_id"])
	return slackemu.View{}
}

// lcSubmit submits the update modal v as user; a valid update closes it.
func (w *world) lcSubmit(user string, v slackemu.View, values map[string]any) {
	w.t.Helper()
	ack, err := w.emu.SubmitView(w.ctx(), user, v.ID, values)
	if err != nil {
		w.t.Fatal(err)
	}
	if len(ack.Payload) != 0 && string(ack.Payload) != "null" {
		w.t.Fatalf("valid update answered %s", ack.Payload)
	}
}

// lcPosted returns the messages of channel (thread replies included) whose
// text holds every one of want.
func (w *world) lcPosted(channel string, want ...string) []slackemu.Message {
	var out []slackemu.Message
	for _, m := range w.emu.Messages(channel) {
		body := m.Text + blocksText(m.Blocks)
		if !slices.ContainsFunc(want, func(s string) bool { return !strings.Contains(body, s) }) {
			out = append(out, m)
		}
	}
	return out
}

// lcThread is the announcement's thread: the bot's replies under it.
func (w *world) lcThread(inc *incident.Incident) []slackemu.Message {
	var out []slackemu.Message
	for _, m := range w.emu.Messages(w.announce) {
		if inc.AnnounceTS != "" && m.ThreadTS == inc.AnnounceTS && m.TS != inc.AnnounceTS {
			out = append(out, m)
		}
	}
	return out
}

// lcMessage returns the message at ts in channel.
func (w *world) lcMessage(channel, ts string) slackemu.Message {
	w.t.Helper()
	for _, m := range w.emu.Messages(channel) {
		if m.TS == ts {
			return m
		}
	}
	w.t.Fatalf("no message %s in %s", ts, channel)
	return slackemu.Message{}
}

// lcShows fails unless the card, the topic and the announcement of INC-n
// all show every one of want.
func (w *world) lcShows(n uint64, want ...string) {
	w.t.Helper()
	inc := w.incident(n)
	ch, _ := w.emu.Channel(inc.ChannelID)
	card := w.lcMessage(inc.ChannelID, inc.CardTS)
	ann := w.lcMessage(w.announce, inc.AnnounceTS)
	for _, s := range want {
		if !strings.Contains(blocksText(card.Blocks), s) {
			w.t.Errorf("card lacks %q: %s", s, blocksText(card.Blocks))
		}
		if !strings.Contains(ch.Topic, s) {
			w.t.Errorf("topic %q lacks %q", ch.Topic, s)
		}
		if !strings.Contains(blocksText(ann.Blocks), s) {
			w.t.Errorf("announcement lacks %q: %s", s, blocksText(ann.Blocks))
		}
	}
	if card.Updates == 0 || ann.Updates == 0 {
		w.t.Errorf("card (%d edits) or announcement (%d edits) never refreshed", card.Updates, ann.Updates)
	}
}

func lcKindsOf(evs []incident.Event) []incident.EventKind {
	var out []incident.EventKind
	for _, e := range evs {
		out = append(out, e.Kind)
	}
	return out
}

// checkUpdateLanded checks what one update leaves in Slack and on the
// timeline: the message in the channel and the thread, and the card,
// topic and announcement refreshed.
func (w *world) checkUpdateLanded(n uint64, summary, status, severity string) {
	w.t.Helper()
	w.idle()
	inc := w.incident(n)
	if string(inc.Status) != strings.ToLower(status) || inc.Severity != severity || inc.LastUpdateAt.IsZero() {
		w.t.Fatalf("incident %+v", inc)
	}
	want := []string{"Status update: " + inc.ID(), summary, status, severity, "<@" + inc.Holder("commander") + ">"}
	if got := w.lcPosted(inc.ChannelID, want...); len(got) != 1 {
		w.t.Fatalf("%d update messages in the channel with %q", len(got), want)
	}
	thread := 0
	for _, m := range w.lcThread(inc) {
		if body := blocksText(m.Blocks); strings.Contains(body, summary) && strings.Contains(body, status) {
			thread++
		}
	}
	if thread != 1 {
		w.t.Fatalf("%d update messages in the announcement's thread", thread)
	}
	w.lcShows(n, status, severity)
	ch, _ := w.emu.Channel(inc.ChannelID)
	if next := "next update by " + inc.NextUpdateAt.UTC().Format("15:04 UTC"); inc.NextUpdateAt.IsZero() || !strings.Contains(ch.Topic, next) {
		w.t.Fatalf("topic %q lacks %q", ch.Topic, next)
	}
	evs := w.events(n)
	last := evs[len(evs)-1]
	if last.Kind != incident.EventUpdate || last.Text != summary || !last.NextUpdate.Equal(inc.NextUpdateAt) {
		w.t.Fatalf("last timeline event %+v", last)
	}
}

func TestUpdateFromTheSlashCommand(t *testing.T) {
	t.Parallel()
	w := newWorld(t, nil, nil)
	_, ch := w.lcIncident(1, "SEV2", "checkout returns 500s")
	w.skipCalls()
	if ack := w.slash(bob, ch.ID, "update"); ackText(t, ack) != "" {
		t.Fatalf("update replied %s instead of opening the form", ack.Payload)
	}
	w.expectCalls(t, "views.open")
	v := w.lcUpdateForm(1)
	var view struct {
		CallbackID      string `json:"callback_id"`
		PrivateMetadata string `json:"private_metadata"`
		Blocks          []struct {
			Type     string `json:"type"`
			BlockID  string `json:"block_id"`
			Optional bool   `json:"optional"`
			Element  struct {
				ActionID      string `json:"action_id"`
				InitialOption *struct {
					Value string `json:"value"`
				} `json:"initial_option"`
			} `json:"element"`
		} `json:"blocks"`
	}
	if err := json.Unmarshal(v.View, &view); err != nil {
		t.Fatal(err)
	}
	if view.CallbackID != "incident_update" || view.PrivateMetadata != "INC-1" {
		t.Fatalf("modal %s", v.View)
	}
	inputs := map[string]string{} // block_id → initial option
	for _, b := range view.Blocks {
		if b.Type != "input" {
			continue
		}
		if b.BlockID != b.Element.ActionID {
			t.Fatalf("input block_id %q, action_id %q", b.BlockID, b.Element.ActionID)
		}
		inputs[b.BlockID] = ""
		if b.Element.InitialOption != nil {
			inputs[b.BlockID] = b.Element.InitialOption.Value
		}
		if wantOptional := b.BlockID == "next_steps" || b.BlockID == "next_update"; b.Optional != wantOptional {
			t.Fatalf("%s optional = %v", b.BlockID, b.Optional)
		}
	}
	want := map[string]string{"status": "investigating", "severity": "SEV2", "summary": "", "next_steps": "", "next_update": "30m"}
	if !mapsEqual(inputs, want) {
		t.Fatalf("inputs (block → initial) %v, want %v", inputs, want)
	}
	w.lcSubmit(bob, v, map[string]any{
		"status": "identified", "severity": "SEV1", "summary": "a bad deploy of the payment service", "next_steps": "roll it back", "next_update": "1h",
	})
	// All five at once (one round trip): each touches its own message.
	w.expectCalls(t, anyOrder(
		"chat.postMessage "+ch.ID,      // the update
		"chat.postMessage "+w.announce, // in the announcement's thread
		"chat.update "+ch.ID,           // the card
		"conversations.setTopic "+ch.ID,
		"chat.update "+w.announce, // the announcement
	))
	w.checkUpdateLanded(1, "a bad deploy of the payment service", "Identified", "SEV1")
	// The topic promises the next update the chosen hour after this one
	// (the world's clock stood still meanwhile).
	next := "next update by " + w.clock.Now().Add(time.Hour).Format("15:04 UTC")
	if c, _ := w.emu.Channel(ch.ID); !strings.Contains(c.Topic, next) {
		t.Fatalf("topic %q, want %q: the chosen 1h", c.Topic, next)
	}
	if n := len(w.lcPosted(ch.ID, "roll it back", "Next steps")); n != 1 {
		t.Fatalf("next steps shown %d times", n)
	}
	kinds := lcKindsOf(w.events(1))
	if !slices.Contains(kinds, incident.EventSeverityChanged) || !slices.Contains(kinds, incident.EventStatusChanged) {
		t.Fatalf("severity and status changes are not their own events: %v", kinds)
	}
}

func TestUpdateFromTheCardButton(t *testing.T) {
	t.Parallel()
	w := newWorld(t, nil, nil)
	inc, ch := w.lcIncident(1, "SEV3", "search is slow")
	if _, err := w.emu.ClickButton(w.ctx(), carol, ch.ID, inc.CardTS, "update", "INC-1"); err != nil {
		t.Fatal(err)
	}
	v := w.lcUpdateForm(1)
	w.lcSubmit(carol, v, map[string]any{"status": "monitoring", "severity": "SEV3", "summary": "index rebuilt, watching latency"})
	w.checkUpdateLanded(1, "index rebuilt, watching latency", "Monitoring", "SEV3")
}

// A reminder carries the same `update` button (value INC-N) as the card; the
// message here is posted as the reminder would be, so the test does not
// depend on the reminder's schedule.
func TestUpdateFromAReminderButton(t *testing.T) {
	t.Parallel()
	w := newWorld(t, nil, nil)
	_, ch := w.lcIncident(1, "SEV1", "login fails")
	api := slack.New(w.emu.BotToken(), slack.OptionAPIURL(w.emu.APIURL()))
	pt := func(s string) *slack.TextBlockObject {
		return slack.NewTextBlockObject(slack.PlainTextType, s, false, false)
	}
	_, ts, err := api.PostMessage(ch.ID, slack.MsgOptionText("Time for a status update", false), slack.MsgOptionBlocks(
		slack.NewSectionBlock(slack.NewTextBlockObject(slack.MarkdownType, "Time for a status update on INC-1", false, false), nil, nil),
		slack.NewActionBlock("reminder", slack.NewButtonBlockElement("update", "INC-1", pt("Post update")), slack.NewButtonBlockElement("snooze", "15m", pt("Snooze 15m"))),
	))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := w.emu.ClickButton(w.ctx(), alice, ch.ID, ts, "update", "INC-1"); err != nil {
		t.Fatal(err)
	}
	v := w.lcUpdateForm(1)
	w.lcSubmit(alice, v, map[string]any{"status": "identified", "severity": "SEV2", "summary": "expired certificate found"})
	w.checkUpdateLanded(1, "expired certificate found", "Identified", "SEV2")
}

func TestSeverityChangeIsSaidEverywhere(t *testing.T) {
	t.Parallel()
	w := newWorld(t, nil, nil)
	inc, ch := w.lcIncident(1, "SEV3", "checkout slow")
	got := ackText(t, w.slash(bob, ch.ID, "severity sev1"))
	if !strings.Contains(got, "SEV1") {
		t.Fatalf("reply %q", got)
	}
	w.idle()
	said := "<@" + bob + "> changed the severity of *INC-1* from *SEV3* to *SEV1*"
	if n := len(w.lcPosted(ch.ID, said)); n != 1 {
		t.Fatalf("%d messages in the channel say %q", n, said)
	}
	// An escalation is broadcast in the announcement's thread.
	if thread := w.lcThread(inc); len(thread) != 1 || !strings.Contains(blocksText(thread[0].Blocks), said) {
		t.Fatalf("announcement thread %+v", thread)
	}
	w.lcShows(1, "SEV1")
	evs := w.events(1)
	if last := evs[len(evs)-1]; last.Kind != incident.EventSeverityChanged || last.Actor != bob || last.From != "SEV3" || last.To != "SEV1" {
		t.Fatalf("timeline %+v", last)
	}
	// De-escalating is said in the channel only.
	w.slash(alice, ch.ID, "severity SEV2")
	w.idle()
	if n := len(w.lcPosted(ch.ID, "from *SEV1* to *SEV2*")); n != 1 {
		t.Fatalf("%d de-escalation messages", n)
	}
	if len(w.lcThread(inc)) != 1 {
		t.Fatal("a de-escalation was broadcast in the announcement's thread")
	}
	w.lcShows(1, "SEV2")
}

func TestResolveEndsTheIncidentEverywhere(t *testing.T) {
	t.Parallel()
	w := newWorld(t, nil, nil)
	inc, ch := w.lcIncident(1, "SEV1", "payments down")
	w.skipCalls()
	got := ackText(t, w.slash(alice, ch.ID, "resolve rolled back the bad deploy"))
	if !strings.Contains(got, "resolved") {
		t.Fatalf("reply %q", got)
	}
	// At once, but for the next step, which shows below the final update.
	calls := w.expectCalls(t, anyOrder(
		"chat.postMessage "+ch.ID,      // the final update
		"chat.postMessage "+w.announce, // in the announcement's thread
		"chat.postMessage "+ch.ID,      // what to do next: the postmortem
		"chat.update "+ch.ID,           // the card
		"conversations.setTopic "+ch.ID,
		"chat.update "+w.announce, // the announcement
	))
	inChannel := func(text string) int {
		return slices.IndexFunc(calls, func(c slackemu.Call) bool {
			return c.Method == "chat.postMessage" && c.Args["channel"] == ch.ID && strings.Contains(callText(c), text)
		})
	}
	if final, next := inChannel("Resolved: INC-1"), inChannel("/incident postmortem"); final < 0 || next < final {
		t.Fatalf("the next step (call %d) does not follow the final update (call %d)", next, final)
	}
	final := []string{"Resolved: INC-1", "rolled back the bad deploy", "Resolved after"}
	if n := len(w.lcPosted(ch.ID, final...)); n != 1 {
		t.Fatalf("%d final updates in the channel", n)
	}
	if n := len(w.lcPosted(ch.ID, "/incident postmortem", "is resolved")); n != 1 {
		t.Fatalf("the channel was not told the next step (%d)", n)
	}
	thread := w.lcThread(inc)
	if len(thread) != 1 || !strings.Contains(blocksText(thread[0].Blocks), "Resolved: INC-1") {
		t.Fatalf("announcement thread %+v", thread)
	}
	w.lcShows(1, "Resolved")
	card := w.lcMessage(ch.ID, inc.CardTS)
	if !strings.Contains(blocksText(card.Blocks), "resolved after") {
		t.Fatalf("card shows no duration: %s", blocksText(card.Blocks))
	}
	if c, _ := w.emu.Channel(ch.ID); strings.Contains(c.Topic, "next update") {
		t.Fatalf("a resolved incident's topic promises an update: %q", c.Topic)
	}
	if evs := w.events(1); evs[len(evs)-1].Kind != incident.EventResolved || evs[len(evs)-1].Actor != alice {
		t.Fatalf("timeline %v", lcKindsOf(evs))
	}
}

func TestResolveThroughTheUpdateForm(t *testing.T) {
	t.Parallel()
	w := newWorld(t, nil, nil)
	_, ch := w.lcIncident(1, "SEV2", "api errors")
	w.slash(bob, ch.ID, "update")
	w.lcSubmit(bob, w.lcUpdateForm(1), map[string]any{"status": "resolved", "severity": "SEV2", "summary": "config reverted"})
	w.idle()
	if inc := w.incident(1); inc.Status != incident.Resolved || inc.Resolution != "config reverted" {
		t.Fatalf("%+v", inc)
	}
	if n := len(w.lcPosted(ch.ID, "Resolved: INC-1", "config reverted")); n != 1 {
		t.Fatalf("%d final updates", n)
	}
	if n := len(w.lcPosted(ch.ID, "/incident postmortem", "is resolved")); n != 1 {
		t.Fatal("no next step after resolving through the form")
	}
	w.lcShows(1, "Resolved")
}

func TestNoteGoesOnTheTimeline(t *testing.T) {
	t.Parallel()
	w := newWorld(t, nil, nil)
	_, ch := w.lcIncident(1, "SEV2", "db slow")
	got := ackText(t, w.slashMarkup(bob, ch.ID, "note restarted db-1, <!channel> no change"))
	if !strings.Contains(got, "Noted on INC-1") || strings.Contains(got, "<!channel>") {
		t.Fatalf("reply %q", got)
	}
	evs := w.events(1)
	last := evs[len(evs)-1]
	if last.Kind != incident.EventNote || last.Actor != bob || last.Text != "restarted db-1, @channel no change" || last.At.IsZero() {
		t.Fatalf("timeline %+v", last)
	}
}

func TestPushpinPutsAMessageOnTheTimelineOnce(t *testing.T) {
	t.Parallel()
	w := newWorld(t, nil, nil)
	_, ch := w.lcIncident(1, "SEV2", "queue backlog")
	ts, err := w.emu.PostUserMessage(ch.ID, carol, "consumer lag is 2h on partition 7")
	if err != nil {
		t.Fatal(err)
	}
	reply, err := w.emu.PostUserReply(ch.ID, ts, bob, "scaling consumers to 12")
	if err != nil {
		t.Fatal(err)
	}
	for _, msg := range []string{ts, reply} {
		if _, err := w.emu.React(w.ctx(), alice, ch.ID, msg, "pushpin"); err != nil {
			t.Fatal(err)
		}
		// The bot marks a captured message once it is on the timeline.
		if _, err := w.emu.WaitCall(w.ctx(), "reactions.add", func(c slackemu.Call) bool { return c.OK && c.Args["timestamp"] == msg }); err != nil {
			t.Fatal(err)
		}
	}
	w.idle()
	pinned := func() []incident.Event {
		var out []incident.Event
		for _, e := range w.events(1) {
			if e.Kind == incident.EventMessagePinned {
				out = append(out, e)
			}
		}
		return out
	}
	got := pinned()
	if len(got) != 2 {
		t.Fatalf("%d captured messages", len(got))
	}
	wantAuthor := map[string]string{ts: carol, reply: bob}
	wantText := map[string]string{ts: "consumer lag is 2h on partition 7", reply: "scaling consumers to 12"}
	for i, msgTS := range []string{ts, reply} {
		e := got[i]
		if e.Actor != wantAuthor[msgTS] || e.Text != wantText[msgTS] || fmt.Sprintf("%d.%06d", e.At.Unix(), e.At.Nanosecond()/1000) != msgTS {
			t.Fatalf("captured %+v, want author %s, text %q, time %s", e, wantAuthor[msgTS], wantText[msgTS], msgTS)
		}
		if !strings.Contains(e.Link, "/archives/"+ch.ID+"/p"+strings.Replace(msgTS, ".", "", 1)) {
			t.Fatalf("permalink %q", e.Link)
		}
	}
	if m := w.lcMessage(ch.ID, ts); !slices.Contains(m.Reactions, "memo") {
		t.Fatalf("captured message not marked: %+v", m.Reactions)
	}

	// A second 📌 on the same message adds nothing.
	if _, err := w.emu.React(w.ctx(), bob, ch.ID, ts, "pushpin"); err != nil {
		t.Fatal(err)
	}
	// Its ack came after its capture job was stored: idle means it ran.
	w.idle()
	if n := len(pinned()); n != 2 {
		t.Fatalf("a second 📌 added an entry: %d", n)
	}
	if n := len(w.emu.Calls("reactions.add")); n != 2 {
		t.Fatalf("%d reactions.add calls, want 2", n)
	}
	// Other reactions, and 📌 outside incident channels, are not captures.
	other, _ := w.emu.PostUserMessage(w.announce, carol, "lunch?")
	if _, err := w.emu.React(w.ctx(), alice, w.announce, other, "pushpin"); err != nil {
		t.Fatal(err)
	}
	third, _ := w.emu.PostUserMessage(ch.ID, carol, "lag back to zero")
	if _, err := w.emu.React(w.ctx(), alice, ch.ID, third, "eyes"); err != nil {
		t.Fatal(err)
	}
	if _, err := w.emu.React(w.ctx(), bob, ch.ID, third, "pushpin"); err != nil {
		t.Fatal(err)
	}
	if _, err := w.emu.WaitCall(w.ctx(), "reactions.add", func(c slackemu.Call) bool { return c.Args["timestamp"] == third }); err != nil {
		t.Fatal(err)
	}
	w.idle()
	if n, calls := len(pinned()), len(w.emu.Calls("reactions.add")); n != 3 || calls != 3 {
		t.Fatalf("%d captured messages and %d marks, want 3 of each", n, calls)
	}
}

func TestAddToTimelineShortcut(t *testing.T) {
	t.Parallel()
	w := newWorld(t, nil, nil)
	_, ch := w.lcIncident(1, "SEV2", "cdn errors")
	ts, err := w.emu.PostUserMessage(ch.ID, carol, "purged the edge cache at 10:02")
	if err != nil {
		t.Fatal(err)
	}
	// told waits for the next answer through a response_url and checks
	// that user saw want.
	answers := 0
	told := func(user, want string) {
		t.Helper()
		answers++
		seen := 0
		if _, err := w.emu.WaitCall(w.ctx(), "response_url", func(slackemu.Call) bool { seen++; return seen == answers }); err != nil {
			t.Fatal(err)
		}
		if !slices.ContainsFunc(w.emu.Ephemerals(user), func(m slackemu.Message) bool { return strings.Contains(m.Text, want) }) {
			t.Fatalf("%s was never told %q: %+v", user, want, w.emu.Ephemerals(user))
		}
	}
	if _, err := w.emu.MessageShortcut(w.ctx(), bob, ch.ID, ts, "add_to_timeline"); err != nil {
		t.Fatal(err)
	}
	told(bob, "Added to INC-1's timeline")
	if eph := w.emu.Ephemerals(bob); !strings.Contains(eph[len(eph)-1].Text, "(<!date^") {
		t.Fatalf("the answer does not show the message's time: %q", eph[len(eph)-1].Text)
	}
	w.idle()
	evs := w.events(1)
	last := evs[len(evs)-1]
	if last.Kind != incident.EventMessagePinned || last.Actor != carol || last.Text != "purged the edge cache at 10:02" || !strings.Contains(last.Link, ch.ID) {
		t.Fatalf("timeline %+v", last)
	}
	// Again: already there, nothing added.
	if _, err := w.emu.MessageShortcut(w.ctx(), bob, ch.ID, ts, "add_to_timeline"); err != nil {
		t.Fatal(err)
	}
	told(bob, "already on INC-1's timeline")
	if n := len(w.events(1)); n != len(evs) {
		t.Fatalf("timeline grew from %d to %d", len(evs), n)
	}
	// Outside an incident channel it says so.
	elsewhere, _ := w.emu.PostUserMessage(w.announce, carol, "unrelated")
	if _, err := w.emu.MessageShortcut(w.ctx(), carol, w.announce, elsewhere, "add_to_timeline"); err != nil {
		t.Fatal(err)
	}
	told(carol, "belongs to no incident")
	if n := len(w.events(1)); n != len(evs) {
		t.Fatal("a message outside the incident went on its timeline")
	}
}

func TestListShowsOpenIncidentsMostSevereFirst(t *testing.T) {
	t.Parallel()
	w := newWorld(t, nil, nil)
	if got := ackText(t, w.slash(bob, "", "list")); !strings.Contains(got, "No open incidents") {
		t.Fatalf("empty list %q", got)
	}
	_, ch1 := w.lcIncident(1, "SEV3", "search slow")
	_, ch2 := w.lcIncident(2, "SEV1", "checkout down")
	w.lcIncident(3, "SEV2", "emails late")
	w.slash(alice, w.incident(3).ChannelID, "resolve")
	w.idle()
	got := ackText(t, w.slash(bob, "", "list"))
	i2, i1 := strings.Index(got, "*INC-2*"), strings.Index(got, "*INC-1*")
	if i2 < 0 || i1 < 0 || i2 > i1 || strings.Contains(got, "INC-3") {
		t.Fatalf("list %q: want INC-2 (SEV1) before INC-1 (SEV3), no resolved INC-3", got)
	}
	for _, want := range []string{"SEV1", "SEV3", "Investigating", "checkout down", "<@" + alice + ">", "<#" + ch1.ID + ">", "<#" + ch2.ID + ">", "open "} {
		if !strings.Contains(got, want) {
			t.Fatalf("list lacks %q: %s", want, got)
		}
	}
}

func TestAppHomeShowsOpenIncidentsAndMyRoles(t *testing.T) {
	t.Parallel()
	w := newWorld(t, nil, nil)
	w.lcIncident(1, "SEV2", "cache stampede")
	home := func(user string) string {
		t.Helper()
		if _, err := w.emu.Event(w.ctx(), map[string]any{"type": "app_home_opened", "user": user, "channel": w.emu.DMChannel(user), "tab": "home"}); err != nil {
			t.Fatal(err)
		}
		if _, err := w.emu.WaitCall(w.ctx(), "views.publish", func(c slackemu.Call) bool { return c.OK && c.Args["user_id"] == user }); err != nil {
			t.Fatal(err)
		}
		for _, v := range w.emu.Views() {
			if v.Type == "home" && v.UserID == user {
				return blocksText(v.View)
			}
		}
		t.Fatalf("no home view for %s", user)
		return ""
	}
	mine := home(alice)
	for _, want := range []string{"Your roles", "INC-1", "cache stampede", "Incident Commander", "SEV2", "Investigating"} {
		if !strings.Contains(mine, want) {
			t.Fatalf("alice's home lacks %q: %s", want, mine)
		}
	}
	theirs := home(bob)
	if !strings.Contains(theirs, "You hold no role") || !strings.Contains(theirs, "INC-1") {
		t.Fatalf("bob's home: %s", theirs)
	}
}

// Every bad input is answered only to its author and changes nothing.
func TestBadLifecycleInputIsAnsweredAndChangesNothing(t *testing.T) {
	t.Parallel()
	w := newWorld(t, nil, nil)
	_, ch := w.lcIncident(1, "SEV2", "disk full")
	before := len(w.events(1))
	posts := len(w.emu.Calls("chat.postMessage"))
	tests := []struct {
		channel, text, want string
	}{
		{w.announce, "update", "incident's channel"},
		{w.announce, "severity SEV1", "incident's channel"},
		{w.announce, "resolve fixed", "incident's channel"},
		{w.announce, "note hello", "incident's channel"},
		{ch.ID, "severity SEV9", "SEV1, SEV2, SEV3, SEV4"},
		{ch.ID, "severity sev2", "already SEV2"},
		{ch.ID, "severity", "which severity"},
		{ch.ID, "note", "needs some text"},
		{ch.ID, "update now", "takes nothing after it"},
	}
	for _, tt := range tests {
		got := ackText(t, w.slash(bob, tt.channel, tt.text))
		if !strings.Contains(got, tt.want) {
			t.Errorf("/incident %s: reply %q lacks %q", tt.text, got, tt.want)
		}
	}
	// A forged form can carry a status or severity the menus do not offer.
	w.slash(bob, ch.ID, "update")
	v := w.lcUpdateForm(1)
	for field, value := range map[string]string{"status": "paused", "severity": "SEV9"} {
		state := map[string]any{
			"status":   map[string]any{"status": map[string]any{"type": "static_select", "selected_option": map[string]any{"value": "identified"}}},
			"severity": map[string]any{"severity": map[string]any{"type": "static_select", "selected_option": map[string]any{"value": "SEV2"}}},
			"summary":  map[string]any{"summary": map[string]any{"type": "plain_text_input", "value": "x"}},
		}
		state[field] = map[string]any{field: map[string]any{"type": "static_select", "selected_option": map[string]any{"value": value}}}
		ack, err := w.emu.Interact(w.ctx(), map[string]any{
			"type": "view_submission", "user": bob,
			"view": map[string]any{"id": v.ID, "type": "modal", "callback_id": "incident_update", "private_metadata": "INC-1", "state": map[string]any{"values": state}},
		})
		if err != nil {
			t.Fatal(err)
		}
		var p struct {
			ResponseAction string            `json:"response_action"`
			Errors         map[string]string `json:"errors"`
		}
		if err := json.Unmarshal(ack.Payload, &p); err != nil || p.ResponseAction != "errors" || !strings.Contains(p.Errors[field], value) {
			t.Fatalf("%s %s: ack %s", field, value, ack.Payload)
		}
	}
	// An empty summary (spaces only) is refused next to its field.
	ack, err := w.emu.SubmitView(w.ctx(), bob, v.ID, map[string]any{"status": "identified", "severity": "SEV2", "summary": "   "})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(ack.Payload), `"summary"`) {
		t.Fatalf("blank summary: ack %s", ack.Payload)
	}
	w.idle()
	if got := len(w.events(1)); got != before {
		t.Fatalf("bad input changed the timeline: %v", lcKindsOf(w.events(1))[before:])
	}
	if got := len(w.emu.Calls("chat.postMessage")); got != posts {
		t.Fatalf("bad input posted %d messages", got-posts)
	}
	if inc := w.incident(1); inc.Severity != "SEV2" || inc.Status != incident.Investigating {
		t.Fatalf("%+v", inc)
	}

	// Resolving twice, and updating a resolved incident, are refused too.
	w.slash(bob, ch.ID, "resolve")
	w.idle()
	resolvedEvents := len(w.events(1))
	posts = len(w.emu.Calls("chat.postMessage"))
	if got := ackText(t, w.slash(bob, ch.ID, "resolve again")); !strings.Contains(got, "already resolved") {
		t.Fatalf("resolve twice: %q", got)
	}
	if got := ackText(t, w.slash(bob, ch.ID, "update")); !strings.Contains(got, "resolved") {
		t.Fatalf("update after resolution: %q", got)
	}
	if got := ackText(t, w.slash(bob, ch.ID, "severity SEV1")); !strings.Contains(got, "resolved") {
		t.Fatalf("severity after resolution: %q", got)
	}
	inc := w.incident(1)
	for _, m := range w.emu.Messages(ch.ID) {
		if m.TS == inc.CardTS && strings.Contains(blocksText(m.Blocks), `"action_id":"update"`) {
			t.Fatal("a resolved incident's card still offers a status update")
		}
	}
	// A client still showing the old card can click its button: it is
	// answered, not acted on.
	if _, err := w.emu.Interact(w.ctx(), map[string]any{
		"type": "block_actions", "user": bob,
		"container": map[string]any{"type": "message", "message_ts": inc.CardTS, "channel_id": ch.ID},
		"channel":   map[string]any{"id": ch.ID},
		"message":   map[string]any{"type": "message", "ts": inc.CardTS, "text": ""},
		"actions":   []any{map[string]any{"type": "button", "action_id": "update", "block_id": "card-actions", "value": "INC-1", "action_ts": "1.000001"}},
	}); err != nil {
		t.Fatal(err)
	}
	if _, err := w.emu.WaitCall(w.ctx(), "", func(c slackemu.Call) bool {
		return c.Method == "chat.postEphemeral" || c.Method == "response_url"
	}); err != nil {
		t.Fatal(err)
	}
	w.idle() // the answer is sent after the ack
	if !slices.ContainsFunc(w.emu.Ephemerals(bob), func(m slackemu.Message) bool { return strings.Contains(m.Text, "INC-1 is resolved") }) {
		t.Fatalf("the card's button on a resolved incident said nothing: %+v", w.emu.Ephemerals(bob))
	}
	w.idle()
	if len(w.events(1)) != resolvedEvents || len(w.emu.Calls("chat.postMessage")) != posts {
		t.Fatal("refused commands changed something")
	}
	if n := len(w.emu.Calls("views.open")); n != 1 {
		t.Fatalf("%d forms opened; only the first update should have opened one", n)
	}
}

// Two updates of the same incident submitted at the same moment both land,
// in timeline order, and the card, topic and announcement end in the state
// of the later one.
func TestConcurrentUpdatesLandInOrderAndEndInTheLatestState(t *testing.T) {
	t.Parallel()
	w := newWorld(t, nil, nil)
	inc, ch := w.lcIncident(1, "SEV3", "flaky builds")
	w.slash(alice, ch.ID, "update")
	va := w.lcUpdateForm(1)
	if _, err := w.emu.ClickButton(w.ctx(), bob, ch.ID, inc.CardTS, "update", "INC-1"); err != nil {
		t.Fatal(err)
	}
	vb := w.lcUpdateForm(2)
	subs := []struct {
		user string
		view slackemu.View
		vals map[string]any
	}{
		{alice, va, map[string]any{"status": "identified", "severity": "SEV2", "summary": "runner disk full"}},
		{bob, vb, map[string]any{"status": "monitoring", "severity": "SEV1", "summary": "runners replaced"}},
	}
	var wg sync.WaitGroup
	for _, s := range subs {
		wg.Go(func() { w.lcSubmit(s.user, s.view, s.vals) })
	}
	wg.Wait()
	w.idle()
	var updates []incident.Event
	for _, e := range w.events(1) {
		if e.Kind == incident.EventUpdate {
			updates = append(updates, e)
		}
	}
	if len(updates) != 2 {
		t.Fatalf("%d updates recorded", len(updates))
	}
	later := subs[0]
	if updates[1].Text == "runners replaced" {
		later = subs[1]
	}
	// The channel shows both, in timeline order, each with its own state.
	var order []string
	for _, m := range w.lcPosted(ch.ID, "Status update: INC-1") {
		body := blocksText(m.Blocks)
		for _, s := range subs {
			if strings.Contains(body, s.vals["summary"].(string)) {
				order = append(order, s.vals["summary"].(string))
				if !strings.Contains(body, s.vals["severity"].(string)) {
					t.Errorf("update %q shows another severity: %s", s.vals["summary"], body)
				}
			}
		}
	}
	if !slices.Equal(order, []string{updates[0].Text, updates[1].Text}) {
		t.Fatalf("channel order %v, timeline order %q, %q", order, updates[0].Text, updates[1].Text)
	}
	// The updates carry their severity changes: the thread gets the two
	// updates and nothing else.
	if n := len(w.lcThread(w.incident(1))); n != 2 {
		t.Fatalf("%d messages in the announcement's thread, want the 2 updates", n)
	}
	status := strings.ToUpper(later.vals["status"].(string)[:1]) + later.vals["status"].(string)[1:]
	w.lcShows(1, status, later.vals["severity"].(string))
	if got := w.incident(1); string(got.Status) != later.vals["status"] || got.Severity != later.vals["severity"] {
		t.Fatalf("incident ends %s/%s, the later update said %v", got.Status, got.Severity, later.vals)
	}
}

func TestHostileUpdateTextNeverNotifiesOrLinks(t *testing.T) {
	t.Parallel()
	w := newWorld(t, nil, nil)
	_, ch := w.lcIncident(1, "SEV2", "db down")
	w.slash(bob, ch.ID, "update")
	hostile := "<!channel> @here & <https://evil.example|click> @everyone"
	w.lcSubmit(bob, w.lcUpdateForm(1), map[string]any{"status": "identified", "severity": "SEV2", "summary": hostile, "next_steps": hostile})
	// Slack sends the markup as it is and the "&" escaped.
	wire := strings.ReplaceAll(hostile, "&", "&amp;")
	w.slashMarkup(bob, ch.ID, "note "+wire)
	w.slashMarkup(bob, ch.ID, "resolve "+wire)
	ts, _ := w.emu.PostUserMarkup(ch.ID, carol, wire)
	if _, err := w.emu.React(w.ctx(), alice, ch.ID, ts, "pushpin"); err != nil {
		t.Fatal(err)
	}
	if _, err := w.emu.WaitCall(w.ctx(), "reactions.add", nil); err != nil {
		t.Fatal(err)
	}
	w.slash(bob, "", "list")
	w.idle()
	for _, c := range w.emu.Calls("") {
		if !c.OK && c.Method != "conversations.create" {
			t.Fatalf("%s failed: %s %s", c.Method, c.Error, c.Response)
		}
		assertNoInjection(t, c)
	}
}
