package commands

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/incidentbot/incidentbot/incident"
	"github.com/incidentbot/incidentbot/postmortem"
	"github.com/incidentbot/incidentbot/store"
	"github.com/incidentbot/incidentbot/templates"
)

// JobUploadPostmortem renders the postmortem draft from the incident's
// state when it runs and uploads it to the incident channel as
// INC-N-postmortem.md (PostmortemPayload).
const JobUploadPostmortem = "upload_postmortem"

// TemplatePostmortemUpload is the message that comes with the uploaded
// draft.
const TemplatePostmortemUpload = "postmortem_upload.tmpl"

// PostmortemPayload names the timeline event that asked for the draft:
// its time and actor title and introduce the upload, so every attempt of
// the job shows the same, and a retry can recognise an upload that an
// earlier attempt completed.
type PostmortemPayload struct {
	Event uint64 `json:"event"`
}

// MaxActionText bounds an action item: one concrete step, not a plan.
const MaxActionText = 500

// ActionInput records a follow-up action item.
type ActionInput struct {
	// ChannelID is where the command was typed: the incident's channel.
	ChannelID string
	Text      string
	// Owner is a user ID, "" when nobody owns it yet.
	Owner string
	By    string
	// IdempotencyKey identifies the delivery (a slash command's
	// trigger_id): a second request with the same key records nothing.
	IdempotencyKey string
}

// ActionResult is the outcome of AddActionItem.
type ActionResult struct {
	Incident *incident.Incident
	Item     incident.ActionItem
	// Duplicate is true when the key had been handled before; only
	// Incident is set.
	Duplicate bool
}

// AddActionItem records an action item on the incident in channelID, open
// or resolved (follow-ups often come after resolution), and puts it on the
// timeline.
func (s *Service) AddActionItem(ctx context.Context, in ActionInput) (ActionResult, error) {
	text := strings.TrimSpace(in.Text)
	switch {
	case text == "":
		return ActionResult{}, incident.Errorf(incident.EINVALID, "an action item needs a description: `%s action add an alert on replication lag @ana`", s.command())
	case utf8.RuneCountInString(text) > MaxActionText:
		return ActionResult{}, incident.Errorf(incident.EINVALID,
			"an action item is at most %d characters (this one has %d); name one concrete step and keep the details in a ticket", MaxActionText, utf8.RuneCountInString(text))
	case in.By == "":
		return ActionResult{}, incident.Errorf(incident.EINVALID, "an action item needs the user who records it")
	}
	var res ActionResult
	dup, err := s.runIn(ctx, "action item", deliveryKey("action", in.IdempotencyKey), in.ChannelID, func(tx store.Tx, inc *incident.Incident, now time.Time) error {
		item, ev, err := inc.AddAction(text, in.Owner, in.By, now)
		if err != nil {
			return err
		}
		if err := tx.PutIncident(inc); err != nil {
			return err
		}
		if _, err := s.appendEvent(tx, inc, ev); err != nil {
			return err
		}
		res = ActionResult{Incident: inc, Item: item}
		return nil
	})
	if err != nil {
		return ActionResult{}, err
	}
	if dup {
		inc, err := s.IncidentInChannel(in.ChannelID)
		return ActionResult{Incident: inc, Duplicate: true}, err
	}
	return res, nil
}

// PostmortemInput asks for a postmortem draft of the incident in ChannelID.
type PostmortemInput struct {
	ChannelID      string
	By             string
	IdempotencyKey string
}

// PostmortemResult is the outcome of RecordPostmortem.
type PostmortemResult struct {
	Incident *incident.Incident
	// FileName is what the draft will be called in the channel.
	FileName string
	// Duplicate is true when the key had been handled before.
	Duplicate bool
}

