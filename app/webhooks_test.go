package app_test

import (
	"fmt"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/incidentbot/incidentbot/config"
	"github.com/incidentbot/incidentbot/incident"
	"github.com/incidentbot/incidentbot/internal/clock"
	"github.com/incidentbot/incidentbot/internal/hookemu"
	"github.com/incidentbot/incidentbot/internal/slackemu"
)

const (
	hookSecret        = "whsec_dGhlLXB1YmxpYy1yZWNlaXZlcnMtc2VjcmV0LWtleQ=="
	privateHookSecret = "whsec_dGhlLXByaXZhdGUtcmVjZWl2ZXJzLXNlY3JldC1rZXk="
)

// whWithHooks configures one webhook per receiver.
func whWithHooks(hooks ...config.Webhook) func(*config.Config) {
	return func(c *config.Config) { c.Webhooks = hooks }
}

// whTypes lists "INC-n type" for each delivery, in order.
func whTypes(as []hookemu.Attempt) []string {
	out := make([]string, len(as))
	for i, a := range as {
		out[i] = a.Incident + " " + a.Type
	}
	return out
}

// whDeclarePrivate declares a private incident through the form, without
// waiting for the outbox (on a fake clock the deliveries wait for it).
func (w *world) whDeclarePrivate(user, title string) {
	w.t.Helper()
	before := len(w.emu.Calls("views.open"))
	w.slash(user, w.announce, "declare")
	seen := 0
	call, err := w.emu.WaitCall(w.ctx(), "views.open", func(slackemu.Call) bool { seen++; return seen > before })
	if err != nil || !call.OK {
		w.t.Fatalf("views.open: %+v %v", call, err)
	}
	var v slackemu.View
	for _, view := range w.emu.Views() {
		if view.TriggerID == call.Args["trigger_id"] {
			v = view
		}
	}
	if _, err := w.emu.SubmitView(w.ctx(), user, v.ID, map[string]any{
		"title": title, "severity": "SEV1", "summary": "do not share", "commander": user, "private": []string{"private"},
	}); err != nil {
		w.t.Fatal(err)
	}
}

