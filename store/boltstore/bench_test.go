package boltstore_test

import (
	"context"
	"fmt"
	"path/filepath"
	"testing"

	"github.com/incidentbot/incidentbot/incident"
	"github.com/incidentbot/incidentbot/store"
	"github.com/incidentbot/incidentbot/store/boltstore"
	"github.com/incidentbot/incidentbot/store/boltstore/bolttest"
)

// BenchmarkDeclareTx is the write a declaration makes — the incident, its
// first timeline event and three outbox jobs in one durable Update — from
// many goroutines at once, as a burst of commands would. ns/op is the
// throughput cost; with grouped commits it is far below one fsync.
func BenchmarkDeclareTx(b *testing.B) {
	s := bolttest.Open(b)
	payload := []byte(`{"name":"inc-1-database-down","private":false}`)
	b.SetParallelism(64) // 64 × GOMAXPROCS writers: a burst, not a trickle
	b.ReportAllocs()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			err := s.Update(context.Background(), func(tx store.Tx) error {
				inc := newIncident("database down")
				if err := tx.CreateIncident(inc); err != nil {
					return err
				}
				if _, err := tx.AppendEvent(inc.Number, incident.Event{Kind: incident.EventDeclared, Actor: "U1"}); err != nil {
					return err
				}
				for _, kind := range []string{"create_channel", "post_card", "announce"} {
					if _, err := tx.Enqueue(store.Job{Incident: inc.Number, Kind: kind, Payload: payload}); err != nil {
						return err
					}
				}
				return nil
			})
			if err != nil {
				b.Error(err)
				return
			}
		}
	})
}

// BenchmarkOpenIncidents is start-up's read: the open incidents among many
// stored ones. Its cost should follow the open count, not the total.
func BenchmarkOpenIncidents(b *testing.B) {
	for _, total := range []int{1_000, 100_000} {
		const open = 50
		b.Run(fmt.Sprintf("total=%d/open=%d", total, open), func(b *testing.B) {
			s := bolttest.OpenPath(b, filepath.Join(b.TempDir(), "bench.db"), boltstore.Options{NoSync: true})
			const perTx = 10_000
			for done := 0; done < total; done += perTx {
				err := s.Update(context.Background(), func(tx store.Tx) error {
					for i := done; i < min(done+perTx, total); i++ {
						inc := newIncident(fmt.Sprint("incident ", i))
						if i%(total/open) != 0 {
							inc.Status = incident.Resolved
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
			b.ReportAllocs()
			b.ResetTimer()
			for b.Loop() {
				err := s.View(func(tx store.Tx) error {
					incs, err := tx.OpenIncidents()
					if err == nil && len(incs) != open {
						err = fmt.Errorf("%d open, want %d", len(incs), open)
					}
					return err
				})
				if err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
