package boltstore

import (
	"encoding/json"
	"fmt"
	"time"

	"github.com/incidentbot/incidentbot/incident"
)

// declaredSkew is how far out of declaration order two incidents' numbers
// may be: numbers are issued at commit, declaration times just before, and
// concurrent declarations commit together within milliseconds.
const declaredSkew = time.Minute

// IncidentsDeclaredSince calls fn, newest first, for every incident
// declared at or after since. Numbers are issued in declaration order, so
// it walks the incidents backwards and stops soon after the first one
// declared earlier: the cost follows the incidents in the window, not the
// store's history. fn must not change incidents through tx.
func (tx *boltTx) IncidentsDeclaredSince(since time.Time, fn func(*incident.Incident) error) error {
	incs, err := tx.bucket(bucketIncidents)
	if err != nil {
		return fmt.Errorf("incidents since %s: %w", since.Format(time.RFC3339), err)
	}
	c := incs.Cursor()
	for k, v := c.Last(); k != nil; k, v = c.Prev() {
		inc := new(incident.Incident)
		if err := json.Unmarshal(v, inc); err != nil {
			n, nerr := parseU64(k)
			if nerr != nil {
				return fmt.Errorf("incidents since: decode key %x: %w", k, err)
			}
			tx.s.unreadable.reportRecord(&UnreadableRecordError{Number: n, Err: err})
			continue
		}
		if inc.DeclaredAt.Before(since.Add(-declaredSkew)) {
			return nil
		}
		if inc.DeclaredAt.Before(since) {
			continue
		}
		if err := fn(inc); err != nil {
			return err
		}
	}
	return nil
}
