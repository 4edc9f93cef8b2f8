package bot

import (
	"context"
	"fmt"

	"github.com/slack-go/slack"

	"github.com/incidentbot/incidentbot/commands"
	"github.com/incidentbot/incidentbot/incident"
	"github.com/incidentbot/incidentbot/internal/mrkdwn"
	"github.com/incidentbot/incidentbot/outbox"
	"github.com/incidentbot/incidentbot/store"
)

// actionArchiveNow is the commander's confirmation on the "archived once
// the postmortem is drafted" message.
const actionArchiveNow = "archive_now"

// postArchiveWaiting performs a JobArchiveWaiting: the message saying the
// channel waits for a postmortem, with the Archive now button. It is
// dropped when the archive has been decided since (a draft came first).
func (p *Performer) postArchiveWaiting(ctx context.Context, job store.Job, inc *incident.Incident) (outbox.Apply, error) {
	if !inc.ArchiveWaiting || !inc.ArchivedAt.IsZero() {
		return nil, nil
	}
	text, err := p.render("archive_waiting.tmpl", p.view(inc))
	if err != nil {
		return nil, outbox.Permanent(err)
	}
	btn := slack.NewButtonBlockElement(actionArchiveNow, inc.ID(), slack.NewTextBlockObject(slack.PlainTextType, "Archive now", false, false))
	_, err = p.postOnce(ctx, job, inc.ChannelID, "", mrkdwn.Truncate(text, maxMessageText),
		section("archive-waiting", text), slack.NewActionBlock("archive-actions", btn))
	return nil, err
}

// archiveChannel performs a JobArchiveChannel. A channel someone archived
// already (or an earlier try whose answer was lost) is done.
func (p *Performer) archiveChannel(ctx context.Context, inc *incident.Incident) (outbox.Apply, error) {
	err := p.api.ArchiveConversationContext(ctx, inc.ChannelID)
	if err == nil || slackCode(err) == "already_archived" {
		p.log.Info().Str("incident", inc.ID()).Str("channel", inc.ChannelID).Msg("incident channel archived")
		return nil, nil
	}
	return nil, classify(err)
}

// archiveNowClicked handles the Archive now button: only the commander's
// click archives; anyone else hears why not.
func (ix *interactions) archiveNowClicked(ctx context.Context, cb slack.InteractionCallback, action *slack.BlockAction) (any, func(context.Context)) {
	channel, user := clickOrigin(cb)
	if err := ix.stillMemberIn(ctx, channel, user); err != nil {
		return nil, ix.clickFailed(cb, "archive now", err)
	}
	res, err := ix.cmds.ArchiveNow(ctx, commands.ArchiveNowInput{
		Channel: channel, By: user,
		IdempotencyKey: clickKey(cb, action),
	})
	if err != nil {
		return nil, ix.clickFailed(cb, "archive now", err)
	}
	if res.Duplicate {
		return nil, nil
	}
	ix.log.Info().Str("incident", res.Incident.ID()).Str("user", user).Msg("archive confirmed by the commander")
	msg := fmt.Sprintf(":file_cabinet: Archiving the channel of *%s* now.", res.Incident.ID())
	return nil, func(ctx context.Context) { ix.answerClick(ctx, cb, channel, msg) }
}
