package bot

import (
	"context"
	"errors"

	"github.com/slack-go/slack/socketmode"

	"github.com/incidentbot/incidentbot/commands"
	"github.com/incidentbot/incidentbot/incident"
	"github.com/incidentbot/incidentbot/internal/mrkdwn"
	"github.com/incidentbot/incidentbot/templates"
)

// slash handles one `/incident …` invocation. Its reply is the ack payload,
// so the user hears back at once; slow work goes through the outbox.
//
// It decodes the payload itself: decoded by route and passed down, the
// command (~360 bytes) sat twice in route's frame, below which a
// declaration's ack is rendered, and the handler no longer fit its 8 KiB
// stack (see growStack).
func (s *slashHandler) slash(ctx context.Context, req socketmode.Request) (any, func(context.Context)) {
	sc, err := decodeSlash(req.Payload)
	if err != nil {
		s.log.Warn().Err(err).Str("envelope", req.EnvelopeID).Msg("undecodable slash command")
		return ephemeral("Sorry, I could not read that command. Please try again."), nil
	}
	log := s.log.With().Str("user", sc.UserID).Str("channel", sc.ChannelID).Str("envelope", req.EnvelopeID).Logger()
	cmd, err := commands.Parse(s.cfg.Command, sc.Text)
	if err != nil {
		log.Info().Err(err).Msg("slash command rejected")
		return s.errorReply(typedError(err)), nil
	}
	// Slack delivers the text escaped (&amp; &lt; &gt;), with mentions and
	// links as markup; Parse needs that markup to find a picked person, so
	// every word it hands back is decoded once, here, and the domain keeps
	// what the user typed (see mrkdwn.FromSlack). Replies escape it again,
	// once, as they show it.
	cmd.Title, cmd.Text = mrkdwn.FromSlack(cmd.Title), mrkdwn.FromSlack(cmd.Text)
	cmd.Severity, cmd.Role, cmd.Period = mrkdwn.FromSlack(cmd.Severity), mrkdwn.FromSlack(cmd.Role), mrkdwn.FromSlack(cmd.Period)
	log.Info().Str("subcommand", cmd.Name).Msg("slash command")
	switch cmd.Name {
	case commands.CmdHelp:
		return s.help(), nil
	case commands.CmdDeclare, commands.CmdDrill:
		return s.declare(ctx, sc, cmd)
	case commands.CmdRole:
		return s.roleCommand(ctx, sc, cmd)
	case commands.CmdUpdate:
		return s.updateCommand(ctx, sc, cmd)
	case commands.CmdSeverity:
		return s.severityCommand(ctx, sc, cmd)
	case commands.CmdResolve:
		return s.resolveCommand(ctx, sc, cmd)
	case commands.CmdNote:
		return s.noteCommand(ctx, sc, cmd)
	case commands.CmdList:
		return s.listCommand(ctx, sc, cmd)
	case commands.CmdAction:
		return s.actionCommand(ctx, sc, cmd)
	case commands.CmdPostmortem:
		return s.postmortemCommand(ctx, sc, cmd)
	case commands.CmdStats:
		return s.statsCommand(ctx, sc, cmd)
	default:
		return s.notAvailable(cmd.Name), nil
	}
}

// notAvailable answers a sub-command this version does not implement.
func (s *slashHandler) notAvailable(name string) map[string]any {
	return ephemeral("`" + s.cfg.Command + " " + name + "` is not available yet in this version of incidentbot. `" + s.cfg.Command + " help` lists what is.")
}

// help renders the usage text.
func (s *slashHandler) help() map[string]any {
	// Descriptions and names are cut as everywhere else they are shown, so
	// a long one in the configuration cannot push the reply past Slack's
	// 20 KiB frame (a dropped reply leaves the user with nothing).
	data := templates.HelpData{Command: s.cfg.Command}
	for _, sev := range s.cfg.Settings.Severities {
		sev.Description = mrkdwn.Truncate(sev.Description, 200)
		data.Severities = append(data.Severities, sev)
	}
	for _, r := range s.cfg.Settings.Roles {
		r.Name = mrkdwn.Truncate(r.Name, 60)
		data.Roles = append(data.Roles, r)
	}
	text, err := s.tmpl.Render("help.tmpl", data)
	if err != nil {
		s.log.Error().Err(err).Msg("render help")
		return ephemeral("Usage: `" + s.cfg.Command + " declare|drill|update|role|severity|resolve|note|action|postmortem|list|stats|help`")
	}
	return ephemeral(text)
}

// errorReply turns an error into an ephemeral answer: the user's mistake in
// their own words, or a generic line for internal failures (logged in full
// by the caller).
func (rp *replier) errorReply(err error) map[string]any {
	msg := incident.ErrorMessage(err)
	if incident.ErrorCode(err) == incident.EINVALID {
		msg += "\nType `" + rp.command + " help` to see every command."
	}
	// The message may quote what the user typed: neutralise it.
	return ephemeral(mrkdwn.Neutralize(msg))
}

// typedError is a Parse error with the words it quotes as the user typed
// them: Parse quotes them as Slack sent them, escaped, and the reply
// escapes its whole text again (a "&" would show as "&amp;").
func typedError(err error) error {
	var e *incident.Error
	if !errors.As(err, &e) {
		return err
	}
	return &incident.Error{Code: e.Code, Message: mrkdwn.FromSlack(e.Message)}
}
