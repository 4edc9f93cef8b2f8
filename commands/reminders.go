package commands

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/incidentbot/incidentbot/incident"
	"github.com/incidentbot/incidentbot/store"
)

// JobReminder posts a reminder (ReminderPayload). Unlike JobPost it renders
// what the firing decided (how long the incident had been quiet, how many
// reminders in a row), so a post delayed by a retry still says what was true
// when it fell due.
const JobReminder = "reminder"

// What a JobReminder posts.
const (
	// ReminderUpdate is the status-update reminder in the incident channel,
	// with the update and snooze buttons.
	ReminderUpdate = "update"
	// ReminderEscalation is the "no update for N minutes" line in the
	// announcement's thread, from the third ignored reminder on.
	ReminderEscalation = "escalation"
	// ReminderPostmortem asks the commander to draft the postmortem.
	ReminderPostmortem = "postmortem"
)

// ReminderPayload says what a JobReminder posts.
type ReminderPayload struct {
	Kind string `json:"kind"`
	// At is when the reminder fell due and fired; Since is the last status
	// update (or the declaration when there was none; the resolution for
	// the postmortem nudge), so At−Since is how long it has been quiet.
	At    time.Time `json:"at"`
	Since time.Time `json:"since,omitzero"`
	// Missed counts the reminders in a row without an update, this one
	// included.
	Missed int `json:"missed,omitempty"`
	// Escalated asks for the commander to be mentioned besides the comms
	// lead (from the second reminder in a row).
	Escalated bool `json:"escalated,omitempty"`
	// Event is the reminder's timeline event (0 for the postmortem nudge).
	Event uint64 `json:"event,omitempty"`
}

// escalateCommander and escalateThread are the reminders in a row from
// which the commander is mentioned too, and the announcement's thread hears
// of the silence.
const (
	escalateCommander = 2
	escalateThread    = 3
)

// remindBatch bounds what one transaction fires: large enough that 10,000
// reminders falling due together (after a long outage) cost a few dozen
// commits rather than 10,000, small enough that a command waiting behind
// the transaction is not held up for long.
const remindBatch = 500

// scheduleReminder sets when the bot will next remind the incident's comms
// lead to post a status update: from + the severity's interval while the
// incident is open and its severity has one; otherwise no reminder.
func (s *Service) scheduleReminder(tx store.Tx, inc *incident.Incident, from time.Time) error {
	sev, ok := s.Settings.Severity(inc.Severity)
	if !inc.Open() || !ok || sev.Reminder <= 0 {
		return tx.ClearReminder(inc.Number)
	}
	return tx.SetReminder(inc.Number, from.Add(sev.Reminder))
}

// DueResult is what DueReminders fired.
type DueResult struct {
	// Reminded are the incidents whose status-update reminder fired.
	Reminded []uint64
	// Nudged are the resolved incidents whose commander was reminded to
	// draft the postmortem.
	Nudged []uint64
	// Archived are the resolved incidents whose channel is being archived;
	// ArchiveWaiting those whose archive waits for a postmortem.
	Archived, ArchiveWaiting []uint64
	// Skipped are reminders dropped because their incident could not be
	// read (a damaged record): each for the operator's log.
	Skipped []error
}

// NextDue returns when DueReminders next has something to do: the earliest
// status-update reminder, postmortem nudge or auto-archive. false means nothing is
// scheduled.
func (s *Service) NextDue() (time.Time, bool, error) {
	r, has, err := s.Store.NextReminder()
	if err != nil {
		return time.Time{}, false, err
	}
	next := r.Due
	n, ok, err := s.Store.NextPostmortemNudge()
	if err != nil {
		return time.Time{}, false, err
	}
	if ok {
		// With the nudge disabled the entry is due at once, to be dropped.
		at := n.Resolved.Add(max(s.PostmortemReminder, 0))
		if !has || at.Before(next) {
			next, has = at, true
		}
	}
	at, ok, err := s.nextArchive()
	if err != nil {
		return time.Time{}, false, err
	}
	if ok && (!has || at.Before(next)) {
		next, has = at, true
	}
	return next, has, nil
}

