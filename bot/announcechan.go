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

// announceChannels watches the channels the bot announces in: the announce
// channel and, when set, the drills channel. It keeps what the bot last
// learnt about each, and the checks that keep that current.
type announceChannels struct {
	api     *slack.Client
	log     zerolog.Logger
	targets []announceTarget

	mu      sync.Mutex
	checked map[string]bool   // Slack answered a check of this channel ID
	problem map[string]string // why the channel cannot be used (or read); absent = fine
}

// announceTarget is a channel the bot announces in, with the config key
// that names it (the operator's fix for a wrong one).
type announceTarget struct {
	id, what, key string
}

// newAnnounceChannels watches the configured announce and drills channels,
// each when set.
func newAnnounceChannels(api *slack.Client, log zerolog.Logger, cfg Config) *announceChannels {
	a := &announceChannels{api: api, log: log, checked: map[string]bool{}, problem: map[string]string{}}
	if cfg.AnnounceChannel != "" {
		a.targets = append(a.targets, announceTarget{cfg.AnnounceChannel, "announce channel", "incidents.announce_channel"})
	}
	if cfg.DrillsChannel != "" {
		a.targets = append(a.targets, announceTarget{cfg.DrillsChannel, "drills channel", "incidents.drills_channel"})
	}
	return a
}

// target returns the announce or drills channel whose ID is id.
func (a *announceChannels) target(id string) (announceTarget, bool) {
	for _, t := range a.targets {
		if id != "" && t.id == id {
			return t, true
		}
	}
	return announceTarget{}, false
}

// problemOf says, in one line for an operator, why the announce or drills
// channel id cannot be used, or "" when it can (or was not checked yet).
func (a *announceChannels) problemOf(id string) string {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.problem[id]
}

// notes are the lines /readyz shows for the channels that cannot be used.
func (a *announceChannels) notes() []string {
	var notes []string
	for _, t := range a.targets {
		if p := a.problemOf(t.id); p != "" {
			notes = append(notes, p)
		}
	}
	return notes
}

// check checks every channel the bot announces in (see checkOne).
func (a *announceChannels) check(ctx context.Context) {
	for _, t := range a.targets {
		a.checkOne(ctx, t)
	}
}

// checkOne asks Slack about an announce or drills channel
// (conversations.info), joins it when it is public and the bot is not in
// it, and records and logs what stands in the way of announcing there.
// The join matters even though chat:write.public can post without it: only
// a member can read the channel, and a retried post reads it to tell
// whether the first try landed.
func (a *announceChannels) checkOne(ctx context.Context, t announceTarget) {
	problem, err := a.usable(ctx, t)
	if err != nil {
		a.log.Warn().Err(err).Str("channel", t.id).Msg("could not check the " + t.what + "; checking again when it is next used")
		return
	}
	a.mu.Lock()
	before := a.problem[t.id]
	a.checked[t.id] = true
	if problem == "" {
		delete(a.problem, t.id)
	} else {
		a.problem[t.id] = problem
	}
	a.mu.Unlock()
	switch {
	case problem != "" && problem != before:
		a.log.Error().Str("channel", t.id).Msg(problem)
	case problem == "" && before != "":
		a.log.Info().Str("channel", t.id).Msg(t.what + " " + t.id + " is usable again")
	}
}

// firstUse checks an announce or drills channel the start-up check could
// not (Slack did not answer), before the bot first posts there.
func (a *announceChannels) firstUse(ctx context.Context, channel string) {
	t, ok := a.target(channel)
	if !ok {
		return
	}
	a.mu.Lock()
	done := a.checked[channel]
	a.mu.Unlock()
	if !done {
		a.checkOne(ctx, t)
	}
}

// usable returns the operator's line for what is wrong with the channel,
// "" when nothing is; err only when Slack could not be asked.
func (a *announceChannels) usable(ctx context.Context, t announceTarget) (string, error) {
	id := t.id
	ch, err := a.api.GetConversationInfoContext(ctx, &slack.GetConversationInfoInput{ChannelID: id})
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
	if err := a.join(ctx, id); err != nil {
		if !outbox.IsPermanent(classify(err)) {
			return "", err
		}
		return fmt.Sprintf("%s: the bot is not a member and cannot join (%s): announcements are posted, but one retried after a lost answer may appear twice; add the channels:join scope or /invite @incidentbot", where, scopeHint(err)), nil
	}
	return "", nil
}

// join makes the bot a member of a public channel (conversations.join).
func (a *announceChannels) join(ctx context.Context, channel string) error {
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

// afterPost keeps the recorded state of the announce or drills channel in
// step with what a post there just met: a channel-level failure, or
// success while a problem is on record (someone fixed it), checks again.
func (a *announceChannels) afterPost(ctx context.Context, channel string, err error) {
	t, ok := a.target(channel)
	if !ok {
		return
	}
	if (err != nil && announceChannelErrors[slackCode(err)]) || (err == nil && a.problemOf(channel) != "") {
		a.checkOne(ctx, t)
	}
}
