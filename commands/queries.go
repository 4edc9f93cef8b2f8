package commands

import (
	"fmt"

	"github.com/incidentbot/incidentbot/incident"
	"github.com/incidentbot/incidentbot/store"
)

// The queries in this file give the bot's job performer what it renders:
// the incident and its timeline as they are now, so nothing it posts is
// stale.

// Incident returns incident number.
func (s *Service) Incident(number uint64) (*incident.Incident, error) {
	var inc *incident.Incident
	err := s.Store.View(func(tx store.Tx) error {
		var err error
		inc, err = tx.Incident(number)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("load %s: %w", incident.FormatID(number), err)
	}
	return inc, nil
}

// Event returns event seq of incident number's timeline.
func (s *Service) Event(number, seq uint64) (incident.Event, error) {
	var ev incident.Event
	err := s.Store.View(func(tx store.Tx) error {
		var err error
		ev, err = tx.Event(number, seq)
		return err
	})
	return ev, err
}

// Timeline returns incident number's whole timeline, oldest first.
func (s *Service) Timeline(number uint64) ([]incident.Event, error) {
	var events []incident.Event
	err := s.Store.View(func(tx store.Tx) error {
		var err error
		events, err = tx.Events(number)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("load %s timeline: %w", incident.FormatID(number), err)
	}
	return events, nil
}
