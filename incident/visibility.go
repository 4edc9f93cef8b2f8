package incident

// Membership is what is known of whether a viewer is in an incident's
// channel. The channel's member list in Slack is the truth; the domain only
// decides what follows from it.
type Membership int

const (
	// MembershipUnknown means nobody asked, or Slack could not answer. It
	// counts as not a member: when in doubt a private incident stays
	// hidden.
	MembershipUnknown Membership = iota
	// Member means the viewer is in the incident's channel.
	Member
	// NotMember means the viewer is not in the incident's channel.
	NotMember
)

// NeedsMembership reports whether VisibleTo's answer for viewer depends on
// the viewer's membership of the incident's channel, so that callers ask
// Slack only when it matters: for a private incident whose channel exists.
func (i *Incident) NeedsMembership(viewer string) bool {
	return i.Private && i.ChannelID != "" && viewer != ""
}

// VisibleTo reports whether viewer (a Slack user ID; "" for someone who is
// not a known Slack user, such as a caller of the ops listener) may see the
// incident at all: its title, people, channel and timeline.
//
//   - A public incident is visible to everyone.
//   - A private incident is visible to the members of its channel only, and
//     only when membership is known to be Member.
//   - A private incident whose channel does not exist yet (just declared, or
//     its creation failed) is visible to its declarer and its role holders:
//     the people the bot is about to invite, who already know of it.
//   - A private incident is never visible to "".
func (i *Incident) VisibleTo(viewer string, m Membership) bool {
	if !i.Private {
		return true
	}
	if viewer == "" {
		return false
	}
	if i.ChannelID != "" {
		return m == Member
	}
	if viewer == i.DeclaredBy {
		return true
	}
	for _, holder := range i.Roles {
		if holder == viewer {
			return true
		}
	}
	return false
}
