package commands

import (
	"context"
	"time"

	"github.com/incidentbot/incidentbot/store"
)

// DeliveryRetention is how long the key of a handled delivery is kept to
// recognise its redeliveries. Slack retries an event it saw no ack for
// three times, the last about five minutes after the first, and may send
// an envelope again when a socket comes back; nothing it sends is older
// than minutes. A day is far beyond that, so a redelivery is never taken
// for new, while the keys of the reactions, picks and commands of a busy
// workspace stop piling up. Facts such as "this message is on a timeline"
// are remembered apart (store.Tx.Remember) and never pruned.
const DeliveryRetention = 24 * time.Hour

// pruneBatch bounds the keys one transaction removes, so that pruning a
// large backlog never holds the store's single writer for long.
const pruneBatch = 5000

// PruneDeliveries forgets the keys of deliveries handled more than
// DeliveryRetention ago and returns how many it removed. Completed outbox
// jobs need no pruning: completing a job deletes it.
func (s *Service) PruneDeliveries(ctx context.Context) (int, error) {
	before := s.now().Add(-DeliveryRetention)
	return s.pruneInBatches(ctx, "prune delivery keys", func(tx store.Tx) (int, error) {
		return tx.PruneSeenUpTo(before, pruneBatch)
	})
}

// IdempotencyKeyRetention is how long the HTTP API remembers what an
// Idempotency-Key produced. A client retries a failed request within
// minutes; a day, as Stripe keeps its keys, covers a retry after any
// outage, and a key sent again after that declares anew.
const IdempotencyKeyRetention = 24 * time.Hour

// AlertGroupRetention is how long an Alertmanager group is kept once it
// can no longer matter (store.AlertGroup.Done): nothing of it firing and
// its incident resolved, or, never declared, first seen that long ago. A
// week keeps a suggestion's Declare button working for a week (after it,
// the click is answered that the suggestion is not known any more), and
// what a resolved group did readable in the store for as long.
const AlertGroupRetention = 7 * 24 * time.Hour

// PruneIntegrations forgets the Idempotency-Keys older than
// IdempotencyKeyRetention and the alert groups done for longer than
// AlertGroupRetention, in batches, and returns how many of each it
// removed.
func (s *Service) PruneIntegrations(ctx context.Context) (groups, keys int, err error) {
	now := s.now()
	groups, err = s.pruneInBatches(ctx, "prune alert groups", func(tx store.Tx) (int, error) {
		return tx.PruneAlertGroups(now.Add(-AlertGroupRetention), pruneBatch)
	})
	if err != nil {
		return groups, 0, err
	}
	keys, err = s.pruneInBatches(ctx, "prune idempotency keys", func(tx store.Tx) (int, error) {
		return tx.PruneAPIRequests(now.Add(-IdempotencyKeyRetention), pruneBatch)
	})
	return groups, keys, err
}

// pruneInBatches runs prune, one transaction at a time, until it removes
// fewer than pruneBatch, and returns how many it removed in all.
func (s *Service) pruneInBatches(ctx context.Context, what string, prune func(store.Tx) (int, error)) (int, error) {
	total := 0
	for {
		var n int
		_, err := s.run(ctx, what, "", func(tx store.Tx, _ time.Time) error {
			var err error
			n, err = prune(tx)
			return err
		})
		if err != nil {
			return total, err
		}
		total += n
		if n < pruneBatch {
			return total, nil
		}
	}
}
