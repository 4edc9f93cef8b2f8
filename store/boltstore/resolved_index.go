package boltstore

import (
	"bytes"
	"fmt"
	"time"

	"github.com/incidentbot/incidentbot/incident"
)

// resolvedIndex is an index of resolved incidents keyed by resolution time
// ‖ incident number, so "what was resolved by then" is a cursor from the
// start. The postmortem nudge and auto-archive each keep one: the store
// does not know how long after resolution each is due, the reader adds its
// configured delay, which is a constant, so the order is the same. An
// entry is dropped in the transaction that acts on it, so it is considered
// once, across restarts.
type resolvedIndex struct {
	bucket []byte
	what   string // names an entry in errors
}

var (
	nudgeIndex   = resolvedIndex{bucket: bucketPostmortemNudges, what: "postmortem nudge"}
	archiveIndex = resolvedIndex{bucket: bucketArchiveDue, what: "archive entry"}
)

// put enters inc, at its resolution time (now if it has none).
func (ix resolvedIndex) put(tx *boltTx, inc *incident.Incident) error {
	b, err := tx.bucket(ix.bucket)
	if err != nil {
		return err
	}
	at := inc.ResolvedAt
	if at.IsZero() {
		at = tx.s.now()
	}
	if err := b.Put(concat(timeKey(at), u64Key(inc.Number)), []byte{}); err != nil {
		return fmt.Errorf("%s index: %w", ix.what, err)
	}
	tx.s.scheduled.arm(tx.btx)
	return nil
}

// due returns the entries resolved at or before by, earliest first, at
// most limit of them (0: all). It reads only what it returns.
func (ix resolvedIndex) due(tx *boltTx, by time.Time, limit int) ([]Nudge, error) {
	b, err := tx.bucket(ix.bucket)
	if err != nil {
		return nil, fmt.Errorf("%ss due: %w", ix.what, err)
	}
	bound := timeKey(by)
	var out []Nudge
	c := b.Cursor()
	for k, _ := c.First(); k != nil; k, _ = c.Next() {
		n, err := parseNudgeKey(k)
		if err != nil {
			tx.s.unreadable.report(ix.bucket, k)
			continue
		}
		if bytes.Compare(k[:8], bound) > 0 || (limit > 0 && len(out) == limit) {
			break
		}
		out = append(out, n)
	}
	return out, nil
}

// drop removes n once it has been acted on; dropping one that is not there
// is not an error.
func (ix resolvedIndex) drop(tx *boltTx, n Nudge) error {
	b, err := tx.bucket(ix.bucket)
	if err == nil {
		err = b.Delete(concat(timeKey(n.Resolved), u64Key(n.Incident)))
	}
	if err != nil {
		return fmt.Errorf("drop %s of %s: %w", ix.what, incident.FormatID(n.Incident), err)
	}
	return nil
}

// next returns the earliest entry, and false if the index is empty.
func (ix resolvedIndex) next(s *Store) (Nudge, bool, error) {
	var (
		n  Nudge
		ok bool
	)
	err := s.view(func(tx *boltTx) error {
		b, err := tx.bucket(ix.bucket)
		if err != nil {
			return err
		}
		c := b.Cursor()
		for k, _ := c.First(); k != nil; k, _ = c.Next() {
			var err error
			if n, err = parseNudgeKey(k); err == nil {
				ok = true
				return nil
			}
			tx.s.unreadable.report(ix.bucket, k)
		}
		return nil
	})
	if err != nil {
		return Nudge{}, false, fmt.Errorf("next %s: %w", ix.what, err)
	}
	return n, ok, nil
}
