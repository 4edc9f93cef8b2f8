// Package boltstore is the bbolt backend of the storage contract (package
// store): it persists incidents in one bbolt file, the incidents and
// their timelines, the outbox of side effects still to perform, the keys of
// deliveries already handled, and the reminder schedule, with the indexes
// that let start-up and the scheduler read only what they need.
//
// # Bucket tree
//
// Numbers in keys are big-endian uint64, so bbolt's byte order is numeric
// order; times in keys are Unix nanoseconds, big-endian with the sign bit
// flipped, so byte order is time order. Values are JSON; the file's schema
// version (below) says how to read them.
//
//	meta
//	  schema_version        → uint64: how many migrations have run
//	incidents               (sequence: last incident number issued)
//	  <number>              → incident.Incident
//	incidents_open
//	  <number>              → empty: the unresolved incidents, so start-up
//	                          never decodes resolved ones
//	incidents_by_channel
//	  <channel ID>          → <number>
//	events
//	  <number>/             (bucket; sequence: last Seq issued)
//	    <seq>               → incident.Event
//	outbox                  (sequence: last job ID issued)
//	  <job ID>              → Job; ID order is FIFO order
//	seen
//	  <key>                 → <time>: deliveries already handled, and facts
//	                          kept for good (Remember: a captured message)
//	seen_by_time
//	  <time><key>           → empty: the delivery keys only, so PruneSeen
//	                          seeks instead of scanning and never forgets a
//	                          remembered fact
//	reminders
//	  <due time><number>    → <number>: "what is due" is a cursor from First
//	reminders_by_incident
//	  <number>              → <due time>: at most one reminder per incident
//	postmortem_nudges
//	  <resolved time><number> → empty: resolutions not yet considered for the
//	                          postmortem nudge (v2)
//	archive_due
//	  <resolved time><number> → empty: resolutions not yet considered for
//	                          auto-archive (v3; only with
//	                          Options.IndexArchives)
//	alert_groups
//	  <groupKey>            → store.AlertGroup: Alertmanager groups (v4);
//	                          PruneAlertGroups forgets those done with
//	alert_declarations
//	  <time><number>        → empty: incidents declared from alerts in the
//	                          last minute, the rate limit (v4)
//	api_requests
//	  <Idempotency-Key>     → store.APIRequest (v4); PruneAPIRequests
//	                          forgets old ones (a scan: keyed by the client's key)
//
// The indexes are kept by the Tx methods that write the records:
// PutIncident maintains incidents_open and incidents_by_channel, drops
// the reminder of a resolved incident, and adds an incident that becomes
// resolved to postmortem_nudges and archive_due.
//
// # Migrations
//
// Open runs, in one transaction, every migration the file has not had yet,
// and records the new version in meta/schema_version; a failing migration
// leaves the file untouched. A file whose version is higher than this binary
// knows is refused (ErrNewerSchema) rather than misread. The list, in order:
//
//	v1  create buckets: the tree above
//	v2  create postmortem_nudges (resolutions before it are not back-filled)
//	v3  create archive_due (resolutions before it are not back-filled)
//	v4  create alert_groups, alert_declarations and api_requests
//
// To change the schema, append a migration to the migrations slice in
// migrate.go — never edit one that has shipped — update the tree above, and
// add its test to migrate_test.go.
//
// # Transactions
//
// Update groups concurrent commits (bbolt's DB.Batch) and may therefore run
// its function more than once; see Update. bbolt allows one writer at a
// time, and a transaction must never be started inside another. Every value a
// Tx method returns is copied out of bbolt's memory.
//
// # File size
//
// bbolt reuses freed pages but never shrinks the file. Compact writes a
// compacted copy (the same as the bbolt command's "compact"), to be moved
// over the original while incidentbot is stopped.
package boltstore
