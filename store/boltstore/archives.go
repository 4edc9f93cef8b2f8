package boltstore

import (
	"fmt"
	"time"

	"github.com/incidentbot/incidentbot/incident"
	bolt "go.etcd.io/bbolt"
)

// indexArchive adds inc to archive_due (see resolvedIndex); PutIncident
// calls it when an incident becomes resolved, if Options.IndexArchives.
func (tx *boltTx) indexArchive(inc *incident.Incident) error {
	if !tx.s.indexArchives {
		return nil
	}
	return archiveIndex.put(tx, inc)
}

// ArchivesDue returns the incidents resolved at or before by that are still
// in the archive index, earliest first, at most limit of them (0: all).
func (tx *boltTx) ArchivesDue(by time.Time, limit int) ([]Nudge, error) {
	return archiveIndex.due(tx, by, limit)
}

// DropArchive removes n from the archive index once it has been acted on;
// dropping one that is not there is not an error.
func (tx *boltTx) DropArchive(n Nudge) error { return archiveIndex.drop(tx, n) }

// NextArchive returns the earliest entry of the archive index, and false if
// it is empty.
func (s *Store) NextArchive() (Nudge, bool, error) { return archiveIndex.next(s) }

// migrateV3 adds the archive index. Incidents resolved before it are not
// back-filled: archiving months of old channels the day incidents.
// archive_after is first deployed would surprise everyone.
func migrateV3(tx *bolt.Tx) error {
	if _, err := tx.CreateBucketIfNotExists(bucketArchiveDue); err != nil {
		return fmt.Errorf("create bucket %s: %w", bucketArchiveDue, err)
	}
	return nil
}
