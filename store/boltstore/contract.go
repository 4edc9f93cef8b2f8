package boltstore

import "github.com/incidentbot/incidentbot/store"

// The records and errors are the storage contract's (package store); these
// names keep the bbolt code reading as it did before the split.
type (
	Job        = store.Job
	Nudge      = store.Nudge
	Reminder   = store.Reminder
	WriteError = store.WriteError
)

// ErrNotFound is store.ErrNotFound.
var ErrNotFound = store.ErrNotFound

// boltTx must keep the whole contract.
var _ store.Tx = (*boltTx)(nil)
