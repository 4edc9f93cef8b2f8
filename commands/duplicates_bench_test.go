package commands_test

import (
	"context"
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"github.com/incidentbot/incidentbot/commands"
	"github.com/incidentbot/incidentbot/incident"
	"github.com/incidentbot/incidentbot/store"
	"github.com/incidentbot/incidentbot/store/boltstore"
)

// BenchmarkPossibleDuplicates is the check every declaration makes before
// its ack, alone (no read shared with another), with 200 and 2,000
// incidents open, titled as BenchmarkAckLatency200Concurrent in app titles
// its declarations ("load N": no two are similar, so every open title is a
// candidate until compared).
func BenchmarkPossibleDuplicates(b *testing.B) {
	for _, open := range []int{200, 2000} {
		b.Run(fmt.Sprint(open, "open"), func(b *testing.B) {
			st, err := boltstore.Open(filepath.Join(b.TempDir(), "b.db"), boltstore.Options{NoSync: true})
			if err != nil {
				b.Fatal(err)
			}
			defer st.Close()
			now := time.Now()
			err = st.Update(context.Background(), func(tx store.Tx) error {
				for i := range open {
					inc := &incident.Incident{
						Title: fmt.Sprint("load ", i), Summary: "declared by the benchmark", Severity: "SEV3", Status: incident.Investigating,
						DeclaredBy: "U1", Roles: map[string]string{"commander": "U1"}, StartedAt: now, DeclaredAt: now,
						LastUpdateAt: now, NextUpdateAt: now.Add(30 * time.Minute), ChannelID: fmt.Sprint("C", i), ChannelName: fmt.Sprint("inc-", i, "-load"),
						CardTS: "1700000000.000100", AnnounceTS: "1700000000.000200",
					}
					if err := tx.CreateIncident(inc); err != nil {
						return err
					}
				}
				return nil
			})
			if err != nil {
				b.Fatal(err)
			}
			s := &commands.Service{Store: st, Settings: incident.DefaultSettings()}
			n := open
			for b.Loop() {
				n++
				dups, err := s.PossibleDuplicates(context.Background(), fmt.Sprint("load ", n), "", "U1", fmt.Sprint("slash:", n), nil)
				if err != nil || len(dups) != 0 {
					b.Fatal(dups, err)
				}
			}
		})
	}
}
