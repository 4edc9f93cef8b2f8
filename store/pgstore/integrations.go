package pgstore

import (
	"encoding/json"
	"fmt"
	"time"

	"github.com/incidentbot/incidentbot/store"
)

// AlertGroup returns the group stored under key, and false when there is none.
func (tx *pgTx) AlertGroup(key string) (store.AlertGroup, bool, error) {
	return tx.alertGroup("SELECT body FROM alert_groups WHERE key = $1", key)
}

// AlertGroupByID finds a group by its ID (a button's value).
func (tx *pgTx) AlertGroupByID(id string) (store.AlertGroup, bool, error) {
	return tx.alertGroup("SELECT body FROM alert_groups WHERE id = $1", id)
}

func (tx *pgTx) alertGroup(sql, arg string) (store.AlertGroup, bool, error) {
	var body []byte
	found, err := tx.scanRow(sql, []any{arg}, &body)
	if err != nil || !found {
		return store.AlertGroup{}, false, err
	}
	var g store.AlertGroup
	if err := decode(body, &g); err != nil {
		return store.AlertGroup{}, false, fmt.Errorf("alert group: %w", err)
	}
	return g, true, nil
}

// PutAlertGroup stores g under g.Key, replacing what was there.
func (tx *pgTx) PutAlertGroup(g store.AlertGroup) error {
	if g.Key == "" || g.ID == "" {
		return fmt.Errorf("put alert group: empty key or id")
	}
	body, err := json.Marshal(g)
	if err != nil {
		return fmt.Errorf("put alert group: %w", err)
	}
	if _, err := tx.exec(`INSERT INTO alert_groups (key, id, body) VALUES ($1, $2, $3)
		ON CONFLICT (key) DO UPDATE SET id = EXCLUDED.id, body = EXCLUDED.body`, g.Key, g.ID, body); err != nil {
		return fmt.Errorf("put alert group: %w", err)
	}
	return nil
}

// RecordAlertDeclaration notes that incident number was declared from an
// alert at at, and forgets the notes from before forget.
func (tx *pgTx) RecordAlertDeclaration(at time.Time, number uint64, forget time.Time) error {
	if _, err := tx.exec("DELETE FROM alert_declarations WHERE at_ns < $1", ns(forget)); err != nil {
		return fmt.Errorf("record alert declaration: %w", err)
	}
	if _, err := tx.exec("INSERT INTO alert_declarations (at_ns, incident) VALUES ($1, $2) ON CONFLICT DO NOTHING", ns(at), int64(number)); err != nil {
		return fmt.Errorf("record alert declaration: %w", err)
	}
	return nil
}

// AlertDeclarationsSince counts the declarations from alerts at or after since.
func (tx *pgTx) AlertDeclarationsSince(since time.Time) (int, error) {
	var n int
	if _, err := tx.scanRow("SELECT count(*) FROM alert_declarations WHERE at_ns >= $1", []any{ns(since)}, &n); err != nil {
		return 0, fmt.Errorf("alert declarations: %w", err)
	}
	return n, nil
}

// APIRequest returns what key produced, and false when it is new.
func (tx *pgTx) APIRequest(key string) (store.APIRequest, bool, error) {
	var body []byte
	found, err := tx.scanRow("SELECT body FROM api_requests WHERE key = $1", []any{key}, &body)
	if err != nil || !found {
		return store.APIRequest{}, false, err
	}
	var r store.APIRequest
	if err := decode(body, &r); err != nil {
		return store.APIRequest{}, false, fmt.Errorf("api request: %w", err)
	}
	return r, true, nil
}

// PutAPIRequest records what key produced.
func (tx *pgTx) PutAPIRequest(key string, r store.APIRequest) error {
	if key == "" {
		return fmt.Errorf("put api request: empty key")
	}
	body, err := json.Marshal(r)
	if err != nil {
		return fmt.Errorf("put api request: %w", err)
	}
	if _, err := tx.exec(`INSERT INTO api_requests (key, body) VALUES ($1, $2)
		ON CONFLICT (key) DO UPDATE SET body = EXCLUDED.body`, key, body); err != nil {
		return fmt.Errorf("put api request: %w", err)
	}
	return nil
}