// An incident's life reaches each webhook signed, in order, once per
// webhook-id; a private incident reaches only the endpoint that takes
// private ones; the first delivery rides out a 500 and a 429 (waiting as
// long as asked) on the fake clock.
func TestWebhooksTellOtherToolsInOrder(t *testing.T) {
	t.Parallel()
	clk := clock.NewFake(time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC))
	public := hookemu.Start(t, hookSecret, clk.Now)
	private := hookemu.Start(t, privateHookSecret, clk.Now)
	public.Script(hookemu.Reply{Status: http.StatusInternalServerError}, hookemu.Reply{Status: http.StatusTooManyRequests, RetryAfter: "30"})
	w := newWorldOnClock(t, clk, nil, whWithHooks(
		config.Webhook{URL: public.URL, Secret: config.Secret(hookSecret)},
		config.Webhook{URL: private.URL, Secret: config.Secret(privateHookSecret), Events: []string{incident.TypeDeclared, incident.TypeResolved}, Private: true},
	))

	ackText(t, w.slash(alice, w.announce, "declare SEV2 checkout returns 500s"))
	w.idle()
	ch := w.incident(1).ChannelID
	ackText(t, w.slash(bob, ch, "severity SEV1"))
	w.slash(alice, ch, "update")
	w.lcSubmit(alice, w.lcUpdateForm(1), map[string]any{"status": "identified", "severity": "SEV1", "summary": "bad deploy found"})
	ackText(t, w.slash(alice, ch, "resolve rolled the deploy back"))
	w.whDeclarePrivate(carol, "Leaked credentials")
	w.idle()

	want := []string{"INC-1 incident.declared", "INC-1 incident.role_assigned", "INC-1 incident.severity_changed", "INC-1 incident.updated", "INC-1 incident.resolved"}
	if got := whTypes(public.Accepted()); !slices.Equal(got, want) {
		t.Errorf("the public endpoint accepted\n %q\nwant\n %q", got, want)
	}
	var mine []string
	for _, a := range private.Accepted() {
		mine = append(mine, a.Incident+" "+a.Type)
	}
	for _, want := range []string{"INC-1 incident.declared", "INC-1 incident.resolved", "INC-2 incident.declared"} {
		if !slices.Contains(mine, want) {
			t.Errorf("the private endpoint did not get %s; it got %q", want, mine)
		}
	}
	if len(mine) != 3 || slices.Index(mine, "INC-1 incident.declared") > slices.Index(mine, "INC-1 incident.resolved") {
		t.Errorf("the private endpoint got %q, want INC-1 declared then resolved, and INC-2 declared", mine)
	}

	// Ordered, and once per webhook-id.
	seen := map[string]bool{}
	var last uint64
	for _, a := range public.Accepted() {
		if seen[a.ID] {
			t.Errorf("webhook-id %s accepted twice", a.ID)
		}
		seen[a.ID] = true
		if a.Seq <= last {
			t.Errorf("%s (seq %d) after seq %d", a.Type, a.Seq, last)
		}
		last = a.Seq
	}
	// The declaration was refused twice, then accepted under the same
	// webhook-id, no sooner than the 429's Retry-After allowed.
	all := public.Attempts()
	if len(all) < 3 || all[0].Status != 500 || all[1].Status != 429 || all[2].Status/100 != 2 {
		t.Fatalf("first attempts: %+v", all[:min(3, len(all))])
	}
	if all[0].ID != all[1].ID || all[1].ID != all[2].ID || all[2].Type != incident.TypeDeclared {
		t.Errorf("retries of the declaration changed webhook-id: %s %s %s (%s)", all[0].ID, all[1].ID, all[2].ID, all[2].Type)
	}
	if wait := all[2].Timestamp.Sub(all[1].Timestamp); wait < 30*time.Second {
		t.Errorf("retried %v after the 429, want at least its Retry-After of 30s", wait)
	}
	for _, a := range all {
		if a.Refused != nil {
			t.Errorf("a delivery did not verify: %v", a.Refused)
		}
	}
	// The declaration carries the channel's link.
	if body := string(public.Accepted()[0].Body); !strings.Contains(body, `"channel_id":"`+ch+`"`) || !strings.Contains(body, "app_redirect?channel="+ch) {
		t.Errorf("declaration lacks the channel: %s", body)
	}
	for _, ev := range w.events(1) {
		if ev.Kind == incident.EventDeliveryFailed {
			t.Errorf("timeline records a failure: %s", ev.Text)
		}
	}
	if logs := w.logs.String(); strings.Contains(logs, hookSecret[len("whsec_"):]) || strings.Contains(logs, privateHookSecret[len("whsec_"):]) {
		t.Error("a webhook secret appeared in the logs")
	}
}

// A webhook endpoint that hangs holds up its own deliveries only: while
// the declaration's delivery hangs, a severity change refreshes the card
// and the announcement and posts in the channel.
func TestHangingWebhookDoesNotHoldUpSlack(t *testing.T) {
	t.Parallel()
	hang := make(chan struct{})
	clk := clock.NewFake(worldStart)
	dead := hookemu.Start(t, hookSecret, clk.Now)
	dead.Script(hookemu.Reply{Status: http.StatusOK, Hang: hang})
	w := newWorldOnClock(t, clk, nil, whWithHooks(config.Webhook{URL: dead.URL, Secret: config.Secret(hookSecret)}))
	t.Cleanup(func() { close(hang) }) // runs before the world stops

	ackText(t, w.slash(alice, w.announce, "declare SEV2 checkout returns 500s"))
	// The delivery waits for the incident's channel, retrying each second
	// of the bot's clock; once attempted it hangs, so the outbox never
	// settles and the test moves the clock itself.
	for i := 0; !dead.WaitAttempts(1, 200*time.Millisecond); i++ {
		if i == 50 {
			t.Fatal("the declaration was never delivered")
		}
		w.clock.Advance(time.Second)
	}
	inc := w.incident(1)
	before := len(w.emu.Calls("chat.update"))
	ackText(t, w.slash(bob, inc.ChannelID, "severity SEV1"))
	for _, target := range []struct{ channel, ts, what string }{
		{inc.ChannelID, inc.CardTS, "the card"},
		{w.announce, inc.AnnounceTS, "the announcement"},
	} {
		n := 0
		if _, err := w.emu.WaitCall(w.ctx(), "chat.update", func(c slackemu.Call) bool {
			n++
			return n > before && c.OK && c.Args["channel"] == target.channel && c.Args["ts"] == target.ts
		}); err != nil {
			t.Fatalf("%s was not refreshed while a webhook hung: %v", target.what, err)
		}
	}
	if _, err := w.emu.WaitCall(w.ctx(), "chat.postMessage", func(c slackemu.Call) bool {
		return c.OK && c.Args["channel"] == inc.ChannelID && strings.Contains(fmt.Sprint(c.Args["text"])+fmt.Sprint(c.Args["blocks"]), "SEV1")
	}); err != nil {
		t.Fatalf("the severity change was not posted while a webhook hung: %v", err)
	}
	if got := dead.Attempts(); len(got) != 1 || got[0].Status != 0 {
		t.Fatalf("attempts %+v: want only the hanging declaration (its lane waits)", got)
	}
}

