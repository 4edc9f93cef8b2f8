package commands

import (
	"context"

	"github.com/incidentbot/incidentbot/store"
)

// Store is what the use-cases need of the store, whichever backend keeps
// it: transactions over the store.Tx contract, and the earliest entries of
// the schedules, read without a transaction of the caller's.
type Store interface {
	Update(ctx context.Context, fn func(tx store.Tx) error) error
	View(fn func(tx store.Tx) error) error
	NextReminder() (store.Reminder, bool, error)
	NextPostmortemNudge() (store.Nudge, bool, error)
	NextArchive() (store.Nudge, bool, error)
}
