package bot

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/slack-go/slack"

	"github.com/incidentbot/incidentbot/commands"
	"github.com/incidentbot/incidentbot/incident"
	"github.com/incidentbot/incidentbot/internal/mrkdwn"
)

// userCheckTimeout bounds the users.info call an assignment makes before
// its ack: Slack shows the user an error if the ack takes over 3 s.
const userCheckTimeout = 1500 * time.Millisecond

// slackbotID is Slackbot, which users.info does not report as a bot.
const slackbotID = "USLACKBOT"

// roleCommand handles `/incident role ROLE @user`. The answer rides on the
// ack; the invitation and the messages follow through the outbox.
func (s *slashHandler) roleCommand(ctx context.Context, sc slack.SlashCommand, cmd commands.Command) (any, func(context.Context)) {
	res, err := s.assignRole(ctx, commands.AssignRoleInput{
		ChannelID: sc.ChannelID, Role: cmd.Role, User: cmd.User, By: sc.UserID,
		IdempotencyKey: "slash:" + sc.TriggerID,
	})
	if err != nil {
		return s.failure(err, "role"), nil
	}
	return ephemeral(s.assignedText(res, true)), nil
}

// roleSelected handles a pick in the card's role:<id> users_select. The
// assignment commits before the (bare) ack, as a slash command's does, so
// that Slack hears back only once it is durable; any answer to the picker
// is an ephemeral message sent after the ack.
func (ix *interactions) roleSelected(ctx context.Context, cb slack.InteractionCallback, action *slack.BlockAction) (any, func(context.Context)) {
	channel, user := clickOrigin(cb)
	roleID := strings.TrimPrefix(action.ActionID, actionRolePrefix)
	log := ix.log.With().Str("channel", channel).Str("user", user).Str("role", roleID).Logger()
	if err := ix.stillMemberIn(ctx, channel, user); err != nil {
		// Nothing to redraw: the picker can no longer read the channel.
		log.Info().Err(err).Msg("role pick refused")
		return nil, func(ctx context.Context) { ix.answerPick(ctx, cb, channel, refusal(err, ix.cfg.Command)) }
	}
	res, err := commands.AssignRoleResult{}, ix.cardRoleExists(roleID)
	if err == nil {
		res, err = ix.assignRole(ctx, commands.AssignRoleInput{
			ChannelID: channel, Role: roleID, User: action.SelectedUser, By: user,
			IdempotencyKey: "pick:" + clickKey(cb, action),
		})
	}
	if err != nil {
		if incident.ErrorCode(err) == incident.EINTERNAL {
			log.Error().Err(err).Msg("role pick failed")
		} else {
			log.Info().Err(err).Msg("role pick refused")
		}
		// The picker still shows the refused choice: redraw the card.
		if rerr := ix.cmds.RefreshCard(ctx, channel); incident.ErrorCode(rerr) == incident.EINTERNAL {
			log.Warn().Err(rerr).Msg("redraw the card after a refused pick")
		}
		return nil, func(ctx context.Context) { ix.answerPick(ctx, cb, channel, refusal(err, ix.cfg.Command)) }
	}
	// A pick that worked speaks for itself in the channel; only one that
	// changed nothing, or touched a resolved incident, needs a word to the
	// picker. A redelivered pick (Duplicate) says nothing twice.
	if !res.Duplicate && (res.Unchanged || !res.Incident.Open()) {
		return nil, func(ctx context.Context) { ix.answerPick(ctx, cb, channel, ix.assignedText(res, false)) }
	}
	return nil, nil
}

// answerPick shows text to the user who picked, through the interaction's
// response_url: chat.postEphemeral refuses users who are not members, and
// anyone may pick on the card of a public channel they only preview.
func (ix *interactions) answerPick(ctx context.Context, cb slack.InteractionCallback, channel, text string) {
	if cb.ResponseURL == "" {
		ix.tell(ctx, channel, cb.User.ID, text)
		return
	}
	ix.respond(ctx, cb.ResponseURL, text)
}

// cardRoleExists checks the role of a card's picker: a card posted before
// the configuration changed may offer a role that is gone, and its exact ID
// must not be taken for a prefix of another role.
func (c *core) cardRoleExists(id string) error {
	if _, ok := c.cfg.Settings.Role(id); ok {
		return nil
	}
	return incident.Errorf(incident.EINVALID, "The %s role is no longer configured, so it cannot be assigned. `%s role ROLE @user` takes one of the current roles.", id, c.cfg.Command)
}

