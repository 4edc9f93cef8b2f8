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
// event_id is handled once (remembered in the store).
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
	if cb.EventID != "" {
		var seen bool
		err := b.store.Update(ctx, func(tx *store.Tx) error {
			var err error
			seen, err = tx.MarkSeen("event:"+cb.EventID, time.Time{})
			return err
		})
		if err != nil {
			b.log.Error().Err(err).Str("event", cb.EventID).Msg("record event id")
			return nil, nil
		}
		if seen {
			b.log.Debug().Str("event", cb.EventID).Int("retry", req.RetryAttempt).Msg("duplicate event ignored")
			return nil, nil
		}
	}
	switch ev := outer.InnerEvent.Data.(type) {
	case *slackevents.ReactionAddedEvent:
		return nil, func(ctx context.Context) { b.reactionAdded(ctx, ev) }
	case *slackevents.AppHomeOpenedEvent:
		return nil, func(ctx context.Context) { b.homeOpened(ctx, ev) }
	case *slackevents.MemberJoinedChannelEvent:
		b.members.forget(ev.Channel)
	case *slackevents.MemberLeftChannelEvent:
		// Forgotten before the ack: a list asked for after it sees the
		// departure.
		b.members.forget(ev.Channel)
	}
	return nil, nil
}
