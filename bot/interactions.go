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
func (ix *interactions) interaction(ctx context.Context, req socketmode.Request, cb slack.InteractionCallback) (any, func(context.Context)) {
	switch cb.Type {
	case slack.InteractionTypeViewSubmission:
		switch cb.View.CallbackID {
		case declareCallback:
			return ix.submitDeclare(ctx, cb), nil
		case updateCallback:
			return ix.submitUpdate(ctx, cb)
		}
	case slack.InteractionTypeBlockActions:
		if len(cb.ActionCallback.BlockActions) == 0 {
			return nil, nil
		}
		action := cb.ActionCallback.BlockActions[0]
		switch {
		case strings.HasPrefix(action.ActionID, actionRolePrefix):
			return ix.roleSelected(ctx, cb, action)
		case action.ActionID == actionUpdate:
			return ix.updateClicked(ctx, cb, action)
		case action.ActionID == actionSnooze:
			return ix.snoozeClicked(ctx, cb, action)
		case action.ActionID == actionArchiveNow:
			return ix.archiveNowClicked(ctx, cb, action)
		case action.ActionID == actionDeclareAnyway:
			return ix.declareAnywayClicked(ctx, cb, action)
		case action.ActionID == actionJoinIncident:
			return ix.joinClicked(ctx, cb, action)
		case action.ActionID == actionAlertDeclare:
			return ix.alertDeclareClicked(ctx, cb, action)
		case action.ActionID == actionAlertResolve:
			return ix.alertResolveClicked(ctx, cb, action)
		}
	case slack.InteractionTypeMessageAction, slack.InteractionTypeShortcut:
		if cb.CallbackID == addToTimelineShort {
			return ix.addToTimeline(ctx, cb)
		}
	}
	ix.log.Debug().Str("type", string(cb.Type)).Str("callback", cb.View.CallbackID+cb.CallbackID).Msg("interaction ignored")
	return nil, nil
}

// tell shows text to one user in a channel, for answers to interactions
// (which, unlike slash commands, have no ack payload to carry a reply).
func (rp *replier) tell(ctx context.Context, channel, user, text string) {
	if channel == "" || user == "" {
		return
	}
	err := rp.retry(ctx, func() error {
		_, err := rp.api.PostEphemeralContext(ctx, channel, user, slack.MsgOptionText(text, false))
		return err
	})
	if err != nil {
		rp.log.Warn().Err(err).Str("user", user).Str("channel", channel).Msg("ephemeral reply failed")
	}
}
