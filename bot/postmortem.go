package bot

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/slack-go/slack"

	"github.com/incidentbot/incidentbot/commands"
	"github.com/incidentbot/incidentbot/incident"
	"github.com/incidentbot/incidentbot/outbox"
	"github.com/incidentbot/incidentbot/postmortem"
	"github.com/incidentbot/incidentbot/store"
)

// Name lookups for one draft are bounded in number and in time (well
// inside the outbox's 30 s per attempt); anyone past either bound is shown
// by user ID.
const (
	maxNameLookups = 100
	nameLookupTime = 10 * time.Second
)

// actionCommand handles `/incident action TEXT… [@owner]`.
func (s *slashHandler) actionCommand(ctx context.Context, sc slack.SlashCommand, cmd commands.Command) (any, func(context.Context)) {
	res, err := s.cmds.AddActionItem(ctx, commands.ActionInput{
		ChannelID: sc.ChannelID, Text: cmd.Text, Owner: cmd.User, By: sc.UserID, IdempotencyKey: "slash:" + sc.TriggerID,
	})
	if err != nil {
		return s.failure(err, "action"), nil
	}
	inc := res.Incident
	if res.Duplicate {
		return ephemeral("That action item was already recorded; nothing was added twice."), nil
	}
	s.log.Info().Str("incident", inc.ID()).Str("owner", res.Item.Owner).Int("actions", len(inc.Actions)).Msg("action item recorded")
	owner := "nobody yet (name one at the end: `" + s.cfg.Command + " action … @ana`)"
	if res.Item.Owner != "" {
		owner = mention(res.Item.Owner)
	}
	return ephemeral(fmt.Sprintf(":white_check_mark: Action item %d of *%s* recorded: %s\nOwner: %s. `%s postmortem` lists every action item in the draft.",
		len(inc.Actions), inc.ID(), safe(res.Item.Text, 600), owner, s.cfg.Command)), nil
}

// postmortemCommand handles `/incident postmortem`: it records the request
// and the outbox uploads the draft.
func (s *slashHandler) postmortemCommand(ctx context.Context, sc slack.SlashCommand, cmd commands.Command) (any, func(context.Context)) {
	res, err := s.cmds.RecordPostmortem(ctx, commands.PostmortemInput{
		ChannelID: sc.ChannelID, By: sc.UserID, IdempotencyKey: "slash:" + sc.TriggerID,
	})
	if err != nil {
		return s.failure(err, "postmortem"), nil
	}
	if res.Duplicate {
		return ephemeral("That postmortem request was already received; one draft is on its way."), nil
	}
	s.log.Info().Str("incident", res.Incident.ID()).Msg("postmortem draft requested")
	return ephemeral(fmt.Sprintf(":memo: Drafting the postmortem of *%s* from its timeline: `%s` will appear in this channel in a moment.",
		res.Incident.ID(), res.FileName)), nil
}

// uploadPostmortem renders the draft from the incident's current state and
// uploads it to the incident channel (files.getUploadURLExternal, the
// upload, files.completeUploadExternal).
//
// Re-running after a crash: completion is what shares the file, and Slack
// allows it once per upload, but an attempt may have completed without the
// job being marked done. So an uncertain attempt first looks in the channel
// for the file this job shares — its title carries the request's time,
// which every attempt of the job uses — and stops if it is there. An
// attempt cut short before completion leaves an unshared upload, which
// Slack discards; the next attempt uploads afresh.
func (p *Performer) uploadPostmortem(ctx context.Context, job store.Job, inc *incident.Incident) (outbox.Apply, error) {
	var pl commands.PostmortemPayload
	if err := json.Unmarshal(job.Payload, &pl); err != nil {
		return nil, outbox.Permanent(fmt.Errorf("decode postmortem payload: %w", err))
	}
	req, err := p.cmds.Event(inc.Number, pl.Event)
	if err != nil {
		return nil, storeErr(err)
	}
	name := postmortem.FileName(inc)
	title := fmt.Sprintf("%s postmortem draft, %s", inc.ID(), req.At.UTC().Format("2006-01-02 15:04:05 UTC"))
	if p.uncertain(job) {
		shared, err := p.findShared(ctx, inc.ChannelID, name, title)
		if err != nil {
			return nil, classify(err)
		}
		if shared {
			p.log.Info().Str("incident", inc.ID()).Str("file", title).Msg("postmortem draft was already shared before a restart")
			return nil, nil
		}
	}

	b, err := p.cmds.PostmortemBuilder(inc.Number)
	if err != nil {
		return nil, err
	}
	b.UseNames(p.userNames(ctx, inc, b.UserIDs()))
	draft, err := b.Render(p.tmpl)
	if err != nil {
		return nil, outbox.Permanent(err)
	}
	data := p.view(inc)
	data.RequestedBy, data.FileName = holderOrNobody(req.Actor), name
	comment, err := p.render(commands.TemplatePostmortemUpload, data)
	if err != nil {
		return nil, outbox.Permanent(err)
	}
	_, err = p.api.UploadFileContext(ctx, slack.UploadFileParameters{
		Filename: name, Title: title, Content: draft, FileSize: len(draft),
		Channel: inc.ChannelID, InitialComment: comment,
	})
	if err != nil {
		return nil, classify(err)
	}
	p.log.Info().Str("incident", inc.ID()).Int("bytes", len(draft)).Int("events", b.Events()).Msg("postmortem draft uploaded")
	return nil, nil
}

// findShared reports whether the bot has shared a file called name with
// this title among the channel's recent messages.
func (p *Performer) findShared(ctx context.Context, channel, name, title string) (bool, error) {
	self, err := p.self.get(ctx, p.api)
	if err != nil {
		return false, err
	}
	hist, err := p.api.GetConversationHistoryContext(ctx, &slack.GetConversationHistoryParameters{ChannelID: channel, Limit: 200})
	if err != nil {
		return false, fmt.Errorf("conversations.history: %w", err)
	}
	for _, m := range hist.Messages {
		if m.User != self {
			continue
		}
		for _, f := range m.Files {
			if f.Name == name && f.Title == title {
				return true, nil
			}
		}
	}
	return false, nil
}

// userNames looks up, once each, the names of the people a draft
// mentions: a Markdown file cannot show <@U…> mentions as names. A lookup
// that fails leaves that person shown by ID; a rate limit or running out
// of time stops the lookups, since a draft with IDs beats no draft.
func (p *Performer) userNames(ctx context.Context, inc *incident.Incident, ids []string) func(string) string {
	ctx, cancel := context.WithTimeout(ctx, nameLookupTime)
	defer cancel()
	names := make(map[string]string, len(ids))
	for i, id := range ids {
		if i == maxNameLookups {
			break
		}
		u, err := p.api.GetUserInfoContext(ctx, id)
		if err != nil {
			var rl *slack.RateLimitedError
			if errors.As(err, &rl) || ctx.Err() != nil {
				p.log.Warn().Err(err).Str("incident", inc.ID()).Msg("postmortem draft shows the remaining people by user ID")
				break
			}
			p.log.Debug().Err(err).Str("incident", inc.ID()).Str("user", id).Msg("users.info failed; shown by user ID")
			continue
		}
		if n := displayName(u); n != "" {
			names[id] = n
		}
	}
	return func(id string) string { return names[id] }
}

// displayName is the name people know someone by: their full name, else
// their display name, else their handle.
func displayName(u *slack.User) string {
	for _, n := range []string{u.RealName, u.Profile.RealName, u.Profile.DisplayName, u.Name} {
		if n = strings.TrimSpace(n); n != "" {
			return n
		}
	}
	return ""
}
