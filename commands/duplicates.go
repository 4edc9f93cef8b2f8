package commands

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/incidentbot/incidentbot/incident"
	"github.com/incidentbot/incidentbot/store"
)

// PossibleDuplicates returns the open incidents that a declaration titled
// title for service possibly duplicates (incident.PossibleDuplicates), among
// those viewer may see: a private incident is named only to the members of
// its channel, so a non-member is never told its title or channel, and one
// whose membership cannot be checked is left out. key is the
// declaration's idempotency key: once it has declared, a redelivery is no
// duplicate of the incident it declared, so nothing is returned.
func (s *Service) PossibleDuplicates(ctx context.Context, title, service, viewer, key string, members Membership) ([]*incident.Incident, error) {
	open, err := s.openReads.get(func() (open []*incident.Incident, err error) {
		err = s.Store.View(func(tx store.Tx) error {
			open, err = tx.OpenIncidents()
			return err
		})
		return open, err
	})
	if err != nil {
		return nil, fmt.Errorf("possible duplicates: %w", err)
	}
	// Read after the open incidents (whose read may be shared): a
	// declaration seen here has committed, so if it was not yet seen, the
	// read above, older, cannot hold the incident it declared.
	if key != "" {
		var done bool
		if err := s.Store.View(func(tx store.Tx) error {
			var err error
			done, err = tx.Seen("declare:" + key)
			return err
		}); err != nil {
			return nil, fmt.Errorf("possible duplicates: %w", err)
		}
		if done {
			return nil, nil
		}
	}
	if svc, ok := s.Settings.Service(service); ok {
		service = svc.Name
	}
	var out []*incident.Incident
	for _, inc := range open.Duplicates(title, service, s.now()) {
		m := membershipOf(ctx, members, inc, viewer)
		if inc.VisibleTo(viewer, m) {
			c := *inc // the read is shared with other callers
			out = append(out, &c)
		}
	}
	return out, nil
}

// JoinInput is a click on "Join INC-N" offered by a duplicate warning.
type JoinInput struct {
	Number uint64
	User   string
}

// Join invites in.User into incident in.Number's channel. Only a public
// incident may be joined this way: a private one is joined by invitation
// from its members, and the answer for it reveals nothing (it is the same
// as for an incident that does not exist).
func (s *Service) Join(ctx context.Context, in JoinInput) (*incident.Incident, error) {
	if in.User == "" {
		return nil, incident.Errorf(incident.EINVALID, "joining needs the user who asks")
	}
	var inc *incident.Incident
	_, err := s.run(ctx, "join "+incident.FormatID(in.Number), "", func(tx store.Tx, _ time.Time) error {
		var err error
		inc, err = tx.Incident(in.Number)
		if errors.Is(err, store.ErrNotFound) || err == nil && inc.Private {
			return incident.Errorf(incident.ENOTFOUND, "There is no public incident %s to join.", incident.FormatID(in.Number))
		}
		if err != nil {
			return err
		}
		if !inc.Open() {
			return incident.Errorf(incident.ECONFLICT, "%s is resolved already.", inc.ID())
		}
		if inc.ChannelID == "" {
			return incident.Errorf(incident.ECONFLICT, "%s's channel is still being created; try again in a moment.", inc.ID())
		}
		return enqueue(tx, inc.Number, JobInvite, InvitePayload{Users: []string{in.User}})
	})
	if err != nil {
		return nil, err
	}
	return inc, nil
}
