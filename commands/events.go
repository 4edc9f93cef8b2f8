package commands

import (
	"github.com/incidentbot/incidentbot/incident"
	"github.com/incidentbot/incidentbot/store"
)

// appendEvent adds ev to inc's timeline. Every use-case appends timeline
// events through here.
func (s *Service) appendEvent(tx store.Tx, inc *incident.Incident, ev incident.Event) (incident.Event, error) {
	return tx.AppendEvent(inc.Number, ev)
}
