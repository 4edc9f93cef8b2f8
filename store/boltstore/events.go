package boltstore

import (
	"encoding/json"
	"fmt"

	"github.com/incidentbot/incidentbot/incident"
)

// AppendEvent adds ev to the timeline of incident number and returns it with
// Seq assigned (1, 2, 3… per incident) and At set to now if it was zero. The
// error wraps ErrNotFound if the incident does not exist.
func (tx *boltTx) AppendEvent(number uint64, ev incident.Event) (incident.Event, error) {
	id := incident.FormatID(number)
	if err := tx.requireIncident(number); err != nil {
		return incident.Event{}, fmt.Errorf("append event to %w", err)
	}
	events, err := tx.bucket(bucketEvents)
	if err != nil {
		return incident.Event{}, fmt.Errorf("append event to %s: %w", id, err)
	}
	timeline, err := events.CreateBucketIfNotExists(u64Key(number))
	if err != nil {
		return incident.Event{}, fmt.Errorf("append event to %s: %w", id, err)
	}
	seq, err := timeline.NextSequence()
	if err != nil {
		return incident.Event{}, fmt.Errorf("append event to %s: %w", id, err)
	}
	ev.Seq = seq
	if ev.At.IsZero() {
		ev.At = tx.s.now()
	}
	if err := putJSON(timeline, u64Key(seq), ev); err != nil {
		return incident.Event{}, fmt.Errorf("append event to %s: %w", id, err)
	}
	return ev, nil
}

// Events returns the timeline of incident number in Seq order (empty, not an
// error, if nothing was recorded yet). The error wraps ErrNotFound if the
// incident does not exist.
func (tx *boltTx) Events(number uint64) ([]incident.Event, error) {
	out := []incident.Event{}
	err := tx.ForEachEvent(number, func(ev incident.Event) error {
		out = append(out, ev)
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// ForEachEvent calls fn with each event of incident number's timeline in
// Seq order, decoding one at a time, and stops at fn's first error, which
// it returns as it is. The error wraps ErrNotFound if the incident does not
// exist.
func (tx *boltTx) ForEachEvent(number uint64, fn func(incident.Event) error) error {
	id := incident.FormatID(number)
	if err := tx.requireIncident(number); err != nil {
		return fmt.Errorf("events of %w", err)
	}
	events, err := tx.bucket(bucketEvents)
	if err != nil {
		return fmt.Errorf("events of %s: %w", id, err)
	}
	timeline := events.Bucket(u64Key(number))
	if timeline == nil {
		return nil
	}
	c := timeline.Cursor()
	for k, v := c.First(); k != nil; k, v = c.Next() {
		var ev incident.Event
		if err := json.Unmarshal(v, &ev); err != nil {
			return fmt.Errorf("events of %s: decode key %x: %w", id, k, err)
		}
		if err := fn(ev); err != nil {
			return err
		}
	}
	return nil
}

// requireIncident returns an error naming the incident, wrapping ErrNotFound
// when it does not exist.
func (tx *boltTx) requireIncident(number uint64) error {
	if tx.known(number) {
		return nil
	}
	incs, err := tx.bucket(bucketIncidents)
	if err != nil {
		return fmt.Errorf("%s: %w", incident.FormatID(number), err)
	}
	if incs.Get(u64Key(number)) == nil {
		return fmt.Errorf("%s: %w", incident.FormatID(number), ErrNotFound)
	}
	return nil
}

// Event returns event seq of incident number; the error wraps ErrNotFound
// when either does not exist.
func (tx *boltTx) Event(number, seq uint64) (incident.Event, error) {
	id := incident.FormatID(number)
	events, err := tx.bucket(bucketEvents)
	if err != nil {
		return incident.Event{}, fmt.Errorf("event %d of %s: %w", seq, id, err)
	}
	timeline := events.Bucket(u64Key(number))
	if timeline == nil {
		return incident.Event{}, fmt.Errorf("event %d of %s: %w", seq, id, ErrNotFound)
	}
	v := timeline.Get(u64Key(seq))
	if v == nil {
		return incident.Event{}, fmt.Errorf("event %d of %s: %w", seq, id, ErrNotFound)
	}
	var ev incident.Event
	if err := json.Unmarshal(v, &ev); err != nil {
		return incident.Event{}, fmt.Errorf("event %d of %s: decode: %w", seq, id, err)
	}
	return ev, nil
}