// Deliveries pending when the bot stops go out after it starts again,
// under the webhook-ids they had, each accepted once.
func TestWebhookDeliveriesSurviveARestart(t *testing.T) {
	t.Parallel()
	clk := clock.NewFake(time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC))
	rc := hookemu.Start(t, hookSecret, clk.Now)
	rc.Default(http.StatusServiceUnavailable)
	w := newWorldOnClock(t, clk, nil, whWithHooks(config.Webhook{URL: rc.URL, Secret: config.Secret(hookSecret), Events: []string{incident.TypeDeclared, incident.TypeResolved}}))

	ackText(t, w.slash(alice, w.announce, "declare SEV2 checkout returns 500s"))
	w.whUntilAttempted(clk, rc, 1)
	ch := w.incident(1).ChannelID
	ackText(t, w.slash(alice, ch, "resolve false alarm"))
	refused := rc.Attempts()[0]

	w.restart()
	rc.Default(http.StatusNoContent)
	w.idle()

	got := rc.Accepted()
	if types := whTypes(got); !slices.Equal(types, []string{"INC-1 incident.declared", "INC-1 incident.resolved"}) {
		t.Fatalf("accepted %q after the restart", types)
	}
	if got[0].ID != refused.ID {
		t.Errorf("the declaration came back as %s, was %s before the restart", got[0].ID, refused.ID)
	}
	if got[0].ID == got[1].ID {
		t.Error("two deliveries share a webhook-id")
	}
}

// whUntilAttempted lets time pass on clk, as idle does, until rc
// has seen n requests.
func (w *world) whUntilAttempted(clk *clock.Fake, rc *hookemu.Receiver, n int) {
	w.t.Helper()
	for len(rc.Attempts()) < n {
		wake, err := w.app.Bot().WaitSettled(w.ctx())
		if err != nil {
			w.t.Fatal("the outbox never settled:", err)
		}
		if len(rc.Attempts()) >= n {
			return
		}
		if wake.IsZero() {
			w.t.Fatalf("nothing pending, and %d of %d requests arrived", len(rc.Attempts()), n)
		}
		clk.Advance(wake.Sub(clk.Now()))
	}
}

// An endpoint that refuses a delivery (a 4xx other than 408 and 429) is not
// retried: the failure is recorded on the incident's timeline, naming the
// endpoint by host only, and the endpoint's next delivery goes out.
func TestRefusedWebhookIsOnTheTimeline(t *testing.T) {
	t.Parallel()
	clk := clock.NewFake(time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC))
	rc := hookemu.Start(t, hookSecret, clk.Now)
	rc.Script(hookemu.Reply{Status: http.StatusNotFound})
	w := newWorldOnClock(t, clk, nil, whWithHooks(config.Webhook{URL: rc.URL + "?token=in-the-query", Secret: config.Secret(hookSecret), Events: []string{incident.TypeDeclared, incident.TypeResolved}}))

	ackText(t, w.slash(alice, w.announce, "declare SEV2 checkout returns 500s"))
	w.idle()
	ackText(t, w.slash(alice, w.incident(1).ChannelID, "resolve false alarm"))
	w.idle()

	if got := whTypes(rc.Attempts()); !slices.Equal(got, []string{"INC-1 incident.declared", "INC-1 incident.resolved"}) {
		t.Errorf("attempts %q, want the refused declaration once, then the resolution", got)
	}
	var failed []string
	for _, ev := range w.events(1) {
		if ev.Kind == incident.EventDeliveryFailed {
			failed = append(failed, ev.Text)
		}
	}
	if len(failed) != 1 || !strings.Contains(failed[0], "HTTP 404") || !strings.Contains(failed[0], "127.0.0.1") || strings.Contains(failed[0], "in-the-query") || strings.Contains(failed[0], "/hooks") {
		t.Errorf("timeline failures %q, want one naming the 404 and the host only", failed)
	}
}
