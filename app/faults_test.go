package app_test

import (
	"context"
	"fmt"
	"runtime"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/incidentbot/incidentbot/incident"
	"github.com/incidentbot/incidentbot/internal/slackemu"
)

// noCallBeforeRetryAfter fails if a call reached Slack sooner than the
// Retry-After of the last 429 under the same limit: the method, or for
// chat.postMessage the method and the channel, as Slack limits them (and
// the bot's transport holds them). A declaration's or an update's jobs run
// at once, so calls made in the very instant of a 429 on the world's fake
// clock were in flight beside the refused one, not sent after it: only a
// call at a later instant inside the wait is a breach.
func noCallBeforeRetryAfter(t *testing.T, emu *slackemu.Server, wait time.Duration) {
	t.Helper()
	last := map[string]slackemu.Call{}
	for _, c := range emu.Calls("") {
		key := c.Method
		if c.Method == "chat.postMessage" {
			key = fmt.Sprintf("%s %v", c.Method, c.Args["channel"])
		}
		prev, ok := last[key]
		if ok && prev.Status == 429 && c.At.Equal(prev.At) {
			continue // in flight together; prev stays the 429 to wait out
		}
		if ok && prev.Status == 429 && c.At.Sub(prev.At) < wait {
			t.Errorf("%s called %v after a 429 with Retry-After %v", key, c.At.Sub(prev.At), wait)
		}
		last[key] = c
	}
}

// slowAnswer is how long a slow Slack answer is held, in real time (the
// emulator holds the HTTP answer). Every timeout of the bot runs on the
// world's fake clock, so a held answer cannot time out: what it tests is
// calls overlapping in flight with the next envelopes and jobs, and for
// that 40ms, some forty times the emulator's usual answer, does what
// 300ms did without making the package wait seconds.
const slowAnswer = 40 * time.Millisecond

func TestSlackFaultsDelayButNeverLoseWork(t *testing.T) {
	t.Parallel()
	// With one declaration its calls are sequential, so "no call before
	// Retry-After" can be checked strictly; with two, calls already in
	// flight when a 429 arrives are not a breach.
	tests := []struct {
		name         string
		fault        slackemu.Fault
		declarations uint64
	}{
		{"429 storm on every method", slackemu.Fault{Status: 429, RetryAfter: time.Second, Times: 12}, 1},
		{"5xx burst", slackemu.Fault{Status: 503, Times: 5}, 2},
		{"slow responses", slackemu.Fault{Delay: slowAnswer, Times: 12}, 2},
		{"answers lost after the effect", slackemu.Fault{Status: 502, AfterEffect: true, Times: 5}, 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := newWorld(t, nil, nil)
			w.emu.Fail("*", tt.fault)
			for i := range tt.declarations {
				w.slash(alice, w.announce, fmt.Sprintf("declare SEV2 fault %d", i))
			}
			for n := uint64(1); n <= tt.declarations; n++ {
				w.declared(n, "", alice)
			}
			if got := len(w.announcements()); got != int(tt.declarations) {
				t.Fatalf("%d announcements, want %d", got, tt.declarations)
			}
			if tt.declarations == 1 {
				noCallBeforeRetryAfter(t, w.emu, time.Second)
			}
		})
	}
}

