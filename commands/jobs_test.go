package commands_test

import (
	"context"
	"testing"

	"github.com/incidentbot/incidentbot/commands"
	"github.com/incidentbot/incidentbot/store"
	"github.com/incidentbot/incidentbot/store/boltstore"
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

// takeJobs returns the pending jobs and completes them, so that the next
// look at the outbox sees only what came since.
func takeJobs(t *testing.T, s *commands.Service) []store.Job {
	t.Helper()
	jobs, err := s.Store.(*boltstore.Store).PendingJobs(0)
	if err != nil {
		t.Fatal(err)
	}
	err = s.Store.Update(context.Background(), func(tx store.Tx) error {
		for _, j := range jobs {
			if err := tx.CompleteJob(j.ID); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return jobs
}
