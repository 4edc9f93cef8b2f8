package bot

import (
	"context"
	"time"

	"github.com/incidentbot/incidentbot/incident"
)

// memberCheckTimeout bounds the membership check an interaction makes
// before its ack: Slack shows the user an error if the ack takes over 3 s.
const memberCheckTimeout = 1500 * time.Millisecond

// stillMember refuses user acting on a private incident whose channel
// they are not in (incident.VisibleTo). A slash command is typed in the
// incident's channel, which only its members can do; a form, a button or
// a menu is not: Slack keeps a modal open, and a message's buttons on a
// client's screen, after its user leaves the channel or is removed from
// it. Their submission would otherwise post to a channel the user can no
// longer read, and answer them with what it now holds. Slack's member
// list decides (members.IsMember, refreshed at once by
// member_left_channel); when Slack cannot say, nothing is done.
func (c *core) stillMember(ctx context.Context, inc *incident.Incident, user string) error {
	m := incident.MembershipUnknown
	if inc.NeedsMembership(user) {
		ctx, cancel := context.WithTimeout(ctx, memberCheckTimeout)
		defer cancel()
		in, err := c.members.IsMember(ctx, inc.ChannelID, user)
		switch {
		case err != nil:
			return incident.Errorf(incident.EUNAVAILABLE, "%s is private, and Slack could not confirm just now that you are still in its channel, so nothing was done. Please try again in a moment.", inc.ID())
		case in:
			m = incident.Member
		default:
			m = incident.NotMember
		}
	}
	if inc.VisibleTo(user, m) {
		return nil
	}
	c.log.Info().Str("incident", inc.ID()).Str("user", user).Msg("refused: acting on a private incident from outside its channel")
	return incident.Errorf(incident.ECONFLICT, "%s is private to the members of its channel, and you are not in it any more, so nothing was done. Ask someone in the channel to add you back.", inc.ID())
}

// stillMemberIn is stillMember for the incident whose channel is channel
// (where the button was clicked).
func (c *core) stillMemberIn(ctx context.Context, channel, user string) error {
	inc, err := c.cmds.IncidentInChannel(channel)
	return c.stillMemberFound(ctx, user, inc, err)
}

// stillMemberOf is stillMember for the incident called id (INC-N), as a
// form's private_metadata or a button's value names it.
func (c *core) stillMemberOf(ctx context.Context, id, user string) error {
	inc, err := c.cmds.IncidentByID(id)
	return c.stillMemberFound(ctx, user, inc, err)
}

// stillMemberFound checks the incident a lookup found (inc, or the
// lookup's err). A channel of no incident, or an ID of none, is left to
// the use-case, which says so in its own words; a store that cannot
// answer refuses, since whether the incident is private is then unknown.
func (c *core) stillMemberFound(ctx context.Context, user string, inc *incident.Incident, err error) error {
	switch incident.ErrorCode(err) {
	case "":
		return c.stillMember(ctx, inc, user)
	case incident.EINVALID, incident.ENOTFOUND:
		return nil
	}
	return err
}
