package commands

import (
	"context"
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
	return runInFor(ctx, s, "change severity in "+in.Channel, deliveryKey("severity", in.IdempotencyKey), in.Channel, SeverityResult{Duplicate: true}, func(tx store.Tx, inc *incident.Incident, now time.Time, res *SeverityResult) error {
		from := inc.Severity
		ev, err := inc.ChangeSeverity(s.Settings, sev, in.By, now)
		if err != nil {
			return withHint(err, "`%s note …` still adds to its timeline, and `%s postmortem` drafts the write-up.", s.command(), s.command())
		}
		res.Escalated = s.Settings.Escalates(from, sev.Name)
		if ev, err = s.appendEvent(tx, inc, ev); err != nil {
			return err
		}
		if err := tx.PutIncident(inc); err != nil {
			return err
		}
		if err := s.scheduleReminder(tx, inc, now); err != nil {
			return err
		}
		// One round trip: each job posts in its own conversation or edits
		// its own message.
		g := &jobGraph{tx: tx, number: inc.Number}
		if _, err := addPost(g, TargetChannel, "severity.tmpl", ev); err != nil {
			return err
		}
		if res.Escalated && !inc.Private {
			if _, err := addPost(g, TargetThread, "severity.tmpl", ev); err != nil {
				return err
			}
		}
		if err := enqueueRefreshIn(g); err != nil {
			return err
		}
		res.Incident, res.Event = inc, ev
		return nil
	})
}
