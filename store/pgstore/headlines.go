package pgstore

import (
	"fmt"

	"github.com/jackc/pgx/v5"

	"github.com/incidentbot/incidentbot/incident"
)

// OpenHeadlines returns what a duplicate check compares of every open
// incident, in number order: the server picks the fields out of each
// record, so only they cross the network and are decoded. They are read
// from the record itself, so they follow it in every transaction.
func (tx *pgTx) OpenHeadlines() ([]incident.Headline, error) {
	// json_to_record parses each body once (a json column is text: every
	// ->> would parse it again).
	out, err := collect(tx, `SELECT i.number, h.title, coalesce(h.service, ''), h.declared_at, coalesce(h.drill, false)
		FROM incidents i, json_to_record(i.body) AS h(title text, service text, declared_at text, drill boolean)
		WHERE i.open ORDER BY i.number`, nil, scanHeadline)
	if err != nil {
		return nil, fmt.Errorf("open headlines: %w", err)
	}
	return out, nil
}

func scanHeadline(row pgx.CollectableRow) (incident.Headline, error) {
	var t incident.Headline
	var title, declared *string
	if err := row.Scan(&t.Number, &title, &t.Service, &declared, &t.Drill); err != nil {
		return t, err
	}
	if title != nil {
		t.Title = *title
	}
	if declared != nil {
		// As encoding/json reads a time.Time: RFC 3339 with nanoseconds.
		if err := t.DeclaredAt.UnmarshalText([]byte(*declared)); err != nil {
			return t, decodeError{fmt.Errorf("incident %d: declared_at: %w", t.Number, err)}
		}
	}
	return t, nil
}
