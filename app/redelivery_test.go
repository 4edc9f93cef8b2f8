package app_test

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/incidentbot/incidentbot/config"
	"github.com/incidentbot/incidentbot/incident"
	"github.com/incidentbot/incidentbot/internal/slackemu"
	"github.com/incidentbot/incidentbot/store"
)

// A redelivery case is one thing a user does in Slack, delivered by the
// emulator exactly as Slack sends it; the test then delivers that very
// envelope again.
type redeliveryCase struct {
	name string
	// config adjusts the workspace (nil: the defaults).
	config func(*config.Config)
	// setup brings the workspace to where the user acts; what it returns
	// is handed to act and check.
	setup func(w *world) redoState
	// act is the user's action, through an emulator helper. It runs on its
	// own goroutine in the overlapping modes, so it reports, never fails.
	act func(ctx context.Context, w *world, st redoState) error
	// check asserts, besides the comparison with a single delivery, the
	// effect the action must have had once.
	check func(w *world, st redoState)
}

// redoState is what a case's setup leaves for its action.
type redoState struct {
	ch   slackemu.Channel // the incident's channel
	ts   string           // a message to act on
	view slackemu.View    // an open modal
	mark redoEffects      // the effects before the action
}

// A redelivery mode says how the captured envelope comes again: its
// retry_attempt goes 1, 2…; sameID keeps the first delivery's envelope_id
// (Slack documents neither way), overlap sends the copies while the first
// delivery may still be in flight.
type redeliveryMode struct {
	name    string
	copies  int
	sameID  bool
	overlap bool
}

var redeliveryModes = []redeliveryMode{
	{name: "twice/same envelope_id", copies: 1, sameID: true},
	{name: "twice/new envelope_id", copies: 1},
	{name: "thrice/same envelope_id", copies: 2, sameID: true},
	{name: "thrice/new envelope_ids", copies: 2},
	{name: "thrice/overlapping", copies: 2, overlap: true},
}

// Every envelope type the bot handles, delivered two and three times, has
// the effect of one delivery: the same timeline, outbox work, Slack calls,
// messages and channels as when it came once.
func TestEveryEnvelopeRedeliveredActsOnce(t *testing.T) {
	t.Parallel()
	for _, c := range redeliveryCases() {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			once := runRedelivery(t, c, redeliveryMode{name: "once"})
			for _, m := range redeliveryModes {
				t.Run(m.name, func(t *testing.T) {
					t.Parallel()
					got := runRedelivery(t, c, m)
					if diff := once.diff(got); diff != "" {
						t.Errorf("delivered %s, the effects differ from one delivery:\n%s", m.name, diff)
					}
				})
			}
		})
	}
}

