package bot

import (
	"context"

	"github.com/slack-go/slack"
	"github.com/slack-go/slack/slackevents"

	"github.com/incidentbot/incidentbot/commands"
)

// updateCommand handles `/incident update`: it opens the update modal.
func (b *Bot) updateCommand(ctx context.Context, sc slack.SlashCommand, cmd commands.Command) (any, func(context.Context)) {
	return b.notAvailable(cmd.Name), nil
}

// severityCommand handles `/incident severity SEVn`.
func (b *Bot) severityCommand(ctx context.Context, sc slack.SlashCommand, cmd commands.Command) (any, func(context.Context)) {
	return b.notAvailable(cmd.Name), nil
}

// resolveCommand handles `/incident resolve [SUMMARY…]`.
func (b *Bot) resolveCommand(ctx context.Context, sc slack.SlashCommand, cmd commands.Command) (any, func(context.Context)) {
	return b.notAvailable(cmd.Name), nil
}

// noteCommand handles `/incident note TEXT…`.
func (b *Bot) noteCommand(ctx context.Context, sc slack.SlashCommand, cmd commands.Command) (any, func(context.Context)) {
	return b.notAvailable(cmd.Name), nil
}

// listCommand handles `/incident list`.
func (b *Bot) listCommand(ctx context.Context, sc slack.SlashCommand, cmd commands.Command) (any, func(context.Context)) {
	return b.notAvailable(cmd.Name), nil
}

// updateClicked handles the card's and reminders' `update` button.
func (b *Bot) updateClicked(ctx context.Context, cb slack.InteractionCallback, action *slack.BlockAction) (any, func(context.Context)) {
	return nil, nil
}

// submitUpdate handles the update modal's submission.
func (b *Bot) submitUpdate(ctx context.Context, cb slack.InteractionCallback) (any, func(context.Context)) {
	return nil, nil
}

// reactionAdded captures 📌-reacted messages onto the timeline.
func (b *Bot) reactionAdded(ctx context.Context, ev *slackevents.ReactionAddedEvent) {}

// addToTimeline handles the "Add to timeline" message shortcut.
func (b *Bot) addToTimeline(ctx context.Context, cb slack.InteractionCallback) (any, func(context.Context)) {
	return nil, nil
}

// homeOpened publishes the App Home tab.
func (b *Bot) homeOpened(ctx context.Context, ev *slackevents.AppHomeOpenedEvent) {}
