package outbox

import (
	"context"

	"github.com/incidentbot/incidentbot/store"
)

// Store is what the worker needs of the store; every backend's store
// satisfies it (*boltstore.Store does).
type Store interface {
	Update(ctx context.Context, fn func(tx store.Tx) error) error
	PendingJobsAfter(after uint64, limit int) ([]store.Job, error)
}
