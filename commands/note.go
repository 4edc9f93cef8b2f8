package commands

import (
	"context"
	"fmt"
	"strings"
	"time"

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
	err := s.Store.Update(ctx, func(tx *store.Tx) error {
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

// CaptureInput is a message of an incident channel to put on the timeline
// (a 📌 reaction on it, or the "Add to timeline" shortcut).
type CaptureInput struct {
	Channel string
	// TS identifies the message in its channel.
	TS string
	// At is when the message was posted: the event keeps that time.
	At     time.Time
	Author string
	Text   string
	// Link is the message's permalink.
	Link string
	// IdempotencyKey identifies the delivery when it has no event_id to be
	// deduplicated by (a shortcut's trigger_id); "" for none.
	IdempotencyKey string
}

// CaptureResult is the outcome of CaptureMessage.
type CaptureResult struct {
	Incident *incident.Incident
	Event    incident.Event
	// Duplicate is true when the message was already on the timeline.
	Duplicate bool
	// Redelivered is true when this very delivery was handled before:
	// nothing changed, and Incident is nil.
	Redelivered bool
}

// errNotIncidentChannel is the EINVALID error of CaptureMessage for a
// message outside every incident channel.
func (s *Service) errNotIncidentChannel() error {
	return incident.Errorf(incident.EINVALID, "Only messages in an incident's channel can go on its timeline, and this channel belongs to no incident. `%s list` shows the open incidents and their channels.", s.command())
}

// CaptureMessage puts a message of an incident channel on that incident's
// timeline, with its original time, author, text and permalink, and
// enqueues a reaction on it to confirm. Each message goes on at most once:
// capturing it again (a second 📌, the shortcut after a 📌) is a Duplicate
// that changes nothing.
func (s *Service) CaptureMessage(ctx context.Context, in CaptureInput) (CaptureResult, error) {
	if in.Channel == "" || in.TS == "" {
		return CaptureResult{}, incident.Errorf(incident.EINVALID, "a captured message needs its channel and ts")
	}
	now := s.now()
	if in.At.IsZero() {
		in.At = now
	}
	var res CaptureResult
	err := s.Store.Update(ctx, func(tx *store.Tx) error {
		res = CaptureResult{}
		if again, err := seen(tx, "capture-delivery", in.IdempotencyKey, now); err != nil || again {
			res.Redelivered = again
			return err
		}
		inc, err := s.incidentIn(tx, in.Channel)
		if err != nil {
			if incident.ErrorCode(err) == incident.EINVALID {
				return s.errNotIncidentChannel()
			}
			return err
		}
		res.Incident = inc
		dup, err := seen(tx, "capture", in.Channel+"/"+in.TS, now)
		if err != nil || dup {
			res.Duplicate = dup
			return err
		}
		ev, err := tx.AppendEvent(inc.Number, incident.Event{
			At: in.At.UTC(), Kind: incident.EventMessagePinned, Actor: in.Author, Text: clipText(strings.TrimSpace(in.Text)), Link: in.Link,
		})
		if err != nil {
			return err
		}
		res.Event = ev
		return enqueue(tx, inc.Number, JobReact, ReactPayload{TS: in.TS, Name: CapturedEmoji})
	})
	if err != nil {
		return CaptureResult{}, fmt.Errorf("capture %s/%s: %w", in.Channel, in.TS, err)
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
