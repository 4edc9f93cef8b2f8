package pgstore

import (
	"fmt"

	"github.com/incidentbot/incidentbot/incident"
)

// eventPage is how many events ForEachEvent reads at a time: the page is
// read whole before fn sees it, because a pgx connection runs one query at
// a time and fn may call back into the transaction.
const eventPage = 500

// ForEachEvent calls fn with each event of incident number's timeline in
// Seq order, a page at a time, and stops at fn's first error. The error
// wraps store.ErrNotFound if the incident does not exist.
func (tx *pgTx) ForEachEvent(number uint64, fn func(incident.Event) error) error {
	id := incident.FormatID(number)
	if err := tx.requireIncident(number); err != nil {
		return fmt.Errorf("events of %s: %w", id, err)
	}
	var after uint64
	for {
		page, err := collect(tx, "SELECT body FROM events WHERE incident = $1 AND seq > $2 ORDER BY seq LIMIT $3",
			[]any{number, after, eventPage}, scanEvent)
		if err != nil {
			return fmt.Errorf("events of %s: %w", id, err)
		}
		for _, ev := range page {
			if err := fn(ev); err != nil {
				return err
			}
			after = ev.Seq
		}
		if len(page) < eventPage {
			return nil
		}
	}
}
