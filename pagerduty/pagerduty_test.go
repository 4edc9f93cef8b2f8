package pagerduty_test

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/incidentbot/incidentbot/commands"
	"github.com/incidentbot/incidentbot/incident"
	"github.com/incidentbot/incidentbot/internal/clock"
	"github.com/incidentbot/incidentbot/internal/pagerdutyemu"
	"github.com/incidentbot/incidentbot/outbox"
	"github.com/incidentbot/incidentbot/pagerduty"
	"github.com/incidentbot/incidentbot/store"
	"github.com/incidentbot/incidentbot/store/boltstore"
	"github.com/incidentbot/incidentbot/store/boltstore/bolttest"
)

const routingKey = "R0123456789abcdef0123456789abcde" // 32 characters, like an integration key

type fixture struct {
	clk *clock.Fake
	st  *boltstore.Store
	inc *incident.Incident
	pd  *pagerdutyemu.Server
}

func newFixture(t *testing.T, private bool) *fixture {
	t.Helper()
	clk := clock.NewFake(time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC))
	st := bolttest.OpenWith(t, boltstore.Options{Now: clk.Now})
	inc := &incident.Incident{Title: "Checkout errors", Severity: "SEV2", Status: incident.Investigating, Service: "checkout", Private: private,
		Roles: map[string]string{incident.RoleCommander: "UALICE001"}, ChannelID: "C0INC1", DeclaredAt: clk.Now(), StartedAt: clk.Now()}
	if err := st.Update(context.Background(), func(tx store.Tx) error { return tx.CreateIncident(inc) }); err != nil {
		t.Fatal(err)
	}
	return &fixture{clk: clk, st: st, inc: inc, pd: pagerdutyemu.Start(t)}
}

func (f *fixture) client(key string) *pagerduty.Client {
	return pagerduty.New(pagerduty.Options{RoutingKey: key, URL: f.pd.URL, Store: f.st, Clock: f.clk})
}

func (f *fixture) job(t *testing.T, action string, rank int) store.Job {
	t.Helper()
	raw, err := json.Marshal(commands.PagerDutyPayload{Action: action, Incident: commands.Snapshot{
		Number: f.inc.Number, UUID: f.inc.UUID, Title: f.inc.Title, Severity: f.inc.Severity, SeverityRank: rank,
		Status: f.inc.Status, Service: f.inc.Service, Commander: "UALICE001", Private: f.inc.Private,
	}})
	if err != nil {
		t.Fatal(err)
	}
	return store.Job{ID: 7, Incident: f.inc.Number, Kind: commands.JobPagerDuty, Lane: commands.LanePagerDuty, Payload: raw, CreatedAt: f.clk.Now()}
}

// A trigger PagerDuty accepts, keyed by the incident's ID and linking to
// its channel, opens the alert; the resolve closes it.
func TestTriggerThenResolve(t *testing.T) {
	f := newFixture(t, false)
	c := f.client(routingKey)
	if _, err := c.Perform(context.Background(), f.job(t, commands.PagerDutyTrigger, 1)); err != nil {
		t.Fatal(err)
	}
	if !f.pd.Open("INC-1") {
		t.Fatal("no open alert for INC-1")
	}
	got := f.pd.Accepted()[0]
	p := got.Payload
	if got.EventAction != "trigger" || got.RoutingKey != routingKey || got.DedupKey != "INC-1" ||
		p.Summary != "INC-1 SEV2: Checkout errors" || p.Source != "checkout" || p.Severity != "error" || p.Timestamp != "2026-03-01T09:00:00Z" {
		t.Errorf("trigger = %+v payload %+v", got, p)
	}
	const link = "https://slack.com/app_redirect?channel=C0INC1"
	if len(got.Links) != 1 || got.Links[0].Href != link || got.ClientURL != link {
		t.Errorf("links = %+v client_url %q, want the channel", got.Links, got.ClientURL)
	}
	if _, err := c.Perform(context.Background(), f.job(t, commands.PagerDutyResolve, 1)); err != nil {
		t.Fatal(err)
	}
	if f.pd.Open("INC-1") {
		t.Error("the alert is still open after resolve")
	}
	if r := f.pd.Accepted()[1]; r.EventAction != "resolve" || r.DedupKey != "INC-1" || r.Payload != nil {
		t.Errorf("resolve = %+v", r)
	}
}

// Configured severities map onto PagerDuty's four by rank, most severe
// first; every rank past the third is info.
func TestSeverityByRank(t *testing.T) {
	for rank, want := range []string{"critical", "error", "warning", "info", "info"} {
		f := newFixture(t, false)
		if _, err := f.client(routingKey).Perform(context.Background(), f.job(t, commands.PagerDutyTrigger, rank)); err != nil {
			t.Fatal(err)
		}
		if got := f.pd.Accepted()[0].Payload.Severity; got != want {
			t.Errorf("rank %d: severity %q, want %q", rank, got, want)
		}
	}
}

// A private incident pages without its title.
func TestPrivateIncidentPagesWithoutItsTitle(t *testing.T) {
	f := newFixture(t, true)
	if _, err := f.client(routingKey).Perform(context.Background(), f.job(t, commands.PagerDutyTrigger, 0)); err != nil {
		t.Fatal(err)
	}
	if s := f.pd.Accepted()[0].Payload.Summary; strings.Contains(s, "Checkout") || !strings.Contains(s, "INC-1") {
		t.Errorf("summary %q", s)
	}
}

// 429 and 5xx are retried (a 429's Retry-After honoured), a 400 is given up
// with PagerDuty's reason; no error shows the routing key.
func TestAnswers(t *testing.T) {
	for _, tt := range []struct {
		name      string
		key       string
		fault     *pagerdutyemu.Fault
		permanent bool
		wait      time.Duration
		says      string
	}{
		{"429 with Retry-After", routingKey, &pagerdutyemu.Fault{Status: 429, RetryAfter: "12"}, false, 12 * time.Second, "HTTP 429"},
		{"429", routingKey, &pagerdutyemu.Fault{Status: 429}, false, 0, "HTTP 429"},
		{"500", routingKey, &pagerdutyemu.Fault{Status: 500}, false, 0, "HTTP 500"},
		{"503", routingKey, &pagerdutyemu.Fault{Status: 503}, false, 0, "HTTP 503"},
		{"400", routingKey[:31], nil, true, 0, "routing_key"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t, false)
			if tt.fault != nil {
				f.pd.Fail(*tt.fault)
			}
			_, err := f.client(tt.key).Perform(context.Background(), f.job(t, commands.PagerDutyTrigger, 0))
			if err == nil || outbox.IsPermanent(err) != tt.permanent || !strings.Contains(err.Error(), tt.says) {
				t.Fatalf("err = %v, want permanent=%v saying %q", err, tt.permanent, tt.says)
			}
			if d, limited := outbox.RetryDelay(err); limited != (tt.wait > 0) || d != tt.wait {
				t.Errorf("retry delay %v %v, want %v", d, limited, tt.wait)
			}
			if strings.Contains(err.Error(), tt.key) {
				t.Errorf("the error shows the routing key: %v", err)
			}
		})
	}
}
