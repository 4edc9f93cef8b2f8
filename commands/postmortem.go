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
	now := s.now()
	var res ActionResult
	err := s.Store.Update(ctx, func(tx store.Tx) error {
		res = ActionResult{} // Update may run this function more than once
		inc, err := s.incidentIn(tx, in.ChannelID)
		if err != nil {
			return err
		}
		if dup, err := markSeenOnce(tx, "action", in.IdempotencyKey, now); err != nil || dup {
			res = ActionResult{Incident: inc, Duplicate: dup}
			return err
		}
		item := incident.ActionItem{Text: text, Owner: in.Owner, CreatedBy: in.By, CreatedAt: now}
		inc.Actions = append(inc.Actions, item)
		if err := tx.PutIncident(inc); err != nil {
			return err
		}
		if _, err := tx.AppendEvent(inc.Number, incident.Event{
			At: now, Kind: incident.EventAction, Actor: in.By, Text: text, To: in.Owner,
		}); err != nil {
			return err
		}
		res = ActionResult{Incident: inc, Item: item}
		return nil
	})
	if err != nil {
		return ActionResult{}, fmt.Errorf("action item: %w", err)
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
	now := s.now()
	var res PostmortemResult
	err := s.Store.Update(ctx, func(tx store.Tx) error {
		res = PostmortemResult{} // Update may run this function more than once
		inc, err := s.incidentIn(tx, in.ChannelID)
		if err != nil {
			return err
		}
		res = PostmortemResult{Incident: inc, FileName: postmortem.FileName(inc)}
		if dup, err := markSeenOnce(tx, "postmortem", in.IdempotencyKey, now); err != nil || dup {
			res.Duplicate = dup
			return err
		}
		inc.PostmortemAt = now
		if err := tx.PutIncident(inc); err != nil {
			return err
		}
		ev, err := tx.AppendEvent(inc.Number, incident.Event{At: now, Kind: incident.EventPostmortem, Actor: in.By})
		if err != nil {
			return err
		}
		if err := enqueue(tx, inc.Number, JobUploadPostmortem, PostmortemPayload{Event: ev.Seq}); err != nil {
			return err
		}
		return s.archiveIfWaiting(tx, inc, now)
	})
	if err != nil {
		return PostmortemResult{}, fmt.Errorf("postmortem: %w", err)
	}
	return res, nil
}

// IncidentRecord returns incident number with its whole timeline, read in
// one transaction; an ENOTFOUND error when there is no such incident.
func (s *Service) IncidentRecord(number uint64) (postmortem.Record, error) {
	var rec postmortem.Record
	err := s.Store.View(func(tx store.Tx) error {
		inc, err := tx.Incident(number)
		if errors.Is(err, store.ErrNotFound) {
			return incident.Errorf(incident.ENOTFOUND, "%s does not exist", incident.FormatID(number))
		}
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

// DraftPostmortem renders incident number's postmortem draft from its
// current state, showing people through names (nil: as @U123). It writes
// nothing, so any number of readers may call it.
func (s *Service) DraftPostmortem(number uint64, tmpl *templates.Set, names func(string) string) (string, error) {
	rec, err := s.IncidentRecord(number)
	if err != nil {
		return "", err
	}
	return postmortem.Render(tmpl, rec, s.PostmortemOptions(names))
}

// PostmortemOptions are the rendering options every draft of this service
// uses, with names as the name lookup.
func (s *Service) PostmortemOptions(names func(string) string) postmortem.Options {
	return postmortem.Options{Settings: s.Settings, Names: names, Command: s.command()}
}

// markSeenOnce records an idempotency key under prefix; true means the
// delivery was handled before. An empty key is never seen.
func markSeenOnce(tx store.Tx, prefix, key string, now time.Time) (bool, error) {
	if key == "" {
		return false, nil
	}
	return tx.MarkSeen(prefix+":"+key, now)
}