// The websocket drops while a job runs, and again while the bot handles
// an envelope; more envelopes follow the reconnects. Every envelope sent
// around the drops is acked exactly once (Slack saw no timeout, no late,
// unknown or duplicate ack) and acted on exactly once.
func TestSocketDropMidFlight(t *testing.T) {
	t.Parallel()
	w := newWorld(t, nil, nil)
	// While a job runs: the incident's channel is being created (once the
	// declaration is acked: an ack written as the socket goes is lost, and
	// Slack does not redeliver a slash command).
	w.emu.Fail("conversations.create", slackemu.Fault{Times: 1, OnCall: w.dropOnceAcked})
	w.slash(alice, w.announce, "declare SEV1 drop one")
	w.declared(1, "drop one", alice)
	// Mid-envelope: a role pick checks its assignee with Slack, before its
	// ack, as the socket drops; the ack goes out on the next socket.
	w.emu.Fail("users.info", slackemu.Fault{Times: 1, OnCall: w.dropAndAwaitReconnect})
	w.rolePick(alice, incident.RoleComms, bob)
	if _, err := w.emu.Event(w.ctx(), map[string]any{"type": "app_home_opened", "user": alice, "channel": "D0ALICE01", "tab": "home"}); err != nil {
		t.Fatal("home event:", err)
	}
	w.slash(alice, w.announce, "declare SEV1 drop two")
	w.declared(2, "drop two", alice)

	if n := len(w.emu.Calls("apps.connections.open")); n != 3 {
		t.Errorf("%d connections, want one more per drop", n)
	}
	seen := map[string]bool{}
	for _, d := range w.emu.Deliveries() {
		if seen[d.ID] || d.RetryAttempt != 0 {
			t.Errorf("delivered twice: %+v", d)
		}
		seen[d.ID] = true
	}
	if len(seen) != 4 {
		t.Errorf("%d envelopes delivered, want 4", len(seen))
	}
	if p := w.emu.Problems(); len(p) != 0 {
		t.Errorf("Slack saw problems with the acks: %+v", p)
	}
	okCalls := func(method string) int {
		n := 0
		for _, c := range w.emu.Calls(method) {
			if c.OK {
				n++
			}
		}
		return n
	}
	for method, want := range map[string]int{"views.publish": 1, "conversations.create": 2} {
		if got := okCalls(method); got != want {
			t.Errorf("%s succeeded %d times, want %d", method, got, want)
		}
	}
	if got := len(w.announcements()); got != 2 {
		t.Errorf("%d announcements, want 2", got)
	}
	assigned := 0
	for _, ev := range w.events(1) {
		if ev.Role == incident.RoleComms && (ev.Kind == incident.EventRoleAssigned || ev.Kind == incident.EventRoleHandoff) {
			assigned++
		}
	}
	if inc := w.incident(1); inc.Holder(incident.RoleComms) != bob || assigned != 1 {
		t.Errorf("comms is %q after %d role changes, want bob after 1", inc.Holder(incident.RoleComms), assigned)
	}
}

// dropAndAwaitReconnect drops every socket and returns once the bot,
// having noticed, asks for a new one.
func (w *world) dropAndAwaitReconnect() {
	before := len(w.emu.Calls("apps.connections.open"))
	w.emu.DropConnections()
	if _, err := w.emu.WaitCall(w.ctx(), "apps.connections.open", func(slackemu.Call) bool {
		return len(w.emu.Calls("apps.connections.open")) > before
	}); err != nil {
		w.t.Error("the bot never reconnected:", err)
	}
}

// After shutdown, no goroutine of the bot is left running.
func TestNoGoroutineLeakAfterShutdown(t *testing.T) {
	t.Parallel()
	before := runtime.NumGoroutine()
	func() {
		w := newWorld(t, nil, nil)
		w.slash(alice, w.announce, "declare SEV2 leak check")
		w.declared(1, "", alice)
		w.stop()
		w.emu.Close()
	}()
	deadline := time.Now().Add(10 * time.Second)
	for {
		n := runtime.NumGoroutine()
		if n <= before+2 { // the http client's idle connections may linger briefly
			return
		}
		if time.Now().After(deadline) {
			buf := make([]byte, 1<<20)
			buf = buf[:runtime.Stack(buf, true)]
			t.Fatalf("%d goroutines before, %d after shutdown:\n%s", before, n, stacksOf(string(buf), "incidentbot"))
		}
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Millisecond)
		<-ctx.Done() // give exiting goroutines a moment; bounded by the deadline above
		cancel()
	}
}