func redeliveryCases() []redeliveryCase {
	withIncident := func(w *world) redoState {
		w.slash(alice, w.announce, "declare SEV2 checkout returns 500s")
		return redoState{ch: w.declared(1, "", alice)}
	}
	withMessage := func(w *world) redoState {
		st := withIncident(w)
		ts, err := w.emu.PostUserMessage(st.ch.ID, carol, "rolled back deploy 4411")
		if err != nil {
			w.t.Fatal(err)
		}
		st.ts = ts
		return st
	}
	slash := func(text string) func(context.Context, *world, redoState) error {
		return func(ctx context.Context, w *world, st redoState) error {
			channel := st.ch.ID
			if channel == "" {
				channel = w.announce
			}
			_, err := w.emu.SlashCommand(ctx, slackemu.SlashCommand{UserID: alice, ChannelID: channel, Command: "/incident", Text: text})
			return err
		}
	}
	submit := func(values map[string]any) func(context.Context, *world, redoState) error {
		return func(ctx context.Context, w *world, st redoState) error {
			ack, err := w.emu.SubmitView(ctx, alice, st.view.ID, values)
			if err == nil && len(ack.Payload) != 0 {
				err = fmt.Errorf("valid submission answered %s", ack.Payload)
			}
			return err
		}
	}
	return []redeliveryCase{
		{
			name: "slash/declare one-liner",
			act:  slash("declare SEV2 db down"),
			check: func(w *world, _ redoState) {
				w.declared(1, "db down", alice)
				if n := len(w.announcements()); n != 1 {
					w.t.Errorf("%d announcements", n)
				}
			},
		},
		{
			name:  "slash/declare opens the modal",
			act:   slash("declare"),
			check: func(w *world, _ redoState) { w.redoModals(incidentDeclare) },
		},
		{
			name:  "slash/role",
			setup: withIncident,
			act:   slash("role comms <@" + bob + "|bob>"),
			check: func(w *world, st redoState) {
				if got := w.incident(1).Holder("comms"); got != bob {
					w.t.Errorf("comms is %q, want bob", got)
				}
				w.redoTimeline(st, incident.EventRoleAssigned)
			},
		},
		{
			name:  "slash/severity",
			setup: withIncident,
			act:   slash("severity SEV1"),
			check: func(w *world, st redoState) {
				if got := w.incident(1).Severity; got != "SEV1" {
					w.t.Errorf("severity %s, want SEV1", got)
				}
				w.redoTimeline(st, incident.EventSeverityChanged)
			},
		},
		{
			name:  "slash/resolve",
			setup: withIncident,
			act:   slash("resolve rolled back"),
			check: func(w *world, st redoState) {
				if w.incident(1).Open() {
					w.t.Error("not resolved")
				}
				w.redoTimeline(st, incident.EventResolved)
			},
		},
		{
			name:  "slash/note",
			setup: withIncident,
			act:   slash("note restarted db-1"),
			check: func(w *world, st redoState) { w.redoTimeline(st, incident.EventNote) },
		},
		{
			name:  "slash/action",
			setup: withIncident,
			act:   slash("action add an alert on 5xx <@" + bob + "|bob>"),
			check: func(w *world, _ redoState) {
				if acts := w.incident(1).Actions; len(acts) != 1 || acts[0].Owner != bob {
					w.t.Errorf("action items %+v, want one owned by bob", acts)
				}
			},
		},
		{
			name:  "slash/postmortem",
			setup: withIncident,
			act:   slash("postmortem"),
			check: func(w *world, _ redoState) {
				if n := len(w.emu.Files()); n != 1 {
					w.t.Errorf("%d drafts uploaded, want 1", n)
				}
			},
		},
		{
			// A redelivered `update` carries the trigger_id the first
			// delivery already exchanged for the form: one form opens, and
			// nobody is told that it could not.
			name:  "slash/update opens the modal",
			setup: withIncident,
			act:   slash("update"),
			check: func(w *world, _ redoState) { w.redoModals(incidentUpdate) },
		},
		{
			name: "view_submission/declare modal",
			setup: func(w *world) redoState {
				return redoState{view: w.openDeclareModal(alice)}
			},
			act: submit(map[string]any{"title": "payments failing", "severity": "SEV2", "summary": "card payments time out", "commander": bob}),
			check: func(w *world, _ redoState) {
				w.declared(1, "payments failing", alice, bob)
				if n := len(w.announcements()); n != 1 {
					w.t.Errorf("%d announcements", n)
				}
			},
		},
		{
			name: "view_submission/update modal",
			setup: func(w *world) redoState {
				st := withIncident(w)
				w.slash(alice, st.ch.ID, "update")
				st.view = w.lcUpdateForm(1)
				return st
			},
			act: submit(map[string]any{"status": "identified", "severity": "SEV2", "summary": "a bad deploy", "next_steps": "roll back"}),
			check: func(w *world, st redoState) {
				if got := w.incident(1).Status; got != incident.Identified {
					w.t.Errorf("status %s, want identified", got)
				}
				w.redoTimeline(st, incident.EventStatusChanged, incident.EventUpdate)
			},
		},
		{
			name:  "block_actions/role picker on the card",
			setup: withIncident,
			act: func(ctx context.Context, w *world, st redoState) error {
				_, err := w.emu.SelectUser(ctx, alice, st.ch.ID, w.incident(1).CardTS, "role:ops", bob)
				return err
			},
			check: func(w *world, st redoState) {
				if got := w.incident(1).Holder("ops"); got != bob {
					w.t.Errorf("ops is %q, want bob", got)
				}
				w.redoTimeline(st, incident.EventRoleAssigned)
			},
		},
		{
			name:  "block_actions/update button on the card",
			setup: withIncident,
			act: func(ctx context.Context, w *world, st redoState) error {
				_, err := w.emu.ClickButton(ctx, alice, st.ch.ID, w.incident(1).CardTS, "update", "")
				return err
			},
			check: func(w *world, _ redoState) { w.redoModals(incidentUpdate) },
		},
		{
			name: "block_actions/snooze button on a reminder",
			config: func(c *config.Config) {
				c.Incidents.Severities = []config.Severity{
					{Name: "SEV1", Description: "Critical", Reminder: time.Second},
					{Name: "SEV2", Description: "Major", Reminder: time.Hour},
				}
			},
			setup: func(w *world) redoState {
				w.slash(alice, w.announce, "declare SEV1 search is slow")
				st := redoState{ch: w.declared(1, "", alice)}
				st.ts = callTS(w.t, w.remReminder(st.ch.ID, 1))
				// An hourly cadence keeps further reminders out of the count.
				w.slash(alice, st.ch.ID, "severity SEV2")
				return st
			},
			act: func(ctx context.Context, w *world, st redoState) error {
				_, err := w.emu.ClickButton(ctx, bob, st.ch.ID, st.ts, "snooze", "15m")
				return err
			},
			check: func(w *world, st redoState) { w.redoTimeline(st, incident.EventSnoozed) },
		},
		{
			name:  "events_api/reaction_added pushpin",
			setup: withMessage,
			act: func(ctx context.Context, w *world, st redoState) error {
				_, err := w.emu.React(ctx, alice, st.ch.ID, st.ts, "pushpin")
				return err
			},
			check: func(w *world, st redoState) {
				w.redoTimeline(st, incident.EventMessagePinned)
				if m := w.lcMessage(st.ch.ID, st.ts); !slices.Equal(m.Reactions, []string{"memo"}) {
					w.t.Errorf("captured message marked %v", m.Reactions)
				}
			},
		},
		{
			name:  "events_api/app_home_opened",
			setup: withIncident,
			act: func(ctx context.Context, w *world, _ redoState) error {
				_, err := w.emu.Event(ctx, map[string]any{"type": "app_home_opened", "user": bob, "channel": w.emu.DMChannel(bob), "tab": "home"})
				return err
			},
			check: func(w *world, _ redoState) {
				if n := len(w.emu.Calls("views.publish")); n != 1 {
					w.t.Errorf("%d views.publish", n)
				}
			},
		},
		{
			name:  "message_action/add_to_timeline shortcut",
			setup: withMessage,
			act: func(ctx context.Context, w *world, st redoState) error {
				_, err := w.emu.MessageShortcut(ctx, bob, st.ch.ID, st.ts, "add_to_timeline")
				return err
			},
			check: func(w *world, st redoState) {
				w.redoTimeline(st, incident.EventMessagePinned)
				answers := 0
				for _, m := range w.emu.Ephemerals(bob) {
					if strings.Contains(m.Text, "timeline") {
						answers++
					}
				}
				if answers != 1 {
					w.t.Errorf("bob was answered %d times, want once: %+v", answers, w.emu.Ephemerals(bob))
				}
			},
		},
	}
}

