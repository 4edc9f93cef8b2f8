package pgstore

import (
	"fmt"
	"slices"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/incidentbot/incidentbot/incident"
	"github.com/incidentbot/incidentbot/store"
)

// PruneAlertGroups forgets the groups no notification can need any more
// (store.AlertGroup.Done): the groups with nothing firing are read with
// their incidents in one query, and decided as bbolt decides them.
func (tx *pgTx) PruneAlertGroups(before time.Time, limit int) (int, error) {
	type row struct {
		key  string
		done bool
	}
	rows, err := collect(tx, `SELECT g.key, g.body, i.body FROM alert_groups g
		LEFT JOIN incidents i ON i.number = (g.body->>'incident')::bigint
		WHERE coalesce(g.body->'firing', '{}'::jsonb) = '{}'::jsonb
		ORDER BY g.key COLLATE "C"`, nil, func(r pgx.CollectableRow) (row, error) {
		var key string
		var body, incBody []byte
		if err := r.Scan(&key, &body, &incBody); err != nil {
			return row{}, err
		}
		var g store.AlertGroup
		if err := decode(body, &g); err != nil {
			return row{}, err
		}
		var inc *incident.Incident
		if incBody != nil {
			inc = new(incident.Incident)
			if err := decode(incBody, inc); err != nil {
				return row{}, err
			}
		}
		return row{key, g.Done(inc, before)}, nil
	})
	if err != nil {
		return 0, fmt.Errorf("prune alert groups: %w", err)
	}
	var old []string
	for _, r := range rows {
		if r.done && (limit <= 0 || len(old) < limit) {
			old = append(old, r.key)
		}
	}
	return tx.deleteKeys("alert_groups", old)
}

// PruneAPIRequests forgets the Idempotency-Keys recorded before before,
// oldest first. Their time is inside the JSON body, so they are read and
// chosen here: a day's worth, at one a request.
func (tx *pgTx) PruneAPIRequests(before time.Time, limit int) (int, error) {
	recs, err := collect(tx, `SELECT key, body FROM api_requests`, nil, scanKeyed[store.APIRequest])
	if err != nil {
		return 0, fmt.Errorf("prune api requests: %w", err)
	}
	recs = slices.DeleteFunc(recs, func(r keyed[store.APIRequest]) bool { return !r.v.At.Before(before) })
	slices.SortStableFunc(recs, func(a, b keyed[store.APIRequest]) int { return a.v.At.Compare(b.v.At) })
	if limit > 0 && len(recs) > limit {
		recs = recs[:limit]
	}
	keys := make([]string, len(recs))
	for i, r := range recs {
		keys[i] = r.key
	}
	return tx.deleteKeys("api_requests", keys)
}

// deleteKeys deletes the rows of table (alert_groups or api_requests)
// whose key is in keys, and returns how many.
func (tx *pgTx) deleteKeys(table string, keys []string) (int, error) {
	if len(keys) == 0 {
		return 0, nil
	}
	tag, err := tx.exec("DELETE FROM "+table+" WHERE key = ANY($1)", keys)
	if err != nil {
		return 0, fmt.Errorf("prune %s: %w", table, err)
	}
	return int(tag.RowsAffected()), nil
}
