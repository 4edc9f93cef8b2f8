package commands

import (
	"cmp"
	"context"
	"fmt"
	"slices"

	"github.com/incidentbot/incidentbot/incident"
	"github.com/incidentbot/incidentbot/store"
)

// Membership answers whether user is a member of channel. The Slack
// adapter asks Slack (conversations.members); an error means it could not
// tell.
type Membership interface {
	IsMember(ctx context.Context, channel, user string) (bool, error)
}

// Listing is what List returns: the incidents the viewer may see.
type Listing struct {
	Incidents []*incident.Incident
	// Unchecked counts the private incidents left out because the
	// viewer's membership of their channel could not be checked.
	Unchecked int
}

// List returns the open incidents viewer may see (incident.VisibleTo),
// most severe first and, within a severity, oldest first. A severity no
// longer configured sorts last. Membership is asked only about private
// incidents with a channel; when it fails, or members is nil, the
// incident is left out (and counted in Unchecked).
func (s *Service) List(ctx context.Context, viewer string, members Membership) (Listing, error) {
	var open []*incident.Incident
	err := s.Store.View(func(tx store.Tx) error {
		var err error
		open, err = tx.OpenIncidents()
		return err
	})
	if err != nil {
		return Listing{}, fmt.Errorf("list open incidents: %w", err)
	}
	var out Listing
	for _, inc := range open {
		m := membershipOf(ctx, members, inc, viewer)
		switch {
		case inc.VisibleTo(viewer, m):
			out.Incidents = append(out.Incidents, inc)
		case inc.NeedsMembership(viewer) && m == incident.MembershipUnknown:
			out.Unchecked++
		}
	}
	rank := func(inc *incident.Incident) int {
		if r := s.Settings.SeverityRank(inc.Severity); r >= 0 {
			return r
		}
		return len(s.Settings.Severities)
	}
	slices.SortStableFunc(out.Incidents, func(a, b *incident.Incident) int {
		return cmp.Or(cmp.Compare(rank(a), rank(b)), cmp.Compare(a.Number, b.Number))
	})
	return out, nil
}

// membershipOf asks members whether viewer is in inc's channel, only when
// the answer matters to inc.VisibleTo. A failed or impossible check (nil
// members) is MembershipUnknown, which VisibleTo treats as "not shown".
func membershipOf(ctx context.Context, members Membership, inc *incident.Incident, viewer string) incident.Membership {
	if !inc.NeedsMembership(viewer) || members == nil {
		return incident.MembershipUnknown
	}
	in, err := members.IsMember(ctx, inc.ChannelID, viewer)
	switch {
	case err != nil:
		return incident.MembershipUnknown
	case in:
		return incident.Member
	default:
		return incident.NotMember
	}
}

// RolesOf lists the roles user holds in inc, in configured order.
func (s *Service) RolesOf(inc *incident.Incident, user string) []incident.Role {
	var out []incident.Role
	for _, r := range s.Settings.Roles {
		if user != "" && inc.Holder(r.ID) == user {
			out = append(out, r)
		}
	}
	return out
}