const (
	incidentDeclare = "incident_declare"
	incidentUpdate  = "incident_update"
)

// runRedelivery plays one case in a fresh workspace, delivering the
// action's envelope as the mode says, and returns what the action did.
func runRedelivery(t *testing.T, c redeliveryCase, m redeliveryMode) redoEffects {
	w := newWorld(t, nil, c.config)
	var st redoState
	if c.setup != nil {
		st = c.setup(w)
	}
	w.idle()
	st.mark = w.redoEffects()
	first := len(w.emu.Deliveries())

	if m.overlap {
		w.redeliverOverlapping(c, st, first, m.copies)
	} else {
		if err := c.act(w.ctx(), w, st); err != nil {
			t.Fatal(err)
		}
		env := w.emu.Deliveries()[first]
		for i := range m.copies {
			w.redeliver(env, i+1, m.sameID)
		}
	}
	w.idle()
	if got := len(w.emu.Deliveries()) - first; got != 1+m.copies {
		t.Fatalf("%d deliveries, want %d", got, 1+m.copies)
	}
	if c.check != nil {
		c.check(w, st)
	}
	if to := w.emu.Timeouts(); len(to) != 0 {
		t.Errorf("envelopes not acked in time: %v", to)
	}
	for _, p := range w.emu.Problems() {
		t.Errorf("Slack would have complained: %+v", p)
	}
	if d, err := w.app.Store().OutboxDepth(); err != nil || d != 0 {
		t.Errorf("outbox depth %d (%v) after idle", d, err)
	}
	return w.redoEffects().since(st.mark)
}

