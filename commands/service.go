// Package commands holds incidentbot's use-cases (declare, assign a role,
// post an update, resolve, …) and the slash-text parser. Each use-case
// validates its input, changes state and enqueues the side effects it
// implies in one store transaction, and returns what the user should be
// told. It knows nothing of Slack's API: the bot translates payloads into
// these calls and performs the enqueued jobs.
package commands

import (
	"time"

	"github.com/incidentbot/incidentbot/incident"
	"github.com/incidentbot/incidentbot/internal/clock"
	"github.com/incidentbot/incidentbot/store"
)

// Service runs the use-cases against one store.
type Service struct {
	Store    *store.Store
	Settings incident.Settings
	// ChannelPrefix starts every incident channel's name ("inc").
	ChannelPrefix string
	// AnnounceChannel receives declarations and updates; "" for none.
	AnnounceChannel string
	Clock           clock.Clock
}

func (s *Service) now() time.Time {
	if s.Clock == nil {
		return time.Now().UTC()
	}
	return s.Clock.Now().UTC()
}
