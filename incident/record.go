package incident

import (
	"fmt"
	"strings"
	"time"
)

// What the timeline records besides the lifecycle: reminders and snoozes,
// notes, captured messages, action items, postmortem drafts and the
// channel's archiving.

// MaxTimelineText bounds the text kept from one note or captured message;
// the rest is cut with an ellipsis.
const MaxTimelineText = 4000

// ClipText keeps at most MaxTimelineText runes of s, the rest cut with an
// ellipsis: what the timeline keeps of a text.
func ClipText(s string) string {
	r := []rune(s)
	if len(r) <= MaxTimelineText {
		return s
	}
	return string(r[:MaxTimelineText-1]) + "…"
}

// MissUpdate records that a status-update reminder fired at now: one more
// reminder in a row without an update. since is when the quiet began (the
// last update, else the declaration). A resolved incident has no
// reminders (ECONFLICT).
func (i *Incident) MissUpdate(now time.Time) (since time.Time, ev Event, err error) {
	if !i.Open() {
		return time.Time{}, Event{}, Errorf(ECONFLICT, "%s is resolved, so no status update is due.", i.ID())
	}
	since = i.LastUpdateAt
	if since.IsZero() {
		since = i.DeclaredAt
	}
	i.MissedUpdates++
	return since, Event{
		At: now, Kind: EventReminder,
		Text: fmt.Sprintf("No status update for %s; reminder %d in a row.", FormatDuration(now.Sub(since), DurationShort), i.MissedUpdates),
	}, nil
}

// Snooze pushes the next status-update reminder back by d: from when it is
// due, or from now when it is overdue. scheduled says whether one is due
// at all. The promised next update moves with it, so that everything shows
// the same time. A resolved incident, or one with no reminder, has nothing
// to snooze (ECONFLICT).
func (i *Incident) Snooze(d time.Duration, due time.Time, scheduled bool, by string, now time.Time) (next time.Time, ev Event, err error) {
	switch {
	case !i.Open():
		return time.Time{}, Event{}, Errorf(ECONFLICT, "%s is resolved, so there are no reminders left to snooze.", i.ID())
	case !scheduled:
		return time.Time{}, Event{}, Errorf(ECONFLICT, "%s has no status-update reminder scheduled (its severity, %s, has none), so there is nothing to snooze.", i.ID(), i.Severity)
	}
	if due.Before(now) {
		due = now
	}
	i.NextUpdateAt = due.Add(d)
	spelled := FormatDuration(d, DurationShort)
	return i.NextUpdateAt, Event{
		At: now, Kind: EventSnoozed, Actor: by, To: spelled,
		Text: "Status-update reminder snoozed for " + spelled + ".",
	}, nil
}

// Note is a note by by, open or resolved (notes feed the postmortem).
func (i *Incident) Note(text, by string, now time.Time) (Event, error) {
	text = strings.TrimSpace(text)
	if text == "" {
		return Event{}, Errorf(EINVALID, "a note needs some text")
	}
	return Event{At: now, Kind: EventNote, Actor: by, Text: ClipText(text)}, nil
}

// CapturedMessage is a message of the incident's channel, as chat has it.
type CapturedMessage struct {
	// At is when it was posted: the event keeps that time.
	At           time.Time
	Author, Text string
	Link         string
}

// Capture is the timeline's copy of m, with its own time, author and link.
func (i *Incident) Capture(m CapturedMessage) Event {
	return Event{At: m.At.UTC(), Kind: EventMessagePinned, Actor: m.Author, Text: ClipText(strings.TrimSpace(m.Text)), Link: m.Link}
}

// AddAction records a follow-up, open or resolved (follow-ups often come
// after resolution). owner may be "": nobody owns it yet.
func (i *Incident) AddAction(text, owner, by string, now time.Time) (ActionItem, Event, error) {
	if strings.TrimSpace(text) == "" || by == "" {
		return ActionItem{}, Event{}, Errorf(EINVALID, "an action item needs a description and the user who records it")
	}
	item := ActionItem{Text: text, Owner: owner, CreatedBy: by, CreatedAt: now}
	i.Actions = append(i.Actions, item)
	return item, Event{At: now, Kind: EventAction, Actor: by, Text: text, To: owner}, nil
}

// RecordPostmortem notes that a postmortem draft was asked for at now.
func (i *Incident) RecordPostmortem(by string, now time.Time) Event {
	i.PostmortemAt = now
	return Event{At: now, Kind: EventPostmortem, Actor: by}
}

// WaitForArchive marks the incident's archive as due but waiting for a
// postmortem draft or the commander's confirmation.
func (i *Incident) WaitForArchive() { i.ArchiveWaiting = true }

// Archive records the decision to archive the channel at now. by is the
// commander who confirmed, "" when the postmortem draft sufficed. Only a
// resolved incident whose channel is not archived yet can be (ECONFLICT).
func (i *Incident) Archive(by string, now time.Time) (Event, error) {
	if i.Open() || !i.ArchivedAt.IsZero() {
		return Event{}, Errorf(ECONFLICT, "%s's channel cannot be archived: it is open or archived already.", i.ID())
	}
	i.ArchivedAt, i.ArchiveWaiting = now, false
	why := "its postmortem is drafted"
	if by != "" {
		why = "the commander chose to archive it without a postmortem"
	}
	return Event{
		At: now, Kind: EventArchived, Actor: by,
		Text: fmt.Sprintf("Resolved %s ago and %s; channel archived.", FormatDuration(now.Sub(i.ResolvedAt), DurationAge), why),
	}, nil
}
