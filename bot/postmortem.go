package bot

import (
	"context"

	"github.com/slack-go/slack"

	"github.com/incidentbot/incidentbot/commands"
)

// actionCommand handles `/incident action TEXT… [@owner]`.
func (b *Bot) actionCommand(ctx context.Context, sc slack.SlashCommand, cmd commands.Command) (any, func(context.Context)) {
	return b.notAvailable(cmd.Name), nil
}

// postmortemCommand handles `/incident postmortem`.
func (b *Bot) postmortemCommand(ctx context.Context, sc slack.SlashCommand, cmd commands.Command) (any, func(context.Context)) {
	return b.notAvailable(cmd.Name), nil
}
