package store

import (
	"bytes"
	"fmt"
	"time"

	"github.com/incidentbot/incidentbot/incident"
	bolt "go.etcd.io/bbolt"
)

// Nudge says that incident Incident was resolved at Resolved and has not yet
// been considered for the postmortem nudge ("write the postmortem").
type Nudge struct {
	Incident uint64
	Resolved time.Time
}

// indexResolved adds inc to postmortem_nudges. PutIncident calls it when an
// incident becomes resolved, so every resolution is indexed whichever
// use-case resolved it, and later edits of the resolved incident (notes,
// action items) leave the entry alone. The store does not know how long
// after resolution the nudge is due: the entry is keyed by the resolution
// time, and the reader adds the configured delay, which is a constant, so
// the order is the same.
func (tx *Tx) indexResolved(inc *incident.Incident) error {
	b, err := tx.bucket(bucketPostmortemNudges)
	if err != nil {
		return err
	}
	at := inc.ResolvedAt
	if at.IsZero() {
		at = tx.s.now()
	}
	if err := b.Put(concat(timeKey(at), u64Key(inc.Number)), []byte{}); err != nil {
		return fmt.Errorf("postmortem nudge index: %w", err)
	}
	tx.s.wake(tx.btx)
	return nil
}

// PostmortemNudges returns the incidents resolved at or before by that are
// still in the postmortem-nudge index, earliest first. It seeks the index,
// so it reads only what it returns.
func (tx *Tx) PostmortemNudges(by time.Time) ([]Nudge, error) {
	b, err := tx.bucket(bucketPostmortemNudges)
	if err != nil {
		return nil, fmt.Errorf("postmortem nudges: %w", err)
	}
	limit := timeKey(by)
	var out []Nudge
	c := b.Cursor()
	for k, _ := c.First(); k != nil; k, _ = c.Next() {
		if len(k) != 16 {
			return nil, fmt.Errorf("postmortem nudges: corrupt key %x", k)
		}
		if bytes.Compare(k[:8], limit) > 0 {
			break
		}
		n, err := parseNudgeKey(k)
		if err != nil {
			return nil, fmt.Errorf("postmortem nudges: %w", err)
		}
		out = append(out, n)
	}
	return out, nil
}

// DropPostmortemNudge removes n from the index, once it has been acted on;
// dropping one that is not there is not an error.
func (tx *Tx) DropPostmortemNudge(n Nudge) error {
	b, err := tx.bucket(bucketPostmortemNudges)
	if err != nil {
		return fmt.Errorf("drop postmortem nudge of %s: %w", incident.FormatID(n.Incident), err)
	}
	if err := b.Delete(concat(timeKey(n.Resolved), u64Key(n.Incident))); err != nil {
		return fmt.Errorf("drop postmortem nudge of %s: %w", incident.FormatID(n.Incident), err)
	}
	return nil
}

// NextPostmortemNudge returns the earliest entry of the index, and false if
// it is empty.
func (s *Store) NextPostmortemNudge() (Nudge, bool, error) {
	var (
		n  Nudge
		ok bool
	)
	err := s.View(func(tx *Tx) error {
		b, err := tx.bucket(bucketPostmortemNudges)
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
		return Nudge{}, false, fmt.Errorf("next postmortem nudge: %w", err)
	}
	return n, ok, nil
}

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
