package commands_test

import (
	"context"
	"testing"

	"github.com/incidentbot/incidentbot/commands"
	"github.com/incidentbot/incidentbot/incident"
	"github.com/incidentbot/incidentbot/store"
)

// What a job achieved in Slack is recorded in the transaction the outbox
// worker hands over.
func TestJobResultsAreRecordedInTheGivenTransaction(t *testing.T) {
	tests := []struct {
		name   string
		record func(s *commands.Service, tx store.Tx, n uint64) error
		check  func(t *testing.T, inc *incident.Incident, events []incident.Event)
	}{
		{"the channel created", func(s *commands.Service, tx store.Tx, n uint64) error {
			return s.RecordChannelCreated(tx, n, "CINC1", "inc-1-db-down")
		}, func(t *testing.T, inc *incident.Incident, _ []incident.Event) {
			if inc.ChannelID != "CINC1" || inc.ChannelName != "inc-1-db-down" {
				t.Errorf("channel = %q %q", inc.ChannelID, inc.ChannelName)
			}
		}},
		{"the card posted", func(s *commands.Service, tx store.Tx, n uint64) error {
			return s.RecordCardPosted(tx, n, "1700000000.000100")
		}, func(t *testing.T, inc *incident.Incident, _ []incident.Event) {
			if inc.CardTS != "1700000000.000100" {
				t.Errorf("card ts = %q", inc.CardTS)
			}
		}},
		{"the announcement posted", func(s *commands.Service, tx store.Tx, n uint64) error {
			return s.RecordAnnounced(tx, n, "1700000000.000200")
		}, func(t *testing.T, inc *incident.Incident, _ []incident.Event) {
			if inc.AnnounceTS != "1700000000.000200" {
				t.Errorf("announcement ts = %q", inc.AnnounceTS)
			}
		}},
		{"people not invited", func(s *commands.Service, tx store.Tx, n uint64) error {
			return s.RecordNotInvited(tx, n, []commands.NotInvited{{User: "UGONE", Reason: "user_disabled"}})
		}, func(t *testing.T, _ *incident.Incident, events []incident.Event) {
			want := "Could not invite UGONE to the channel (user_disabled)."
			if notes := eventTexts(events, incident.EventNote); len(notes) != 1 || notes[0] != want {
				t.Errorf("notes = %q, want one %q", notes, want)
			}
		}},
		{"a delivery failed", func(s *commands.Service, tx store.Tx, n uint64) error {
			return s.RecordDeliveryFailed(tx, n, "post card failed: channel_not_found")
		}, func(t *testing.T, _ *incident.Incident, events []incident.Event) {
			want := "post card failed: channel_not_found"
			if got := eventTexts(events, incident.EventDeliveryFailed); len(got) != 1 || got[0] != want {
				t.Errorf("delivery failures = %q, want one %q", got, want)
			}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx := context.Background()
			s := newService(t)
			res, err := s.Declare(ctx, commands.DeclareInput{Title: "db down", DeclaredBy: "UDECL", IdempotencyKey: "d"})
			if err != nil {
				t.Fatal(err)
			}
			n := res.Incident.Number
			if err := s.Store.Update(ctx, func(tx store.Tx) error { return tt.record(s, tx, n) }); err != nil {
				t.Fatal(err)
			}
			inc, err := s.Incident(n)
			if err != nil {
				t.Fatal(err)
			}
			events, err := s.Timeline(n)
			if err != nil {
				t.Fatal(err)
			}
			tt.check(t, inc, events)
		})
	}
}

// A delivery failure of a job that belongs to no incident (the stats
// post) has no timeline to go on and is not an error.
func TestDeliveryFailureOfNoIncidentRecordsNothing(t *testing.T) {
	s := newService(t)
	err := s.Store.Update(context.Background(), func(tx store.Tx) error {
		return s.RecordDeliveryFailed(tx, 0, "post stats failed: channel_not_found")
	})
	if err != nil {
		t.Fatal(err)
	}
}

// Slack redelivers an event under a new envelope but its event ID: only
// the first delivery is acted on; an event without an ID always is.
func TestFirstDeliveryOfAnEvent(t *testing.T) {
	ctx := context.Background()
	s := newService(t)
	steps := []struct {
		id   string
		want bool
	}{
		{"Ev01", true},
		{"Ev01", false},
		{"Ev02", true},
		{"", true},
		{"", true},
	}
	for i, st := range steps {
		got, err := s.FirstDelivery(ctx, st.id)
		if err != nil {
			t.Fatal(err)
		}
		if got != st.want {
			t.Errorf("step %d: FirstDelivery(%q) = %v, want %v", i, st.id, got, st.want)
		}
	}
}

func eventTexts(events []incident.Event, kind incident.EventKind) []string {
	var out []string
	for _, e := range events {
		if e.Kind == kind {
			out = append(out, e.Text)
		}
	}
	return out
}
