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
	JobPostCard        = "post_card"        // post and pin the live summary card
	JobBookmarkRunbook = "bookmark_runbook" // the service's runbook as a channel bookmark
	JobPostWelcome     = "post_welcome"     // "what to do now"
	JobAnnounce        = "announce"         // the declaration in the announce channel

	// Refreshes re-render a message or the topic from the current state.
	JobRefreshCard         = "refresh_card"         // chat.update the pinned summary card
	JobRefreshAnnouncement = "refresh_announcement" // chat.update the announcement
	// JobPost posts a message about one timeline event (PostPayload).
	JobPost = "post"
)

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

// InvitePayload lists the users an invite job brings into the channel.
type InvitePayload struct {
	Users []string `json:"users"`
}

// pendingJob is a job a use-case is about to enqueue.
type pendingJob struct {
	kind    string
	payload any
}

// enqueue adds a job for incident number, encoding payload (may be nil).
func enqueue(tx store.Tx, number uint64, kind string, payload any) error {
	j := store.Job{Incident: number, Kind: kind}
	if payload != nil {
		raw, err := json.Marshal(payload)
		if err != nil {
			return fmt.Errorf("encode %s job: %w", kind, err)
		}
		j.Payload = raw
	}
	if _, err := tx.Enqueue(j); err != nil {
		return fmt.Errorf("enqueue %s: %w", kind, err)
	}
	return nil
}

// enqueueRefresh re-renders everything that shows the incident's state: the
// card, the topic and (when there is one) the announcement.
func enqueueRefresh(tx store.Tx, inc *incident.Incident) error {
	for _, kind := range []string{JobRefreshCard, JobSetTopic, JobRefreshAnnouncement} {
		if err := enqueue(tx, inc.Number, kind, nil); err != nil {
			return err
		}
	}
	return nil
}

// enqueuePost posts the message template about ev to target.
func enqueuePost(tx store.Tx, number uint64, target, template string, ev incident.Event) error {
	return enqueue(tx, number, JobPost, PostPayload{Target: target, Template: template, Event: ev.Seq})
}
