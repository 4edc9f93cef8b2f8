package commands_test

import (
	"testing"

	"github.com/incidentbot/incidentbot/commands"
)

// While Slack's workspace limit binds, posts nobody waits for give way to
// the ones someone does: a declaration's, an update's, a role change's.
func TestBackgroundJobKinds(t *testing.T) {
	for kind, background := range map[string]bool{
		commands.JobReminder:       true, // update reminders, escalations, postmortem nudges
		commands.JobPostStats:      true,
		commands.JobArchiveWaiting: true,
		commands.JobPostCard:       false,
		commands.JobPostWelcome:    false,
		commands.JobAnnounce:       false,
		commands.JobPostUpdate:     false,
		commands.JobPost:           false, // role, severity, resolve messages
		commands.JobRefreshCard:    false,
		commands.JobCapture:        false,
		commands.JobSuggestAlert:   false,
		commands.JobOfferResolve:   false,
	} {
		if got := commands.Background(kind); got != background {
			t.Errorf("Background(%q) = %v, want %v", kind, got, background)
		}
	}
}
