package boltstore

import (
	"encoding/json"
	"fmt"

	"github.com/incidentbot/incidentbot/store"
)

// ForEachJob calls fn for every pending outbox job in ID order, as stored,
// stopping at and returning fn's first error.
func (tx *boltTx) ForEachJob(fn func(store.Job) error) error {
	outbox, err := tx.bucket(bucketOutbox)
	if err != nil {
		return fmt.Errorf("each job: %w", err)
	}
	c := outbox.Cursor()
	for k, v := c.First(); k != nil; k, v = c.Next() {
		var j store.Job
		if err := json.Unmarshal(v, &j); err != nil {
			return fmt.Errorf("each job: decode key %x: %w", k, err)
		}
		if err := fn(j); err != nil {
			return err
		}
	}
	return nil
}

// ForEachDeliveryKey calls fn for every key held by MarkSeen or Remember,
// in key order. A key is remembered when the time index has no entry for
// it (see Remember); the time bbolt keeps beside a remembered key means
// nothing, so it is reported as zero.
func (tx *boltTx) ForEachDeliveryKey(fn func(store.DeliveryKey) error) error {
	byKey, err := tx.bucket(bucketSeen)
	if err != nil {
		return fmt.Errorf("each delivery key: %w", err)
	}
	byTime, err := tx.bucket(bucketSeenByTime)
	if err != nil {
		return fmt.Errorf("each delivery key: %w", err)
	}
	c := byKey.Cursor()
	for k, tk := c.First(); k != nil; k, tk = c.Next() {
		dk := store.DeliveryKey{Key: string(k)}
		if byTime.Get(concat(tk, k)) == nil {
			dk.Remembered = true
		} else if dk.At, err = parseTimeKey(tk); err != nil {
			return fmt.Errorf("each delivery key: %q: %w", k, err)
		}
		if err := fn(dk); err != nil {
			return err
		}
	}
	return nil
}

// Counters are the sequences of the incidents and outbox buckets, which
// CreateIncident and Enqueue advance.
func (tx *boltTx) Counters() (store.Counters, error) {
	incs, err := tx.bucket(bucketIncidents)
	if err != nil {
		return store.Counters{}, fmt.Errorf("counters: %w", err)
	}
	outbox, err := tx.bucket(bucketOutbox)
	if err != nil {
		return store.Counters{}, fmt.Errorf("counters: %w", err)
	}
	return store.Counters{Incident: incs.Sequence(), Job: outbox.Sequence()}, nil
}

// RaiseCounters raises the buckets' sequences to c, never lowering one.
func (tx *boltTx) RaiseCounters(c store.Counters) error {
	for _, s := range []struct {
		bucket []byte
		to     uint64
	}{{bucketIncidents, c.Incident}, {bucketOutbox, c.Job}} {
		b, err := tx.bucket(s.bucket)
		if err != nil {
			return fmt.Errorf("raise counters: %w", err)
		}
		if b.Sequence() >= s.to {
			continue
		}
		if err := b.SetSequence(s.to); err != nil {
			return fmt.Errorf("raise %s counter to %d: %w", s.bucket, s.to, err)
		}
	}
	return nil
}
