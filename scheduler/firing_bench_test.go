package scheduler_test

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"github.com/incidentbot/incidentbot/commands"
	"github.com/incidentbot/incidentbot/incident"
	"github.com/incidentbot/incidentbot/store"
	"github.com/incidentbot/incidentbot/store/boltstore"
	"github.com/incidentbot/incidentbot/store/boltstore/bolttest"
)

// BenchmarkFiringStoreSide10k is the store's part of 10,000 reminders
// falling due at once, without Slack: the firing (DueReminders: each
// reminder's incident read, its event, job and next reminder written, the
// incident stored again, in groups of 500 per commit), then, as the outbox
// does, each reminder job's read of its incident and the jobs completed in
// groups of 128. The incidents are as a declaration leaves them (channel,
// card, announcement, two roles). cpu-us/reminder is the process's CPU
// over all of it, fsyncs' waits left out.
func BenchmarkFiringStoreSide10k(b *testing.B) {
	const n = 10_000
	ctx := context.Background()
	var cpu time.Duration
	for range b.N {
		b.StopTimer()
		st := bolttest.OpenPath(b, filepath.Join(b.TempDir(), "bench.db"), boltstore.Options{MaxBatchDelay: 2 * time.Millisecond})
		declared := time.Date(2026, 12, 5, 9, 0, 0, 0, time.UTC)
		for start := 0; start < n; start += 1000 {
			err := st.Update(ctx, func(tx store.Tx) error {
				for i := start; i < start+1000; i++ {
					inc := &incident.Incident{Title: "Checkout returns 500s for some customers", Summary: "Payments fail at the last step",
						Severity: "SEV1", Status: incident.Investigating, DeclaredBy: "U0ALICE0001",
						Roles:     map[string]string{incident.RoleCommander: "U0ALICE0001", "comms": "U0BOB00002"},
						StartedAt: declared, DeclaredAt: declared, NextUpdateAt: declared.Add(15 * time.Minute),
						ChannelID: "C0123ABCD", ChannelName: "inc-checkout-returns-500s-for-some-customers",
						CardTS: "1764925200.000100", AnnounceTS: "1764925200.000200"}
					if err := tx.CreateIncident(inc); err != nil {
						return err
					}
					inc.ChannelID += inc.ID()
					if err := tx.PutIncident(inc); err != nil {
						return err
					}
					if err := tx.SetReminder(inc.Number, declared.Add(15*time.Minute)); err != nil {
						return err
					}
				}
				return nil
			})
			if err != nil {
				b.Fatal(err)
			}
		}
		svc := &commands.Service{Store: st, Settings: incident.DefaultSettings(), AnnounceChannel: "CANNOUNCE"}
		before := cpuTime(b)
		b.StartTimer()
		res, err := svc.DueReminders(ctx, declared.Add(16*time.Minute))
		if err != nil || len(res.Reminded) != n {
			b.Fatalf("fired %d, %v", len(res.Reminded), err)
		}
		jobs, err := st.PendingJobsAfter(0, 0)
		if err != nil {
			b.Fatal(err)
		}
		for start := 0; start < len(jobs); start += 128 {
			group := jobs[start:min(start+128, len(jobs))]
			for _, j := range group {
				if _, err := svc.Incident(j.Incident); err != nil {
					b.Fatal(err)
				}
			}
			err := st.Update(ctx, func(tx store.Tx) error {
				for _, j := range group {
					if err := tx.CompleteJob(j.ID); err != nil {
						return err
					}
				}
				return nil
			})
			if err != nil {
				b.Fatal(err)
			}
		}
		b.StopTimer()
		cpu += cpuTime(b) - before
		if err := st.Close(); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(cpu.Microseconds())/float64(b.N*n), "cpu-us/reminder")
}
