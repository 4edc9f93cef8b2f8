package app_test

import (
	"encoding/json"
	"slices"
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
