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
//
// The check compares headlines only (store.Tx.OpenHeadlines, in a read
// shared with the checks asking at the same time), then reads the few
// incidents it names: every declaration makes this check before its ack.
func (s *Service) PossibleDuplicates(ctx context.Context, title, service, viewer, key string, members Membership) ([]*incident.Incident, error) {
	open, err := s.openReads.get(func() (open []incident.Headline, err error) {
		err = s.Store.View(func(tx store.Tx) error {
			open, err = tx.OpenHeadlines()
			return err
		})
		return open, err
	})
	if err != nil {
		return nil, fmt.Errorf("possible duplicates: %w", err)
	}
	if svc, ok := s.Settings.Service(service); ok {
		service = svc.Name
	}
	matches := open.Duplicates(title, service, s.now())
	if len(matches) == 0 {
		return nil, nil
	}
	// Read after the open headlines (whose read may be shared): a
	// declaration seen here has committed, so if it was not yet seen, the
	// read above, older, cannot hold the incident it declared. An incident
	// resolved since that read is no longer one to warn about.
	var dups []*incident.Incident
	if err := s.Store.View(func(tx store.Tx) error {
		if key != "" {
			done, err := tx.Seen("declare:" + key)
			if err != nil || done {
				return err
			}
		}
		for _, m := range matches {
			inc, err := tx.Incident(m.Number)
			if errors.Is(err, store.ErrNotFound) {
				continue
			}
			if err != nil {
				return err
			}
			if inc.Open() {
				dups = append(dups, inc)
			}
		}
		return nil
	}); err != nil {
		return nil, fmt.Errorf("possible duplicates: %w", err)
	}
	var out []*incident.Incident
	for _, inc := range dups {
		m := membershipOf(ctx, members, inc, viewer)
		if inc.VisibleTo(viewer, m) {
			out = append(out, inc)
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
