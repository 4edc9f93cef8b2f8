package app_test

import (
	"encoding/json"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/incidentbot/incidentbot/config"
	"github.com/incidentbot/incidentbot/incident"
	"github.com/incidentbot/incidentbot/internal/clock"
	"github.com/incidentbot/incidentbot/internal/hookemu"
)

// whData is what a receiver reads in a delivery's data.
type whData struct {
	Incident struct {
		ID     string `json:"id"`
		Status string `json:"status"`
	} `json:"incident"`
	Actor string `json:"actor"`
	Text  string `json:"text"`
	Owner string `json:"owner"`
}

func whDecode(t *testing.T, a hookemu.Attempt) whData {
	t.Helper()
	var doc struct {
		Data whData `json:"data"`
	}
	if err := json.Unmarshal(a.Body, &doc); err != nil {
		t.Fatalf("%s: %v in %s", a.Type, err, a.Body)
	}
	return doc.Data
}

// The follow-up of an incident reaches an endpoint that subscribed to it,
// and only that: an action item added after resolution is
// action_item.created with its text and owner, and asking for the
// postmortem is incident.postmortem_drafted, each with who did it.
func TestWebhooksTellActionItemsAndPostmortems(t *testing.T) {
	t.Parallel()
	clk := clock.NewFake(time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC))
	rc := hookemu.Start(t, hookSecret, clk.Now)
	w := newWorldOnClock(t, clk, nil, whWithHooks(config.Webhook{
		URL: rc.URL, Secret: config.Secret(hookSecret),
		Events: []string{incident.TypeActionItemCreated, incident.TypePostmortemDrafted},
	}))

	ackText(t, w.slash(alice, w.announce, "declare SEV2 checkout returns 500s"))
	w.idle()
	ch := w.incident(1).ChannelID
	ackText(t, w.slash(alice, ch, "resolve rolled the deploy back"))
	ackText(t, w.slash(bob, ch, "action an alert on pool exhaustion <@"+carol+"|carol>"))
	ackText(t, w.slash(alice, ch, "postmortem"))
	w.idle()

	got := rc.Accepted()
	if types := whTypes(got); !slices.Equal(types, []string{"INC-1 action_item.created", "INC-1 incident.postmortem_drafted"}) {
		t.Fatalf("the endpoint accepted %q, want the action item then the postmortem, nothing else", types)
	}
	item := whDecode(t, got[0])
	if item.Text != "an alert on pool exhaustion" || item.Owner != carol || item.Actor != bob || item.Incident.Status != "resolved" {
		t.Errorf("action_item.created data %+v", item)
	}
	if pm := whDecode(t, got[1]); pm.Actor != alice || pm.Incident.ID != "INC-1" {
		t.Errorf("incident.postmortem_drafted data %+v", pm)
	}
	for _, a := range rc.Attempts() {
		if a.Refused != nil {
			t.Errorf("%s did not verify: %v", a.Type, a.Refused)
		}
	}
}

// An endpoint that answers 410 Gone wants no more webhooks (Standard
// Webhooks): the bot records that once on the timeline and sends it
// nothing more, while the other endpoints hear everything.
func TestGoneWebhookIsSentNothingMore(t *testing.T) {
	t.Parallel()
	clk := clock.NewFake(time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC))
	gone := hookemu.Start(t, hookSecret, clk.Now)
	gone.Script(hookemu.Reply{Status: http.StatusGone})
	other := hookemu.Start(t, privateHookSecret, clk.Now)
	w := newWorldOnClock(t, clk, nil, whWithHooks(
		config.Webhook{URL: gone.URL, Secret: config.Secret(hookSecret)},
		config.Webhook{URL: other.URL, Secret: config.Secret(privateHookSecret)},
	))

	ackText(t, w.slash(alice, w.announce, "declare SEV2 checkout returns 500s"))
	w.idle()
	ch := w.incident(1).ChannelID
	ackText(t, w.slash(bob, ch, "severity SEV1"))
	ackText(t, w.slash(alice, ch, "resolve rolled the deploy back"))
	ackText(t, w.slash(alice, w.announce, "declare SEV3 search is slow"))
	w.idle()

	if got := whTypes(gone.Attempts()); !slices.Equal(got, []string{"INC-1 incident.declared"}) {
		t.Errorf("the gone endpoint was sent %q, want only the declaration it answered 410", got)
	}
	want := []string{"INC-1 incident.declared", "INC-1 incident.role_assigned", "INC-1 incident.severity_changed", "INC-1 incident.resolved", "INC-2 incident.declared", "INC-2 incident.role_assigned"}
	if got := whTypes(other.Accepted()); !slices.Equal(got, want) {
		t.Errorf("the other endpoint accepted\n %q\nwant\n %q", got, want)
	}
	var failed []string
	for _, n := range []uint64{1, 2} {
		for _, ev := range w.events(n) {
			if ev.Kind == incident.EventDeliveryFailed {
				failed = append(failed, ev.Text)
			}
		}
	}
	if len(failed) != 1 || !strings.Contains(failed[0], "HTTP 410") || !strings.Contains(failed[0], "nothing more is sent") {
		t.Errorf("timeline failures %q, want the 410 once, saying the endpoint is disabled", failed)
	}
}