// DueReminders fires every status-update reminder and postmortem nudge due
// at now, each in the transaction that enqueues its post, so a crash loses
// or doubles none. A reminder fires once however long ago it fell due (its
// next one is an interval after now, not a backlog), and one whose incident
// was resolved, or whose severity has no reminders any more, is dropped.
func (s *Service) DueReminders(ctx context.Context, now time.Time) (DueResult, error) {
	var total DueResult
	// The scheduler calls this after every commit that touched the
	// schedule; a read is cheap, an empty write transaction still costs an
	// fsync.
	if due, err := s.anyDue(now); err != nil || !due {
		return total, err
	}
	// The due reminders are read once, not in each group's transaction
	// (which read 10,000, then 9,500, … when 10,000 fell due together):
	// each group re-checks its own in its transaction (remind), and a
	// reminder set meanwhile wakes the scheduler for another call.
	var due []store.Reminder
	err := s.Store.View(func(tx store.Tx) error {
		var err error
		due, err = tx.DueReminders(now)
		return err
	})
	if err != nil {
		return total, fmt.Errorf("due reminders: %w", err)
	}
	for {
		group := due[:min(len(due), remindBatch)]
		due = due[len(group):]
		res, more, err := s.fireBatch(ctx, now, group, len(due) > 0)
		total.Reminded = append(total.Reminded, res.Reminded...)
		total.Nudged = append(total.Nudged, res.Nudged...)
		total.Skipped = append(total.Skipped, res.Skipped...)
		total.Archived = append(total.Archived, res.Archived...)
		total.ArchiveWaiting = append(total.ArchiveWaiting, res.ArchiveWaiting...)
		if err != nil {
			return total, err
		}
		if !more {
			return total, nil
		}
	}
}

// anyDue reports whether DueReminders has anything to do at now.
func (s *Service) anyDue(now time.Time) (bool, error) {
	next, ok, err := s.NextDue()
	if err != nil {
		return false, fmt.Errorf("due reminders: %w", err)
	}
	return ok && !next.After(now), nil
}

// fireBatch fires the reminders rs (at most remindBatch) in one
// transaction, and when no others are left (rest), the nudges and archives
// due at now that fit in the group; more reports that others are due too.
func (s *Service) fireBatch(ctx context.Context, now time.Time, rs []store.Reminder, rest bool) (res DueResult, more bool, err error) {
	_, err = s.run(ctx, "due reminders", "", func(tx store.Tx, _ time.Time) error {
		res, more = DueResult{}, rest
		for _, r := range rs {
			fired, err := s.remind(tx, r.Incident, now)
			if res.skip(err) {
				continue
			}
			if err != nil {
				return err
			}
			if fired {
				res.Reminded = append(res.Reminded, r.Incident)
			}
		}
		if more {
			return nil
		}
		cutoff := now
		if s.PostmortemReminder > 0 {
			cutoff = now.Add(-s.PostmortemReminder)
		}
		ns, err := tx.PostmortemNudges(cutoff)
		if err != nil {
			return err
		}
		if room := remindBatch - len(rs); len(ns) > room {
			ns, more = ns[:room], true
		}
		for _, n := range ns {
			nudged, err := s.nudge(tx, n, now)
			if res.skip(err) {
				continue
			}
			if err != nil {
				return err
			}
			if nudged {
				res.Nudged = append(res.Nudged, n.Incident)
			}
		}
		if more {
			return nil
		}
		room := remindBatch - len(rs) - len(ns)
		more, err = s.fireArchives(tx, now, room, &res)
		return err
	})
	if err != nil {
		return DueResult{}, false, err
	}
	return res, more, nil
}

// Remind fires the status-update reminder of incident number if it is due
// at now, and reports whether it fired; see DueReminders.
func (s *Service) Remind(ctx context.Context, number uint64, now time.Time) (bool, error) {
	var fired bool
	_, err := s.run(ctx, "remind "+incident.FormatID(number), "", func(tx store.Tx, _ time.Time) error {
		var err error
		fired, err = s.remind(tx, number, now)
		return err
	})
	if err != nil {
		return false, err
	}
	return fired, nil
}

