package commands

import (
	"errors"
	"slices"
	"time"

	"github.com/incidentbot/incidentbot/incident"
	"github.com/incidentbot/incidentbot/store"
)

// Job kinds of an incident's life after its declaration.
const (
	// JobPostUpdate posts the structured status update (PostPayload: the
	// update or resolution event, and Target). Unlike JobPost it renders the
	// severity and status as they were when that event happened, so two
	// updates committed back to back each show their own.
	JobPostUpdate = "post_update"
	// JobReact adds a reaction to a message of the incident channel
	// (ReactPayload), to confirm that it went into the timeline.
	JobReact = "react"
)

// ReactPayload says which message of the incident channel a JobReact marks,
// and with which emoji (a name without colons).
type ReactPayload struct {
	TS   string `json:"ts"`
	Name string `json:"name"`
}

// CapturedEmoji marks a message that went into the timeline.
const CapturedEmoji = "memo"

// defaultNextUpdates are the "next update in" choices the update form
// offers besides the severity's own reminder interval.
var defaultNextUpdates = []time.Duration{15 * time.Minute, 30 * time.Minute, time.Hour, 2 * time.Hour, 4 * time.Hour}

// maxNextUpdate bounds how far ahead an update may promise the next one.
const maxNextUpdate = 24 * time.Hour

// NextUpdateChoices lists the "next update in" durations to offer for an
// incident at severity, shortest first, and the default: the severity's
// reminder interval (0 when the severity has no reminders, and then no
// default).
func (s *Service) NextUpdateChoices(severity string) (choices []time.Duration, def time.Duration) {
	choices = slices.Clone(defaultNextUpdates)
	if def = s.reminderInterval(severity); def > 0 && !slices.Contains(choices, def) {
		choices = append(choices, def)
		slices.Sort(choices)
	}
	return choices, def
}

// reminderInterval is severity's reminder interval, the next update's
// default; 0 when the severity has no reminders.
func (s *Service) reminderInterval(severity string) time.Duration {
	if sev, ok := s.Settings.Severity(severity); ok && sev.Reminder > 0 {
		return sev.Reminder
	}
	return 0
}

// IncidentInChannel returns the incident whose channel is channelID, open
// or resolved, or an EINVALID error saying the command belongs in one.
func (s *Service) IncidentInChannel(channelID string) (*incident.Incident, error) {
	var inc *incident.Incident
	err := s.Store.View(func(tx store.Tx) error {
		var err error
		inc, err = s.incidentIn(tx, channelID)
		return err
	})
	return inc, err
}

// IncidentByID returns the incident called id (INC-N), or an ENOTFOUND
// error.
func (s *Service) IncidentByID(id string) (*incident.Incident, error) {
	n, err := incident.ParseID(id)
	if err != nil {
		return nil, err
	}
	var inc *incident.Incident
	err = s.Store.View(func(tx store.Tx) error {
		var err error
		inc, err = s.incidentNumber(tx, n)
		return err
	})
	return inc, err
}

// incidentNumber loads incident n, with an ENOTFOUND error fit for the
// user when there is none.
func (s *Service) incidentNumber(tx store.Tx, n uint64) (*incident.Incident, error) {
	inc, err := tx.Incident(n)
	if errors.Is(err, store.ErrNotFound) {
		return nil, incident.Errorf(incident.ENOTFOUND, "%s does not exist. `%s list` shows the open incidents.", incident.FormatID(n), s.command())
	}
	return inc, err
}

// scheduleReminderAt makes the next reminder due exactly at due, the time
// the last update promised the next one, while the incident is open and its
// severity has reminders at all (a severity configured with none stays
// quiet, whatever was promised). A zero due clears the reminder.
//
// It complements scheduleReminder (interval from a start time), which a
// promised time does not fit.
func (s *Service) scheduleReminderAt(tx store.Tx, inc *incident.Incident, due time.Time) error {
	sev, ok := s.Settings.Severity(inc.Severity)
	if !inc.Open() || !ok || sev.Reminder <= 0 || due.IsZero() {
		return tx.ClearReminder(inc.Number)
	}
	return tx.SetReminder(inc.Number, due)
}

// UpdateSnapshot is a status update as its message shows it: the
// incident's severity and status just after the update, and the update's
// (or resolution's) own event. Carried in the job, it lets the message
// render without replaying a timeline that grows all through the incident.
type UpdateSnapshot struct {
	Severity string          `json:"severity"`
	Status   incident.Status `json:"status"`
	Event    incident.Event  `json:"event"`
}

// addUpdatePosts adds to g the structured update about ev, posted in the
// incident channel and, unless the incident is private (its announcement
// reveals nothing), in the announcement's thread. ev is the last event the
// use-case appended, so inc's severity and status are those just after it:
// what a replay of the timeline up to ev would tell. The two posts go to
// different conversations, so neither waits for the other. It returns the
// channel post's job, which a later post in the channel waits for.
func addUpdatePosts(g *jobGraph, inc *incident.Incident, ev incident.Event) (channelPost uint64, err error) {
	for _, pl := range updatePosts(inc, ev) {
		id, err := g.add(JobPostUpdate, pl)
		if err != nil {
			return 0, err
		}
		if pl.Target == TargetChannel {
			channelPost = id
		}
	}
	return channelPost, nil
}

func updatePosts(inc *incident.Incident, ev incident.Event) []PostPayload {
	targets := []string{TargetChannel}
	if !inc.Private {
		targets = append(targets, TargetThread)
	}
	snap := &UpdateSnapshot{Severity: inc.Severity, Status: inc.Status, Event: ev}
	var out []PostPayload
	for _, target := range targets {
		out = append(out, PostPayload{Target: target, Template: "update.tmpl", Event: ev.Seq, Update: snap})
	}
	return out
}
