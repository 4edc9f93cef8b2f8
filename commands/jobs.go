package commands

import (
	"encoding/json"
	"fmt"

	"github.com/incidentbot/incidentbot/incident"
	"github.com/incidentbot/incidentbot/store"
)

// Outbox job kinds. A job names what to do; its performer reads the
// incident's current state when it runs, so a message rendered late shows
// the latest state rather than the state at enqueue time.
const (
	JobCreateChannel   = "create_channel"   // create the incident channel (adopting our own after a crash)
	JobSetTopic        = "set_topic"        // severity · status · commander
	JobSetPurpose      = "set_purpose"      // the title
	JobInvite          = "invite"           // InvitePayload
	JobPostCard        = "post_card"        // post (and, without PostCardPayload.PinJob, pin) the live summary card
	JobPinCard         = "pin_card"         // pin the card a post_card job posted
	JobBookmarkRunbook = "bookmark_runbook" // the service's runbook as a channel bookmark
	JobPostWelcome     = "post_welcome"     // "what to do now"
	JobAnnounce        = "announce"         // the declaration in the announce channel

	// Refreshes re-render a message or the topic from the current state.
	JobRefreshCard         = "refresh_card"         // chat.update the pinned summary card
	JobRefreshAnnouncement = "refresh_announcement" // chat.update the announcement
	// JobPost posts a message about one timeline event (PostPayload).
	JobPost = "post"
)

// Background reports whether jobs of kind are background work: messages
// nobody is waiting to see at once (reminders, with their escalations and
// postmortem nudges; the weekly stats; the auto-archive notice). While
// Slack's workspace limit binds, a declaration's and an update's messages
// go ahead of them.
func Background(kind string) bool {
	switch kind {
	case JobReminder, JobPostStats, JobArchiveWaiting:
		return true
	}
	return false
}

// Where a JobPost message goes.
const (
	TargetChannel = "channel" // the incident channel
	TargetThread  = "thread"  // the announcement's thread (skipped when there is none)
)

// PostPayload says what a JobPost renders: Template (a file in templates/)
// executed with the incident and timeline event Event, posted to Target.
type PostPayload struct {
	Target   string `json:"target"`
	Template string `json:"template"`
	Event    uint64 `json:"event"`
	// Update is what a JobPostUpdate shows, taken as the update was
	// recorded. Jobs queued before it existed have none; the performer
	// then replays the timeline up to Event.
	Update *UpdateSnapshot `json:"update,omitempty"`
}

// PostCardPayload says whether a JobPostCard leaves the pin to a
// JobPinCard of its own (so the first steps need not wait for the pin).
// Jobs queued before the pin had its own job have none, and pin.
type PostCardPayload struct {
	PinJob bool `json:"pin_job,omitempty"`
}

// InvitePayload lists the users an invite job brings into the channel.
type InvitePayload struct {
	Users []string `json:"users"`
}

// enqueue adds a job for incident number, encoding payload (may be nil).
func enqueue(tx store.Tx, number uint64, kind string, payload any) error {
	_, err := enqueueJob(tx, store.Job{Incident: number, Kind: kind}, payload)
	return err
}

func enqueueJob(tx store.Tx, j store.Job, payload any) (uint64, error) {
	if payload != nil {
		raw, err := json.Marshal(payload)
		if err != nil {
			return 0, fmt.Errorf("encode %s job: %w", j.Kind, err)
		}
		j.Payload = raw
	}
	j, err := tx.Enqueue(j)
	if err != nil {
		return 0, fmt.Errorf("enqueue %s: %w", j.Kind, err)
	}
	return j.ID, nil
}

// jobGraph enqueues one transaction's Slack jobs for an incident as a
// graph: each job waits for the incident's jobs of earlier transactions
// (so an edit never overtakes the post it edits, and two edits of one
// message apply in order) and, of this transaction's, only for the jobs
// it names. The first job roots the batch.
type jobGraph struct {
	tx     store.Tx
	number uint64
	first  uint64
	// background marks the jobs store.Job.Background: later jobs of the
	// incident need not wait for them.
	background bool
}

// add enqueues a job that starts once the jobs after (IDs add returned)
// are done.
func (g *jobGraph) add(kind string, payload any, after ...uint64) (uint64, error) {
	j := store.Job{Incident: g.number, Kind: kind, Batch: g.first, Background: g.background}
	if g.first != 0 {
		j.After = after
	}
	id, err := enqueueJob(g.tx, j, payload)
	if err == nil && g.first == 0 {
		g.first = id
	}
	return id, err
}

// enqueueRefreshIn adds the refreshes to g: each edits its own message
// (or the topic), so none waits for another.
func enqueueRefreshIn(g *jobGraph) error {
	for _, kind := range []string{JobRefreshCard, JobSetTopic, JobRefreshAnnouncement} {
		if _, err := g.add(kind, nil); err != nil {
			return err
		}
	}
	return nil
}

// enqueuePost posts the message template about ev to target.
func enqueuePost(tx store.Tx, number uint64, target, template string, ev incident.Event) error {
	return enqueue(tx, number, JobPost, PostPayload{Target: target, Template: template, Event: ev.Seq})
}

// addPost is enqueuePost in a job graph, after the jobs named.
func addPost(g *jobGraph, target, template string, ev incident.Event, after ...uint64) (uint64, error) {
	return g.add(JobPost, PostPayload{Target: target, Template: template, Event: ev.Seq}, after...)
}