func stacksOf(all, pkg string) string {
	var out []string
	for _, g := range strings.Split(all, "\n\n") {
		if strings.Contains(g, pkg) {
			out = append(out, g)
		}
	}
	return strings.Join(out, "\n\n")
}

// interactionWindow are the calls the bot makes before an ack, or inside a
// trigger_id's 3 s: opening a form, checking a role's assignee. They cannot
// wait out a Retry-After or a backoff, so a fault there is told to the user,
// who tries again (TestFaultsInsideTheInteractionWindowAreToldToTheUser).
// The storms of the incident life spare them; everything else is hit.
var interactionWindow = []string{"views.open", "users.info"}

// spare exempts methods from "*" faults: a method's own faults come before
// "*", and an empty Fault changes nothing.
func (w *world) spare(methods ...string) {
	for _, m := range methods {
		w.emu.Fail(m, slackemu.Fault{})
	}
}

// TestSlackFaultsAcrossAWholeIncident runs a whole incident life — declared
// through the modal with a service, a role picked on the card, an update
// through its form, a note, a 📌, an action item, a severity change to
// reminders every second, the resolution and the postmortem upload — while
// Slack keeps failing before every step. Every piece of work completes
// exactly once, no method is called again before a 429's Retry-After (the
// life's calls are sequential), and once the bots stop no goroutine of ours
// is left.
func TestSlackFaultsAcrossAWholeIncident(t *testing.T) {
	tests := []struct {
		name string
		// arm sets the faults for the next step.
		arm func(w *world)
		// every says that every method the bot called must have had the
		// fault at least once.
		every bool
	}{
		{"429 storm with Retry-After on every method", func(w *world) {
			// Each method's first call is refused, whenever it comes…
			refused := map[string]bool{}
			for _, c := range w.emu.Calls("") {
				refused[c.Method] = refused[c.Method] || c.Status == 429
			}
			for _, m := range lifeMethods {
				if !refused[m] {
					w.emu.Fail(m, slackemu.Fault{Status: 429, RetryAfter: time.Second, Times: 1})
				}
			}
			// …and the first calls of every step, whatever they are.
			w.emu.Fail("*", slackemu.Fault{Status: 429, RetryAfter: time.Second, Times: 2})
		}, true},
		{"5xx bursts", func(w *world) { w.emu.Fail("*", slackemu.Fault{Status: 503, Times: 2}) }, false},
		{"answers lost after the effect", func(w *world) {
			w.emu.Fail("*", slackemu.Fault{Status: 502, AfterEffect: true, Times: 2})
		}, false},
		{"slow responses", func(w *world) { w.emu.Fail("*", slackemu.Fault{Delay: slowAnswer, Times: 6}) }, false},
		{"websocket drops between steps, mid-envelope and while jobs run", func(w *world) {
			w.emu.DropConnections()
			// Mid-envelope: a pick checks its assignee before its ack.
			w.emu.Fail("users.info", slackemu.Fault{Times: 1, OnCall: w.emu.DropConnections})
			w.spare("users.info", "apps.connections.open")
			// While jobs run: the next calls, whatever they are (outbox
			// jobs, a form opening), lose the socket while in flight — once
			// the step's envelope is acked, since an ack written as the
			// socket goes is lost, and Slack does not redeliver a slash
			// command.
			w.emu.Fail("*", slackemu.Fault{Times: 2, OnCall: w.dropOnceAcked})
		}, false},
	}
	t.Run("faults", func(t *testing.T) {
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				t.Parallel()
				w := remWorld(t, 0)
				storm := !strings.HasPrefix(tt.name, "websocket")
				w.faultLife(func() {
					if storm {
						// Faults left over from the last step go: each
						// step gets its own burst.
						w.emu.ClearFaults()
						w.spare(interactionWindow...)
					}
					tt.arm(w)
				})
				noCallBeforeRetryAfter(t, w.emu, time.Second)
				// 9 steps, each dropping the socket at least once.
				if n := len(w.emu.Calls("apps.connections.open")); !storm && n < 10 {
					t.Errorf("the bot connected %d times: the drops did not happen", n)
				}
				if tt.every {
					everyMethodFailed(t, w.emu)
				}
				w.stop()
				w.emu.Close()
			})
		}
	})
	if t.Failed() {
		return
	}
	assertNoGoroutinesOfOurs(t)
}

