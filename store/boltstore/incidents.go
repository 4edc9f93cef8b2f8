package boltstore

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/google/uuid"
	"github.com/incidentbot/incidentbot/incident"
	bolt "go.etcd.io/bbolt"
)

// CreateIncident stores a new incident. It assigns inc.Number (1, 2, 3… per
// store, never reused) and, if empty, inc.UUID, and indexes the incident as
// open and by channel. If the transaction does not commit, the values it
// assigned into inc mean nothing.
func (tx *boltTx) CreateIncident(inc *incident.Incident) error {
	if inc == nil {
		return fmt.Errorf("create incident: nil incident")
	}
	incs, err := tx.bucket(bucketIncidents)
	if err != nil {
		return fmt.Errorf("create incident: %w", err)
	}
	n, err := incs.NextSequence()
	if err != nil {
		return fmt.Errorf("create incident: next number: %w", err)
	}
	inc.Number = n
	if inc.UUID == "" {
		inc.UUID = uuid.NewString()
	}
	if err := tx.putIncident(incs, inc, ""); err != nil {
		return fmt.Errorf("create %s: %w", inc.ID(), err)
	}
	tx.s.incidentChanged(tx.btx, nil, inc)
	return nil
}

// PutIncident saves changes to an existing incident and keeps the indexes in
// step: it leaves the open index (and loses its reminder) once resolved, and
// enters the postmortem-nudge and archive indexes when it becomes resolved; the channel
// index follows ChannelID. A ChannelID that already belongs to
// another incident is refused.
func (tx *boltTx) PutIncident(inc *incident.Incident) error {
	if inc == nil {
		return fmt.Errorf("put incident: nil incident")
	}
	if inc.Number == 0 {
		return fmt.Errorf("put incident: number 0; store new incidents with CreateIncident")
	}
	incs, err := tx.bucket(bucketIncidents)
	if err != nil {
		return fmt.Errorf("put %s: %w", inc.ID(), err)
	}
	old, ok := tx.recalled(inc.Number)
	if !ok {
		old = new(incident.Incident)
		found, err := getJSON(incs, u64Key(inc.Number), old)
		if err != nil {
			return fmt.Errorf("put %s: %w", inc.ID(), err)
		}
		if !found {
			return fmt.Errorf("put %s: %w", inc.ID(), ErrNotFound)
		}
	}
	if err := tx.putIncident(incs, inc, old.ChannelID); err != nil {
		return fmt.Errorf("put %s: %w", inc.ID(), err)
	}
	if old.Open() && !inc.Open() {
		if err := tx.indexResolved(inc); err != nil {
			return fmt.Errorf("put %s: %w", inc.ID(), err)
		}
		if err := tx.indexArchive(inc); err != nil {
			return fmt.Errorf("put %s: %w", inc.ID(), err)
		}
	}
	tx.s.incidentChanged(tx.btx, old, inc)
	return nil
}

// putIncident writes the record and its index entries; oldChannel is the
// ChannelID stored before, "" for a new incident.
func (tx *boltTx) putIncident(incs *bolt.Bucket, inc *incident.Incident, oldChannel string) error {
	key := u64Key(inc.Number)
	if err := tx.indexChannel(key, oldChannel, inc.ChannelID); err != nil {
		return err
	}
	open, err := tx.bucket(bucketIncidentsOpen)
	if err != nil {
		return err
	}
	if inc.Open() {
		var entry []byte
		if entry, err = encodeHeadline(inc); err == nil {
			err = open.Put(key, entry)
		}
	} else {
		err = open.Delete(key)
		if err == nil {
			err = tx.ClearReminder(inc.Number)
		}
	}
	if err != nil {
		return fmt.Errorf("open index: %w", err)
	}
	if err := putJSON(incs, key, inc); err != nil {
		return fmt.Errorf("save: %w", err)
	}
	tx.forget(inc.Number)
	return nil
}

