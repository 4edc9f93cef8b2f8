package bot

import (
	"context"

	"github.com/slack-go/slack/slackevents"
	"github.com/slack-go/slack/socketmode"
)

// event handles an Events API delivery. Slack redelivers events it thinks
// were not acked, under a new envelope ID but the same event_id, so each
// event_id the bot acts on is handled once (remembered in the store); the
// events it ignores, most reactions among them, write nothing.
func (e *eventHandler) event(ctx context.Context, req socketmode.Request) (any, func(context.Context)) {
	outer, err := slackevents.ParseEvent(req.Payload, slackevents.OptionNoVerifyToken())
	if err != nil {
		e.log.Warn().Err(err).Str("envelope", req.EnvelopeID).Msg("undecodable event")
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
		e.reactionAdded(ctx, cb.EventID, ev)
	case *slackevents.AppHomeOpenedEvent:
		if e.firstDelivery(ctx, cb.EventID, req.RetryAttempt) {
			return nil, func(ctx context.Context) { e.homeOpened(ctx, ev) }
		}
	// Forgetting a cached member list twice is harmless: no delivery key.
	case *slackevents.MemberJoinedChannelEvent:
		e.members.forget(ev.Channel)
	case *slackevents.MemberLeftChannelEvent:
		// Forgotten before the ack: a list asked for after it sees the
		// departure.
		e.members.forget(ev.Channel)
		if e.privateIncidentChannel(ev.Channel) && ev.User != "" {
			// Slack keeps showing the last Home tab published for the
			// user, incident and all, until another replaces it.
			return nil, func(ctx context.Context) {
				e.homeOpened(ctx, &slackevents.AppHomeOpenedEvent{User: ev.User, Tab: "home"})
			}
		}
	}
	return nil, nil
}

// privateIncidentChannel reports whether channel is a private incident's.
func (e *eventHandler) privateIncidentChannel(channel string) bool {
	inc, err := e.cmds.IncidentInChannel(channel)
	return err == nil && inc.Private
}

// firstDelivery records eventID and reports whether this is its first
// delivery (true, too, when there is no ID to go by).
func (e *eventHandler) firstDelivery(ctx context.Context, eventID string, retry int) bool {
	first, err := e.cmds.FirstDelivery(ctx, eventID)
	if err != nil {
		e.log.Error().Err(err).Str("event", eventID).Msg("record event id")
		return false
	}
	if !first {
		e.log.Debug().Str("event", eventID).Int("retry", retry).Msg("duplicate event ignored")
	}
	return first
}
