package commands

import (
	"context"
	"errors"
	"fmt"
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
	now := s.now()
	var res UpdateResult
	err = s.Store.Update(ctx, func(tx store.Tx) error {
		res = UpdateResult{} // Update may run this function more than once
		dup, err := seen(tx, "update", in.IdempotencyKey, now)
		if err != nil || dup {
			res.Duplicate = dup
			return err
		}
		inc, err := s.incidentNumber(tx, v.number)
		if err != nil {
			return err
		}
		if !inc.Open() {
			return &FieldError{Field: "status", Err: incident.Errorf(incident.ECONFLICT,
				"%s is already resolved, so it takes no more status updates. `%s postmortem` drafts the write-up.", inc.ID(), s.command())}
		}
		if err := s.applyUpdate(tx, inc, v, now, &res); err != nil {
			return err
		}
		res.Incident = inc
		return nil
	})
	if err != nil {
		var fe *FieldError
		if errors.As(err, &fe) || incident.ErrorCode(err) != incident.EINTERNAL {
			return UpdateResult{}, err
		}
		return UpdateResult{}, fmt.Errorf("update %s: %w", incident.FormatID(v.number), err)
	}
	return res, nil
}

// applyUpdate changes inc as update v says and records it; see PostUpdate.
func (s *Service) applyUpdate(tx store.Tx, inc *incident.Incident, v validUpdate, now time.Time, res *UpdateResult) error {
	by := v.in.By
	if v.severity != inc.Severity {
		if _, err := tx.AppendEvent(inc.Number, incident.Event{
			At: now, Kind: incident.EventSeverityChanged, Actor: by, From: inc.Severity, To: v.severity,
		}); err != nil {
			return err
		}
		inc.Severity = v.severity
	}
	var resolvedEv incident.Event
	if v.status != inc.Status {
		from := inc.Status
		if err := inc.SetStatus(v.status, now); err != nil {
			return err
		}
		kind := incident.EventStatusChanged
		if v.status == incident.Resolved {
			kind = incident.EventResolved
			inc.Resolution = v.in.Summary
			res.Resolved = true
		}
		ev, err := tx.AppendEvent(inc.Number, incident.Event{
			At: now, Kind: kind, Actor: by, From: string(from), To: string(v.status), Text: resolutionText(kind, v.in.Summary),
		})
		if err != nil {
			return err
		}
		resolvedEv = ev
	}
	next := time.Time{}
	if inc.Open() {
		d := v.nextUpdate
		if d == 0 {
			_, d = s.NextUpdateChoices(inc.Severity)
		}
		if d > 0 {
			next = now.Add(d)
		}
	}
	inc.LastUpdateAt, inc.NextUpdateAt, inc.MissedUpdates = now, next, 0
	ev, err := tx.AppendEvent(inc.Number, incident.Event{
		At: now, Kind: incident.EventUpdate, Actor: by, Text: v.in.Summary, NextSteps: v.in.NextSteps, NextUpdate: next,
	})
	if err != nil {
		return err
	}
	res.Event = ev
	if err := tx.PutIncident(inc); err != nil {
		return err
	}
	if err := s.scheduleReminderAt(tx, inc, next); err != nil {
		return err
	}
	if err := enqueueUpdatePosts(tx, inc, ev); err != nil {
		return err
	}
	if res.Resolved {
		if err := enqueuePost(tx, inc.Number, TargetChannel, "resolved.tmpl", resolvedEv); err != nil {
			return err
		}
	}
	return enqueueRefresh(tx, inc)
}

// resolutionText is the Text of a status event: the resolution summary for
// a resolution, nothing for other changes (the update carries the words).
func resolutionText(kind incident.EventKind, summary string) string {
	if kind == incident.EventResolved {
		return summary
	}
	return ""
}
