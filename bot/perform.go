package bot

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/slack-go/slack"

	"github.com/incidentbot/incidentbot/commands"
	"github.com/incidentbot/incidentbot/incident"
	"github.com/incidentbot/incidentbot/internal/mrkdwn"
	"github.com/incidentbot/incidentbot/outbox"
	"github.com/incidentbot/incidentbot/store"
)

// createChannel creates the incident channel, trying -2, -3… when the name
// is taken, and adopting a channel this bot created for this incident
// before a crash instead of creating a second one.
func (p *Performer) createChannel(ctx context.Context, job store.Job, inc *incident.Incident) (outbox.Apply, error) {
	if inc.ChannelID != "" {
		return nil, nil
	}
	base := inc.ChannelNameFor(p.cfg.ChannelPrefix)
	for attempt := 1; attempt <= 20; attempt++ {
		name := base
		if attempt > 1 {
			name = incident.ChannelNameWithSuffix(base, attempt)
		}
		ch, err := p.api.CreateConversationContext(ctx, slack.CreateConversationParams{ChannelName: name, IsPrivate: inc.Private})
		if err == nil {
			return p.setChannel(inc.Number, ch.ID, ch.Name), nil
		}
		if slackCode(err) != "name_taken" {
			return nil, classify(err)
		}
		own, err := p.ownChannel(ctx, name, inc)
		if err != nil {
			return nil, classify(err)
		}
		if own != nil {
			p.log.Info().Str("incident", inc.ID()).Str("channel", own.ID).Msg("adopted the channel created before a restart")
			return p.setChannel(inc.Number, own.ID, own.Name), nil
		}
	}
	what := base
	if inc.Private {
		// The error is logged, and a private channel's name carries the
		// incident's title.
		what = inc.ID()
	}
	return nil, outbox.Permanent(fmt.Errorf("no free channel name for %s after 20 tries", what))
}

// setChannel records the channel in the transaction that completes the
// job, so a crash before that commit re-runs the job, which adopts it.
func (p *Performer) setChannel(number uint64, id, name string) outbox.Apply {
	return func(tx store.Tx) error { return p.cmds.RecordChannelCreated(tx, number, id, name) }
}

// ownChannel finds the channel called name if this bot created it no
// earlier than the incident's declaration (so it is this incident's, left
// behind by a crash, and not an older store's).
func (p *Performer) ownChannel(ctx context.Context, name string, inc *incident.Incident) (*slack.Channel, error) {
	self, err := p.self.get(ctx, p.api)
	if err != nil {
		return nil, err
	}
	params := &slack.GetConversationsParameters{Types: []string{"public_channel", "private_channel"}, Limit: 1000}
	for {
		chans, cursor, err := p.api.GetConversationsContext(ctx, params)
		if err != nil {
			return nil, err
		}
		for i := range chans {
			c := &chans[i]
			if c.Name != name {
				continue
			}
			created := time.Unix(int64(c.Created), 0)
			if c.Creator == self && !created.Before(inc.DeclaredAt.Add(-time.Minute)) {
				return c, nil
			}
			return nil, nil
		}
		if cursor == "" {
			return nil, nil
		}
		params.Cursor = cursor
	}
}

// inviteSkippable are per-user invite errors that mean "this person cannot
// be brought in": a timeline note, not a failed job.
var inviteSkippable = map[string]bool{
	"user_not_found": true, "user_is_inactive": true, "user_disabled": true, "cant_invite": true,
	"cant_invite_self": true, "user_is_restricted": true, "user_is_ultra_restricted": true,
	"ura_max_channels": true, "not_a_user": true, "user_not_visible": true, "is_bot": true,
}

// invite brings users into the incident channel. Slack invites nobody when
// any one user fails, so failing users are dropped (and noted) and the
// rest retried.
func (p *Performer) invite(ctx context.Context, inc *incident.Incident, users []string) (outbox.Apply, error) {
	self, err := p.self.get(ctx, p.api)
	if err != nil {
		return nil, classify(err)
	}
	var pending []string
	for _, u := range users {
		if u != self {
			pending = append(pending, u)
		}
	}
	var notes []commands.NotInvited
	for len(pending) > 0 {
		_, err := p.api.InviteUsersToConversationContext(ctx, inc.ChannelID, pending...)
		if err == nil || slackCode(err) == "already_in_channel" {
			break
		}
		failed := inviteFailures(err)
		if len(failed) == 0 {
			if code := slackCode(err); inviteSkippable[code] && len(pending) == 1 {
				failed = map[string]string{pending[0]: code}
			} else {
				return nil, classify(err)
			}
		}
		var rest []string
		for _, u := range pending {
			code, bad := failed[u]
			if !bad || code == "already_in_channel" {
				if !bad {
					rest = append(rest, u)
				}
				continue
			}
			notes = append(notes, commands.NotInvited{User: u, Reason: code})
		}
		if len(rest) == len(pending) {
			return nil, classify(err)
		}
		pending = rest
	}
	if len(notes) == 0 {
		return nil, nil
	}
	number := inc.Number
	return func(tx store.Tx) error { return p.cmds.RecordNotInvited(tx, number, notes) }, nil
}

