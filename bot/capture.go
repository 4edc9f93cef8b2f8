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
	"github.com/incidentbot/incidentbot/outbox"
	"github.com/incidentbot/incidentbot/store"
)

// captureReaction is the reaction that puts a message on the timeline.
const captureReaction = "pushpin"

// reactionAdded records a 📌 on a message of an incident channel as a
// capture job, before the ack (see RequestCapture); 📌 elsewhere is someone
// else's business and is ignored without writing anything.
func (e *eventHandler) reactionAdded(ctx context.Context, eventID string, ev *slackevents.ReactionAddedEvent) {
	if ev.Reaction != captureReaction || ev.Item.Type != "message" || ev.Item.Channel == "" || ev.Item.Timestamp == "" {
		return
	}
	req := commands.CaptureRequest{CapturePayload: commands.CapturePayload{
		Channel: ev.Item.Channel, TS: ev.Item.Timestamp, By: ev.User, Author: ev.ItemUser,
	}}
	if eventID != "" {
		req.DeliveryKey = "event:" + eventID
	}
	log := e.log.With().Str("channel", ev.Item.Channel).Str("user", ev.User).Str("ts", ev.Item.Timestamp).Logger()
	res, err := e.cmds.RequestCapture(ctx, req)
	switch {
	case incident.ErrorCode(err) == incident.EINVALID:
	case err != nil:
		log.Error().Err(err).Msg("record 📌 capture")
	case res.Redelivered:
		log.Debug().Str("event", eventID).Msg("duplicate event ignored")
	default:
		log.Info().Str("incident", res.Incident.ID()).Msg("📌 capture recorded")
	}
}

// addToTimeline handles the "Add to timeline" message shortcut: it records
// the capture before the ack; the capture job tells the user how it went.
func (ix *interactions) addToTimeline(ctx context.Context, cb slack.InteractionCallback) (any, func(context.Context)) {
	ts := cb.Message.Timestamp
	if ts == "" {
		ts = cb.MessageTs
	}
	req := commands.CaptureRequest{CapturePayload: commands.CapturePayload{
		Channel: cb.Channel.ID, TS: ts, By: cb.User.ID,
		Author: cb.Message.User, Text: cb.Message.Text, ResponseURL: cb.ResponseURL,
	}}
	if req.Author == "" {
		req.Author = cb.Message.BotID
	}
	if cb.TriggerID != "" {
		req.DeliveryKey = "capture-delivery:shortcut:" + cb.TriggerID
	}
	res, err := commands.CaptureRequestResult{}, ix.stillMemberIn(ctx, req.Channel, req.By)
	if err == nil {
		res, err = ix.cmds.RequestCapture(ctx, req)
	}
	switch {
	case err != nil:
		if incident.ErrorCode(err) == incident.EINTERNAL {
			ix.log.Error().Err(err).Str("channel", req.Channel).Str("ts", ts).Msg("add to timeline")
		}
		return nil, func(ctx context.Context) {
			ix.answerInteraction(ctx, cb, mrkdwn.Neutralize(incident.ErrorMessage(err)))
		}
	case res.Redelivered:
		// The first delivery's job answers the user; a redelivery says nothing.
		ix.log.Debug().Str("channel", req.Channel).Str("ts", ts).Msg("redelivered shortcut ignored")
	}
	return nil, nil
}

// capture performs a capture job: it reads the message from Slack and puts
// it on the timeline in the transaction that completes the job, with a job
// to mark it (a react job) and one to answer the shortcut's user (an
// answer job): answered here, before that commit, a user would be answered
// again by each run of a job cut short between the two. Jobs of one
// incident run one at a time, so "already on the timeline" read here still
// holds when the result is stored; ApplyCapture checks again regardless.
func (p *Performer) capture(ctx context.Context, job store.Job, inc *incident.Incident) (outbox.Apply, error) {
	var pl commands.CapturePayload
	if err := json.Unmarshal(job.Payload, &pl); err != nil {
		return nil, outbox.Permanent(fmt.Errorf("decode capture payload: %w", err))
	}
	log := p.log.With().Str("incident", inc.ID()).Str("user", pl.By).Str("ts", pl.TS).Logger()
	self, err := p.self.get(ctx, p.api)
	if err != nil {
		return nil, classify(err)
	}
	if pl.By == self {
		return nil, nil // the bot's own 📌 is no one's request
	}
	done, err := p.cmds.Captured(pl.Channel, pl.TS)
	if err != nil {
		return nil, err
	}
	if done {
		log.Debug().Msg("message already on the timeline")
		return func(tx store.Tx) error {
			return commands.EnqueueAnswer(tx, inc.Number, commands.AnswerPayload{ResponseURL: pl.ResponseURL, Text: alreadyCaptured(inc)})
		}, nil
	}
	in := commands.CaptureInput{Channel: pl.Channel, TS: pl.TS, At: messageTime(pl.TS), Author: pl.Author, Text: pl.Text}
	msg, err := p.fetchMessage(ctx, pl.Channel, pl.TS)
	if err != nil {
		if err := classify(err); !outbox.IsPermanent(err) {
			return nil, err // rate limited, Slack down: the outbox retries
		}
		// The capture still counts: the timeline keeps the time, the
		// author and the link even when the text cannot be read.
		log.Warn().Err(err).Msg("read captured message")
	} else {
		in.Text = msg.Text
		if msg.User != "" {
			in.Author = msg.User
		} else if msg.BotID != "" && in.Author == "" {
			in.Author = msg.BotID
		}
	}
	link, err := p.api.GetPermalinkContext(ctx, &slack.PermalinkParameters{Channel: pl.Channel, Ts: pl.TS})
	if err != nil {
		if err := classify(err); !outbox.IsPermanent(err) {
			return nil, err
		}
		log.Warn().Err(err).Msg("chat.getPermalink")
	}
	in.Link = link
	log.Info().Msg("adding the message to the timeline")
	return func(tx store.Tx) error {
		res, err := p.cmds.ApplyCapture(tx, in)
		if err != nil {
			return err
		}
		text := fmt.Sprintf(":memo: Added to %s's timeline, at the time it was posted (%s).", inc.ID(), slackDate(in.At.UTC()))
		if res.Duplicate {
			text = alreadyCaptured(inc)
		}
		return commands.EnqueueAnswer(tx, inc.Number, commands.AnswerPayload{ResponseURL: pl.ResponseURL, Text: text})
	}, nil
}

