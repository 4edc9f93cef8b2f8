package commands

import (
	"context"
	"strings"
	"time"

	"github.com/incidentbot/incidentbot/incident"
	"github.com/incidentbot/incidentbot/store"
)

// UpdateInput is a status update, as the update form submits it.
type UpdateInput struct {
	// Incident is the incident's ID, INC-N (the form's private_metadata).
	Incident string
	Status   string
	Severity string
	// Summary says what changed; required.
	Summary   string
	NextSteps string
	// NextUpdate is when the next update is due, as a duration from now
	// ("30m"); "" means the severity's reminder interval.
	NextUpdate string
	By         string
	// IdempotencyKey identifies the delivery (the form's view ID): a second
	// update with the same key changes nothing.
	IdempotencyKey string
}

// UpdateResult is the outcome of PostUpdate.
type UpdateResult struct {
	Incident *incident.Incident
	// Event is the update on the timeline.
	Event incident.Event
	// Resolved is true when this update resolved the incident.
	Resolved bool
	// Duplicate is true when the key had already posted this update.
	Duplicate bool
}

// validUpdate is an UpdateInput checked and normalised.
type validUpdate struct {
	number     uint64
	status     incident.Status
	severity   string
	nextUpdate time.Duration // 0 = the severity's interval
	in         UpdateInput
}

// validateUpdate checks the fields of an update that need no stored state.
// Errors tied to a form field are *FieldError.
func (s *Service) validateUpdate(in UpdateInput) (validUpdate, error) {
	in.Summary = strings.TrimSpace(in.Summary)
	in.NextSteps = strings.TrimSpace(in.NextSteps)
	n, err := incident.ParseID(in.Incident)
	if err != nil {
		return validUpdate{}, err
	}
	v := validUpdate{number: n, in: in}
	if v.status, err = incident.ParseStatus(in.Status); err != nil {
		return v, &FieldError{Field: "status", Err: err.(*incident.Error)}
	}
	sev, err := s.Settings.ParseSeverity(in.Severity)
	if err != nil {
		return v, &FieldError{Field: "severity", Err: err.(*incident.Error)}
	}
	v.severity = sev.Name
	if v.in.Summary == "" {
		return v, fieldErr("summary", "Say what changed since the last update, even if it is \"still investigating, no news yet\".")
	}
	if in.NextUpdate != "" {
		d, err := time.ParseDuration(in.NextUpdate)
		if err != nil || d <= 0 || d > maxNextUpdate {
			return v, fieldErr("next_update", "%q is not a time to the next update; pick one from the list (15m up to 4h).", in.NextUpdate)
		}
		v.nextUpdate = d
	}
	if in.By == "" {
		return v, incident.Errorf(incident.EINVALID, "an update needs the user who posts it")
	}
	return v, nil
}

// PostUpdate records a status update in one transaction: the update on the
// timeline (with separate events for a change of severity or status, and a
// resolution when the status becomes resolved), the incident's new state
// and next-update time, the reminder moved to that time, and the jobs that
// post the update in the incident channel and the announcement's thread and
// refresh the card, the topic and the announcement.
func (s *Service) PostUpdate(ctx context.Context, in UpdateInput) (UpdateResult, error) {
	v, err := s.validateUpdate(in)
	if err != nil {
		return UpdateResult{}, err
	}
	return runFor(ctx, s, "update "+incident.FormatID(v.number), deliveryKey("update", in.IdempotencyKey), UpdateResult{Duplicate: true}, func(tx store.Tx, now time.Time, res *UpdateResult) error {
		inc, err := s.incidentNumber(tx, v.number)
		if err != nil {
			return err
		}
		if err := s.applyUpdate(tx, inc, v, now, res); err != nil {
			return err
		}
		res.Incident = inc
		return nil
	})
}

// applyUpdate changes inc as update v says and records it; see PostUpdate.
func (s *Service) applyUpdate(tx store.Tx, inc *incident.Incident, v validUpdate, now time.Time, res *UpdateResult) error {
	next := v.nextUpdate
	if v.severity != inc.Severity && next == s.reminderInterval(inc.Severity) {
		// The form shows the severity's interval as the next update's
		// default, and Slack submits a value left as shown like a chosen
		// one: with a new severity, that is the old cadence, not a promise.
		next = 0
	}
	if next == 0 {
		next = s.reminderInterval(v.severity)
	}
	events, err := inc.RecordUpdate(incident.StatusUpdate{
		Status: v.status, Severity: v.severity, Summary: v.in.Summary, NextSteps: v.in.NextSteps, NextIn: next, By: v.in.By,
	}, now)
	if err != nil {
		if err = withHint(err, "`%s postmortem` drafts the write-up.", s.command()); incident.ErrorCode(err) == incident.ECONFLICT {
			return &FieldError{Field: "status", Err: err.(*incident.Error)}
		}
		return err
	}
	var resolvedEv incident.Event
	for _, ev := range events {
		if ev, err = s.appendEvent(tx, inc, ev); err != nil {
			return err
		}
		switch ev.Kind {
		case incident.EventResolved:
			resolvedEv, res.Resolved = ev, true
		case incident.EventUpdate:
			res.Event = ev
		}
	}
	if err := tx.PutIncident(inc); err != nil {
		return err
	}
	if err := s.scheduleReminderAt(tx, inc, res.Event.NextUpdate); err != nil {
		return err
	}
	// One round trip: the posts and the edits touch different messages
	// (the edits wait only for the incident's earlier jobs); only the
	// resolution's post follows the update's in the channel.
	g := &jobGraph{tx: tx, number: inc.Number}
	channelPost, err := addUpdatePosts(g, inc, res.Event)
	if err != nil {
		return err
	}
	if res.Resolved {
		pl := PostPayload{Target: TargetChannel, Template: "resolved.tmpl", Event: resolvedEv.Seq}
		if _, err := g.add(JobPost, pl, channelPost); err != nil {
			return err
		}
	}
	return enqueueRefreshIn(g)
}
