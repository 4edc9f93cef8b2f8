package outbox_test

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"github.com/incidentbot/incidentbot/incident"
	"github.com/incidentbot/incidentbot/outbox"
	"github.com/incidentbot/incidentbot/store"
	"github.com/incidentbot/incidentbot/store/boltstore"
)

// BenchmarkDrain10kJobs enqueues 10,000 jobs over 10,000 incidents (a
// burst of reminders) and measures how long the worker takes to carry them
// out with a performer that does nothing: the worker's own overhead.
func BenchmarkDrain10kJobs(b *testing.B) {
	for b.Loop() {
		b.StopTimer()
		path := filepath.Join(b.TempDir(), "s.db")
		st, err := boltstore.Open(path, boltstore.Options{MaxBatchDelay: 2 * time.Millisecond})
		if err != nil {
			b.Fatal(err)
		}
		err = st.Update(context.Background(), func(tx store.Tx) error {
			for range 10_000 {
				inc := &incident.Incident{Title: "t", Severity: "SEV1", Status: incident.Investigating}
				if err := tx.CreateIncident(inc); err != nil {
					return err
				}
				if _, err := tx.Enqueue(store.Job{Incident: inc.Number, Kind: "post"}); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			b.Fatal(err)
		}
		w := outbox.New(outbox.Options{Store: st, Performer: outbox.PerformerFunc(func(context.Context, store.Job) (outbox.Apply, error) { return nil, nil })})
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan struct{})
		b.StartTimer()
		go func() { defer close(done); _ = w.Run(ctx) }()
		wctx, wcancel := context.WithTimeout(context.Background(), 5*time.Minute)
		if err := w.WaitIdle(wctx); err != nil {
			b.Fatal(err)
		}
		b.StopTimer()
		wcancel()
		cancel()
		<-done
		st.Close()
		b.StartTimer()
	}
}