// inviteFailures maps each user in a partial conversations.invite failure
// to its error code.
func inviteFailures(err error) map[string]string {
	var se slack.SlackErrorResponse
	if !errors.As(err, &se) {
		return nil
	}
	out := map[string]string{}
	for _, e := range se.Errors {
		if ie := e.ConversationsInviteResponseError; ie != nil && ie.User != "" {
			out[ie.User] = ie.Error
		}
	}
	return out
}

// postCard posts the live summary card and pins it.
func (p *Performer) postCard(ctx context.Context, job store.Job, inc *incident.Incident) (outbox.Apply, error) {
	ts := inc.CardTS
	if ts == "" {
		blocks, text, err := p.cardBlocks(inc)
		if err != nil {
			return nil, err
		}
		ts, err = p.postOnce(ctx, job, inc.ChannelID, "", text, blocks...)
		if err != nil {
			return nil, err
		}
	}
	number := inc.Number
	storeTS := func(tx store.Tx) error { return p.cmds.RecordCardPosted(tx, number, ts) }
	var pl commands.PostCardPayload
	if len(job.Payload) > 0 {
		if err := json.Unmarshal(job.Payload, &pl); err != nil {
			return nil, outbox.Permanent(fmt.Errorf("decode post_card payload: %w", err))
		}
	}
	if pl.PinJob {
		return storeTS, nil
	}
	if err := p.api.AddPinContext(ctx, inc.ChannelID, slack.ItemRef{Channel: inc.ChannelID, Timestamp: ts}); err != nil && slackCode(err) != "already_pinned" {
		// The card exists: store its ts now (progress kept with the
		// retry), so the retry only pins.
		return storeTS, classify(err)
	}
	return storeTS, nil
}

// pinCard pins the card its declaration's post_card job posted.
func (p *Performer) pinCard(ctx context.Context, inc *incident.Incident) (outbox.Apply, error) {
	if inc.CardTS == "" {
		return nil, outbox.Permanent(errors.New("pin_card: the card was never posted"))
	}
	err := p.api.AddPinContext(ctx, inc.ChannelID, slack.ItemRef{Channel: inc.ChannelID, Timestamp: inc.CardTS})
	if err != nil && slackCode(err) != "already_pinned" {
		return nil, classify(err)
	}
	return nil, nil
}

// bookmarkRunbook adds the service's runbook as a channel bookmark.
func (p *Performer) bookmarkRunbook(ctx context.Context, job store.Job, inc *incident.Incident) (outbox.Apply, error) {
	svc, ok := p.cfg.Settings.Service(inc.Service)
	if !ok || svc.Runbook == "" {
		return nil, nil
	}
	if p.uncertain(job) {
		// An earlier run may have added it before its answer was lost.
		marks, err := p.api.ListBookmarksContext(ctx, inc.ChannelID)
		if err != nil {
			return nil, classify(err)
		}
		for _, m := range marks {
			if m.Link == svc.Runbook {
				return nil, nil
			}
		}
	}
	_, err := p.api.AddBookmarkContext(ctx, inc.ChannelID, slack.AddBookmarkParameters{
		Title: mrkdwn.Truncate(svc.Name+" runbook", 100), Type: "link", Link: svc.Runbook, Emoji: ":book:",
	})
	return nil, classify(err)
}

// announce posts the declaration to the announce channel.
func (p *Performer) announce(ctx context.Context, job store.Job, inc *incident.Incident) (outbox.Apply, error) {
	channel := p.cfg.announceChannelFor(inc)
	if channel == "" || inc.AnnounceTS != "" {
		return nil, nil
	}
	blocks, text, err := p.announcementBlocks(inc)
	if err != nil {
		return nil, err
	}
	ts, err := p.postOnce(ctx, job, channel, "", text, blocks...)
	if err != nil {
		if why := p.announceCh.problemOf(channel); why != "" && outbox.IsPermanent(err) {
			return nil, fmt.Errorf("%w (%s)", err, why) // the timeline then says what to fix
		}
		return nil, err
	}
	number := inc.Number
	return func(tx store.Tx) error { return p.cmds.RecordAnnounced(tx, number, ts) }, nil
}
