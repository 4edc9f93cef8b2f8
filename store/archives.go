package store

import (
	"bytes"
	"fmt"
	"time"

	"github.com/incidentbot/incidentbot/incident"
	bolt "go.etcd.io/bbolt"
)

// The archive index (archive_due) works like the postmortem-nudge index:
// PutIncident enters every incident that becomes resolved, keyed by its
// resolution time, and the reader adds incidents.archive_after (a
// constant, so the order is the same). An entry is dropped in the
// transaction that acts on it, so it is considered once, across restarts.

// indexArchive adds inc to archive_due; PutIncident calls it when an
// incident becomes resolved, if Options.IndexArchives.
func (tx *Tx) indexArchive(inc *incident.Incident) error {
	if !tx.s.indexArchives {
		return nil
	}
	b, err := tx.bucket(bucketArchiveDue)
	if err != nil {
		return err
	}
	at := inc.ResolvedAt
	if at.IsZero() {
		at = tx.s.now()
	}
	if err := b.Put(concat(timeKey(at), u64Key(inc.Number)), []byte{}); err != nil {
		return fmt.Errorf("archive index: %w", err)
	}
	tx.s.wake(tx.btx)
	return nil
}

// ArchivesDue returns the incidents resolved at or before by that are still
// in the archive index, earliest first, at most limit of them (0: all).
func (tx *Tx) ArchivesDue(by time.Time, limit int) ([]Nudge, error) {
	b, err := tx.bucket(bucketArchiveDue)
	if err != nil {
		return nil, fmt.Errorf("archives due: %w", err)
	}
	bound := timeKey(by)
	var out []Nudge
	c := b.Cursor()
	for k, _ := c.First(); k != nil; k, _ = c.Next() {
		if len(k) != 16 {
			return nil, fmt.Errorf("archives due: corrupt key %x", k)
		}
		if bytes.Compare(k[:8], bound) > 0 || (limit > 0 && len(out) == limit) {
			break
		}
		n, err := parseNudgeKey(k)
		if err != nil {
			return nil, fmt.Errorf("archives due: %w", err)
		}
		out = append(out, n)
	}
	return out, nil
}

// DropArchive removes n from the archive index once it has been acted on;
// dropping one that is not there is not an error.
func (tx *Tx) DropArchive(n Nudge) error {
	b, err := tx.bucket(bucketArchiveDue)
	if err != nil {
		return fmt.Errorf("drop archive entry of %s: %w", incident.FormatID(n.Incident), err)
	}
	if err := b.Delete(concat(timeKey(n.Resolved), u64Key(n.Incident))); err != nil {
		return fmt.Errorf("drop archive entry of %s: %w", incident.FormatID(n.Incident), err)
	}
	return nil
}

// NextArchive returns the earliest entry of the archive index, and false if
// it is empty.
func (s *Store) NextArchive() (Nudge, bool, error) {
	var (
		n  Nudge
		ok bool
	)
	err := s.View(func(tx *Tx) error {
		b, err := tx.bucket(bucketArchiveDue)
		if err != nil {
			return err
		}
		k, _ := b.Cursor().First()
		if k == nil {
			return nil
		}
		n, err = parseNudgeKey(k)
		ok = err == nil
		return err
	})
	if err != nil {
		return Nudge{}, false, fmt.Errorf("next archive: %w", err)
	}
	return n, ok, nil
}

// migrateV3 adds the archive index. Incidents resolved before it are not
// back-filled: archiving months of old channels the day incidents.
// archive_after is first deployed would surprise everyone.
func migrateV3(tx *bolt.Tx) error {
	if _, err := tx.CreateBucketIfNotExists(bucketArchiveDue); err != nil {
		return fmt.Errorf("create bucket %s: %w", bucketArchiveDue, err)
	}
	return nil
}