func alreadyCaptured(inc *incident.Incident) string {
	return fmt.Sprintf("That message is already on %s's timeline.", inc.ID())
}

// answer performs an answer job: it tells the user of a shortcut, or of
// stats the bot could not post in the channel, how it went; inc is nil
// for the stats, which belong to no incident. The answer is sent at most
// once (commands.StartAnswer): a run that follows one cut short after the
// post would otherwise say it twice.
// Like every answer after an ack it is retried for a while, then given up
// with a log line: the work it reports is recorded either way.
func (p *Performer) answer(ctx context.Context, job store.Job, inc *incident.Incident) (outbox.Apply, error) {
	var pl commands.AnswerPayload
	if err := json.Unmarshal(job.Payload, &pl); err != nil {
		return nil, outbox.Permanent(fmt.Errorf("decode answer payload: %w", err))
	}
	first, err := p.cmds.StartAnswer(ctx, job.ID)
	if err != nil {
		return nil, err
	}
	if !first {
		log := p.log.Info().Uint64("job", job.ID)
		if inc != nil {
			log = log.Str("incident", inc.ID())
		}
		log.Msg("an earlier run of this answer may have sent it before it was cut short; not sending it twice")
		return nil, nil
	}
	p.respond(ctx, pl.ResponseURL, pl.Text)
	return nil, nil
}

// fetchMessage reads one message of a channel by its ts: a top-level
// message from the history, a thread reply from its thread. A message that
// is not there is a permanent error.
func (p *Performer) fetchMessage(ctx context.Context, channel, ts string) (slack.Message, error) {
	hist, err := p.api.GetConversationHistoryContext(ctx, &slack.GetConversationHistoryParameters{
		ChannelID: channel, Latest: ts, Oldest: ts, Inclusive: true, Limit: 1,
	})
	if err != nil {
		return slack.Message{}, fmt.Errorf("conversations.history: %w", err)
	}
	for _, m := range hist.Messages {
		if m.Timestamp == ts {
			return m, nil
		}
	}
	// Not in the history: a reply, which only its thread lists. Slack puts
	// the thread's parent first on the first page whatever the time range,
	// so a page of two holds the parent and the reply.
	replies, _, _, err := p.api.GetConversationRepliesContext(ctx, &slack.GetConversationRepliesParameters{
		ChannelID: channel, Timestamp: ts, Latest: ts, Oldest: ts, Inclusive: true, Limit: 2,
	})
	if err != nil {
		return slack.Message{}, fmt.Errorf("conversations.replies: %w", err)
	}
	for _, m := range replies {
		if m.Timestamp == ts {
			return m, nil
		}
	}
	return slack.Message{}, outbox.Permanent(fmt.Errorf("message %s not found in %s", ts, channel))
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
func (p *Performer) markCaptured(ctx context.Context, job store.Job, inc *incident.Incident) (outbox.Apply, error) {
	var pl commands.ReactPayload
	if err := json.Unmarshal(job.Payload, &pl); err != nil {
		return nil, outbox.Permanent(fmt.Errorf("decode react payload: %w", err))
	}
	err := p.api.AddReactionContext(ctx, pl.Name, slack.ItemRef{Channel: inc.ChannelID, Timestamp: pl.TS})
	if err != nil && reactionGone[slackCode(err)] {
		return nil, nil
	}
	return nil, classify(err)
}
