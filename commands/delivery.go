package commands

import (
	"context"
	"time"

	"github.com/incidentbot/incidentbot/incident"
	"github.com/incidentbot/incidentbot/store"
)

// FirstDelivery records an Events API event ID and reports whether this is
// its first delivery. Slack redelivers an event it thinks was not acked
// under a new envelope but the same event ID; the adapter acts on the
// first only. An empty ID (nothing to go by) counts as a first delivery
// and records nothing.
func (s *Service) FirstDelivery(ctx context.Context, eventID string) (bool, error) {
	if eventID == "" {
		return true, nil
	}
	// The key is all there is to record: the adapter acts after the commit.
	dup, err := s.run(ctx, "record event "+eventID, deliveryKey("event", eventID), func(store.Tx, time.Time) error { return nil })
	if err != nil {
		return false, err
	}
	return !dup, nil
}

// RecordDeliveryFailed puts a side effect that failed for good (described
// by text) on incident number's timeline, so responders can see what is
// missing. It runs in tx, the transaction in which the outbox worker gives
// up on the job. Jobs of no incident (number 0) have no timeline to note
// it on.
func (s *Service) RecordDeliveryFailed(tx store.Tx, number uint64, text string) error {
	if number == 0 {
		return nil
	}
	_, err := tx.AppendEvent(number, incident.Event{Kind: incident.EventDeliveryFailed, Text: text})
	return err
}
