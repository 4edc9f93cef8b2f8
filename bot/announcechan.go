package bot

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/slack-go/slack"

	"github.com/incidentbot/incidentbot/outbox"
)

// announceCheckTimeout bounds the start-up check: Slack being slow must not
// hold the bot's start. An unanswered check is done again on first use.
const announceCheckTimeout = 10 * time.Second

// announceState is what the bot last learnt about the announce channel.
type announceState struct {
	mu      sync.Mutex
	checked bool   // Slack answered a check
	problem string // why the channel cannot be used (or read); "" = fine
}

// announceChannel is the configured announce channel, "" for none.
func (b *Bot) announceChannel() string {
	if b.opt.Commands == nil {
		return ""
	}
	return b.opt.Commands.AnnounceChannel
}

// AnnounceProblem says, in one line for an operator, why the announce
// channel cannot be used, or "" when it can (or was not checked yet).
func (b *Bot) AnnounceProblem() string {
	b.announceCh.mu.Lock()
	defer b.announceCh.mu.Unlock()
	return b.announceCh.problem
}

// checkAnnounceChannel asks Slack about the announce channel
// (conversations.info), joins it when it is public and the bot is not in
// it, and records and logs what stands in the way of announcing there.
// The join matters even though chat:write.public can post without it: only
// a member can read the channel, and a retried post reads it to tell
// whether the first try landed.
func (b *Bot) checkAnnounceChannel(ctx context.Context) {
	id := b.announceChannel()
	if id == "" {
		return
	}
	problem, err := b.announceUsable(ctx, id)
	if err != nil {
		b.log.Warn().Err(err).Str("channel", id).Msg("could not check the announce channel; checking again when it is next used")
		return
	}
	b.announceCh.mu.Lock()
	before := b.announceCh.problem
	b.announceCh.checked, b.announceCh.problem = true, problem
	b.announceCh.mu.Unlock()
	switch {
	case problem != "" && problem != before:
		b.log.Error().Str("channel", id).Msg(problem)
	case problem == "" && before != "":
		b.log.Info().Str("channel", id).Msg("announce channel " + id + " is usable again")
	}
}

// announceChecked reports whether Slack has answered a check yet.
func (b *Bot) announceChecked() bool {
	b.announceCh.mu.Lock()
	defer b.announceCh.mu.Unlock()
	return b.announceCh.checked
}

// announceUsable returns the operator's line for what is wrong with channel
// id, "" when nothing is; err only when Slack could not be asked.
func (b *Bot) announceUsable(ctx context.Context, id string) (string, error) {
	ch, err := b.api.GetConversationInfoContext(ctx, &slack.GetConversationInfoInput{ChannelID: id})
	where := "announce channel " + id
	if err != nil {
		if !outbox.IsPermanent(classify(err)) {
			return "", err
		}
		if slackCode(err) == "channel_not_found" {
			// Slack says the same for a private channel the bot is not in
			// and for one that does not exist.
			return where + ": not found: either it is a private channel the bot is not a member of (invite it with /invite @incidentbot in that channel) or it does not exist (fix incidents.announce_channel)", nil
		}
		return fmt.Sprintf("%s: cannot be looked up: %s", where, scopeHint(err)), nil
	}
	where += " (#" + ch.Name + ")"
	switch {
	case ch.IsArchived:
		return where + ": archived: unarchive it or set incidents.announce_channel to another channel", nil
	case ch.IsMember:
		return "", nil
	case ch.IsPrivate:
		return where + ": the bot is not a member of this private channel; invite it with /invite @incidentbot", nil
	}
	if err := b.join(ctx, id); err != nil {
		if !outbox.IsPermanent(classify(err)) {
			return "", err
		}
		return fmt.Sprintf("%s: the bot is not a member and cannot join (%s): announcements are posted, but one retried after a lost answer may appear twice; add the channels:join scope or /invite @incidentbot", where, scopeHint(err)), nil
	}
	return "", nil
}

// join makes the bot a member of a public channel (conversations.join).
func (b *Bot) join(ctx context.Context, channel string) error {
	if _, _, _, err := b.api.JoinConversationContext(ctx, channel); err != nil {
		return fmt.Errorf("conversations.join: %w", err)
	}
	b.log.Info().Str("channel", channel).Msg("joined the channel to read it back")
	return nil
}

// scopeHint is a Slack error's code, with the scope to add when it is
// missing_scope.
func scopeHint(err error) string {
	var se slack.SlackErrorResponse
	if errors.As(err, &se) {
		if se.Err == "missing_scope" && se.Needed != "" {
			return "missing_scope: the app needs " + se.Needed
		}
		return se.Err
	}
	return err.Error()
}

// announceChannelErrors are chat.postMessage answers that say the announce
// channel itself is unusable (not this message), worth a fresh check.
var announceChannelErrors = map[string]bool{
	"channel_not_found": true, "not_in_channel": true, "is_archived": true, "missing_scope": true,
}

// afterAnnouncePost keeps the recorded state of the announce channel in step
// with what a post there just met: a channel-level failure, or success
// while a problem is on record (someone fixed it), checks again.
func (b *Bot) afterAnnouncePost(ctx context.Context, channel string, err error) {
	if channel == "" || channel != b.announceChannel() {
		return
	}
	if (err != nil && announceChannelErrors[slackCode(err)]) || (err == nil && b.AnnounceProblem() != "") {
		b.checkAnnounceChannel(ctx)
	}
}

// ReadyNotes are lines /readyz shows without failing: problems that stop
// one feature, not the bot (see docs/announce-channel.md).
func (b *Bot) ReadyNotes() []string {
	if p := b.AnnounceProblem(); p != "" {
		return []string{p}
	}
	return nil
}
