package bot

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/rs/zerolog"
	"github.com/slack-go/slack"

	"github.com/incidentbot/incidentbot/outbox"
)

// announceCheckTimeout bounds the start-up check: Slack being slow must not
// hold the bot's start. An unanswered check is done again on first use.
const announceCheckTimeout = 10 * time.Second

// announceChannel watches the configured announce channel: what the bot
// last learnt about it, and the checks that keep that current.
type announceChannel struct {
	api *slack.Client
	log zerolog.Logger
	id  string // the configured channel, "" for none

	mu        sync.Mutex
	isChecked bool   // Slack answered a check
	why       string // why the channel cannot be used (or read); "" = fine
}

// problem says, in one line for an operator, why the announce channel
// cannot be used, or "" when it can (or was not checked yet).
func (a *announceChannel) problem() string {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.why
}

// check asks Slack about the announce channel (conversations.info), joins
// it when it is public and the bot is not in it, and records and logs what
// stands in the way of announcing there. The join matters even though
// chat:write.public can post without it: only a member can read the
// channel, and a retried post reads it to tell whether the first try
// landed.
func (a *announceChannel) check(ctx context.Context) {
	if a.id == "" {
		return
	}
	problem, err := a.usable(ctx)
	if err != nil {
		a.log.Warn().Err(err).Str("channel", a.id).Msg("could not check the announce channel; checking again when it is next used")
		return
	}
	a.mu.Lock()
	before := a.why
	a.isChecked, a.why = true, problem
	a.mu.Unlock()
	switch {
	case problem != "" && problem != before:
		a.log.Error().Str("channel", a.id).Msg(problem)
	case problem == "" && before != "":
		a.log.Info().Str("channel", a.id).Msg("announce channel " + a.id + " is usable again")
	}
}

// checked reports whether Slack has answered a check yet.
func (a *announceChannel) checked() bool {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.isChecked
}

// usable returns the operator's line for what is wrong with the channel,
// "" when nothing is; err only when Slack could not be asked.
func (a *announceChannel) usable(ctx context.Context) (string, error) {
	id := a.id
	ch, err := a.api.GetConversationInfoContext(ctx, &slack.GetConversationInfoInput{ChannelID: id})
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
	if err := a.join(ctx, id); err != nil {
		if !outbox.IsPermanent(classify(err)) {
			return "", err
		}
		return fmt.Sprintf("%s: the bot is not a member and cannot join (%s): announcements are posted, but one retried after a lost answer may appear twice; add the channels:join scope or /invite @incidentbot", where, scopeHint(err)), nil
	}
	return "", nil
}

// join makes the bot a member of a public channel (conversations.join):
// the announce channel, or any other a retried post must read back.
func (a *announceChannel) join(ctx context.Context, channel string) error {
	if _, _, _, err := a.api.JoinConversationContext(ctx, channel); err != nil {
		return fmt.Errorf("conversations.join: %w", err)
	}
	a.log.Info().Str("channel", channel).Msg("joined the channel to read it back")
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

// afterPost keeps the recorded state of the announce channel in step with
// what a post there just met: a channel-level failure, or success while a
// problem is on record (someone fixed it), checks again.
func (a *announceChannel) afterPost(ctx context.Context, channel string, err error) {
	if channel == "" || channel != a.id {
		return
	}
	if (err != nil && announceChannelErrors[slackCode(err)]) || (err == nil && a.problem() != "") {
		a.check(ctx)
	}
}