func (tx *boltTx) indexChannel(key []byte, oldChannel, newChannel string) error {
	if oldChannel == newChannel {
		return nil
	}
	byChannel, err := tx.bucket(bucketIncidentsByChannel)
	if err != nil {
		return err
	}
	if oldChannel != "" && bytes.Equal(byChannel.Get([]byte(oldChannel)), key) {
		if err := byChannel.Delete([]byte(oldChannel)); err != nil {
			return fmt.Errorf("channel index: %w", err)
		}
	}
	if newChannel == "" {
		return nil
	}
	if owner := byChannel.Get([]byte(newChannel)); owner != nil && !bytes.Equal(owner, key) {
		n, err := parseU64(owner)
		if err != nil {
			return fmt.Errorf("channel index: %w", err)
		}
		return fmt.Errorf("channel %s already belongs to %s", newChannel, incident.FormatID(n))
	}
	if err := byChannel.Put([]byte(newChannel), key); err != nil {
		return fmt.Errorf("channel index: %w", err)
	}
	return nil
}

// Incident returns incident number; the error wraps ErrNotFound if there is
// none.
func (tx *boltTx) Incident(number uint64) (*incident.Incident, error) {
	incs, err := tx.bucket(bucketIncidents)
	if err != nil {
		return nil, fmt.Errorf("get %s: %w", incident.FormatID(number), err)
	}
	inc, err := getIncident(incs, number)
	if err != nil {
		return nil, err
	}
	tx.remember(inc)
	return inc, nil
}

func getIncident(incs *bolt.Bucket, number uint64) (*incident.Incident, error) {
	inc := new(incident.Incident)
	found, err := getJSON(incs, u64Key(number), inc)
	if err != nil {
		return nil, fmt.Errorf("get %s: %w", incident.FormatID(number), &UnreadableRecordError{Number: number, Err: err})
	}
	if !found {
		return nil, fmt.Errorf("%s: %w", incident.FormatID(number), ErrNotFound)
	}
	return inc, nil
}

// IncidentByChannel returns the incident whose channel is channelID, open or
// resolved; the error wraps ErrNotFound if there is none.
func (tx *boltTx) IncidentByChannel(channelID string) (*incident.Incident, error) {
	byChannel, err := tx.bucket(bucketIncidentsByChannel)
	if err != nil {
		return nil, fmt.Errorf("incident of channel %s: %w", channelID, err)
	}
	if channelID == "" {
		return nil, fmt.Errorf("incident of channel \"\": %w", ErrNotFound)
	}
	key := byChannel.Get([]byte(channelID))
	if key == nil {
		return nil, fmt.Errorf("incident of channel %s: %w", channelID, ErrNotFound)
	}
	n, err := parseU64(key)
	if err != nil {
		return nil, fmt.Errorf("incident of channel %s: %w", channelID, err)
	}
	return tx.Incident(n)
}

// OpenIncidents returns the unresolved incidents in number order. It reads
// only the open index and those records, so its cost does not grow with the
// number of resolved incidents.
func (tx *boltTx) OpenIncidents() ([]*incident.Incident, error) {
	open, err := tx.bucket(bucketIncidentsOpen)
	if err != nil {
		return nil, fmt.Errorf("open incidents: %w", err)
	}
	incs, err := tx.bucket(bucketIncidents)
	if err != nil {
		return nil, fmt.Errorf("open incidents: %w", err)
	}
	var out []*incident.Incident
	c := open.Cursor()
	for k, _ := c.First(); k != nil; k, _ = c.Next() {
		n, err := parseU64(k)
		if err != nil {
			return nil, fmt.Errorf("open incidents: %w", err)
		}
		inc, err := getIncident(incs, n)
		var bad *UnreadableRecordError
		if errors.As(err, &bad) {
			tx.s.unreadable.reportRecord(bad)
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("open incidents: %w", err)
		}
		out = append(out, inc)
	}
	return out, nil
}

// ForEachIncident calls fn for every stored incident in number order,
// stopping at and returning fn's first error. It decodes every record: for
// start-up use OpenIncidents. fn must not change incidents through tx.
func (tx *boltTx) ForEachIncident(fn func(*incident.Incident) error) error {
	incs, err := tx.bucket(bucketIncidents)
	if err != nil {
		return fmt.Errorf("each incident: %w", err)
	}
	c := incs.Cursor()
	for k, v := c.First(); k != nil; k, v = c.Next() {
		inc := new(incident.Incident)
		if err := json.Unmarshal(v, inc); err != nil {
			return fmt.Errorf("each incident: decode key %x: %w", k, err)
		}
		if err := fn(inc); err != nil {
			return err
		}
	}
	return nil
}
