package store

import "context"

// Backend is what a storage backend (boltstore, pgstore) offers the rest of
// incidentbot: transactions, the reads the workers make outside one (the
// outbox's queue, the schedules' earliest entries), whether it can still
// write, and Close. The wiring runs the program on one; the contract
// suite (storetest) holds every implementation to it. A part that needs
// less declares the little it needs (commands.Store, outbox.Store).
type Backend interface {
	Update(ctx context.Context, fn func(tx Tx) error) error
	View(fn func(tx Tx) error) error
	PendingJobs(limit int) ([]Job, error)
	PendingJobsAfter(after uint64, limit int) ([]Job, error)
	OutboxDepth() (int, error)
	NextReminder() (Reminder, bool, error)
	NextPostmortemNudge() (Nudge, bool, error)
	NextArchive() (Nudge, bool, error)
	// WriteFailure is the error that stopped the store from writing, for
	// good (bbolt's failed fsync); nil while it can.
	WriteFailure() error
	Close() error
}
