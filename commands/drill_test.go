package commands_test

import (
	"context"
	"testing"

	"github.com/incidentbot/incidentbot/commands"
)

// A drill is announced in the drills channel, or not at all; never in the
// announce channel.
func TestDrillIsAnnouncedOnlyWhereDrillsAre(t *testing.T) {
	tests := []struct {
		drills   string
		announce bool
	}{
		{"CDRILLS", true},
		{"", false},
	}
	for _, tt := range tests {
		s := newService(t)
		s.DrillsChannel = tt.drills
		res, err := s.Declare(context.Background(), commands.DeclareInput{Title: "db failover", Drill: true, DeclaredBy: "UDECL"})
		if err != nil {
			t.Fatal(err)
		}
		if !res.Incident.Drill {
			t.Fatalf("declared %+v", res.Incident)
		}
		if got := s.AnnounceChannelFor(res.Incident); got != tt.drills {
			t.Fatalf("drills channel %q: announced in %q", tt.drills, got)
		}
		announced := false
		for _, k := range jobKinds(t, s.Store) {
			announced = announced || k == commands.JobAnnounce
		}
		if announced != tt.announce {
			t.Fatalf("drills channel %q: announce job enqueued = %v", tt.drills, announced)
		}
	}
}
