package boltstore

import (
	"bytes"
	"fmt"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/incidentbot/incidentbot/store"
)

// The integrations' buckets (schema v4): the Alertmanager alert groups by
// groupKey, the recent declarations made from alerts (the rate limit), and
// the HTTP API's idempotency keys.
var (
	bucketAlertGroups       = []byte("alert_groups")
	bucketAlertDeclarations = []byte("alert_declarations")
	bucketAPIRequests       = []byte("api_requests")
)

// AlertGroup returns the group stored under key, and false when there is none.
func (tx *boltTx) AlertGroup(key string) (store.AlertGroup, bool, error) {
	b, err := tx.bucket(bucketAlertGroups)
	if err != nil {
		return store.AlertGroup{}, false, err
	}
	var g store.AlertGroup
	ok, err := getJSON(b, []byte(key), &g)
	if err != nil {
		return store.AlertGroup{}, false, fmt.Errorf("alert group %q: %w", key, err)
	}
	return g, ok, nil
}

// AlertGroupByID finds a group by its ID (a button's value). It scans the
// groups: a click is rare, and a second index would have to be kept in step.
func (tx *boltTx) AlertGroupByID(id string) (store.AlertGroup, bool, error) {
	b, err := tx.bucket(bucketAlertGroups)
	if err != nil {
		return store.AlertGroup{}, false, err
	}
	var found store.AlertGroup
	var ok bool
	err = b.ForEach(func(k, v []byte) error {
		if ok || !bytes.Contains(v, []byte(id)) {
			return nil
		}
		var g store.AlertGroup
		if _, err := getJSON(b, k, &g); err != nil {
			return fmt.Errorf("alert group %q: %w", k, err)
		}
		if g.ID == id {
			found, ok = g, true
		}
		return nil
	})
	return found, ok, err
}

// PutAlertGroup stores g under g.Key.
func (tx *boltTx) PutAlertGroup(g store.AlertGroup) error {
	if g.Key == "" {
		return fmt.Errorf("put alert group: empty key")
	}
	b, err := tx.bucket(bucketAlertGroups)
	if err != nil {
		return err
	}
	if err := putJSON(b, []byte(g.Key), g); err != nil {
		return fmt.Errorf("put alert group %q: %w", g.Key, err)
	}
	return nil
}

// RecordAlertDeclaration notes that incident number was declared from an
// alert at at, and forgets the notes from before forget.
func (tx *boltTx) RecordAlertDeclaration(at time.Time, number uint64, forget time.Time) error {
	b, err := tx.bucket(bucketAlertDeclarations)
	if err != nil {
		return err
	}
	var old [][]byte
	c := b.Cursor()
	limit := timeKey(forget)
	for k, _ := c.First(); k != nil && bytes.Compare(k, limit) < 0; k, _ = c.Next() {
		old = append(old, concat(k, nil))
	}
	for _, k := range old {
		if err := b.Delete(k); err != nil {
			return fmt.Errorf("forget alert declaration: %w", err)
		}
	}
	if err := b.Put(concat(timeKey(at), u64Key(number)), []byte{}); err != nil {
		return fmt.Errorf("record alert declaration: %w", err)
	}
	return nil
}

// AlertDeclarationsSince counts the declarations from alerts at or after since.
func (tx *boltTx) AlertDeclarationsSince(since time.Time) (int, error) {
	b, err := tx.bucket(bucketAlertDeclarations)
	if err != nil {
		return 0, err
	}
	n := 0
	c := b.Cursor()
	for k, _ := c.Seek(timeKey(since)); k != nil; k, _ = c.Next() {
		n++
	}
	return n, nil
}

// APIRequest returns what key produced, and false when it is new.
func (tx *boltTx) APIRequest(key string) (store.APIRequest, bool, error) {
	b, err := tx.bucket(bucketAPIRequests)
	if err != nil {
		return store.APIRequest{}, false, err
	}
	var r store.APIRequest
	ok, err := getJSON(b, []byte(key), &r)
	if err != nil {
		return store.APIRequest{}, false, fmt.Errorf("api request %q: %w", key, err)
	}
	return r, ok, nil
}

// PutAPIRequest records what key produced.
func (tx *boltTx) PutAPIRequest(key string, r store.APIRequest) error {
	if key == "" {
		return fmt.Errorf("put api request: empty key")
	}
	b, err := tx.bucket(bucketAPIRequests)
	if err != nil {
		return err
	}
	if err := putJSON(b, []byte(key), r); err != nil {
		return fmt.Errorf("put api request %q: %w", key, err)
	}
	return nil
}

// migrateV4 adds the integrations' buckets.
func migrateV4(tx *bolt.Tx) error {
	for _, name := range [][]byte{bucketAlertGroups, bucketAlertDeclarations, bucketAPIRequests} {
		if _, err := tx.CreateBucketIfNotExists(name); err != nil {
			return fmt.Errorf("create bucket %s: %w", name, err)
		}
	}
	return nil
}
