package commands

import (
	"context"
	"fmt"
	"strings"

	"github.com/incidentbot/incidentbot/incident"
	"github.com/incidentbot/incidentbot/store"
)

// maxTimelineText bounds the text kept from one note or captured message;
// the rest is cut with an ellipsis.
const maxTimelineText = 4000

// NoteInput is `/incident note TEXT…` typed in Channel.
type NoteInput struct {
	Channel string
	Text    string
	By      string
	// IdempotencyKey identifies the delivery (the slash command's
	// trigger_id).
	IdempotencyKey string
}

// NoteResult is the outcome of AddNote.
type NoteResult struct {
	Incident  *incident.Incident
	Event     incident.Event
	Duplicate bool
}

// AddNote puts a note with its author and time on the timeline of the
// incident of in.Channel, open or resolved (notes feed the postmortem).
func (s *Service) AddNote(ctx context.Context, in NoteInput) (NoteResult, error) {
	in.Text = strings.TrimSpace(in.Text)
	if in.Text == "" {
		return NoteResult{}, incident.Errorf(incident.EINVALID, "A note needs some text: `%s note restarted the primary database`.", s.command())
	}
	if in.By == "" {
		return NoteResult{}, incident.Errorf(incident.EINVALID, "a note needs its author")
	}
	now := s.now()
	var res NoteResult
	err := s.Store.Update(ctx, func(tx store.Tx) error {
		res = NoteResult{}
		dup, err := seen(tx, "note", in.IdempotencyKey, now)
		if err != nil || dup {
			res.Duplicate = dup
			return err
		}
		inc, err := s.incidentIn(tx, in.Channel)
		if err != nil {
			return err
		}
		ev, err := tx.AppendEvent(inc.Number, incident.Event{
			At: now, Kind: incident.EventNote, Actor: in.By, Text: clipText(in.Text),
		})
		if err != nil {
			return err
		}
		res.Incident, res.Event = inc, ev
		return nil
	})
	if err != nil {
		return NoteResult{}, fmt.Errorf("note in %s: %w", in.Channel, err)
	}
	return res, nil
}

// clipText keeps at most maxTimelineText runes of s.
func clipText(s string) string {
	r := []rune(s)
	if len(r) <= maxTimelineText {
		return s
	}
	return string(r[:maxTimelineText-1]) + "…"
}
