package commands_test

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/incidentbot/incidentbot/commands"
	"github.com/incidentbot/incidentbot/incident"
	"github.com/incidentbot/incidentbot/store"
	"github.com/incidentbot/incidentbot/store/boltstore"
)

// evDestinations: an endpoint for everything public, one for declarations
// and resolutions including private incidents, and PagerDuty from SEV2.
func evDestinations() commands.Destinations {
	return commands.Destinations{
		Webhooks: []commands.WebhookDestination{
			{URL: "https://all.example.com/"},
			{URL: "https://private.example.com/", Events: []string{incident.TypeDeclared, incident.TypeResolved}, Private: true},
		},
		PagerDuty: commands.PagerDutyDestination{Enabled: true, MinSeverity: "SEV2"},
	}
}

// evOut lists the outbound jobs of incident n as "<where> <what>".
func evOut(t *testing.T, s *commands.Service, n uint64) []string {
	t.Helper()
	jobs, err := s.Store.(*boltstore.Store).PendingJobs(0)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, j := range jobs {
		if j.Incident != n {
			continue
		}
		switch j.Kind {
		case commands.JobWebhook:
			var pl commands.WebhookPayload
			if err := json.Unmarshal(j.Payload, &pl); err != nil {
				t.Fatal(err)
			}
			if j.Lane != "webhook "+pl.URL {
				t.Errorf("webhook job in lane %q", j.Lane)
			}
			out = append(out, strings.TrimSuffix(strings.TrimPrefix(pl.URL, "https://"), ".example.com/")+" "+pl.Type+" "+pl.Incident.Severity)
		case commands.JobPagerDuty:
			var pl commands.PagerDutyPayload
			if err := json.Unmarshal(j.Payload, &pl); err != nil {
				t.Fatal(err)
			}
			if j.Lane != commands.LanePagerDuty {
				t.Errorf("pagerduty job in lane %q", j.Lane)
			}
			out = append(out, "pagerduty "+pl.Action+" "+pl.Incident.Severity)
		default:
			if j.Lane != "" {
				t.Errorf("Slack job %s in lane %q", j.Kind, j.Lane)
			}
		}
	}
	return out
}

func evDeclare(t *testing.T, s *commands.Service, sev string, private bool) *incident.Incident {
	t.Helper()
	res, err := s.Declare(context.Background(), commands.DeclareInput{Title: "checkout slow", Severity: sev, DeclaredBy: "UDECL", Commander: "UCMDR", Private: private})
	if err != nil {
		t.Fatal(err)
	}
	inc := res.Incident
	inc.ChannelID = fmt.Sprintf("C0INC%d", inc.Number)
	if err := s.Store.Update(context.Background(), func(tx store.Tx) error { return tx.PutIncident(inc) }); err != nil {
		t.Fatal(err)
	}
	return inc
}

// Each published event is enqueued, in the transaction of its change, for
// each endpoint subscribed to it, with the incident as of the event; a
// private incident only for private endpoints. PagerDuty is triggered when
// the incident first reaches SEV2 and resolved at the end.
func TestEventsAreEnqueuedPerDestination(t *testing.T) {
	s := newService(t)
	s.Destinations = evDestinations()
	ctx := context.Background()

	inc := evDeclare(t, s, "SEV3", false)
	for i, sev := range []string{"SEV2", "SEV3", "SEV1"} {
		if _, err := s.ChangeSeverity(ctx, commands.SeverityInput{Channel: inc.ChannelID, Severity: sev, By: "UCMDR", IdempotencyKey: fmt.Sprint("sev", i)}); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := s.Resolve(ctx, commands.ResolveInput{Channel: inc.ChannelID, Summary: "fixed", By: "UCMDR", IdempotencyKey: "r"}); err != nil {
		t.Fatal(err)
	}
	want := []string{
		"all incident.declared SEV3", "private incident.declared SEV3", "all incident.role_assigned SEV3",
		"all incident.severity_changed SEV2", "pagerduty trigger SEV2",
		"all incident.severity_changed SEV3",
		"all incident.severity_changed SEV1",
		"all incident.resolved SEV1", "private incident.resolved SEV1", "pagerduty resolve SEV1",
	}
	if got := evOut(t, s, inc.Number); !slices.Equal(got, want) {
		t.Errorf("public incident:\n got %q\nwant %q", got, want)
	}

	secret := evDeclare(t, s, "SEV1", true)
	want = []string{"private incident.declared SEV1", "pagerduty trigger SEV1"}
	if got := evOut(t, s, secret.Number); !slices.Equal(got, want) {
		t.Errorf("private incident:\n got %q\nwant %q", got, want)
	}
}

// Without destinations nothing but Slack's work is enqueued, and drills
// never page.
func TestNoDestinationsNoDrillPages(t *testing.T) {
	s := newService(t)
	evDeclare(t, s, "SEV1", false)
	if got := evOut(t, s, 1); len(got) != 0 {
		t.Errorf("enqueued %q with no destinations", got)
	}
	s.Destinations = evDestinations()
	res, err := s.Declare(context.Background(), commands.DeclareInput{Title: "game day", Severity: "SEV1", DeclaredBy: "UDECL", Commander: "UCMDR", Drill: true})
	if err != nil {
		t.Fatal(err)
	}
	if got := evOut(t, s, res.Incident.Number); slices.ContainsFunc(got, func(s string) bool { return strings.HasPrefix(s, "pagerduty") }) {
		t.Errorf("a drill paged: %q", got)
	}
}
