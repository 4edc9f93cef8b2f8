package commands

import (
	"context"
	"fmt"
	"time"

	"github.com/incidentbot/incidentbot/incident"
	"github.com/incidentbot/incidentbot/store"
)

// SeverityInput is `/incident severity SEVn` typed in Channel.
type SeverityInput struct {
	Channel  string
	Severity string
	By       string
	// IdempotencyKey identifies the delivery (the slash command's
	// trigger_id).
	IdempotencyKey string
}

// SeverityResult is the outcome of ChangeSeverity.
type SeverityResult struct {
	Incident *incident.Incident
	// Event is the change on the timeline (From and To are the severities).
	Event incident.Event
	// Escalated is true when the new severity is more severe than the old.
	Escalated bool
	Duplicate bool
}

// ChangeSeverity moves the incident of in.Channel to another severity in
// one transaction: a timeline event, a message in the channel saying who
// changed it from what to what (also in the announcement's thread when it
// is an escalation of a public incident), the card, topic and announcement
// refreshed, and the reminder rescheduled on the new severity's interval.
// An unknown severity, the current one, or a resolved incident is an error
// that changes nothing.
func (s *Service) ChangeSeverity(ctx context.Context, in SeverityInput) (SeverityResult, error) {
	sev, err := s.Settings.ParseSeverity(in.Severity)
	if err != nil {
		return SeverityResult{}, err
	}
	if in.By == "" {
		return SeverityResult{}, incident.Errorf(incident.EINVALID, "a severity change needs the user who makes it")
	}
	now := s.now()
	var res SeverityResult
	err = s.Store.Update(ctx, func(tx store.Tx) error {
		res = SeverityResult{}
		dup, err := seen(tx, "severity", in.IdempotencyKey, now)
		if err != nil || dup {
			res.Duplicate = dup
			return err
		}
		inc, err := s.incidentIn(tx, in.Channel)
		if err != nil {
			return err
		}
		if err := s.stillOpen(inc, "severity"); err != nil {
			return err
		}
		if inc.Severity == sev.Name {
			return incident.Errorf(incident.EINVALID, "%s is already %s; nothing changed. To change it, name another severity: %s.",
				inc.ID(), sev.Name, joinOthers(s.Settings.SeverityNames(), sev.Name))
		}
		from := inc.Severity
		res.Escalated = s.Settings.SeverityRank(sev.Name) < s.Settings.SeverityRank(from) || s.Settings.SeverityRank(from) < 0
		inc.Severity = sev.Name
		inc.NextUpdateAt = time.Time{}
		if sev.Reminder > 0 {
			inc.NextUpdateAt = now.Add(sev.Reminder)
		}
		ev, err := tx.AppendEvent(inc.Number, incident.Event{
			At: now, Kind: incident.EventSeverityChanged, Actor: in.By, From: from, To: sev.Name,
		})
		if err != nil {
			return err
		}
		if err := tx.PutIncident(inc); err != nil {
			return err
		}
		if err := s.scheduleReminder(tx, inc, now); err != nil {
			return err
		}
		if err := enqueuePost(tx, inc.Number, TargetChannel, "severity.tmpl", ev); err != nil {
			return err
		}
		if res.Escalated && !inc.Private {
			if err := enqueuePost(tx, inc.Number, TargetThread, "severity.tmpl", ev); err != nil {
				return err
			}
		}
		if err := enqueueRefresh(tx, inc); err != nil {
			return err
		}
		res.Incident, res.Event = inc, ev
		return nil
	})
	if err != nil {
		return SeverityResult{}, fmt.Errorf("change severity in %s: %w", in.Channel, err)
	}
	return res, nil
}

// joinOthers lists names without skip, comma-separated.
func joinOthers(names []string, skip string) string {
	out := ""
	for _, n := range names {
		if n == skip {
			continue
		}
		if out != "" {
			out += ", "
		}
		out += n
	}
	return out
}
