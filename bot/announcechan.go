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

// announceState is what the bot last learnt about the channels it
// announces in: the announce channel and, when set, the drills channel.
type announceState struct {
	mu      sync.Mutex
	checked map[string]bool   // Slack answered a check of this channel ID
	problem map[string]string // why the channel cannot be used (or read); absent = fine
}

// announceTarget is a channel the bot announces in, with the config key
// that names it (the operator's fix for a wrong one).
type announceTarget struct {
	id, what, key string
}

// announceTargets are the configured channels the bot announces in: the
// announce channel and the drills channel, each when set.
func (b *Bot) announceTargets() []announceTarget {
	if b.opt.Commands == nil {
		return nil
	}
	var ts []announceTarget
	if id := b.opt.Commands.AnnounceChannel; id != "" {
		ts = append(ts, announceTarget{id, "announce channel", "incidents.announce_channel"})
	}
	if id := b.opt.Commands.DrillsChannel; id != "" {
		ts = append(ts, announceTarget{id, "drills channel", "incidents.drills_channel"})
	}
	return ts
}

// announceTarget returns the announce or drills channel whose ID is id.
func (b *Bot) announceTarget(id string) (announceTarget, bool) {
	for _, t := range b.announceTargets() {
		if id != "" && t.id == id {
			return t, true
		}
	}
	return announceTarget{}, false
}

// channelProblem says, in one line for an operator, why the announce or
// drills channel id cannot be used, or "" when it can (or was not checked
// yet).
func (b *Bot) channelProblem(id string) string {
	b.announceCh.mu.Lock()
	defer b.announceCh.mu.Unlock()
	return b.announceCh.problem[id]
}

// checkAnnounceChannel checks every channel the bot announces in (see
// checkChannel).
func (b *Bot) checkAnnounceChannel(ctx context.Context) {
	for _, t := range b.announceTargets() {
		b.checkChannel(ctx, t)
	}
}

// checkChannel asks Slack about an announce or drills channel
// (conversations.info), joins it when it is public and the bot is not in
// it, and records and logs what stands in the way of announcing there.
// The join matters even though chat:write.public can post without it: only
// a member can read the channel, and a retried post reads it to tell
// whether the first try landed.
func (b *Bot) checkChannel(ctx context.Context, t announceTarget) {
	problem, err := b.announceUsable(ctx, t)
	if err != nil {
		b.log.Warn().Err(err).Str("channel", t.id).Msg("could not check the " + t.what + "; checking again when it is next used")
		return
	}
	b.announceCh.mu.Lock()
	if b.announceCh.checked == nil {
		b.announceCh.checked, b.announceCh.problem = map[string]bool{}, map[string]string{}
	}
	before := b.announceCh.problem[t.id]
	b.announceCh.checked[t.id] = true
	if problem == "" {
		delete(b.announceCh.problem, t.id)
	} else {
		b.announceCh.problem[t.id] = problem
	}
	b.announceCh.mu.Unlock()
	switch {
	case problem != "" && problem != before:
		b.log.Error().Str("channel", t.id).Msg(problem)
	case problem == "" && before != "":
		b.log.Info().Str("channel", t.id).Msg(t.what + " " + t.id + " is usable again")
	}
}

// channelChecked reports whether Slack has answered a check of the
// announce or drills channel id yet.
func (b *Bot) channelChecked(id string) bool {
	b.announceCh.mu.Lock()
	defer b.announceCh.mu.Unlock()
	return b.announceCh.checked[id]
}

// checkFirstUse checks an announce or drills channel the start-up check
// could not (Slack did not answer), before the bot first posts there.
func (b *Bot) checkFirstUse(ctx context.Context, channel string) {
	if t, ok := b.announceTarget(channel); ok && !b.channelChecked(channel) {
		b.checkChannel(ctx, t)
	}
}

// announceUsable returns the operator's line for what is wrong with the
// channel, "" when nothing is; err only when Slack could not be asked.
func (b *Bot) announceUsable(ctx context.Context, t announceTarget) (string, error) {
	id := t.id
	ch, err := b.api.GetConversationInfoContext(ctx, &slack.GetConversationInfoInput{ChannelID: id})
	where := t.what + " " + id
	if err != nil {
		if !outbox.IsPermanent(classify(err)) {
			return "", err
		}
		if slackCode(err) == "channel_not_found" {
			// Slack says the same for a private channel the bot is not in
			// and for one that does not exist.
			return where + ": not found: either it is a private channel the bot is not a member of (invite it with /invite @incidentbot in that channel) or it does not exist (fix " + t.key + ")", nil
		}
		return fmt.Sprintf("%s: cannot be looked up: %s", where, scopeHint(err)), nil
	}
	where += " (#" + ch.Name + ")"
	switch {
	case ch.IsArchived:
		return where + ": archived: unarchive it or set " + t.key + " to another channel", nil
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

// afterAnnouncePost keeps the recorded state of the announce or drills
// channel in step with what a post there just met: a channel-level
// failure, or success while a problem is on record (someone fixed it),
// checks again.
func (b *Bot) afterAnnouncePost(ctx context.Context, channel string, err error) {
	t, ok := b.announceTarget(channel)
	if !ok {
		return
	}
	if (err != nil && announceChannelErrors[slackCode(err)]) || (err == nil && b.channelProblem(channel) != "") {
		b.checkChannel(ctx, t)
	}
}

// ReadyNotes are lines /readyz shows without failing: problems that stop
// one feature, not the bot (see docs/announce-channel.md).
func (b *Bot) ReadyNotes() []string {
	var notes []string
	for _, t := range b.announceTargets() {
		if p := b.channelProblem(t.id); p != "" {
			notes = append(notes, p)
		}
	}
	return notes
}
