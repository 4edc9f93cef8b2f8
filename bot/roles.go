package bot

import (
	"context"

	"github.com/slack-go/slack"

	"github.com/incidentbot/incidentbot/commands"
)

// roleCommand handles `/incident role ROLE @user`.
func (b *Bot) roleCommand(ctx context.Context, sc slack.SlashCommand, cmd commands.Command) (any, func(context.Context)) {
	return b.notAvailable(cmd.Name), nil
}

// roleSelected handles a pick in the card's role:<id> users_select.
func (b *Bot) roleSelected(ctx context.Context, cb slack.InteractionCallback, action *slack.BlockAction) (any, func(context.Context)) {
	return nil, nil
}
