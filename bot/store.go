package bot

import (
	"github.com/incidentbot/incidentbot/outbox"
	"github.com/incidentbot/incidentbot/store"
)

// Store is what the adapter needs of the store: the outbox worker's
// reads and writes, and read transactions of its own.
type Store interface {
	outbox.Store
	View(fn func(tx store.Tx) error) error
}