// assignRole checks an assignment, asks Slack whether the user can take a
// role, and commits it. The checks that need no network come first, so a
// wrong channel or role costs no Slack call.
func (c *core) assignRole(ctx context.Context, in commands.AssignRoleInput) (commands.AssignRoleResult, error) {
	in, err := c.cmds.ValidateAssignRole(in)
	if err != nil {
		return commands.AssignRoleResult{}, err
	}
	if err := c.checkAssignee(ctx, in.User); err != nil {
		return commands.AssignRoleResult{}, err
	}
	res, err := c.cmds.AssignRole(ctx, in)
	if err != nil {
		return res, err
	}
	if ev := res.Event; ev.Kind != "" {
		c.log.Info().Str("incident", res.Incident.ID()).Str("role", ev.Role).Str("from", ev.From).Str("to", ev.To).
			Str("by", ev.Actor).Str("kind", string(ev.Kind)).Msg("role assigned")
	}
	return res, nil
}

// checkAssignee refuses users who cannot take a role: bots (the incident
// needs a person to act) and deactivated or unknown accounts (they would
// never see it). Messages name the user by their Slack name; every reply
// neutralises it.
func (c *core) checkAssignee(ctx context.Context, user string) error {
	const pick = "pick a person from the list Slack offers as you type @"
	unfit, name, err := c.personCheck(ctx, user)
	switch unfit {
	case unfitSlackbot:
		return incident.Errorf(incident.EINVALID, "Slackbot cannot hold a role: roles go to people; %s.", pick)
	case unfitUnknown:
		return incident.Errorf(incident.EINVALID, "I cannot find the user %s in this workspace; %s.", user, pick)
	case unfitBot:
		return incident.Errorf(incident.EINVALID, "@%s is a bot, and roles go to people who can act on them; %s.", name, pick)
	case unfitDeactivated:
		return incident.Errorf(incident.EINVALID, "@%s is deactivated and would never see the role; %s.", name, pick)
	}
	if err != nil {
		c.log.Warn().Err(err).Str("user", user).Msg("users.info failed while checking a role assignee")
		return incident.Errorf(incident.EINTERNAL, "I could not check that person with Slack just now, so nothing changed; please try again in a moment.")
	}
	return nil
}

// unfitness is why a user picked to act on an incident (a role holder, a
// commander) cannot: Slack's user pickers offer bots and deactivated
// accounts too.
type unfitness int

const (
	fitPerson unfitness = iota
	unfitSlackbot
	unfitUnknown // not in the workspace, or not visible to the bot
	unfitBot
	unfitDeactivated
)

// personCheck asks Slack (users.info, bounded by userCheckTimeout) whether
// user is a person who can act; name is their Slack name. err is a
// users.info failure that leaves it unknown (fitPerson); each caller
// decides what that means for it.
func (c *core) personCheck(ctx context.Context, user string) (unfit unfitness, name string, err error) {
	if user == slackbotID {
		return unfitSlackbot, "", nil
	}
	ctx, cancel := context.WithTimeout(ctx, userCheckTimeout)
	defer cancel()
	u, err := c.api.GetUserInfoContext(ctx, user)
	switch code := slackCode(err); {
	case code == "user_not_found" || code == "user_not_visible":
		return unfitUnknown, "", nil
	case err != nil:
		return fitPerson, "", err
	case u.IsBot:
		return unfitBot, u.Name, nil
	case u.Deleted:
		return unfitDeactivated, u.Name, nil
	}
	return fitPerson, u.Name, nil
}

// assignedText tells the assigner what happened. slash says whether the
// answer replies to a command (which always hears back) or to a pick (whose
// result the channel already shows).
func (c *core) assignedText(res commands.AssignRoleResult, slash bool) string {
	if res.Duplicate {
		return "That assignment was already received; nothing was done twice."
	}
	inc := res.Incident
	role := "*" + safe(c.cfg.Settings.RoleName(res.Role.ID), 60) + "*"
	var text string
	switch {
	case res.Unchanged:
		text = fmt.Sprintf("%s already holds %s for %s; nothing changed.", mention(res.Previous), role, inc.ID())
	case res.Handoff():
		text = fmt.Sprintf(":white_check_mark: %s passes from %s to %s for %s.", role, mention(res.Previous), mention(res.Event.To), inc.ID())
	default:
		text = fmt.Sprintf(":white_check_mark: %s is now %s for %s.", mention(res.Event.To), role, inc.ID())
	}
	if slash && !res.Unchanged {
		text += " I'm updating the card and the topic and telling the channel."
	}
	if !inc.Open() {
		text += fmt.Sprintf("\nNote: %s is resolved. The change is recorded for the follow-up work (postmortem, action items); the incident stays resolved.", inc.ID())
	}
	return text
}

// refusal is an error as an answer to the user who caused it: their
// mistake in words they can act on (neutralised, as it may quote them), or
// a generic line for internal failures.
func refusal(err error, command string) string {
	msg := mrkdwn.Neutralize(incident.ErrorMessage(err))
	if incident.ErrorCode(err) == incident.EINVALID {
		msg += "\nType `" + command + " help` to see every command."
	}
	return msg
}
