// Package commands holds incidentbot's use-cases (declare, assign a role,
// post an update, resolve, …) and the slash-text parser. Each use-case
// validates its input, then in one store transaction (run, in run.go)
// changes the incident through its lifecycle methods (package incident owns
// the rules), records the events they return and enqueues the side effects
// they imply, and returns what the user should be told. It knows nothing
// of Slack's API: the bot translates payloads into these calls and performs
// the enqueued jobs.
package commands

import (
	"errors"
	"time"

	"github.com/incidentbot/incidentbot/incident"
	"github.com/incidentbot/incidentbot/internal/clock"
	"github.com/incidentbot/incidentbot/store"
	"github.com/incidentbot/incidentbot/templates"
)

// Service runs the use-cases against one store.
type Service struct {
	Store    Store
	Settings incident.Settings
	// ChannelPrefix starts every incident channel's name ("inc").
	ChannelPrefix string
	// AnnounceChannel receives declarations and updates; "" for none.
	AnnounceChannel string
	// DrillsChannel receives drills' declarations and updates instead of
	// AnnounceChannel; "" for none.
	DrillsChannel string
	// Command is the slash command's name ("/incident"), for messages.
	Command string
	Clock   clock.Clock
	// PostmortemReminder is how long after resolution the commander is
	// reminded to draft the postmortem, if nobody has; 0 disables it.
	PostmortemReminder time.Duration
	// ArchiveAfter is how long after resolution an incident's channel is
	// archived (see archive.go); 0 disables it.
	ArchiveAfter time.Duration
	// Destinations are the tools outside Slack told about incidents (see
	// events.go); the zero value tells none.
	Destinations Destinations
	// Alerts says what Alertmanager's notifications do (alerts.go).
	Alerts AlertPolicy

	openReads openReads // see openread.go
}

// AnnounceChannelFor is where inc is announced and its updates threaded,
// "" for nowhere (see incident.Announcements).
func (s *Service) AnnounceChannelFor(inc *incident.Incident) string {
	return incident.Announcements{Channel: s.AnnounceChannel, Drills: s.DrillsChannel}.ChannelFor(inc)
}

// command is the slash command's name for messages.
func (s *Service) command() string {
	if s.Command == "" {
		return templates.DefaultCommand
	}
	return s.Command
}

// incidentIn returns the incident whose channel is channelID, or an
// EINVALID error telling the user to run the command in one.
func (s *Service) incidentIn(tx store.Tx, channelID string) (*incident.Incident, error) {
	inc, err := tx.IncidentByChannel(channelID)
	if errors.Is(err, store.ErrNotFound) {
		return nil, incident.Errorf(incident.EINVALID, "This command works only in an incident's channel. Run it there; `%s list` shows the open incidents and their channels.", s.command())
	}
	if err != nil {
		return nil, err
	}
	return inc, nil
}

func (s *Service) now() time.Time {
	if s.Clock == nil {
		return time.Now().UTC()
	}
	return s.Clock.Now().UTC()
}
