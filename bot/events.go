package bot

import (
	"context"
	"time"

	"github.com/slack-go/slack/slackevents"
	"github.com/slack-go/slack/socketmode"

	"github.com/incidentbot/incidentbot/store"
)

// event handles an Events API delivery. Slack redelivers events it thinks
// were not acked, under a new envelope ID but the same event_id, so each
// event_id the bot acts on is handled once (remembered in the store); the
// events it ignores, most reactions among them, write nothing.
func (b *Bot) event(ctx context.Context, req socketmode.Request) (any, func(context.Context)) {
	outer, err := slackevents.ParseEvent(req.Payload, slackevents.OptionNoVerifyToken())
	if err != nil {
		b.log.Warn().Err(err).Str("envelope", req.EnvelopeID).Msg("undecodable event")
		return nil, nil
	}
	cb, ok := outer.Data.(*slackevents.EventsAPICallbackEvent)
	if !ok {
		return nil, nil
	}
	switch ev := outer.InnerEvent.Data.(type) {
	case *slackevents.ReactionAddedEvent:
		// Recorded before the ack, its event ID with it: nothing is left
		// for after the ack that a crash could lose.
		b.reactionAdded(ctx, cb.EventID, ev)
	case *slackevents.AppHomeOpenedEvent:
		if b.firstDelivery(ctx, cb.EventID, req.RetryAttempt) {
			return nil, func(ctx context.Context) { b.homeOpened(ctx, ev) }
		}
	// Forgetting a cached member list twice is harmless: no delivery key.
	case *slackevents.MemberJoinedChannelEvent:
		b.members.forget(ev.Channel)
	case *slackevents.MemberLeftChannelEvent:
		// Forgotten before the ack: a list asked for after it sees the
		// departure.
		b.members.forget(ev.Channel)
	}
	return nil, nil
}

// firstDelivery records eventID and reports whether this is its first
// delivery (true, too, when there is no ID to go by).
func (b *Bot) firstDelivery(ctx context.Context, eventID string, retry int) bool {
	if eventID == "" {
		return true
	}
	var seen bool
	err := b.store.Update(ctx, func(tx store.Tx) error {
		var err error
		seen, err = tx.MarkSeen("event:"+eventID, time.Time{})
		return err
	})
	if err != nil {
		b.log.Error().Err(err).Str("event", eventID).Msg("record event id")
		return false
	}
	if seen {
		b.log.Debug().Str("event", eventID).Int("retry", retry).Msg("duplicate event ignored")
	}
	return !seen
}
