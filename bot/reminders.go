package bot

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/slack-go/slack"

	"github.com/incidentbot/incidentbot/commands"
	"github.com/incidentbot/incidentbot/incident"
	"github.com/incidentbot/incidentbot/internal/mrkdwn"
	"github.com/incidentbot/incidentbot/outbox"
	"github.com/incidentbot/incidentbot/store"
)

// reminderView is what the reminder templates see: the incident's view
// with Mentions (who the reminder is for: the comms lead, the commander
// when there is none, and, once escalated, the commander too), Quiet (how
// long the incident had gone without an update when the reminder fired;
// for the postmortem nudge, since the resolution), SinceDeclared (no
// update was ever posted) and Missed (the reminders in a row, this one
// included). Every string is already safe mrkdwn.
func (rd *renderer) reminderView(inc *incident.Incident, pl commands.ReminderPayload) incidentView {
	v := rd.view(inc)
	v.Quiet = incident.FormatDuration(pl.At.Sub(pl.Since), incident.DurationClock)
	v.SinceDeclared = pl.Since.Equal(inc.DeclaredAt)
	v.Missed = pl.Missed
	commander := inc.Holder(incident.RoleCommander)
	var who []string
	if comms := inc.Holder(incident.RoleComms); comms != "" {
		who = append(who, comms)
	}
	if commander != "" && (len(who) == 0 || pl.Escalated && commander != who[0]) {
		who = append(who, commander)
	}
	var mentions []string
	for _, u := range who {
		mentions = append(mentions, mention(u))
	}
	v.Mentions = strings.Join(mentions, " ")
	if v.Mentions == "" {
		v.Mentions = "_Nobody holds the comms or commander role_"
	}
	return v
}

// postReminder performs a JobReminder. A status-update reminder (or its
// escalation) whose incident was resolved or got a status update after it
// fired, or a postmortem nudge for an incident whose draft now exists, is
// dropped: it would be stale. (A reminder does not hold up later jobs, so
// an update often overtakes one that waits in a paced backlog.)
func (p *Performer) postReminder(ctx context.Context, job store.Job, inc *incident.Incident) (outbox.Apply, error) {
	var pl commands.ReminderPayload
	if err := json.Unmarshal(job.Payload, &pl); err != nil {
		return nil, outbox.Permanent(fmt.Errorf("decode reminder payload: %w", err))
	}
	v := p.reminderView(inc, pl)
	switch pl.Kind {
	case commands.ReminderUpdate:
		if !inc.Open() || updatedSince(inc, pl) {
			return nil, nil
		}
		text, err := p.render("reminder.tmpl", v)
		if err != nil {
			return nil, outbox.Permanent(err)
		}
		_, err = p.postOnceJSON(ctx, job, inc.ChannelID, "", mrkdwn.Truncate(text, maxMessageText), reminderBlocks(inc.ID(), text))
		return nil, err
	case commands.ReminderEscalation:
		channel, thread := p.cfg.announceChannelFor(inc), inc.AnnounceTS
		if !inc.Open() || updatedSince(inc, pl) || channel == "" || thread == "" {
			return nil, nil
		}
		text, err := p.render("reminder_escalation.tmpl", v)
		if err != nil {
			return nil, outbox.Permanent(err)
		}
		_, err = p.postOnceJSON(ctx, job, channel, thread, mrkdwn.Truncate(text, maxMessageText), sectionOnly("reminder", text))
		return nil, err
	case commands.ReminderPostmortem:
		if inc.Open() || !inc.PostmortemAt.IsZero() {
			return nil, nil
		}
		text, err := p.render("postmortem_nudge.tmpl", v)
		if err != nil {
			return nil, outbox.Permanent(err)
		}
		_, err = p.postOnceJSON(ctx, job, inc.ChannelID, "", mrkdwn.Truncate(text, maxMessageText), sectionOnly("postmortem-reminder", text))
		return nil, err
	default:
		return nil, outbox.Permanent(fmt.Errorf("unknown reminder kind %q", pl.Kind))
	}
}

// updatedSince reports whether inc got a status update after the reminder
// pl fired: pl.Since is the last update it knew of (or the declaration).
func updatedSince(inc *incident.Incident, pl commands.ReminderPayload) bool {
	return !pl.Since.IsZero() && inc.LastUpdateAt.After(pl.Since)
}