// dropOnceAcked drops every socket as soon as no envelope awaits its ack
// (or at the ack deadline, when one never comes).
func (w *world) dropOnceAcked() {
	changes, stop := w.emu.Subscribe()
	defer stop()
	deadline := time.NewTimer(3 * time.Second)
	defer deadline.Stop()
	for w.emu.AwaitingAck() > 0 {
		select {
		case <-changes:
		case <-deadline.C:
			w.emu.DropConnections()
			return
		}
	}
	w.emu.DropConnections()
}

// lifeMethods are the Web API methods (and the upload and response_url
// pseudo-methods) a whole incident life calls, besides the interaction
// window's.
var lifeMethods = []string{
	"auth.test", "conversations.create", "conversations.setTopic", "conversations.setPurpose", "conversations.invite",
	"chat.postMessage", "chat.update", "pins.add", "bookmarks.add", "bookmarks.list", "conversations.history",
	"conversations.replies", "chat.getPermalink", "reactions.add", "files.getUploadURLExternal", "upload",
	"files.completeUploadExternal", "response_url", "chat.postEphemeral", "conversations.list",
}

// everyMethodFailed fails unless every method the bot called, but those of
// the interaction window and the socket's own, was refused at least once:
// a method missing from lifeMethods would go untested.
func everyMethodFailed(t *testing.T, emu *slackemu.Server) {
	t.Helper()
	called, refused := map[string]bool{}, map[string]bool{}
	for _, c := range emu.Calls("") {
		called[c.Method] = true
		if c.Status == 429 {
			refused[c.Method] = true
		}
	}
	for m := range called {
		// conversations.info is the start-up check of the announce
		// channel, done before the first step arms any fault.
		if !refused[m] && !slices.Contains(interactionWindow, m) && m != "apps.connections.open" && m != "conversations.info" {
			t.Errorf("%s was never refused: add it to lifeMethods", m)
		}
	}
}

