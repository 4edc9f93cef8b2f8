package commands

import (
	"cmp"
	"fmt"
	"slices"

	"github.com/incidentbot/incidentbot/incident"
	"github.com/incidentbot/incidentbot/store"
)

// List returns the open incidents, most severe first and, within a
// severity, oldest first. A severity no longer configured sorts last.
func (s *Service) List() ([]*incident.Incident, error) {
	var open []*incident.Incident
	err := s.Store.View(func(tx *store.Tx) error {
		var err error
		open, err = tx.OpenIncidents()
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("list open incidents: %w", err)
	}
	rank := func(inc *incident.Incident) int {
		if r := s.Settings.SeverityRank(inc.Severity); r >= 0 {
			return r
		}
		return len(s.Settings.Severities)
	}
	slices.SortStableFunc(open, func(a, b *incident.Incident) int {
		return cmp.Or(cmp.Compare(rank(a), rank(b)), cmp.Compare(a.Number, b.Number))
	})
	return open, nil
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