// reminderBlocks appends the reminder's blocks (docs/contract.md): its
// text, and buttons: `update` opens the update form (its value is the
// incident's ID), and `snooze` buttons carry a duration. Block Kit wants an
// action_id unique within its block, so each snooze button sits in a block
// of its own (the first shares the row with `update`). They are written as
// JSON (postBody): a burst of reminders spent more on encoding Block Kit
// structs than on anything else of its own.
func reminderBlocks(id, text string) func([]byte) []byte {
	return func(dst []byte) []byte {
		dst = append(dst, '[')
		dst = appendSection(dst, "reminder", text)
		for i, d := range commands.SnoozeChoices {
			value := incident.FormatDuration(d, incident.DurationValue)
			dst = append(dst, `,{"type":"actions","block_id":`...)
			if i == 0 {
				dst = appendJSONString(dst, "reminder-actions")
				dst = append(dst, `,"elements":[`...)
				dst = appendButton(dst, actionUpdate, id, "Post status update", string(slack.StylePrimary))
				dst = append(dst, ',')
			} else {
				dst = appendJSONString(dst, "reminder-snooze-"+value)
				dst = append(dst, `,"elements":[`...)
			}
			dst = appendButton(dst, actionSnooze, value, "Snooze "+value, "")
			dst = append(dst, "]}"...)
		}
		return append(dst, ']')
	}
}

// sectionOnly appends a message's one block: a section of text.
func sectionOnly(blockID, text string) func([]byte) []byte {
	return func(dst []byte) []byte {
		return append(appendSection(append(dst, '['), blockID, text), ']')
	}
}

// snoozeClicked handles a reminder's `snooze` button: the next reminder is
// pushed back by the button's duration. The click is keyed by message,
// action_ts and user, so a click delivered twice snoozes once.
func (ix *interactions) snoozeClicked(ctx context.Context, cb slack.InteractionCallback, action *slack.BlockAction) (any, func(context.Context)) {
	channel, user := clickOrigin(cb)
	if err := ix.stillMemberIn(ctx, channel, user); err != nil {
		return nil, ix.clickFailed(cb, "snooze", err)
	}
	res, err := ix.cmds.Snooze(ctx, commands.SnoozeInput{
		Channel:        channel,
		For:            action.Value,
		By:             user,
		IdempotencyKey: clickKey(cb, action),
	})
	if err != nil {
		return nil, ix.clickFailed(cb, "snooze", err)
	}
	if res.Duplicate {
		return nil, nil
	}
	inc := res.Incident
	ix.log.Info().Str("incident", inc.ID()).Str("user", user).Time("next", res.Due).Msg("reminder snoozed")
	msg := fmt.Sprintf(":zzz: Snoozed. The next status-update reminder for *%s* comes %s, unless an update is posted first.", inc.ID(), slackDate(res.Due))
	return nil, func(ctx context.Context) { ix.answerClick(ctx, cb, channel, msg) }
}

// clickOrigin is the channel and user of a click on a message's button or
// menu (the channel is in the container when Slack leaves it out).
func clickOrigin(cb slack.InteractionCallback) (channel, user string) {
	channel = cb.Channel.ID
	if channel == "" {
		channel = cb.Container.ChannelID
	}
	return channel, cb.User.ID
}

// clickKey identifies one click across redeliveries: interactions carry no
// delivery ID, but message ts, action_ts and user are one click.
func clickKey(cb slack.InteractionCallback, action *slack.BlockAction) string {
	return cb.Container.MessageTs + ":" + action.ActionTs + ":" + cb.User.ID
}

// clickFailed logs an internal failure of what the click asked for and
// returns the after-ack work that tells the clicker what went wrong.
func (rp *replier) clickFailed(cb slack.InteractionCallback, what string, err error) func(context.Context) {
	channel, user := clickOrigin(cb)
	if incident.ErrorCode(err) == incident.EINTERNAL {
		rp.log.Error().Err(err).Str("channel", channel).Str("user", user).Msg(what + " failed")
	}
	msg := mrkdwn.Neutralize(incident.ErrorMessage(err))
	return func(ctx context.Context) { rp.answerClick(ctx, cb, channel, msg) }
}

// answerClick shows text to the user who clicked, through the
// interaction's response_url (chat.postEphemeral refuses users who are
// not members of the channel, and anyone may click in a public channel).
func (rp *replier) answerClick(ctx context.Context, cb slack.InteractionCallback, channel, text string) {
	if cb.ResponseURL == "" {
		rp.tell(ctx, channel, cb.User.ID, text)
		return
	}
	rp.respond(ctx, cb.ResponseURL, text)
}
