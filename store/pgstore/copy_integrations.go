package pgstore

import (
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/incidentbot/incidentbot/store"
)

// The integrations' records enumerated for a copy, a page at a time (so fn
// may use tx to read), in the order bbolt keeps them: keys in byte order
// (COLLATE "C"), declarations by time, then number.

// ForEachAlertGroup calls fn for every alert group in key order, stopping
// at and returning fn's first error.
func (tx *pgTx) ForEachAlertGroup(fn func(store.AlertGroup) error) error {
	after := ""
	for {
		page, err := collect(tx, `SELECT key, body FROM alert_groups WHERE key COLLATE "C" > $1 ORDER BY key COLLATE "C" LIMIT $2`,
			[]any{after, pageSize}, scanKeyed[store.AlertGroup])
		if err != nil {
			return fmt.Errorf("each alert group: %w", err)
		}
		for _, g := range page {
			if err := fn(g.v); err != nil {
				return err
			}
			after = g.key
		}
		if len(page) < pageSize {
			return nil
		}
	}
}

// ForEachAPIRequest calls fn for every Idempotency-Key in key order,
// stopping at and returning fn's first error.
func (tx *pgTx) ForEachAPIRequest(fn func(key string, r store.APIRequest) error) error {
	after := ""
	for {
		page, err := collect(tx, `SELECT key, body FROM api_requests WHERE key COLLATE "C" > $1 ORDER BY key COLLATE "C" LIMIT $2`,
			[]any{after, pageSize}, scanKeyed[store.APIRequest])
		if err != nil {
			return fmt.Errorf("each api request: %w", err)
		}
		for _, r := range page {
			if err := fn(r.key, r.v); err != nil {
				return err
			}
			after = r.key
		}
		if len(page) < pageSize {
			return nil
		}
	}
}

// keyed is a row of a table of JSON bodies by text key.
type keyed[T any] struct {
	key string
	v   T
}

func scanKeyed[T any](row pgx.CollectableRow) (keyed[T], error) {
	var (
		k    keyed[T]
		body []byte
	)
	if err := row.Scan(&k.key, &body); err != nil {
		return k, err
	}
	return k, decode(body, &k.v)
}

// ForEachAlertDeclaration calls fn for every declaration note in time
// order, then number order, stopping at and returning fn's first error.
func (tx *pgTx) ForEachAlertDeclaration(fn func(at time.Time, number uint64) error) error {
	type note struct{ at, incident int64 }
	scan := func(row pgx.CollectableRow) (note, error) {
		var n note
		return n, row.Scan(&n.at, &n.incident)
	}
	var last *note // the last note of the previous page; nil on the first
	for {
		sql, args := "SELECT at_ns, incident FROM alert_declarations ORDER BY at_ns, incident LIMIT $1", []any{pageSize}
		if last != nil {
			sql = "SELECT at_ns, incident FROM alert_declarations WHERE (at_ns, incident) > ($1, $2) ORDER BY at_ns, incident LIMIT $3"
			args = []any{last.at, last.incident, pageSize}
		}
		page, err := collect(tx, sql, args, scan)
		if err != nil {
			return fmt.Errorf("each alert declaration: %w", err)
		}
		for i, n := range page {
			if err := fn(fromNS(n.at), uint64(n.incident)); err != nil {
				return err
			}
			last = &page[i]
		}
		if len(page) < pageSize {
			return nil
		}
	}
}
