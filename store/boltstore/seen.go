package boltstore

import (
	"bytes"
	"fmt"
	"time"
)

// MarkSeen records that the delivery identified by key (an event ID, an
// envelope ID, a view ID plus hash…) has been handled. It reports true, and
// changes nothing, if key was recorded before: the caller should then skip
// the delivery. at is when it was seen, which PruneSeen uses; zero means now.
func (tx *boltTx) MarkSeen(key string, at time.Time) (seen bool, err error) {
	if key == "" {
		return false, fmt.Errorf("mark seen: empty key")
	}
	byKey, err := tx.bucket(bucketSeen)
	if err != nil {
		return false, fmt.Errorf("mark seen %q: %w", key, err)
	}
	if byKey.Get([]byte(key)) != nil {
		return true, nil
	}
	byTime, err := tx.bucket(bucketSeenByTime)
	if err != nil {
		return false, fmt.Errorf("mark seen %q: %w", key, err)
	}
	if at.IsZero() {
		at = tx.s.now()
	}
	tk := timeKey(at)
	if err := byKey.Put([]byte(key), tk); err != nil {
		return false, fmt.Errorf("mark seen %q: %w", key, err)
	}
	if err := byTime.Put(concat(tk, []byte(key)), []byte{}); err != nil {
		return false, fmt.Errorf("mark seen %q: %w", key, err)
	}
	return false, nil
}

// PruneSeen forgets keys seen before the given time and returns how many.
// It seeks the time index, so it reads only what it removes. Keys recorded
// with Remember are never pruned.
func (tx *boltTx) PruneSeen(before time.Time) (int, error) {
	return tx.PruneSeenUpTo(before, 0)
}

// PruneSeenUpTo is PruneSeen removing at most limit keys (all when limit <=
// 0), the oldest first, so that a large backlog can be pruned in several
// short transactions instead of one that holds the writer lock.
func (tx *boltTx) PruneSeenUpTo(before time.Time, limit int) (int, error) {
	byKey, err := tx.bucket(bucketSeen)
	if err != nil {
		return 0, fmt.Errorf("prune seen: %w", err)
	}
	byTime, err := tx.bucket(bucketSeenByTime)
	if err != nil {
		return 0, fmt.Errorf("prune seen: %w", err)
	}
	limitKey := timeKey(before)
	// Collect first: deleting under a live bbolt cursor can skip keys.
	var old [][]byte
	c := byTime.Cursor()
	for k, _ := c.First(); k != nil && (limit <= 0 || len(old) < limit); k, _ = c.Next() {
		if len(k) < 8 {
			return 0, fmt.Errorf("prune seen: corrupt index key %x", k)
		}
		if bytes.Compare(k[:8], limitKey) >= 0 {
			break
		}
		old = append(old, concat(k, nil))
	}
	for _, k := range old {
		if err := byTime.Delete(k); err != nil {
			return 0, fmt.Errorf("prune seen: %w", err)
		}
		if err := byKey.Delete(k[8:]); err != nil {
			return 0, fmt.Errorf("prune seen: %w", err)
		}
	}
	return len(old), nil
}

// Remember records key for good: unlike MarkSeen's, a remembered key has no
// entry in the time index, so PruneSeen never forgets it. It is for facts
// that must hold for the store's life ("this message is on a timeline"),
// not for deliveries. It reports true, and adds nothing, if key was recorded
// before; a key recorded by MarkSeen is then kept for good from now on.
func (tx *boltTx) Remember(key string) (known bool, err error) {
	if key == "" {
		return false, fmt.Errorf("remember: empty key")
	}
	byKey, err := tx.bucket(bucketSeen)
	if err != nil {
		return false, fmt.Errorf("remember %q: %w", key, err)
	}
	if tk := byKey.Get([]byte(key)); tk != nil {
		// Recorded by MarkSeen (by a version that had no Remember): take it
		// out of the time index, so that the fact outlives PruneSeen.
		byTime, err := tx.bucket(bucketSeenByTime)
		if err != nil {
			return false, fmt.Errorf("remember %q: %w", key, err)
		}
		if err := byTime.Delete(concat(tk, []byte(key))); err != nil {
			return false, fmt.Errorf("remember %q: %w", key, err)
		}
		return true, nil
	}
	if err := byKey.Put([]byte(key), timeKey(tx.s.now())); err != nil {
		return false, fmt.Errorf("remember %q: %w", key, err)
	}
	return false, nil
}

// Seen reports whether key was recorded, by MarkSeen or Remember, and not
// pruned since.
func (tx *boltTx) Seen(key string) (bool, error) {
	byKey, err := tx.bucket(bucketSeen)
	if err != nil {
		return false, fmt.Errorf("seen %q: %w", key, err)
	}
	return byKey.Get([]byte(key)) != nil, nil
}

// SeenCount is how many keys the store holds: delivery keys not pruned yet
// and remembered facts. It walks the bucket; for tests and measurements.
func (tx *boltTx) SeenCount() (int, error) {
	byKey, err := tx.bucket(bucketSeen)
	if err != nil {
		return 0, fmt.Errorf("seen count: %w", err)
	}
	return byKey.Stats().KeyN, nil
}
