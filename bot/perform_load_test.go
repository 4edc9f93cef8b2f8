package bot

import (
	"context"
	"testing"

	"github.com/incidentbot/incidentbot/commands"
	"github.com/incidentbot/incidentbot/incident"
	"github.com/incidentbot/incidentbot/outbox"
	"github.com/incidentbot/incidentbot/store"
)

// A job whose incident cannot be read is given up only when the incident
// does not exist. A store that cannot answer just now (PostgreSQL
// restarting, a closed file) is a retry: giving up would drop an
// acknowledged side effect.
func TestAJobWhoseIncidentCannotBeReadNowIsRetried(t *testing.T) {
	cases := []struct {
		name      string
		incident  uint64
		closed    bool
		permanent bool
	}{
		{name: "the incident does not exist", incident: 99, permanent: true},
		{name: "the store cannot answer", incident: 1, closed: true, permanent: false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			w := newFuzzWorld(t, incident.DefaultSettings())
			w.slash("UALICE001", "CGENERAL01", "declare SEV2 Checkout returns 500s")
			w.drain()
			if tc.closed {
				if err := w.store.Close(); err != nil {
					t.Fatal(err)
				}
			}
			job := store.Job{ID: 1000, Incident: tc.incident, Kind: commands.JobSetTopic}
			_, err := w.b.performer.Perform(context.Background(), job)
			if err == nil {
				t.Fatal("the job ran without its incident")
			}
			if got := outbox.IsPermanent(err); got != tc.permanent {
				t.Fatalf("permanent = %v, want %v (error: %v)", got, tc.permanent, err)
			}
		})
	}
}
