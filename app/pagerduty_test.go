package app_test

import (
	"strings"
	"testing"
	"time"

	"github.com/incidentbot/incidentbot/config"
	"github.com/incidentbot/incidentbot/incident"
	"github.com/incidentbot/incidentbot/internal/clock"
	"github.com/incidentbot/incidentbot/internal/pagerdutyemu"
)

const pdRoutingKey = "R0123456789abcdef0123456789abcde" // 32 characters, like an integration key

func pdWith(pd *pagerdutyemu.Server, key string) func(*config.Config) {
	return func(c *config.Config) {
		c.PagerDuty = config.PagerDuty{RoutingKey: config.Secret(key), MinSeverity: "SEV2", APIURL: pd.URL}
	}
}

// pdActions lists "action dedup_key severity" for each accepted event.
func pdActions(pd *pagerdutyemu.Server) []string {
	var out []string
	for _, ev := range pd.Accepted() {
		s := ev.EventAction + " " + ev.DedupKey
		if ev.Payload != nil {
			s += " " + ev.Payload.Severity
		}
		out = append(out, s)
	}
	return out
}

// PagerDuty is paged once, when the incident first reaches min_severity
// (here by a raise from SEV3, riding out a 429 and a 500), not again on
// further changes, and told when it is resolved.
func TestPagerDutyPagesFromTheConfiguredSeverity(t *testing.T) {
	t.Parallel()
	clk := clock.NewFake(time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC))
	pd := pagerdutyemu.Start(t)
	w := newWorldOnClock(t, clk, nil, pdWith(pd, pdRoutingKey))

	ackText(t, w.slash(alice, w.announce, "declare SEV3 search is slow"))
	w.idle()
	if got := pdActions(pd); len(got) != 0 {
		t.Fatalf("a SEV3 paged: %q", got)
	}
	inc := w.incident(1)
	pd.Fail(pagerdutyemu.Fault{Status: 429, RetryAfter: "20"}, pagerdutyemu.Fault{Status: 500})
	ackText(t, w.slash(bob, inc.ChannelID, "severity SEV2"))
	w.idle()
	if got := pdActions(pd); strings.Join(got, ",") != "trigger INC-1 error" || pd.Faulted() != 2 {
		t.Fatalf("after the raise to SEV2: %q (%d faults answered), want one trigger after the 429 and the 500", got, pd.Faulted())
	}
	trigger := pd.Accepted()[0]
	if !strings.Contains(trigger.Payload.Summary, "search is slow") || trigger.Payload.Source == "" ||
		len(trigger.Links) != 1 || !strings.Contains(trigger.Links[0].Href, inc.ChannelID) {
		t.Errorf("trigger %+v payload %+v", trigger, trigger.Payload)
	}
	for _, sev := range []string{"SEV1", "SEV3", "SEV1"} {
		ackText(t, w.slash(bob, inc.ChannelID, "severity "+sev))
	}
	ackText(t, w.slash(alice, inc.ChannelID, "resolve cache warmed"))
	w.idle()
	if got := strings.Join(pdActions(pd), ","); got != "trigger INC-1 error,resolve INC-1" {
		t.Errorf("PagerDuty got %s, want one trigger then the resolve", got)
	}
	if pd.Open("INC-1") {
		t.Error("the alert is still open")
	}
	if strings.Contains(w.logs.String(), pdRoutingKey) {
		t.Error("the routing key appeared in the logs")
	}
}

// An event PagerDuty refuses (400: here a mistyped key, well-formed enough
// for the configuration check) is given up and recorded on the incident's
// timeline with PagerDuty's reason, as a refused Slack call is; the
// incident's Slack work goes on.
func TestPagerDutyRefusalIsOnTheTimeline(t *testing.T) {
	t.Parallel()
	clk := clock.NewFake(time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC))
	pd := pagerdutyemu.Start(t)
	pd.Known(pdRoutingKey)
	mistyped := pdRoutingKey[:31] + "f"
	w := newWorldOnClock(t, clk, nil, pdWith(pd, mistyped))

	ackText(t, w.slash(alice, w.announce, "declare SEV1 checkout returns 500s"))
	w.idle()
	if len(pd.Refused()) != 1 || len(pd.Accepted()) != 0 {
		t.Fatalf("refused %q, accepted %q", pd.Refused(), pdActions(pd))
	}
	var failed []string
	for _, ev := range w.events(1) {
		if ev.Kind == incident.EventDeliveryFailed {
			failed = append(failed, ev.Text)
		}
	}
	if len(failed) != 1 || !strings.Contains(failed[0], "pagerduty") || !strings.Contains(failed[0], "HTTP 400") || !strings.Contains(failed[0], "Invalid routing key") || strings.Contains(failed[0], mistyped) {
		t.Errorf("timeline failures %q, want one naming PagerDuty's 400 and its reason, without the key", failed)
	}
	if inc := w.incident(1); inc.CardTS == "" || inc.AnnounceTS == "" {
		t.Errorf("Slack work did not finish: %+v", inc)
	}
}
