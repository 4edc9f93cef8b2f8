package boltstore

import (
	"fmt"
	"time"

	"github.com/incidentbot/incidentbot/incident"
	bolt "go.etcd.io/bbolt"
)

// indexResolved adds inc to postmortem_nudges. PutIncident calls it when an
// incident becomes resolved, so every resolution is indexed whichever
// use-case resolved it, and later edits of the resolved incident (notes,
// action items) leave the entry alone.
func (tx *boltTx) indexResolved(inc *incident.Incident) error { return nudgeIndex.put(tx, inc) }

// PostmortemNudges returns the incidents resolved at or before by that are
// still in the postmortem-nudge index, earliest first.
func (tx *boltTx) PostmortemNudges(by time.Time) ([]Nudge, error) { return nudgeIndex.due(tx, by, 0) }

// DropPostmortemNudge removes n from the index, once it has been acted on;
// dropping one that is not there is not an error.
func (tx *boltTx) DropPostmortemNudge(n Nudge) error { return nudgeIndex.drop(tx, n) }

// NextPostmortemNudge returns the earliest entry of the index, and false if
// it is empty.
func (s *Store) NextPostmortemNudge() (Nudge, bool, error) { return nudgeIndex.next(s) }

// parseNudgeKey reads resolution time ‖ incident number.
func parseNudgeKey(k []byte) (Nudge, error) {
	if len(k) != 16 {
		return Nudge{}, fmt.Errorf("corrupt postmortem nudge key %x", k)
	}
	at, err := parseTimeKey(k[:8])
	if err != nil {
		return Nudge{}, err
	}
	n, err := parseU64(k[8:])
	if err != nil {
		return Nudge{}, err
	}
	return Nudge{Incident: n, Resolved: at}, nil
}

// migrateV2 adds the postmortem-nudge index. Incidents resolved before it
// are not back-filled: nudging about old incidents the day of an upgrade
// would be noise, not help.
func migrateV2(tx *bolt.Tx) error {
	if _, err := tx.CreateBucketIfNotExists(bucketPostmortemNudges); err != nil {
		return fmt.Errorf("create bucket %s: %w", bucketPostmortemNudges, err)
	}
	return nil
}
