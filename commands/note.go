package commands

import (
	"context"
	"strings"
	"time"

	"github.com/incidentbot/incidentbot/incident"
	"github.com/incidentbot/incidentbot/store"
)

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
	return runInFor(ctx, s, "note in "+in.Channel, deliveryKey("note", in.IdempotencyKey), in.Channel, NoteResult{Duplicate: true}, func(tx store.Tx, inc *incident.Incident, now time.Time, res *NoteResult) error {
		ev, err := inc.Note(in.Text, in.By, now)
		if err != nil {
			return err
		}
		if ev, err = s.appendEvent(tx, inc, ev); err != nil {
			return err
		}
		res.Incident, res.Event = inc, ev
		return nil
	})
}
