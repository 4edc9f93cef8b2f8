package bot

import (
	"context"

	"github.com/slack-go/slack"
)

// snoozeClicked handles a reminder's `snooze` button.
func (b *Bot) snoozeClicked(ctx context.Context, cb slack.InteractionCallback, action *slack.BlockAction) (any, func(context.Context)) {
	return nil, nil
}
