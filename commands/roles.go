package commands

import (
	"context"
	"errors"
	"strings"
	"time"

	"github.com/incidentbot/incidentbot/incident"
	"github.com/incidentbot/incidentbot/store"
)

// Templates of the messages a role change posts (files in templates/).
const (
	TemplateRoleAssigned  = "role_assigned.tmpl"  // in the channel: someone takes a role nobody held
	TemplateRoleHandoff   = "role_handoff.tmpl"   // in the channel: a role passes from one person to another
	TemplateRoleCommander = "role_commander.tmpl" // in the announcement's thread: who commands now
)

// AssignRoleInput gives a role to someone, from the slash command or the
// summary card's role picker.
type AssignRoleInput struct {
	// ChannelID names the incident by its channel; when it is "", Number
	// names it.
	ChannelID string
	Number    uint64
	// Role is the role as the user named it: an ID, a name, initials or an
	// unambiguous prefix (see incident.Settings.ResolveRole).
	Role string
	// User takes the role; By is who assigns it. Whether User is a person
	// who can take a role (not a bot, not deactivated) is for the caller,
	// which can ask Slack, to check.
	User string
	By   string
	// IdempotencyKey identifies the delivery (a slash command's trigger_id;
	// a pick's message ts, action_ts and user): a second assignment with the
	// same key does nothing.
	IdempotencyKey string
}

// AssignRoleResult is the outcome of AssignRole.
type AssignRoleResult struct {
	// Incident is the incident as it is after the assignment.
	Incident *incident.Incident
	Role     incident.Role
	// Previous held the role before; "" when nobody did.
	Previous string
	// Event is the timeline entry recorded; zero when nothing changed.
	Event incident.Event
	// Unchanged is true when User already held the role: nothing was
	// recorded and nothing will be posted.
	Unchanged bool
	// Duplicate is true when the key had been handled before; only
	// Incident is set.
	Duplicate bool
}

// Handoff reports whether the role passed from someone else to the new
// holder (rather than being taken up when nobody held it).
func (r AssignRoleResult) Handoff() bool { return r.Event.Kind == incident.EventRoleHandoff }

// ValidateAssignRole checks an assignment without writing anything, in the
// order a user would fix it (where, which role, who), and returns it
// normalised: Number set and Role the role's ID. The bot calls it before
// asking Slack about the user, so that a wrong channel or role is reported
// without a round trip.
func (s *Service) ValidateAssignRole(in AssignRoleInput) (AssignRoleInput, error) {
	err := s.Store.View(func(tx store.Tx) error {
		inc, err := s.roleIncident(tx, in)
		if err != nil {
			return err
		}
		in.Number = inc.Number
		return nil
	})
	if err != nil {
		return in, err
	}
	role, err := s.Settings.ResolveRole(in.Role)
	if err != nil {
		return in, err
	}
	in.Role = role.ID
	in.User = strings.TrimSpace(in.User)
	if in.User == "" {
		return in, incident.Errorf(incident.EINVALID, "say who takes the %s role: %s", role.ID, roleForm(s.command()))
	}
	if in.By == "" {
		return in, incident.Errorf(incident.EINVALID, "an assignment needs the assigning user")
	}
	return in, nil
}