// RecordPostmortem records that a postmortem draft was asked for — on the
// timeline and in PostmortemAt — and enqueues its upload to the incident
// channel. The incident may be open or resolved; asking again uploads a
// fresh draft.
func (s *Service) RecordPostmortem(ctx context.Context, in PostmortemInput) (PostmortemResult, error) {
	if in.By == "" {
		return PostmortemResult{}, incident.Errorf(incident.EINVALID, "a postmortem request needs the user who asks")
	}
	var res PostmortemResult
	dup, err := s.runIn(ctx, "postmortem", deliveryKey("postmortem", in.IdempotencyKey), in.ChannelID, func(tx store.Tx, inc *incident.Incident, now time.Time) error {
		res = PostmortemResult{Incident: inc, FileName: postmortem.FileName(inc)}
		ev, err := s.appendEvent(tx, inc, inc.RecordPostmortem(in.By, now))
		if err != nil {
			return err
		}
		if err := tx.PutIncident(inc); err != nil {
			return err
		}
		if err := enqueue(tx, inc.Number, JobUploadPostmortem, PostmortemPayload{Event: ev.Seq}); err != nil {
			return err
		}
		return s.archiveIfWaiting(tx, inc, now)
	})
	if err != nil {
		return PostmortemResult{}, err
	}
	if dup {
		inc, err := s.IncidentInChannel(in.ChannelID)
		if err != nil {
			return PostmortemResult{}, err
		}
		return PostmortemResult{Incident: inc, FileName: postmortem.FileName(inc), Duplicate: true}, nil
	}
	return res, nil
}

// IncidentRecord returns incident number with its whole timeline, read in
// one transaction; an ENOTFOUND error when there is no such incident.
func (s *Service) IncidentRecord(number uint64) (postmortem.Record, error) {
	var rec postmortem.Record
	err := s.Store.View(func(tx store.Tx) error {
		inc, err := recordedIncident(tx, number)
		if err != nil {
			return err
		}
		evs, err := tx.Events(number)
		if err != nil {
			return err
		}
		rec = postmortem.Record{Incident: inc, Events: evs}
		return nil
	})
	if err != nil {
		return postmortem.Record{}, fmt.Errorf("read %s: %w", incident.FormatID(number), err)
	}
	return rec, nil
}

// PostmortemBuilder reads incident number and streams its timeline, in one
// transaction and one pass, into a draft with this service's options and no
// names yet (see postmortem.Builder.UseNames): the timeline is never held
// whole, however long it grew. An ENOTFOUND error when there is no such
// incident.
func (s *Service) PostmortemBuilder(number uint64) (*postmortem.Builder, error) {
	var b *postmortem.Builder
	err := s.Store.View(func(tx store.Tx) error {
		inc, err := recordedIncident(tx, number)
		if err != nil {
			return err
		}
		b = postmortem.NewBuilder(inc, s.PostmortemOptions(nil))
		return tx.ForEachEvent(number, func(ev incident.Event) error {
			b.Add(ev)
			return nil
		})
	})
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", incident.FormatID(number), err)
	}
	return b, nil
}

// recordedIncident loads incident number for a record or a draft.
func recordedIncident(tx store.Tx, number uint64) (*incident.Incident, error) {
	inc, err := tx.Incident(number)
	if errors.Is(err, store.ErrNotFound) {
		return nil, incident.Errorf(incident.ENOTFOUND, "%s does not exist", incident.FormatID(number))
	}
	return inc, err
}

// DraftPostmortem renders incident number's postmortem draft from its
// current state, showing people through names (nil: as @U123). It writes
// nothing, so any number of readers may call it.
func (s *Service) DraftPostmortem(number uint64, tmpl *templates.Set, names func(string) string) (string, error) {
	b, err := s.PostmortemBuilder(number)
	if err != nil {
		return "", err
	}
	b.UseNames(names)
	return b.Render(tmpl)
}

// PostmortemOptions are the rendering options every draft of this service
// uses, with names as the name lookup.
func (s *Service) PostmortemOptions(names func(string) string) postmortem.Options {
	return postmortem.Options{Settings: s.Settings, Names: names, Command: s.command()}
}
