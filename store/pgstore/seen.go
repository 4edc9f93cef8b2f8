package pgstore

import (
	"fmt"
	"time"
)

// MarkSeen records that the delivery identified by key has been handled,
// and reports true, changing nothing, if it was recorded before. Replicas
// share the table, so a redelivery to another replica is seen too.
func (tx *pgTx) MarkSeen(key string, at time.Time) (seen bool, err error) {
	if key == "" {
		return false, fmt.Errorf("mark seen: empty key")
	}
	if at.IsZero() {
		at = tx.s.now()
	}
	tag, err := tx.exec("INSERT INTO seen (key, at_ns) VALUES ($1, $2) ON CONFLICT (key) DO NOTHING", key, ns(at))
	if err != nil {
		return false, fmt.Errorf("mark seen %q: %w", key, err)
	}
	return tag.RowsAffected() == 0, nil
}

// PruneSeen forgets delivery keys seen before the given time and returns
// how many; remembered keys are never pruned.
func (tx *pgTx) PruneSeen(before time.Time) (int, error) { return tx.PruneSeenUpTo(before, 0) }

// PruneSeenUpTo is PruneSeen removing at most limit keys (all when limit
// <= 0), the oldest first.
func (tx *pgTx) PruneSeenUpTo(before time.Time, limit int) (int, error) {
	lim := any(nil)
	if limit > 0 {
		lim = limit
	}
	tag, err := tx.exec(`DELETE FROM seen WHERE key IN (
		SELECT key FROM seen WHERE at_ns IS NOT NULL AND at_ns < $1 ORDER BY at_ns, key LIMIT $2)`, ns(before), lim)
	if err != nil {
		return 0, fmt.Errorf("prune seen: %w", err)
	}
	return int(tag.RowsAffected()), nil
}

// Remember records key for good: PruneSeen never forgets it. It reports
// true, adding nothing, if key was recorded before; a key recorded by
// MarkSeen is kept for good from then on.
func (tx *pgTx) Remember(key string) (known bool, err error) {
	if key == "" {
		return false, fmt.Errorf("remember: empty key")
	}
	// xmax is 0 only on a row this statement inserted, not on one its
	// ON CONFLICT clause updated: an insert told from an update in one
	// round trip.
	var inserted bool
	if _, err := tx.scanRow(`INSERT INTO seen (key, at_ns) VALUES ($1, NULL)
		ON CONFLICT (key) DO UPDATE SET at_ns = NULL RETURNING xmax = 0`, []any{key}, &inserted); err != nil {
		return false, fmt.Errorf("remember %q: %w", key, err)
	}
	return !inserted, nil
}

// Seen reports whether key was recorded, by MarkSeen or Remember, and not
// pruned since.
func (tx *pgTx) Seen(key string) (bool, error) {
	var one int
	found, err := tx.scanRow("SELECT 1 FROM seen WHERE key = $1", []any{key}, &one)
	if err != nil {
		return false, fmt.Errorf("seen %q: %w", key, err)
	}
	return found, nil
}
