package boltstore

import (
	"encoding/json"
	"fmt"
	"time"

	"github.com/incidentbot/incidentbot/store"
)

// ForEachAlertGroup calls fn for every alert group in key order, stopping
// at and returning fn's first error.
func (tx *boltTx) ForEachAlertGroup(fn func(store.AlertGroup) error) error {
	b, err := tx.bucket(bucketAlertGroups)
	if err != nil {
		return fmt.Errorf("each alert group: %w", err)
	}
	c := b.Cursor()
	for k, v := c.First(); k != nil; k, v = c.Next() {
		var g store.AlertGroup
		if err := json.Unmarshal(v, &g); err != nil {
			return fmt.Errorf("each alert group: decode %q: %w", k, err)
		}
		if err := fn(g); err != nil {
			return err
		}
	}
	return nil
}

// ForEachAlertDeclaration calls fn for every declaration note in time
// order, then number order: the order of the keys, time then number.
func (tx *boltTx) ForEachAlertDeclaration(fn func(at time.Time, number uint64) error) error {
	b, err := tx.bucket(bucketAlertDeclarations)
	if err != nil {
		return fmt.Errorf("each alert declaration: %w", err)
	}
	c := b.Cursor()
	for k, _ := c.First(); k != nil; k, _ = c.Next() {
		if len(k) != 16 {
			return fmt.Errorf("each alert declaration: corrupt key %x: %d bytes, want 16", k, len(k))
		}
		at, err := parseTimeKey(k[:8])
		if err != nil {
			return fmt.Errorf("each alert declaration: %w", err)
		}
		n, err := parseU64(k[8:])
		if err != nil {
			return fmt.Errorf("each alert declaration: %w", err)
		}
		if err := fn(at, n); err != nil {
			return err
		}
	}
	return nil
}

// ForEachAPIRequest calls fn for every Idempotency-Key in key order,
// stopping at and returning fn's first error.
func (tx *boltTx) ForEachAPIRequest(fn func(key string, r store.APIRequest) error) error {
	b, err := tx.bucket(bucketAPIRequests)
	if err != nil {
		return fmt.Errorf("each api request: %w", err)
	}
	c := b.Cursor()
	for k, v := c.First(); k != nil; k, v = c.Next() {
		var r store.APIRequest
		if err := json.Unmarshal(v, &r); err != nil {
			return fmt.Errorf("each api request: decode %q: %w", k, err)
		}
		// string(k) copies: the key must not alias bbolt's memory.
		if err := fn(string(k), r); err != nil {
			return err
		}
	}
	return nil
}
