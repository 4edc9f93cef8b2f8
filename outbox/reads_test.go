package outbox_test

import (
	"context"
	"path/filepath"
	"sync/atomic"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/incidentbot/incidentbot/incident"
	"github.com/incidentbot/incidentbot/internal/wake"
	"github.com/incidentbot/incidentbot/outbox"
	"github.com/incidentbot/incidentbot/store"
	"github.com/incidentbot/incidentbot/store/boltstore"
)

// readCounter is the bbolt store, counting the worker's reads of new jobs.
type readCounter struct {
	*boltstore.Store
	reads atomic.Int64
}

func (s *readCounter) PendingJobsAfter(after uint64, limit int) ([]store.Job, error) {
	s.reads.Add(1)
	return s.Store.PendingJobsAfter(after, limit)
}

// A burst of jobs committed at once (reminders falling due together) is
// read once: a job finishing is no reason to read the store again, only a
// commit that enqueued is. The worker used to read after every job.
func TestFinishedJobsDoNotRereadTheStore(t *testing.T) {
	const n = 50
	enqueued := wake.New()
	st := &readCounter{Store: openStore(t, filepath.Join(t.TempDir(), "s.db"), enqueued.Notify)}
	defer st.Close()
	err := st.Update(context.Background(), func(tx store.Tx) error {
		for range n {
			inc := &incident.Incident{Title: "t", Severity: "SEV1", Status: incident.Investigating}
			if err := tx.CreateIncident(inc); err != nil {
				return err
			}
			if _, err := tx.Enqueue(store.Job{Incident: inc.Number, Kind: "a"}); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	rec := &recorder{}
	w := outbox.New(outbox.Options{Store: st, Performer: rec, Wake: enqueued, Log: zerolog.Nop(), Grace: 200 * time.Millisecond})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); _ = w.Run(ctx) }()
	defer func() { cancel(); <-done }()
	wctx, wcancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer wcancel()
	if err := w.WaitIdle(wctx); err != nil {
		t.Fatal("outbox never became idle:", err)
	}
	if got := len(rec.list()); got != n {
		t.Fatalf("%d jobs done, want %d", got, n)
	}
	// The read on start, and one for the wake-up the commit left behind.
	if reads := st.reads.Load(); reads > 2 {
		t.Errorf("%d reads of new jobs for %d jobs committed before the start; want at most 2", reads, n)
	}
}
