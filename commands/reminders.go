package commands

import (
	"time"

	"github.com/incidentbot/incidentbot/incident"
	"github.com/incidentbot/incidentbot/store"
)

// scheduleReminder sets when the bot will next remind the incident's comms
// lead to post a status update: from + the severity's interval while the
// incident is open and its severity has one; otherwise no reminder.
func (s *Service) scheduleReminder(tx *store.Tx, inc *incident.Incident, from time.Time) error {
	sev, ok := s.Settings.Severity(inc.Severity)
	if !inc.Open() || !ok || sev.Reminder <= 0 {
		return tx.ClearReminder(inc.Number)
	}
	return tx.SetReminder(inc.Number, from.Add(sev.Reminder))
}
