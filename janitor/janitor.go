// Package janitor keeps the store from growing without bound: on the bot's
// clock it forgets the keys of deliveries too old to be redelivered, the
// HTTP API's Idempotency-Keys once a retry is no longer expected, and the
// Alertmanager groups that no notification can need any more.
package janitor

import (
	"context"
	"time"

	"github.com/rs/zerolog"

	"github.com/incidentbot/incidentbot/internal/clock"
	"github.com/incidentbot/incidentbot/internal/trigger"
)

// DefaultEvery is how often the janitor prunes. Keys live a day (see
// commands.DeliveryRetention); pruning hourly keeps at most an hour more.
const DefaultEvery = time.Hour

// Pruner forgets what the store no longer needs; *commands.Service
// satisfies it.
type Pruner interface {
	// PruneDeliveries forgets old delivery keys and says how many.
	PruneDeliveries(ctx context.Context) (int, error)
	// PruneIntegrations forgets alert groups done with and old
	// Idempotency-Keys, and says how many of each.
	PruneIntegrations(ctx context.Context) (groups, keys int, err error)
}

// Options configures a Janitor; Pruner is required.
type Options struct {
	Pruner Pruner
	Clock  clock.Clock
	// Every is the time between prunes (default DefaultEvery).
	Every time.Duration
	Log   zerolog.Logger
}

// Janitor prunes at start and then every Options.Every.
type Janitor struct {
	opt     Options
	trigger trigger.Requests
}

// New returns a Janitor with defaults filled in.
func New(opt Options) *Janitor {
	if opt.Clock == nil {
		opt.Clock = clock.Real{}
	}
	if opt.Every <= 0 {
		opt.Every = DefaultEvery
	}
	return &Janitor{opt: opt, trigger: trigger.New()}
}

// Run prunes until ctx ends, and returns nil then. A failed prune is
// logged and tried again at the next turn: what it missed waits an hour.
func (j *Janitor) Run(ctx context.Context) error {
	var waiters []chan struct{}
	defer func() {
		for _, w := range waiters {
			close(w)
		}
	}()
	for {
		j.prune(ctx)
		// Release Trigger callers only once the timer is set, so a test
		// moving a fake clock next cannot slip in before it.
		timer, stop := j.opt.Clock.After(j.opt.Every)
		for _, w := range waiters {
			close(w)
		}
		waiters = waiters[:0]
		select {
		case <-ctx.Done():
			stop()
			return nil
		case w := <-j.trigger:
			waiters = append(waiters, w)
		case <-timer:
		}
		stop()
	}
}

// Trigger prunes now and returns once that is done (tests; the running
// bot prunes on its own).
func (j *Janitor) Trigger(ctx context.Context) error {
	return j.trigger.Run(ctx)
}

func (j *Janitor) prune(ctx context.Context) {
	n, err := j.opt.Pruner.PruneDeliveries(ctx)
	switch {
	case err != nil && ctx.Err() == nil:
		j.opt.Log.Error().Err(err).Int("pruned", n).Msg("janitor: prune delivery keys; will try again later")
	case n > 0:
		j.opt.Log.Info().Int("pruned", n).Msg("janitor: forgot old delivery keys")
	}
	groups, keys, err := j.opt.Pruner.PruneIntegrations(ctx)
	switch {
	case err != nil && ctx.Err() == nil:
		j.opt.Log.Error().Err(err).Int("alert_groups", groups).Int("idempotency_keys", keys).Msg("janitor: prune alert groups and idempotency keys; will try again later")
	case groups+keys > 0:
		j.opt.Log.Info().Int("alert_groups", groups).Int("idempotency_keys", keys).Msg("janitor: forgot alert groups done with and old idempotency keys")
	}
}
