package bot

import (
	"context"
	"fmt"
	"time"

	"github.com/slack-go/slack"

	"github.com/incidentbot/incidentbot/commands"
	"github.com/incidentbot/incidentbot/incident"
)

// severityCommand handles `/incident severity SEVn`.
func (s *slashHandler) severityCommand(ctx context.Context, sc slack.SlashCommand, cmd commands.Command) (any, func(context.Context)) {
	res, err := s.cmds.ChangeSeverity(ctx, commands.SeverityInput{
		Channel: sc.ChannelID, Severity: cmd.Severity, By: sc.UserID, IdempotencyKey: "slash:" + sc.TriggerID,
	})
	if err != nil {
		return s.failure(err, "severity"), nil
	}
	if res.Duplicate {
		return ephemeral("That severity change was already received; nothing changed twice."), nil
	}
	inc := res.Incident
	s.log.Info().Str("incident", inc.ID()).Str("from", res.Event.From).Str("to", res.Event.To).Bool("escalated", res.Escalated).Msg("severity changed")
	return ephemeral(fmt.Sprintf("%s is now *%s* (was %s). The card, the topic and the announcement follow.", inc.ID(), safe(res.Event.To, 40), safe(res.Event.From, 40))), nil
}

// resolveCommand handles `/incident resolve [SUMMARY…]`.
func (s *slashHandler) resolveCommand(ctx context.Context, sc slack.SlashCommand, cmd commands.Command) (any, func(context.Context)) {
	res, err := s.cmds.Resolve(ctx, commands.ResolveInput{
		Channel: sc.ChannelID, Summary: cmd.Text, By: sc.UserID, IdempotencyKey: "slash:" + sc.TriggerID,
	})
	if err != nil {
		return s.failure(err, "resolve"), nil
	}
	if res.Duplicate {
		return ephemeral("That resolution was already received; nothing changed twice."), nil
	}
	inc := res.Incident
	s.log.Info().Str("incident", inc.ID()).Msg("incident resolved")
	return ephemeral(fmt.Sprintf(":white_check_mark: %s is resolved. The final update goes to the channel and the announcement now; next, `%s postmortem` drafts the write-up.", inc.ID(), s.cfg.Command)), nil
}

// noteCommand handles `/incident note TEXT…`: the short reply is the
// acknowledgement.
func (s *slashHandler) noteCommand(ctx context.Context, sc slack.SlashCommand, cmd commands.Command) (any, func(context.Context)) {
	res, err := s.cmds.AddNote(ctx, commands.NoteInput{
		Channel: sc.ChannelID, Text: cmd.Text, By: sc.UserID, IdempotencyKey: "slash:" + sc.TriggerID,
	})
	if err != nil {
		return s.failure(err, "note"), nil
	}
	if res.Duplicate {
		return ephemeral("That note was already received; it is on the timeline once."), nil
	}
	s.log.Info().Str("incident", res.Incident.ID()).Uint64("event", res.Event.Seq).Msg("note added")
	return ephemeral(fmt.Sprintf(":memo: Noted on %s's timeline at %s: %s", res.Incident.ID(), slackDate(res.Event.At), safe(res.Event.Text, 300))), nil
}

// listCommand handles `/incident list`: the open incidents the user may
// see, most severe first, shown only to them. Private incidents need their
// channel's member list, asked before the ack within listCheckTimeout.
func (s *slashHandler) listCommand(ctx context.Context, sc slack.SlashCommand, cmd commands.Command) (any, func(context.Context)) {
	ctx, cancel := context.WithTimeout(ctx, listCheckTimeout)
	defer cancel()
	listing, err := s.cmds.List(ctx, sc.UserID, s.members)
	if err != nil {
		return s.failure(err, "list"), nil
	}
	open := listing.Incidents
	data := listData{Command: s.cfg.Command, Total: len(open), Unchecked: listing.Unchecked}
	for i, inc := range open {
		if i == maxListed {
			data.More = len(open) - maxListed
			break
		}
		data.Incidents = append(data.Incidents, s.listItem(inc, sc.UserID))
	}
	text, err := s.render("list.tmpl", data)
	if err != nil {
		return s.failure(err, "list"), nil
	}
	return ephemeral(text), nil
}

// listCheckTimeout bounds the membership checks of `/incident list`, made
// before its ack: Slack shows the user an error if the ack takes over 3 s.
// What is not checked in time stays hidden, and the reply says so.
const listCheckTimeout = 1500 * time.Millisecond

// maxListed bounds the incidents one list reply shows, so the ack stays
// far below Slack's 20 KiB frame limit (each line is at most ~700 bytes).
const maxListed = 20

// listData is what list.tmpl and home.tmpl see.
type listData struct {
	Command   string
	Incidents []listItem
	// Total counts the open incidents; More how many were left out.
	Total, More int
	// Mine are the incidents where the reader holds a role (App Home).
	Mine []listItem
	// Unchecked counts the private incidents left out because Slack could
	// not say whether the reader is in their channel.
	Unchecked int
}

// listItem is one open incident in a list; every string is safe mrkdwn.
type listItem struct {
	ID, Title, Severity, Status, Age, Commander, Channel string
	NextUpdate                                           string
	// Roles names the reader's own roles in it, "" when none.
	Roles string
	// Drill marks a practice incident; DrillLabel is the marker to show.
	Drill      bool
	DrillLabel string
}

func (rd *renderer) listItem(inc *incident.Incident, user string) listItem {
	v := rd.view(inc)
	item := listItem{
		ID: v.ID, Title: safe(inc.Title, 150), Severity: v.Severity, Status: v.Status,
		Age:       incident.FormatDuration(rd.clock.Now().Sub(inc.StartedAt), incident.DurationClock),
		Commander: v.Commander, Channel: v.Channel, NextUpdate: v.NextUpdateDate,
		Drill: v.Drill, DrillLabel: v.DrillLabel,
	}
	for _, r := range rd.rules.RolesOf(inc, user) {
		if item.Roles != "" {
			item.Roles += ", "
		}
		item.Roles += safe(r.Name, 60)
	}
	return item
}