// redeliver sends env again as Slack's retry number attempt.
func (w *world) redeliver(env slackemu.Envelope, attempt int, sameID bool) {
	w.t.Helper()
	if !sameID {
		env.ID = ""
	}
	env.RetryAttempt, env.RetryReason = attempt, "timeout"
	if _, err := w.emu.Deliver(w.ctx(), env); err != nil {
		w.t.Fatalf("redelivery %d: %v", attempt, err)
	}
}

// redeliverOverlapping sends the copies as soon as the first delivery is
// on the socket, while the bot may still be handling it. The copies carry
// new envelope_ids: two envelopes pending under one ID would be told apart
// by nobody.
func (w *world) redeliverOverlapping(c redeliveryCase, st redoState, first, copies int) {
	w.t.Helper()
	feed, stop := w.emu.Subscribe()
	defer stop()
	acted := make(chan error, 1)
	go func() { acted <- c.act(w.ctx(), w, st) }()
	// The action may finish before its delivery is read off the feed: the
	// feed is lossless and in order, so it still holds the delivery, and
	// the copies then simply come after the first was handled. Only an
	// action that failed (and so may never have been delivered) ends here.
	var env slackemu.Envelope
	actedEarly, actErr := acted, error(nil)
	for env.ID == "" {
		select {
		case ch, ok := <-feed:
			if !ok {
				w.t.Fatal("emulator closed")
			}
			if ch.Kind == slackemu.ChangeDelivery {
				env = w.emu.Deliveries()[first]
			}
		case actErr = <-actedEarly:
			if actErr != nil {
				w.t.Fatalf("the action failed before its delivery was seen: %v", actErr)
			}
			actedEarly = nil // done; its delivery is still on the feed
		case <-w.ctx().Done():
			w.t.Fatal("the action was never delivered")
		}
	}
	var wg sync.WaitGroup
	errs := make(chan error, copies)
	for i := range copies {
		wg.Go(func() {
			e := env
			e.ID, e.RetryAttempt, e.RetryReason = "", i+1, "timeout"
			if _, err := w.emu.Deliver(w.ctx(), e); err != nil {
				errs <- fmt.Errorf("redelivery %d: %w", i+1, err)
			}
		})
	}
	wg.Wait()
	close(errs)
	err := actErr
	if actedEarly != nil {
		err = <-acted
	}
	for e := range errs {
		err = errors.Join(err, e)
	}
	if err != nil {
		w.t.Fatal(err)
	}
}

// redoEffects is what the bot has done that a user or the record can see:
// the Slack calls that change something (read-only calls may repeat
// harmlessly), the channels, the incidents and their timelines.
type redoEffects struct {
	calls     map[string]int
	channels  int
	incidents int
	timelines map[uint64][]incident.EventKind
	files     int
}

