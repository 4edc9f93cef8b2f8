package commands

import (
	"context"
	"fmt"
	"time"

	"github.com/incidentbot/incidentbot/incident"
	"github.com/incidentbot/incidentbot/store"
)

// JobMarkSuggestion replaces a triage message, once its Declare button was
// clicked, with who declared which incident (MarkSuggestionPayload).
const JobMarkSuggestion = "mark_suggestion"

// MarkSuggestionPayload locates the triage message.
type MarkSuggestionPayload struct {
	Channel string `json:"channel"`
	TS      string `json:"ts"`
	By      string `json:"by"`
}

// DeclareSuggestionInput is a click on a triage message's Declare button.
type DeclareSuggestionInput struct {
	Group string // the group's ID, the button's value
	By    string
	// Channel and TS locate the triage message, replaced once declared.
	Channel, TS string
}

// DeclareSuggestionResult is the outcome of DeclareSuggestion.
type DeclareSuggestionResult struct {
	Incident *incident.Incident
	// Duplicate is true when the group had been declared already (by
	// another click, or by a later notification): nothing was declared.
	Duplicate bool
}

// DeclareSuggestion declares a suggested group with its title, severity and
// service, the clicker declaring and in command. The group's record is the
// claim: however many clicks arrive, one declares and the others hear which
// incident it became.
func (s *Service) DeclareSuggestion(ctx context.Context, in DeclareSuggestionInput) (DeclareSuggestionResult, error) {
	if in.By == "" {
		return DeclareSuggestionResult{}, incident.Errorf(incident.EINVALID, "declaring needs the user who clicked")
	}
	return runFor(ctx, s, "declare suggested alert group", "", DeclareSuggestionResult{}, func(tx store.Tx, now time.Time, res *DeclareSuggestionResult) error {
		g, ok, err := tx.AlertGroupByID(in.Group)
		if err != nil {
			return err
		}
		if !ok {
			return incident.Errorf(incident.EINVALID, "This suggestion is not known to the bot any more; declare with `%s declare` if it is an incident.", s.command())
		}
		if g.Incident != 0 {
			inc, err := tx.Incident(g.Incident)
			if err != nil {
				return err
			}
			res.Incident, res.Duplicate = inc, true
			return nil
		}
		inc, err := s.declareAlertGroup(tx, &g, in.By, now)
		if err != nil {
			return err
		}
		res.Incident = inc
		if in.Channel != "" && in.TS != "" {
			return enqueue(tx, inc.Number, JobMarkSuggestion, MarkSuggestionPayload{Channel: in.Channel, TS: in.TS, By: in.By})
		}
		return nil
	})
}

// AlertGroup returns the alert group stored under key, false when none.
func (s *Service) AlertGroup(key string) (store.AlertGroup, bool, error) {
	var g store.AlertGroup
	var ok bool
	err := s.Store.View(func(tx store.Tx) error {
		var err error
		g, ok, err = tx.AlertGroup(key)
		return err
	})
	if err != nil {
		return store.AlertGroup{}, false, fmt.Errorf("read alert group: %w", err)
	}
	return g, ok, nil
}
