package app

import (
	"context"
	"errors"
	"fmt"

	"github.com/incidentbot/incidentbot/commands"
	"github.com/incidentbot/incidentbot/config"
	"github.com/incidentbot/incidentbot/internal/clock"
	"github.com/incidentbot/incidentbot/outbox"
	"github.com/incidentbot/incidentbot/pagerduty"
	"github.com/incidentbot/incidentbot/store"
	"github.com/incidentbot/incidentbot/webhooks"
)

// integrations turns webhooks: and pagerduty: into what the use-cases
// publish to and the performers the outbox routes those jobs to. Jobs of a
// destination removed from the config still reach their performer, which
// records them as undeliverable instead of leaving them pending forever.
func integrations(cfg *config.Config, st webhooks.Store, clk clock.Clock) (commands.Destinations, map[string]outbox.Performer, error) {
	var dests commands.Destinations
	endpoints := make([]webhooks.Endpoint, 0, len(cfg.Webhooks))
	for _, w := range cfg.Webhooks {
		dests.Webhooks = append(dests.Webhooks, commands.WebhookDestination{URL: w.URL, Events: w.Events, Private: w.Private})
		endpoints = append(endpoints, webhooks.Endpoint{URL: w.URL, Secret: w.Secret.Reveal()})
	}
	deliverer, err := webhooks.New(webhooks.Options{Endpoints: endpoints, Store: st, Clock: clk})
	if err != nil {
		return commands.Destinations{}, nil, fmt.Errorf("webhooks: %w", err)
	}
	var pd outbox.Performer = outbox.PerformerFunc(pagerDutyOff)
	if cfg.PagerDuty.RoutingKey != "" {
		dests.PagerDuty = commands.PagerDutyDestination{Enabled: true, MinSeverity: cfg.PagerDuty.MinSeverity}
		pd = pagerduty.New(pagerduty.Options{RoutingKey: cfg.PagerDuty.RoutingKey.Reveal(), URL: cfg.PagerDuty.APIURL, Store: st, Clock: clk})
	}
	return dests, map[string]outbox.Performer{commands.JobWebhook: deliverer, commands.JobPagerDuty: pd}, nil
}

// pagerDutyOff answers the PagerDuty jobs enqueued before routing_key was
// removed from the config.
func pagerDutyOff(context.Context, store.Job) (outbox.Apply, error) {
	return nil, outbox.Permanent(errors.New("pagerduty: not configured (pagerduty.routing_key is empty); not sent"))
}