// AssignRole gives the role to User in one transaction: it records the
// assignment (or, when someone else held the role, the handoff: from whom,
// to whom, by whom) on the timeline, and enqueues the invitation of the new
// holder, the refresh of the card, topic and announcement, a message in the
// channel, and for the commander a message in the announcement's thread.
// Giving a role to the person who holds it changes nothing (Unchanged). A
// resolved incident's roles may still change, for the follow-up work; the
// caller tells the user it is resolved.
func (s *Service) AssignRole(ctx context.Context, in AssignRoleInput) (AssignRoleResult, error) {
	in, err := s.ValidateAssignRole(in)
	if err != nil {
		return AssignRoleResult{}, err
	}
	role, err := s.Settings.ResolveRole(in.Role)
	if err != nil {
		return AssignRoleResult{}, err
	}
	var res AssignRoleResult
	dup, err := s.run(ctx, "assign "+in.Role+" to "+in.User, deliveryKey("role", in.IdempotencyKey), func(tx store.Tx, now time.Time) error {
		inc, err := tx.Incident(in.Number)
		if err != nil {
			return err
		}
		res = AssignRoleResult{Incident: inc, Role: role, Previous: inc.Holder(role.ID)}
		ev, changed, err := inc.AssignRole(role.ID, in.User, in.By, now)
		if err != nil || !changed {
			res.Unchanged = !changed
			return err
		}
		if res.Event, err = s.appendEvent(tx, inc, ev); err != nil {
			return err
		}
		if err := tx.PutIncident(inc); err != nil {
			return err
		}
		return s.enqueueRoleJobs(tx, inc, res.Event)
	})
	if err != nil {
		return AssignRoleResult{}, err
	}
	if dup {
		// The answer to a redelivery names the incident as it is now.
		inc, err := s.IncidentByID(incident.FormatID(in.Number))
		return AssignRoleResult{Incident: inc, Role: role, Duplicate: true}, err
	}
	return res, nil
}

// enqueueRoleJobs enqueues the side effects of a role change as a graph,
// in two round trips: the invitation, the refreshes and (for the
// commander) the thread's message at once; then the channel's message,
// which waits until the new holder is in the channel and the card shows
// them by the time they read it.
func (s *Service) enqueueRoleJobs(tx store.Tx, inc *incident.Incident, ev incident.Event) error {
	g := &jobGraph{tx: tx, number: inc.Number}
	invite, err := g.add(JobInvite, InvitePayload{Users: []string{ev.To}})
	if err != nil {
		return err
	}
	card, err := g.add(JobRefreshCard, nil)
	if err != nil {
		return err
	}
	for _, kind := range []string{JobSetTopic, JobRefreshAnnouncement} {
		if _, err := g.add(kind, nil); err != nil {
			return err
		}
	}
	tmpl := TemplateRoleAssigned
	if ev.Kind == incident.EventRoleHandoff {
		tmpl = TemplateRoleHandoff
	}
	if _, err := addPost(g, TargetChannel, tmpl, ev, invite, card); err != nil {
		return err
	}
	if ev.Role == incident.RoleCommander {
		// Stakeholders follow the announcement's thread; the refreshed
		// announcement alone would change silently.
		_, err = addPost(g, TargetThread, TemplateRoleCommander, ev)
	}
	return err
}

// roleIncident finds the incident an assignment is about: by channel (an
// EINVALID error outside an incident channel) or by number.
func (s *Service) roleIncident(tx store.Tx, in AssignRoleInput) (*incident.Incident, error) {
	if in.ChannelID != "" {
		return s.incidentIn(tx, in.ChannelID)
	}
	inc, err := tx.Incident(in.Number)
	if errors.Is(err, store.ErrNotFound) {
		return nil, incident.Errorf(incident.ENOTFOUND, "%s does not exist; `%s list` shows the open incidents", incident.FormatID(in.Number), s.command())
	}
	return inc, err
}

// RefreshCard re-renders the summary card of the incident whose channel is
// channelID, and nothing else. A role picker on the card keeps showing
// whoever was picked until the message is re-rendered, so a pick that was
// refused needs this to show the real holder again. Going through the
// outbox keeps it in order with every other edit of the card.
func (s *Service) RefreshCard(ctx context.Context, channelID string) error {
	_, err := s.run(ctx, "refresh card in "+channelID, "", func(tx store.Tx, _ time.Time) error {
		inc, err := s.incidentIn(tx, channelID)
		if err != nil {
			return err
		}
		return enqueue(tx, inc.Number, JobRefreshCard, nil)
	})
	return err
}
