package bot

import (
	"context"
	"strings"

	"github.com/slack-go/slack"
	"github.com/slack-go/slack/socketmode"
)

// Interaction identifiers (docs/contract.md).
const (
	updateCallback     = "incident_update"
	actionUpdate       = "update"
	actionSnooze       = "snooze"
	actionRolePrefix   = "role:"
	addToTimelineShort = "add_to_timeline"
)

// interaction routes block actions, view submissions and shortcuts.
// Interactions carry no event ID and are not redelivered by Slack, so each
// handler is idempotent by its natural key (view id, message ts, …).
func (b *Bot) interaction(ctx context.Context, req socketmode.Request, cb slack.InteractionCallback) (any, func(context.Context)) {
	switch cb.Type {
	case slack.InteractionTypeViewSubmission:
		switch cb.View.CallbackID {
		case declareCallback:
			return b.submitDeclare(ctx, cb), nil
		case updateCallback:
			return b.submitUpdate(ctx, cb)
		}
	case slack.InteractionTypeBlockActions:
		if len(cb.ActionCallback.BlockActions) == 0 {
			return nil, nil
		}
		action := cb.ActionCallback.BlockActions[0]
		switch {
		case strings.HasPrefix(action.ActionID, actionRolePrefix):
			return b.roleSelected(ctx, cb, action)
		case action.ActionID == actionUpdate:
			return b.updateClicked(ctx, cb, action)
		case action.ActionID == actionSnooze:
			return b.snoozeClicked(ctx, cb, action)
		case action.ActionID == actionArchiveNow:
			return b.archiveNowClicked(ctx, cb, action)
		case action.ActionID == actionDeclareAnyway:
			return b.declareAnywayClicked(ctx, cb, action)
		case action.ActionID == actionJoinIncident:
			return b.joinClicked(ctx, cb, action)
		case action.ActionID == actionAlertDeclare:
			return b.alertDeclareClicked(ctx, cb, action)
		case action.ActionID == actionAlertResolve:
			return b.alertResolveClicked(ctx, cb, action)
		}
	case slack.InteractionTypeMessageAction, slack.InteractionTypeShortcut:
		if cb.CallbackID == addToTimelineShort {
			return b.addToTimeline(ctx, cb)
		}
	}
	b.log.Debug().Str("type", string(cb.Type)).Str("callback", cb.View.CallbackID+cb.CallbackID).Msg("interaction ignored")
	return nil, nil
}

// tell shows text to one user in a channel, for answers to interactions
// (which, unlike slash commands, have no ack payload to carry a reply).
func (b *Bot) tell(ctx context.Context, channel, user, text string) {
	if channel == "" || user == "" {
		return
	}
	err := b.retry(ctx, func() error {
		_, err := b.api.PostEphemeralContext(ctx, channel, user, slack.MsgOptionText(text, false))
		return err
	})
	if err != nil {
		b.log.Warn().Err(err).Str("user", user).Str("channel", channel).Msg("ephemeral reply failed")
	}
}
