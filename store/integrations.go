package store

import (
	"bytes"
	"fmt"
	"time"

	bolt "go.etcd.io/bbolt"
)

// The integrations' records (schema v4): what the bot knows of each
// Alertmanager alert group, the recent declarations made from alerts (the
// rate limit), and the HTTP API's idempotency keys.
var (
	bucketAlertGroups       = []byte("alert_groups")
	bucketAlertDeclarations = []byte("alert_declarations")
	bucketAPIRequests       = []byte("api_requests")
)

// AlertGroup is one Alertmanager alert group, keyed by its groupKey.
type AlertGroup struct {
	Key string `json:"key"`
	// ID names the group in a button's value: a digest of Key, since a
	// groupKey can be longer than Slack lets a value be.
	ID string `json:"id"`
	// Incident is the incident the group declared (or was declared as from
	// its suggestion), 0 while there is none.
	Incident uint64 `json:"incident,omitempty"`
	// Mode is what the rules said when the group was first seen.
	Mode string `json:"mode"`
	// Title, Summary, Severity and Service are what declaring it uses.
	Title    string `json:"title"`
	Summary  string `json:"summary,omitempty"`
	Severity string `json:"severity,omitempty"`
	Service  string `json:"service,omitempty"`
	// Firing holds each alert known to be firing, by fingerprint: a resend
	// of the same state changes nothing.
	Firing map[string]FiringAlert `json:"firing,omitempty"`
	// ResolveOffered is set once the channel was told the whole group
	// resolved, so a resent "resolved" notification does not tell it again.
	ResolveOffered bool `json:"resolve_offered,omitempty"`
	// Suggested is set once a triage message was enqueued for the group.
	Suggested bool `json:"suggested,omitempty"`
	// FirstSeen is when the first notification of the group arrived.
	FirstSeen time.Time `json:"first_seen"`
}

// FiringAlert is one alert of a group that is firing.
type FiringAlert struct {
	StartsAt time.Time `json:"starts_at"`
	// Name says which alert it is on the timeline ("HighLatency
	// instance=web-1").
	Name string `json:"name"`
	Link string `json:"link,omitempty"` // its generatorURL
}

// AlertGroup returns the group stored under key, and false when there is none.
func (tx *Tx) AlertGroup(key string) (AlertGroup, bool, error) {
	b, err := tx.bucket(bucketAlertGroups)
	if err != nil {
		return AlertGroup{}, false, err
	}
	var g AlertGroup
	ok, err := getJSON(b, []byte(key), &g)
	if err != nil {
		return AlertGroup{}, false, fmt.Errorf("alert group %q: %w", key, err)
	}
	return g, ok, nil
}

// AlertGroupByID finds a group by its ID (a button's value). It scans the
// groups: a click is rare, and a second index would have to be kept in step.
func (tx *Tx) AlertGroupByID(id string) (AlertGroup, bool, error) {
	b, err := tx.bucket(bucketAlertGroups)
	if err != nil {
		return AlertGroup{}, false, err
	}
	var found AlertGroup
	var ok bool
	err = b.ForEach(func(k, v []byte) error {
		if ok || !bytes.Contains(v, []byte(id)) {
			return nil
		}
		var g AlertGroup
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
func (tx *Tx) PutAlertGroup(g AlertGroup) error {
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
func (tx *Tx) RecordAlertDeclaration(at time.Time, number uint64, forget time.Time) error {
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
func (tx *Tx) AlertDeclarationsSince(since time.Time) (int, error) {
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

// APIRequest is what an Idempotency-Key of the HTTP API produced.
type APIRequest struct {
	// Digest is the SHA-256 of the request body, so a key reused for a
	// different request is told apart from a retry.
	Digest   string    `json:"digest"`
	Incident uint64    `json:"incident"`
	At       time.Time `json:"at"`
}

// APIRequest returns what key produced, and false when it is new.
func (tx *Tx) APIRequest(key string) (APIRequest, bool, error) {
	b, err := tx.bucket(bucketAPIRequests)
	if err != nil {
		return APIRequest{}, false, err
	}
	var r APIRequest
	ok, err := getJSON(b, []byte(key), &r)
	if err != nil {
		return APIRequest{}, false, fmt.Errorf("api request %q: %w", key, err)
	}
	return r, ok, nil
}

// PutAPIRequest records what key produced.
func (tx *Tx) PutAPIRequest(key string, r APIRequest) error {
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
