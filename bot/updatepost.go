package bot

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/incidentbot/incidentbot/commands"
	"github.com/incidentbot/incidentbot/incident"
	"github.com/incidentbot/incidentbot/internal/mrkdwn"
	"github.com/incidentbot/incidentbot/outbox"
	"github.com/incidentbot/incidentbot/store"
)

// This file is the update job: the status update as the channel and the
// announcement's thread read it, with the severity and status of its moment.

// updateView is what update.tmpl sees of one update, besides the incident:
// the severity and status as they were when it was posted (a later update
// may have changed them before this one's message went out).
type updateView struct {
	// Final is true for the update that resolved the incident.
	Final                             bool
	Severity, SeverityMeaning, Status string
	Text, NextSteps                   string
	// NextUpdate is a Slack date, "" when no next update was promised.
	NextUpdate string
	// Elapsed is the time from the incident's start to this update.
	Elapsed, Actor, At string
}

// postUpdate posts the structured status update about one timeline event
// (an update or a resolution) to the incident channel or the
// announcement's thread, from the update and state its job carries.
func (p *Performer) postUpdate(ctx context.Context, job store.Job, inc *incident.Incident) (outbox.Apply, error) {
	var pl commands.PostPayload
	if err := json.Unmarshal(job.Payload, &pl); err != nil {
		return nil, outbox.Permanent(fmt.Errorf("decode update payload: %w", err))
	}
	var uv updateView
	if snap := pl.Update; snap != nil {
		uv = p.updateViewOf(inc, incident.State{Severity: snap.Severity, Status: snap.Status}, snap.Event)
	} else {
		// Queued by a version whose jobs did not carry the update.
		events, err := p.cmds.Timeline(inc.Number)
		if err != nil {
			return nil, err
		}
		var ok bool
		if uv, ok = p.updateAsOf(inc, events, pl.Event); !ok {
			return nil, outbox.Permanent(fmt.Errorf("%s has no timeline event %d", inc.ID(), pl.Event))
		}
	}
	data := p.view(inc)
	data.Update = &uv
	text, channel, thread, ok, err := p.renderPost(inc, pl, data)
	if err != nil || !ok {
		return nil, err
	}
	_, err = p.postOnce(ctx, job, channel, thread, mrkdwn.Truncate(text, maxMessageText), section("update", text))
	return nil, err
}

// updateAsOf replays the timeline up to event seq to tell the severity and
// status the incident had then, and describes that event as an update.
func (rd *renderer) updateAsOf(inc *incident.Incident, events []incident.Event, seq uint64) (updateView, bool) {
	st, ev, ok := inc.StateAt(events, seq)
	if !ok {
		return updateView{}, false
	}
	return rd.updateViewOf(inc, st, ev), true
}

// updateViewOf describes event ev as an update, with the severity and
// status st the incident had just after it.
func (rd *renderer) updateViewOf(inc *incident.Incident, st incident.State, ev incident.Event) updateView {
	severity, status := st.Severity, st.Status
	sev, _ := rd.cfg.Settings.Severity(severity)
	uv := updateView{
		Final:           ev.Kind == incident.EventResolved || status == incident.Resolved,
		Severity:        safe(severity, 40),
		SeverityMeaning: safe(sev.Description, 200),
		Status:          status.Label(),
		Text:            safe(ev.Text, 2000),
		NextSteps:       safe(ev.NextSteps, 1000),
		Elapsed:         incident.FormatDuration(ev.At.Sub(inc.StartedAt), incident.DurationClock),
		Actor:           holderOrNobody(ev.Actor),
		At:              slackDate(ev.At),
	}
	if !ev.NextUpdate.IsZero() && !uv.Final {
		uv.NextUpdate = slackTimeOfDay(ev.NextUpdate)
	}
	return uv
}