// readOnly are methods whose calls change nothing a user sees.
var readOnly = map[string]bool{
	"apps.connections.open": true, "auth.test": true, "users.info": true, "users.lookupByEmail": true,
	"conversations.history": true, "conversations.replies": true, "conversations.info": true,
	"conversations.list": true, "conversations.members": true, "chat.getPermalink": true,
	"bookmarks.list": true, "files.getUploadURLExternal": true,
}

func (w *world) redoEffects() redoEffects {
	w.t.Helper()
	e := redoEffects{calls: map[string]int{}, timelines: map[uint64][]incident.EventKind{}, files: len(w.emu.Files())}
	for _, c := range w.emu.Calls("") {
		if c.OK && !readOnly[c.Method] {
			e.calls[c.Method]++
		}
	}
	e.channels = len(w.emu.Channels())
	err := w.app.Store().View(func(tx store.Tx) error {
		return tx.ForEachIncident(func(inc *incident.Incident) error {
			e.incidents++
			evs, err := tx.Events(inc.Number)
			for _, ev := range evs {
				e.timelines[inc.Number] = append(e.timelines[inc.Number], ev.Kind)
			}
			return err
		})
	})
	if err != nil {
		w.t.Fatal(err)
	}
	return e
}

// since is what happened between mark and e.
func (e redoEffects) since(mark redoEffects) redoEffects {
	d := redoEffects{calls: map[string]int{}, timelines: map[uint64][]incident.EventKind{},
		channels: e.channels - mark.channels, incidents: e.incidents - mark.incidents, files: e.files - mark.files}
	for m, n := range e.calls {
		if n -= mark.calls[m]; n != 0 {
			d.calls[m] = n
		}
	}
	for n, kinds := range e.timelines {
		if added := kinds[len(mark.timelines[n]):]; len(added) > 0 {
			d.timelines[n] = added
		}
	}
	return d
}

// diff describes how got differs from e, "" when it does not.
func (e redoEffects) diff(got redoEffects) string {
	var out []string
	for _, m := range slices.Sorted(maps.Keys(mergeKeys(e.calls, got.calls))) {
		if e.calls[m] != got.calls[m] {
			out = append(out, fmt.Sprintf("%s: %d calls, once: %d", m, got.calls[m], e.calls[m]))
		}
	}
	if got.channels != e.channels || got.incidents != e.incidents || got.files != e.files {
		out = append(out, fmt.Sprintf("channels/incidents/files: %d/%d/%d, once: %d/%d/%d",
			got.channels, got.incidents, got.files, e.channels, e.incidents, e.files))
	}
	if !maps.EqualFunc(e.timelines, got.timelines, slices.Equal) {
		out = append(out, fmt.Sprintf("timeline events added: %v, once: %v", got.timelines, e.timelines))
	}
	return strings.Join(out, "\n")
}

func mergeKeys(a, b map[string]int) map[string]int {
	m := maps.Clone(a)
	for k, v := range b {
		m[k] += v
	}
	return m
}

// redoTimeline checks that the action added exactly these events to
// INC-1's timeline.
func (w *world) redoTimeline(st redoState, kinds ...incident.EventKind) {
	w.t.Helper()
	added := w.redoEffects().since(st.mark).timelines[1]
	if !slices.Equal(added, kinds) {
		w.t.Errorf("timeline events added %v, want %v", added, kinds)
	}
}

// redoModals checks that one modal opened, of callbackID, and that nobody
// was told a form failed to open.
func (w *world) redoModals(callbackID string) {
	w.t.Helper()
	var opened []string
	for _, v := range w.emu.Views() {
		if v.Type == "modal" {
			opened = append(opened, v.CallbackID)
		}
	}
	// The cases that check this open no modal in their setup.
	if len(opened) != 1 || opened[0] != callbackID {
		w.t.Errorf("modals opened: %v, want one %s", opened, callbackID)
	}
	for _, c := range w.emu.Calls("") {
		if c.Method == "response_url" || c.Method == "chat.postEphemeral" {
			w.t.Errorf("%s told the user %v", c.Method, c.Args["text"])
		}
	}
}
