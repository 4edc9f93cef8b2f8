package boltstore

import (
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/incidentbot/incidentbot/store"
)

// PruneAlertGroups forgets the groups no notification can need any more
// (see store.Tx). It reads every group and, for those with an incident,
// the incident: the groups are few (one per alert group Alertmanager ever
// sent), and a prune runs hourly.
func (tx *boltTx) PruneAlertGroups(before time.Time, limit int) (int, error) {
	b, err := tx.bucket(bucketAlertGroups)
	if err != nil {
		return 0, err
	}
	var old []string
	c := b.Cursor()
	for k, _ := c.First(); k != nil && (limit <= 0 || len(old) < limit); k, _ = c.Next() {
		var g store.AlertGroup
		if _, err := getJSON(b, k, &g); err != nil {
			return 0, fmt.Errorf("prune alert groups: alert group %q: %w", k, err)
		}
		done, err := tx.alertGroupDone(g, before)
		if err != nil {
			return 0, fmt.Errorf("prune alert groups: %w", err)
		}
		if done {
			old = append(old, string(k))
		}
	}
	for _, k := range old {
		if err := b.Delete([]byte(k)); err != nil {
			return 0, fmt.Errorf("prune alert group %q: %w", k, err)
		}
	}
	return len(old), nil
}

// alertGroupDone says whether g may be forgotten (store.AlertGroup.Done).
func (tx *boltTx) alertGroupDone(g store.AlertGroup, before time.Time) (bool, error) {
	if g.Incident == 0 || len(g.Firing) > 0 {
		return g.Done(nil, before), nil
	}
	inc, err := tx.Incident(g.Incident)
	if errors.Is(err, store.ErrNotFound) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	return g.Done(inc, before), nil
}

// PruneAPIRequests forgets the Idempotency-Keys recorded before before,
// oldest first (see store.Tx). The records are keyed by the client's key,
// not by time, so it reads them all: a day's worth, at one a request.
func (tx *boltTx) PruneAPIRequests(before time.Time, limit int) (int, error) {
	b, err := tx.bucket(bucketAPIRequests)
	if err != nil {
		return 0, err
	}
	type rec struct {
		key string
		at  time.Time
	}
	var old []rec
	err = b.ForEach(func(k, v []byte) error {
		var r store.APIRequest
		if _, err := getJSON(b, k, &r); err != nil {
			return fmt.Errorf("api request %q: %w", k, err)
		}
		if r.At.Before(before) {
			old = append(old, rec{string(k), r.At})
		}
		return nil
	})
	if err != nil {
		return 0, fmt.Errorf("prune api requests: %w", err)
	}
	slices.SortStableFunc(old, func(a, b rec) int { return a.at.Compare(b.at) })
	if limit > 0 && len(old) > limit {
		old = old[:limit]
	}
	for _, r := range old {
		if err := b.Delete([]byte(r.key)); err != nil {
			return 0, fmt.Errorf("prune api request %q: %w", r.key, err)
		}
	}
	return len(old), nil
}
