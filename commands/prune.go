package commands

import (
	"context"
	"fmt"
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
	total := 0
	for {
		var n int
		err := s.Store.Update(ctx, func(tx store.Tx) error {
			var err error
			n, err = tx.PruneSeenUpTo(before, pruneBatch)
			return err
		})
		if err != nil {
			return total, fmt.Errorf("prune delivery keys: %w", err)
		}
		total += n
		if n < pruneBatch {
			return total, nil
		}
	}
}
