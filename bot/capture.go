package bot

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/slack-go/slack"
	"github.com/slack-go/slack/slackevents"

	"github.com/incidentbot/incidentbot/commands"
	"github.com/incidentbot/incidentbot/incident"
	"github.com/incidentbot/incidentbot/internal/mrkdwn"
	"github.com/incidentbot/incidentbot/internal/outbox"
	"github.com/incidentbot/incidentbot/store"
)

// captureReaction is the reaction that puts a message on the timeline.
const captureReaction = "pushpin"

// reactionAdded captures 📌-reacted messages of incident channels onto the
// timeline. 📌 elsewhere is someone else's business and is ignored quietly.
func (b *Bot) reactionAdded(ctx context.Context, ev *slackevents.ReactionAddedEvent) {
	if ev.Reaction != captureReaction || ev.Item.Type != "message" || ev.Item.Channel == "" || ev.Item.Timestamp == "" {
		return
	}
	if self, err := b.selfID(ctx); err == nil && ev.User == self {
		return
	}
	// Read the store before calling Slack: most pins are not in incident
	// channels.
	inc, err := b.opt.Commands.IncidentInChannel(ev.Item.Channel)
	if err != nil {
		if incident.ErrorCode(err) == incident.EINTERNAL {
			b.log.Error().Err(err).Str("channel", ev.Item.Channel).Msg("look up incident channel")
		}
		return
	}
	log := b.log.With().Str("incident", inc.ID()).Str("user", ev.User).Str("ts", ev.Item.Timestamp).Logger()
	in := commands.CaptureInput{Channel: ev.Item.Channel, TS: ev.Item.Timestamp, At: messageTime(ev.Item.Timestamp), Author: ev.ItemUser}
	msg, err := b.fetchMessage(ctx, ev.Item.Channel, ev.Item.Timestamp)
	if err != nil {
		// The pin still counts: the timeline keeps the time, the author
		// and the link even when the text cannot be read.
		log.Warn().Err(err).Msg("read pinned message")
	} else {
		in.Text = msg.Text
		if msg.User != "" {
			in.Author = msg.User
		}
	}
	in.Link = b.messageLink(ctx, ev.Item.Channel, ev.Item.Timestamp)
	res, err := b.opt.Commands.CaptureMessage(ctx, in)
	switch {
	case err != nil:
		log.Error().Err(err).Msg("capture pinned message")
	case res.Duplicate:
		log.Debug().Msg("pinned message already on the timeline")
	default:
		log.Info().Uint64("event", res.Event.Seq).Msg("pinned message added to the timeline")
	}
}

// addToTimeline handles the "Add to timeline" message shortcut: it puts the
// message on its incident's timeline and tells the user how that went.
func (b *Bot) addToTimeline(ctx context.Context, cb slack.InteractionCallback) (any, func(context.Context)) {
	return nil, func(ctx context.Context) {
		ts := cb.Message.Timestamp
		if ts == "" {
			ts = cb.MessageTs
		}
		in := commands.CaptureInput{
			Channel: cb.Channel.ID, TS: ts, At: messageTime(ts),
			Author: cb.Message.User, Text: cb.Message.Text,
			IdempotencyKey: "shortcut:" + cb.TriggerID,
		}
		if in.Author == "" {
			in.Author = cb.Message.BotID
		}
		if _, err := b.opt.Commands.IncidentInChannel(in.Channel); err == nil {
			in.Link = b.messageLink(ctx, in.Channel, ts)
		}
		res, err := b.opt.Commands.CaptureMessage(ctx, in)
		switch {
		case err != nil:
			if incident.ErrorCode(err) == incident.EINTERNAL {
				b.log.Error().Err(err).Str("channel", in.Channel).Str("ts", ts).Msg("add to timeline")
			}
			b.answerInteraction(ctx, cb, mrkdwn.Neutralize(incident.ErrorMessage(err)))
		case res.Redelivered:
			// The first delivery answered the user; a redelivery says nothing.
			b.log.Debug().Str("channel", in.Channel).Str("ts", ts).Msg("redelivered shortcut ignored")
		case res.Duplicate:
			b.answerInteraction(ctx, cb, fmt.Sprintf("That message is already on %s's timeline.", res.Incident.ID()))
		default:
			b.log.Info().Str("incident", res.Incident.ID()).Str("user", cb.User.ID).Uint64("event", res.Event.Seq).Msg("message added to the timeline")
			b.answerInteraction(ctx, cb, fmt.Sprintf(":memo: Added to %s's timeline, at the time it was posted (%s).", res.Incident.ID(), slackDate(res.Event.At)))
		}
	}
}

