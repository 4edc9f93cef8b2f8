package commands_test

import (
	"context"
	"fmt"
	"path/filepath"
	"sync/atomic"
	"testing"
	"time"

	"github.com/incidentbot/incidentbot/commands"
	"github.com/incidentbot/incidentbot/incident"
	"github.com/incidentbot/incidentbot/store"
	"github.com/incidentbot/incidentbot/store/boltstore"
)

// BenchmarkDeclareAndUpdate runs the real use-cases against a real,
// fsync'd store: one declaration and one status update per op, from many
// goroutines at once (as concurrent Slack users would).
func BenchmarkDeclareAndUpdate(b *testing.B) {
	st, err := boltstore.Open(filepath.Join(b.TempDir(), "b.db"), boltstore.Options{MaxBatchDelay: 2 * time.Millisecond})
	if err != nil {
		b.Fatal(err)
	}
	defer st.Close()
	s := &commands.Service{Store: st, Settings: incident.DefaultSettings(), ChannelPrefix: "inc", AnnounceChannel: "CANN"}
	var seq atomic.Int64
	b.SetParallelism(16)
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			n := seq.Add(1)
			res, err := s.Declare(context.Background(), commands.DeclareInput{Title: fmt.Sprintf("bench %d", n), Severity: "SEV2", DeclaredBy: "U1", IdempotencyKey: fmt.Sprint("d", n)})
			if err != nil {
				b.Error(err)
				return
			}
			if _, err := s.PostUpdate(context.Background(), commands.UpdateInput{Incident: res.Incident.ID(), Status: "identified", Severity: "SEV2", Summary: "found it", By: "U1", IdempotencyKey: fmt.Sprint("u", n)}); err != nil {
				b.Error(err)
				return
			}
		}
	})
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "declare+update/s")
}

// BenchmarkList100k is /incident list with 100,000 stored incidents, 100
// of them open.
func BenchmarkList100k(b *testing.B) {
	st, err := boltstore.Open(filepath.Join(b.TempDir(), "b.db"), boltstore.Options{NoSync: true})
	if err != nil {
		b.Fatal(err)
	}
	defer st.Close()
	for done := 0; done < 100_000; done += 5000 {
		err := st.Update(context.Background(), func(tx store.Tx) error {
			for i := done; i < done+5000; i++ {
				now := time.Now()
				inc := &incident.Incident{Title: fmt.Sprint("incident ", i), Severity: "SEV2", Status: incident.Investigating, StartedAt: now, DeclaredAt: now}
				if i >= 100 {
					inc.Status, inc.ResolvedAt = incident.Resolved, now
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
	}
	s := &commands.Service{Store: st, Settings: incident.DefaultSettings()}
	b.ResetTimer()
	for b.Loop() {
		open, err := s.List(context.Background(), "UBENCH", nil)
		if err != nil || len(open.Incidents) != 100 {
			b.Fatal(len(open.Incidents), err)
		}
	}
}