// faultLife runs INC-1's whole life, calling arm before each step, and
// checks that each step's work reached Slack once.
func (w *world) faultLife(arm func()) {
	t := w.t
	t.Helper()

	arm()
	v := w.openDeclareModal(alice)
	ack, err := w.emu.SubmitView(w.ctx(), alice, v.ID, map[string]any{
		"title": "Payments failing", "severity": "SEV2", "summary": "card payments time out",
		"service": "checkout", "commander": alice,
	})
	if err != nil || len(ack.Payload) != 0 {
		t.Fatalf("declare submission: %s %v", ack.Payload, err)
	}
	ch := w.declared(1, "", alice, carol)
	if len(ch.Bookmarks) != 1 || ch.Bookmarks[0].Link != runbook {
		t.Fatalf("bookmarks %+v", ch.Bookmarks)
	}

	arm()
	w.rolePick(alice, incident.RoleComms, bob)
	w.idle()
	if !strings.Contains(w.roleSectionText(incident.RoleComms), "<@"+bob+">") {
		t.Fatal("the card does not show the comms lead")
	}

	arm()
	w.slash(bob, ch.ID, "update")
	w.lcSubmit(bob, w.lcUpdateForm(2), map[string]any{
		"status": "identified", "severity": "SEV2", "summary": "rolled back deploy 4812", "next_steps": "watch the error rate",
	})
	w.checkUpdateLanded(1, "rolled back deploy 4812", "Identified", "SEV2")

	arm()
	w.slash(alice, ch.ID, "note pool exhausted at 10:02")
	w.idle()

	arm()
	ts, err := w.emu.PostUserMessage(ch.ID, carol, "consumer lag is 2h on partition 7")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := w.emu.React(w.ctx(), alice, ch.ID, ts, "pushpin"); err != nil {
		t.Fatal(err)
	}
	w.idle()

	arm()
	w.slash(bob, ch.ID, "action add an alert on pool exhaustion <@"+carol+"|carol>")
	w.idle()

	var notes, pins []incident.Event
	for _, e := range w.events(1) {
		switch e.Kind {
		case incident.EventNote:
			notes = append(notes, e)
		case incident.EventMessagePinned:
			pins = append(pins, e)
		}
	}
	if len(notes) != 1 || notes[0].Text != "pool exhausted at 10:02" {
		t.Fatalf("notes %+v", notes)
	}
	if len(pins) != 1 || pins[0].Text != "consumer lag is 2h on partition 7" || pins[0].Link == "" {
		t.Fatalf("the 📌 captured %+v\n%s", pins, grepLines(w.logs.String(), "pinned"))
	}
	if m := w.lcMessage(ch.ID, ts); !slices.Equal(m.Reactions, []string{"memo"}) {
		t.Fatalf("captured message marked %v", m.Reactions)
	}
	if inc := w.incident(1); len(inc.Actions) != 1 || inc.Actions[0].Owner != carol {
		t.Fatalf("action items %+v", inc.Actions)
	}

	// SEV1 reminds every second until the resolution.
	arm()
	w.slash(alice, ch.ID, "severity SEV1")
	w.remReminder(ch.ID, 1)
	w.idle()
	if n := len(w.lcPosted(ch.ID, "changed the severity", "SEV1")); n != 1 {
		t.Fatalf("%d severity messages", n)
	}

	arm()
	w.slash(alice, ch.ID, "resolve rolled back the bad deploy")
	w.idle()
	inc := w.incident(1)
	if n := len(w.lcPosted(ch.ID, "Resolved: INC-1", "rolled back the bad deploy")); n != 1 {
		t.Fatalf("%d final updates in the channel", n)
	}
	if thread := w.lcThread(inc); !slices.ContainsFunc(thread, func(m slackemu.Message) bool {
		return strings.Contains(blocksText(m.Blocks), "Resolved: INC-1")
	}) {
		t.Fatal("the announcement's thread lacks the final update")
	}

	arm()
	w.slash(alice, ch.ID, "postmortem")
	w.idle()
	if files := w.emu.Files(); len(files) != 1 || files[0].Name != "INC-1-postmortem.md" {
		t.Fatalf("files %+v", files)
	}

	// Exactly once, whatever was retried.
	if n := countChannels(w.emu, "inc-1-"); n != 1 {
		t.Fatalf("%d channels", n)
	}
	if n := len(w.announcements()); n != 1 {
		t.Fatalf("%d announcements", n)
	}
	cards, updates := 0, 0
	for _, m := range w.emu.Messages(ch.ID) {
		body := blocksText(m.Blocks)
		if strings.Contains(body, `"action_id":"role:commander"`) {
			cards++
		}
		if strings.Contains(body, "Status update: INC-1") {
			updates++
		}
	}
	if cards != 1 || updates != 1 {
		t.Fatalf("%d cards and %d status updates in the channel, want 1 of each", cards, updates)
	}
	for _, e := range w.events(1) {
		if e.Kind == incident.EventDeliveryFailed {
			t.Errorf("a side effect failed for good: %s", e.Text)
		}
	}
}

