package commands

import (
	"context"
	"strings"
	"time"

	"github.com/incidentbot/incidentbot/incident"
	"github.com/incidentbot/incidentbot/store"
)

// SnoozeChoices are the durations the reminder's snooze buttons offer.
var SnoozeChoices = []time.Duration{15 * time.Minute, 30 * time.Minute, time.Hour}

// maxSnooze bounds a snooze, whatever a crafted button value says.
const maxSnooze = 24 * time.Hour

// SnoozeInput is a click on a reminder's snooze button.
type SnoozeInput struct {
	// Channel is where the reminder was clicked: the incident's channel.
	Channel string
	// For is the button's value, a duration such as "30m".
	For string
	By  string
	// IdempotencyKey identifies the click (message ts, action_ts and user),
	// so a click delivered twice snoozes once.
	IdempotencyKey string
}

// SnoozeResult is the outcome of Snooze.
type SnoozeResult struct {
	Incident *incident.Incident
	// Due is when the next reminder now comes.
	Due       time.Time
	Duplicate bool
}

// ParseSnooze reads a snooze button's value.
func ParseSnooze(v string) (time.Duration, error) {
	d, err := time.ParseDuration(strings.TrimSpace(v))
	if err != nil || d <= 0 || d > maxSnooze {
		return 0, incident.Errorf(incident.EINVALID, "%q is not a time to snooze for; use one of the reminder's buttons (15m, 30m or 1h).", v)
	}
	return d, nil
}

// Snooze pushes the incident's next reminder back by in.For (from its due
// time, or from now if it is overdue), records who snoozed it on the
// timeline and says so in the channel, in one transaction. An incident that
// is resolved or has no reminder scheduled is an ECONFLICT error.
func (s *Service) Snooze(ctx context.Context, in SnoozeInput) (SnoozeResult, error) {
	d, err := ParseSnooze(in.For)
	if err != nil {
		return SnoozeResult{}, err
	}
	if in.By == "" {
		return SnoozeResult{}, incident.Errorf(incident.EINVALID, "a snooze needs the user who clicked it")
	}
	return runInFor(ctx, s, "snooze in "+in.Channel, deliveryKey("snooze", in.IdempotencyKey), in.Channel, SnoozeResult{Duplicate: true}, func(tx store.Tx, inc *incident.Incident, now time.Time, res *SnoozeResult) error {
		due, scheduled, err := tx.Reminder(inc.Number)
		if err != nil {
			return err
		}
		next, ev, err := inc.Snooze(d, due, scheduled, in.By, now)
		if err != nil {
			return err
		}
		if err := tx.SetReminder(inc.Number, next); err != nil {
			return err
		}
		if err := tx.PutIncident(inc); err != nil {
			return err
		}
		// One round trip: what shows "next update by", and the message
		// saying so, each touch their own message (or the topic).
		g := &jobGraph{tx: tx, number: inc.Number}
		if err := enqueueRefreshIn(g); err != nil {
			return err
		}
		if ev, err = s.appendEvent(tx, inc, ev); err != nil {
			return err
		}
		if _, err := addPost(g, TargetChannel, "snoozed.tmpl", ev); err != nil {
			return err
		}
		res.Incident, res.Due = inc, next
		return nil
	})
}
