package pgstore_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/incidentbot/incidentbot/commands"
	"github.com/incidentbot/incidentbot/incident"
	"github.com/incidentbot/incidentbot/internal/clock"
	"github.com/incidentbot/incidentbot/store"
	"github.com/incidentbot/incidentbot/store/pgstore"
	"github.com/incidentbot/incidentbot/store/pgstore/pgtest"
)

// Two replicas' schedulers wake at the same moment with the same reminders
// due: every reminder fires once, on one replica, with one post enqueued
// and one timeline event. No lock of the scheduler's own does it: the
// serializable transaction that fires a reminder conflicts with the other
// replica's, which runs again and finds it already fired.
func TestDueRemindersFireOnceAcrossReplicas(t *testing.T) {
	dsn := pgtest.DSN(t)
	clk := clock.NewFake(t0)
	service := func() *commands.Service {
		return &commands.Service{Store: open(t, dsn, pgstore.Options{Now: clk.Now}), Settings: incident.DefaultSettings(), ChannelPrefix: "inc", Clock: clk}
	}
	a, b := service(), service()
	const n = 12
	for range n {
		if _, err := a.Declare(t.Context(), commands.DeclareInput{Title: "db down", Severity: "SEV1", DeclaredBy: "U1"}); err != nil {
			t.Fatal(err)
		}
	}
	jobsBefore := reminderJobs(t, a)
	clk.Advance(time.Hour)

	fired := map[uint64]int{}
	var mu sync.Mutex
	var wg sync.WaitGroup
	for _, s := range []*commands.Service{a, b, a, b} {
		wg.Go(func() {
			res, err := s.DueReminders(context.Background(), clk.Now())
			if err != nil {
				t.Error(err)
				return
			}
			mu.Lock()
			for _, num := range res.Reminded {
				fired[num]++
			}
			mu.Unlock()
		})
	}
	wg.Wait()
	if len(fired) != n {
		t.Errorf("%d incidents reminded, want %d", len(fired), n)
	}
	for num, times := range fired {
		if times != 1 {
			t.Errorf("%s reminded %d times", incident.FormatID(num), times)
		}
	}
	if got := reminderJobs(t, b) - jobsBefore; got != n {
		t.Errorf("%d reminder posts enqueued, want %d", got, n)
	}
	err := b.Store.View(func(tx store.Tx) error {
		for num := uint64(1); num <= n; num++ {
			evs, err := tx.Events(num)
			if err != nil {
				return err
			}
			reminders := 0
			for _, ev := range evs {
				if ev.Kind == incident.EventReminder {
					reminders++
				}
			}
			if reminders != 1 {
				t.Errorf("%s has %d reminder events, want 1", incident.FormatID(num), reminders)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// A delivery that Slack sends to two replicas at once is handled by one.
func TestADeliveryIsSeenOnceAcrossReplicas(t *testing.T) {
	dsn := pgtest.DSN(t)
	a, b := open(t, dsn, pgstore.Options{}), open(t, dsn, pgstore.Options{})
	for i := range 20 {
		key := "envelope-" + string(rune('a'+i))
		firsts := make(chan bool, 4)
		var wg sync.WaitGroup
		for _, s := range []*pgstore.Store{a, b, a, b} {
			wg.Go(func() {
				var seen bool
				if err := s.Update(t.Context(), func(tx store.Tx) error {
					var err error
					seen, err = tx.MarkSeen(key, t0)
					return err
				}); err != nil {
					t.Error(err)
				}
				firsts <- !seen
			})
		}
		wg.Wait()
		close(firsts)
		handled := 0
		for first := range firsts {
			if first {
				handled++
			}
		}
		if handled != 1 {
			t.Fatalf("%s handled by %d replicas, want 1", key, handled)
		}
	}
}

func reminderJobs(t *testing.T, s *commands.Service) int {
	t.Helper()
	jobs, err := s.Store.(*pgstore.Store).PendingJobs(0)
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, j := range jobs {
		if j.Kind == commands.JobReminder {
			n++
		}
	}
	return n
}