// skipped is a reminder that could not fire because its incident could not
// be read; its reminder was dropped so that it does not block the others.
type skipped struct{ err error }

func (e *skipped) Error() string { return e.err.Error() }
func (e *skipped) Unwrap() error { return e.err }

// skip reports whether err is a *skipped, and adds it to r.Skipped if so.
func (r *DueResult) skip(err error) bool {
	var sk *skipped
	if !errors.As(err, &sk) {
		return false
	}
	r.Skipped = append(r.Skipped, sk.err)
	return true
}

// remind fires incident number's reminder in tx if it is still due at now:
// it re-checks everything, because the schedule was read before this
// transaction or an update may have just moved it.
func (s *Service) remind(tx store.Tx, number uint64, now time.Time) (bool, error) {
	due, ok, err := tx.Reminder(number)
	if err != nil {
		return false, err
	}
	if !ok || due.After(now) {
		return false, nil
	}
	inc, err := tx.Incident(number)
	if err != nil {
		if cerr := tx.ClearReminder(number); cerr != nil {
			return false, cerr
		}
		return false, &skipped{fmt.Errorf("reminder of %s dropped: %w", incident.FormatID(number), err)}
	}
	sev, ok := s.Settings.Severity(inc.Severity)
	if !inc.Open() || !ok || sev.Reminder <= 0 {
		return false, tx.ClearReminder(number)
	}
	since, ev, err := inc.MissUpdate(now)
	if err != nil {
		return false, err
	}
	if ev, err = s.appendEvent(tx, inc, ev); err != nil {
		return false, err
	}
	pl := ReminderPayload{
		Kind: ReminderUpdate, At: now, Since: since, Missed: inc.MissedUpdates, Event: ev.Seq,
		Escalated: inc.MissedUpdates >= escalateCommander,
	}
	// The reminder in the channel and its escalation in the
	// announcement's thread go to different conversations: at once.
	// Both are Background: an update posted meanwhile need not wait for
	// them in a paced backlog (the performer then drops them).
	g := &jobGraph{tx: tx, number: number, background: true}
	if _, err := g.add(JobReminder, pl); err != nil {
		return false, err
	}
	// A private incident's announcement reveals nothing, so its thread
	// hears nothing either.
	if inc.MissedUpdates >= escalateThread && s.AnnounceChannelFor(inc) != "" && !inc.Private {
		pl.Kind = ReminderEscalation
		if _, err := g.add(JobReminder, pl); err != nil {
			return false, err
		}
	}
	if err := tx.PutIncident(inc); err != nil {
		return false, err
	}
	// Keep the cadence of the original schedule, unless the bot was down
	// for longer than an interval: then one reminder now stands for all
	// the missed ones, and the next is a full interval away.
	next := due.Add(sev.Reminder)
	if !next.After(now) {
		next = now.Add(sev.Reminder)
	}
	return true, tx.SetReminder(number, next)
}

// nudge reminds the commander of resolved incident n.Incident to draft the
// postmortem, unless one exists already; the index entry goes either way.
func (s *Service) nudge(tx store.Tx, n store.Nudge, now time.Time) (bool, error) {
	if err := tx.DropPostmortemNudge(n); err != nil {
		return false, err
	}
	if s.PostmortemReminder <= 0 {
		return false, nil
	}
	inc, err := tx.Incident(n.Incident)
	if errors.Is(err, store.ErrNotFound) {
		return false, nil
	}
	if err != nil {
		return false, &skipped{fmt.Errorf("postmortem reminder of %s dropped: %w", incident.FormatID(n.Incident), err)}
	}
	if inc.Open() || !inc.PostmortemAt.IsZero() {
		return false, nil
	}
	return true, enqueue(tx, inc.Number, JobReminder, ReminderPayload{Kind: ReminderPostmortem, At: now, Since: inc.ResolvedAt})
}