// fetchMessage reads one message of a channel by its ts: a top-level
// message from the history, a thread reply from its thread.
func (b *Bot) fetchMessage(ctx context.Context, channel, ts string) (slack.Message, error) {
	var hist *slack.GetConversationHistoryResponse
	err := b.retry(ctx, func() error {
		var err error
		hist, err = b.api.GetConversationHistoryContext(ctx, &slack.GetConversationHistoryParameters{
			ChannelID: channel, Latest: ts, Oldest: ts, Inclusive: true, Limit: 1,
		})
		return err
	})
	if err != nil {
		return slack.Message{}, fmt.Errorf("conversations.history: %w", err)
	}
	for _, m := range hist.Messages {
		if m.Timestamp == ts {
			return m, nil
		}
	}
	// Not in the history: a reply, which only its thread lists.
	var replies []slack.Message
	err = b.retry(ctx, func() error {
		var err error
		replies, _, _, err = b.api.GetConversationRepliesContext(ctx, &slack.GetConversationRepliesParameters{
			ChannelID: channel, Timestamp: ts, Latest: ts, Oldest: ts, Inclusive: true, Limit: 1,
		})
		return err
	})
	if err != nil {
		return slack.Message{}, fmt.Errorf("conversations.replies: %w", err)
	}
	for _, m := range replies {
		if m.Timestamp == ts {
			return m, nil
		}
	}
	return slack.Message{}, fmt.Errorf("message %s not found in %s", ts, channel)
}

// messageLink is the message's link, or "" when Slack will not give one
// (the timeline entry is still worth having).
func (b *Bot) messageLink(ctx context.Context, channel, ts string) string {
	var link string
	err := b.retry(ctx, func() error {
		var err error
		link, err = b.api.GetPermalinkContext(ctx, &slack.PermalinkParameters{Channel: channel, Ts: ts})
		return err
	})
	if err != nil {
		b.log.Warn().Err(err).Str("channel", channel).Str("ts", ts).Msg("chat.getPermalink")
		return ""
	}
	return link
}

// messageTime reads a message ts ("1700000000.000100") as the time it was
// posted; zero when it is not one.
func messageTime(ts string) time.Time {
	secs, frac, _ := strings.Cut(ts, ".")
	s, err := strconv.ParseInt(secs, 10, 64)
	if err != nil || len(frac) > 6 || strings.Trim(frac, "0123456789") != "" {
		return time.Time{}
	}
	us, _ := strconv.ParseInt(frac+strings.Repeat("0", 6-len(frac)), 10, 64)
	return time.Unix(s, us*1000).UTC()
}

// reactionGone are reactions.add errors that leave nothing to do: the mark
// is there already, or the message is gone.
var reactionGone = map[string]bool{"already_reacted": true, "message_not_found": true, "no_item_specified": true}

// markCaptured marks a captured message with a reaction.
func (b *Bot) markCaptured(ctx context.Context, job store.Job, inc *incident.Incident) (outbox.Apply, error) {
	var pl commands.ReactPayload
	if err := json.Unmarshal(job.Payload, &pl); err != nil {
		return nil, outbox.Permanent(fmt.Errorf("decode react payload: %w", err))
	}
	err := b.api.AddReactionContext(ctx, pl.Name, slack.ItemRef{Channel: inc.ChannelID, Timestamp: pl.TS})
	if err != nil && reactionGone[slackCode(err)] {
		return nil, nil
	}
	return nil, classify(err)
}
