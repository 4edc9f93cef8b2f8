// Package store is the storage contract: the records (Job, Nudge,
// Reminder, AlertGroup, APIRequest), the errors (ErrNotFound, WriteError) and the transaction
// interface Tx that the use-cases (package commands), the outbox worker,
// the scheduler and the Slack adapter program against. It imports no
// storage engine; each backend lives in a package of its own
// (store/boltstore: one bbolt file) and is chosen by package app. The
// consumers declare the few store-level methods they need as interfaces of
// their own (commands.Store, outbox.Store, bot.Store).
//
// # What a backend must guarantee
//
// store/storetest.Contract checks these; run it from every backend's tests.
//
//   - Update(ctx, fn) runs fn in one atomic transaction: if fn returns an
//     error (or panics) nothing it did is kept, and that error is returned.
//     fn may run more than once (a backend may group or retry commits), so
//     it must have no side effects outside tx. ctx is checked before fn runs.
//     View(fn) runs fn read-only; write methods fail inside it.
//   - Transactions are serializable as far as the contract can tell: a
//     read-modify-write in one Update never loses a concurrent one (bbolt
//     has one writer at a time; a SQL backend locks or retries).
//   - Incident numbers are 1, 2, 3… in commit order, never reused, and a
//     rolled-back Update spends none (users see the numbers). A backend
//     shared by replicas may take them from a sequence instead
//     (storetest.SequenceNumbers): still unique and never reused, in
//     declaration order to within a transaction's length, and an Update
//     that runs again keeps its numbers, but one that fails for good
//     skips the numbers it took. The
//     channel index maps a ChannelID to exactly one incident, open or
//     resolved, and follows a rename; a channel owned by another incident
//     is refused.
//   - OpenHeadlines lists the open incidents in number order with the
//     title, service, declaration time and drill flag their records hold
//     in the same transaction (after a change, never the old ones), without
//     reading the whole records: every declaration's duplicate check reads
//     it before the ack.
//   - Timeline events get Seq 1, 2, 3… per incident and read back in Seq
//     order.
//   - Outbox job IDs increase for the store's life in commit order, so ID
//     order is FIFO order and "pending after ID n" never misses a job
//     committed later. A job stays until CompleteJob, which is idempotent.
//   - Delivery keys: MarkSeen and Remember report a key already held;
//     PruneSeen forgets only MarkSeen keys older than its cutoff, never a
//     remembered one.
//   - Integrations: an AlertGroup reads back whole by its key and by its
//     ID; AlertDeclarationsSince counts the declarations recorded at or
//     after a time, and RecordAlertDeclaration forgets the ones before the
//     cutoff it is given; an APIRequest reads back by its key.
//     PruneAlertGroups forgets only groups with nothing firing whose
//     incident was resolved (or, never declared, that were first seen)
//     before its cutoff; PruneAPIRequests only keys recorded before its
//     cutoff, the oldest first.
//   - Resolving an incident (PutIncident, open → resolved) drops its
//     reminder and enters it into the postmortem-nudge index and, when the
//     backend was asked to, the archive index; the Next* methods read the
//     earliest entry of each schedule.
//   - Every lookup that finds nothing wraps ErrNotFound. A commit that fails
//     to reach durable storage returns a *WriteError, and so does every
//     Update after it until restart: what was kept is then unknown.
//   - A backend offers the same hooks as boltstore.Options: OnEnqueue after
//     a commit that enqueued jobs, OnSchedule after one that changed what
//     falls due when (a reminder set or cleared, a resolution entered for a
//     nudge or an archive), OnIncident for each incident a commit created
//     or changed; never for a rolled-back one.
//   - Records (incidents, events, jobs) read back exactly as stored, times
//     to the nanosecond; everything a Tx returns is a copy, valid after the
//     transaction ends.
//   - A store can be copied faithfully to another backend (package
//     store/storecopy): ForEachJob, ForEachDeliveryKey, ForEachAlertGroup,
//     ForEachAlertDeclaration and ForEachAPIRequest enumerate the pending
//     jobs, the delivery keys and the integrations' records exactly as
//     held; Counters reads the last incident number and job ID handed
//     out, and RaiseCounters raises them (never lowers) as part of the
//     transaction, rolled back with it.
package store