// assertNoGoroutinesOfOurs fails if any goroutine is still running code of
// this module other than the calling test and the parallel tests waiting
// for it: every bot and emulator has been stopped.
func assertNoGoroutinesOfOurs(t *testing.T) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		buf := make([]byte, 1<<22)
		buf = buf[:runtime.Stack(buf, true)]
		var left []string
		for _, g := range strings.Split(string(buf), "\n\n") {
			// A parallel test paused until the sequential ones are done
			// has started nothing yet.
			paused := strings.Contains(g, "testing.(*T).Parallel")
			if strings.Contains(g, "github.com/incidentbot/incidentbot/") && !strings.Contains(g, "assertNoGoroutinesOfOurs") && !paused {
				left = append(left, g)
			}
		}
		if len(left) == 0 {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d goroutines of ours after shutdown:\n%s", len(left), strings.Join(left, "\n\n"))
		}
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Millisecond)
		<-ctx.Done() // give exiting goroutines a moment; bounded by the deadline above
		cancel()
	}
}

func grepLines(s, sub string) string {
	var out []string
	for _, l := range strings.Split(s, "\n") {
		if strings.Contains(l, sub) {
			out = append(out, l)
		}
	}
	return strings.Join(out, "\n")
}

// Calls inside an interaction's window cannot wait out a fault: the user is
// told, in a message only they see, that nothing happened and to try again;
// and trying again works.
func TestFaultsInsideTheInteractionWindowAreToldToTheUser(t *testing.T) {
	t.Parallel()
	w := newWorld(t, nil, nil)
	told := func(user, want string) {
		t.Helper()
		if _, err := w.emu.WaitCall(w.ctx(), "response_url", func(c slackemu.Call) bool {
			return c.OK && strings.Contains(fmt.Sprint(c.Args["text"]), want)
		}); err != nil {
			t.Fatalf("%s was never told %q: %v", user, want, err)
		}
		if !slices.ContainsFunc(w.emu.Ephemerals(user), func(m slackemu.Message) bool { return strings.Contains(m.Text, want) }) {
			t.Fatalf("%s was not shown %q", user, want)
		}
	}

	// The declare form cannot open under a rate limit.
	w.emu.Fail("views.open", slackemu.Fault{Status: 429, RetryAfter: time.Second, Times: 1})
	w.slash(alice, w.announce, "declare")
	told(alice, "could not open in time")
	w.idle()
	if n := len(w.emu.Calls("conversations.create")); n != 0 {
		t.Fatalf("%d channels created", n)
	}

	// A pick whose assignee Slack cannot confirm changes nothing, says so,
	// and works when made again.
	w.slash(alice, w.announce, "declare SEV2 db down")
	w.declared(1, "", alice)
	w.emu.Fail("users.info", slackemu.Fault{Status: 503, Times: 1})
	w.rolePick(alice, incident.RoleComms, bob)
	told(alice, "could not check that person")
	w.idle()
	if h := w.incident(1).Holder(incident.RoleComms); h != "" {
		t.Fatalf("comms went to %q on a failed check", h)
	}
	w.rolePick(alice, incident.RoleComms, bob)
	w.idle()
	if h := w.incident(1).Holder(incident.RoleComms); h != bob {
		t.Fatalf("comms is %q after the second pick", h)
	}
}

// A scope the app lacks is a permanent failure whose timeline entry says
// which scope to add.
func TestMissingScopeIsExplainedOnTheTimeline(t *testing.T) {
	t.Parallel()
	w := newWorld(t, nil, nil)
	w.emu.Fail("bookmarks.add", slackemu.Fault{Error: "missing_scope", Fields: map[string]any{"needed": "bookmarks:write", "provided": "chat:write,commands"}})
	v := w.openDeclareModal(alice)
	if _, err := w.emu.SubmitView(w.ctx(), alice, v.ID, map[string]any{
		"title": "checkout down", "severity": "SEV1", "summary": "500s", "service": "checkout",
	}); err != nil {
		t.Fatal(err)
	}
	w.idle()
	for _, ev := range w.events(1) {
		if ev.Kind == incident.EventDeliveryFailed {
			if !strings.Contains(ev.Text, "bookmarks:write scope") || !strings.Contains(ev.Text, "chat:write,commands") {
				t.Fatalf("timeline says %q", ev.Text)
			}
			return
		}
	}
	t.Fatal("the failed bookmark is not on the timeline")
}
