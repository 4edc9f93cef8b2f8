package pgstore

import (
	"encoding/json"
	"fmt"

	"github.com/jackc/pgx/v5"

	"github.com/incidentbot/incidentbot/incident"
	"github.com/incidentbot/incidentbot/store"
)

// AppendEvent adds ev to the timeline of incident number and returns it
// with Seq assigned (1, 2, 3… per incident, no gaps) and At set to now if
// it was zero. The error wraps store.ErrNotFound if the incident does not
// exist.
func (tx *pgTx) AppendEvent(number uint64, ev incident.Event) (incident.Event, error) {
	id := incident.FormatID(number)
	seq, err := tx.nextSeq(number)
	if err != nil {
		return incident.Event{}, fmt.Errorf("append event to %s: %w", id, err)
	}
	ev.Seq = seq
	if ev.At.IsZero() {
		ev.At = tx.s.now()
	}
	body, err := json.Marshal(ev)
	if err != nil {
		return incident.Event{}, fmt.Errorf("append event to %s: %w", id, err)
	}
	if err := tx.later("INSERT INTO events (incident, seq, body) VALUES ($1, $2, $3)", number, seq, body); err != nil {
		return incident.Event{}, fmt.Errorf("append event to %s: %w", id, err)
	}
	return ev, nil
}

// nextSeq is the seq of incident number's next event. The row lock the
// UPDATE takes orders appends to one incident across replicas; a rollback
// returns the seq, so the timeline has no gaps. An incident this
// transaction created is counted here: no one else can see its row.
func (tx *pgTx) nextSeq(number uint64) (uint64, error) {
	if c := tx.created[number]; c != nil {
		c.seq++
		return c.seq, nil
	}
	var seq uint64
	found, err := tx.scanRow("UPDATE incidents SET last_seq = last_seq + 1 WHERE number = $1 RETURNING last_seq",
		[]any{number}, &seq)
	if err != nil {
		return 0, err
	}
	if !found {
		return 0, store.ErrNotFound
	}
	return seq, nil
}

// Events returns the timeline of incident number in Seq order (empty, not
// an error, if nothing was recorded yet). The error wraps
// store.ErrNotFound if the incident does not exist.
func (tx *pgTx) Events(number uint64) ([]incident.Event, error) {
	id := incident.FormatID(number)
	if err := tx.requireIncident(number); err != nil {
		return nil, fmt.Errorf("events of %s: %w", id, err)
	}
	out, err := collect(tx, "SELECT body FROM events WHERE incident = $1 ORDER BY seq", []any{number}, scanEvent)
	if err != nil {
		return nil, fmt.Errorf("events of %s: %w", id, err)
	}
	if out == nil {
		out = []incident.Event{}
	}
	return out, nil
}

func scanEvent(row pgx.CollectableRow) (incident.Event, error) {
	var body []byte
	var ev incident.Event
	if err := row.Scan(&body); err != nil {
		return ev, err
	}
	return ev, decode(body, &ev)
}

// Event returns event seq of incident number; the error wraps
// store.ErrNotFound when either does not exist.
func (tx *pgTx) Event(number, seq uint64) (incident.Event, error) {
	id := incident.FormatID(number)
	var body []byte
	found, err := tx.scanRow("SELECT body FROM events WHERE incident = $1 AND seq = $2", []any{number, seq}, &body)
	if err != nil {
		return incident.Event{}, fmt.Errorf("event %d of %s: %w", seq, id, err)
	}
	if !found {
		return incident.Event{}, fmt.Errorf("event %d of %s: %w", seq, id, store.ErrNotFound)
	}
	var ev incident.Event
	if err := decode(body, &ev); err != nil {
		return incident.Event{}, fmt.Errorf("event %d of %s: %w", seq, id, err)
	}
	return ev, nil
}

// requireIncident is nil when incident number exists, and wraps
// store.ErrNotFound when it does not.
func (tx *pgTx) requireIncident(number uint64) error {
	var one int
	found, err := tx.scanRow("SELECT 1 FROM incidents WHERE number = $1", []any{number}, &one)
	if err != nil {
		return err
	}
	if !found {
		return store.ErrNotFound
	}
	return nil
}
