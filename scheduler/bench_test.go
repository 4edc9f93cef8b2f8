package scheduler_test

import (
	"context"
	"path/filepath"
	"slices"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/incidentbot/incidentbot/commands"
	"github.com/incidentbot/incidentbot/incident"
	"github.com/incidentbot/incidentbot/internal/clock"
	"github.com/incidentbot/incidentbot/scheduler"
	"github.com/incidentbot/incidentbot/store"
	"github.com/incidentbot/incidentbot/store/boltstore"
	"github.com/incidentbot/incidentbot/store/boltstore/bolttest"
)

const benchOpen = 10_000

// benchStore is a store (fsync on, as in production) holding benchOpen open
// SEV1 incidents whose reminders fall due at due(i).
func benchStore(b *testing.B, opts boltstore.Options, due func(i int) time.Time) *commands.Service {
	b.Helper()
	st := bolttest.OpenPath(b, filepath.Join(b.TempDir(), "bench.db"), opts)
	const chunk = 1000
	for start := 0; start < benchOpen; start += chunk {
		err := st.Update(context.Background(), func(tx store.Tx) error {
			for i := start; i < start+chunk; i++ {
				inc := &incident.Incident{Title: "bench", Severity: "SEV1", Status: incident.Investigating,
					Roles: map[string]string{incident.RoleCommander: "UCMDR0001"}, DeclaredAt: time.Now()}
				if err := tx.CreateIncident(inc); err != nil {
					return err
				}
				if err := tx.SetReminder(inc.Number, due(i)); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			b.Fatal(err)
		}
	}
	return &commands.Service{Store: st, Settings: incident.DefaultSettings(), AnnounceChannel: "CANNOUNCE", PostmortemReminder: 24 * time.Hour}
}

// BenchmarkRemindersReschedule10k is moving one reminder in the due-time
// index at 10,000 open incidents, committed on its own (fsync included, and
// the app's 2 ms batch window) as an update's transaction is: nearly all of
// it is the commit, which the update pays anyway.
func BenchmarkRemindersReschedule10k(b *testing.B) {
	later := time.Now().Add(time.Hour)
	svc := benchStore(b, boltstore.Options{MaxBatchDelay: 2 * time.Millisecond}, func(i int) time.Time { return later.Add(time.Duration(i) * time.Millisecond) })
	b.ReportAllocs()
	b.ResetTimer()
	for i := range b.N {
		n := uint64(i%benchOpen + 1)
		err := svc.Store.Update(context.Background(), func(tx store.Tx) error {
			return tx.SetReminder(n, later.Add(time.Duration(i)*time.Microsecond))
		})
		if err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkRemindersRescheduleInTx10k is the same move without the commit:
// the index work alone, inside a transaction that commits anyway.
func BenchmarkRemindersRescheduleInTx10k(b *testing.B) {
	later := time.Now().Add(time.Hour)
	svc := benchStore(b, boltstore.Options{}, func(i int) time.Time { return later.Add(time.Duration(i) * time.Millisecond) })
	b.ReportAllocs()
	b.ResetTimer()
	err := svc.Store.Update(context.Background(), func(tx store.Tx) error {
		for i := range b.N {
			if err := tx.SetReminder(uint64(i%benchOpen+1), later.Add(time.Duration(i)*time.Microsecond)); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		b.Fatal(err)
	}
}

// BenchmarkRemindersWake10k is one scheduler cycle with nothing due, at
// 10,000 scheduled reminders: what every commit that touches the schedule
// costs the scheduler (it reads the earliest entry; it never scans).
func BenchmarkRemindersWake10k(b *testing.B) {
	later := time.Now().Add(time.Hour)
	svc := benchStore(b, boltstore.Options{}, func(i int) time.Time { return later.Add(time.Duration(i) * time.Millisecond) })
	s := scheduler.New(scheduler.Options{Reminders: svc, Log: zerolog.Nop()})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- s.Run(ctx) }()
	defer func() { cancel(); <-done }()
	if err := s.Trigger(ctx); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	b.ResetTimer()
	for range b.N {
		if err := s.Trigger(ctx); err != nil {
			b.Fatal(err)
		}
	}
}

// firings records when each DueReminders call returned (its commits done)
// and what it fired.
type firings struct {
	svc  *commands.Service
	mu   sync.Mutex
	at   map[uint64]time.Time
	done chan struct{}
	want int
}

func (f *firings) DueReminders(ctx context.Context, now time.Time) (commands.DueResult, error) {
	res, err := f.svc.DueReminders(ctx, now)
	end := time.Now()
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, n := range res.Reminded {
		if _, ok := f.at[n]; !ok {
			f.at[n] = end
		}
	}
	if len(f.at) == f.want {
		select {
		case <-f.done:
		default:
			close(f.done)
		}
	}
	return res, err
}

func (f *firings) NextDue() (time.Time, bool, error) { return f.svc.NextDue() }

// runLateness runs the real scheduler on the real clock until every one of
// the 10,000 reminders has fired, and reports how late each was: from its
// due time to the commit of the transaction that fired it.
func runLateness(b *testing.B, offset func(i int) time.Duration) {
	for range b.N {
		b.StopTimer()
		start := time.Now().Add(500 * time.Millisecond)
		dues := make([]time.Time, benchOpen)
		for i := range dues {
			dues[i] = start.Add(offset(i))
		}
		svc := benchStore(b, boltstore.Options{MaxBatchDelay: 2 * time.Millisecond}, func(i int) time.Time { return dues[i] })
		f := &firings{svc: svc, at: map[uint64]time.Time{}, done: make(chan struct{}), want: benchOpen}
		s := scheduler.New(scheduler.Options{Reminders: f, Clock: clock.Real{}, Log: zerolog.Nop()})
		ctx, cancel := context.WithCancel(context.Background())
		stopped := make(chan error, 1)
		b.StartTimer()
		go func() { stopped <- s.Run(ctx) }()
		<-f.done
		b.StopTimer()
		cancel()
		<-stopped
		lates := make([]time.Duration, 0, benchOpen)
		for i, d := range dues {
			lates = append(lates, f.at[uint64(i+1)].Sub(d))
		}
		slices.Sort(lates)
		b.ReportMetric(float64(lates[len(lates)/2].Microseconds())/1000, "p50-late-ms")
		b.ReportMetric(float64(lates[len(lates)*99/100].Microseconds())/1000, "p99-late-ms")
		b.ReportMetric(float64(lates[len(lates)-1].Microseconds())/1000, "max-late-ms")
		b.ReportMetric(float64(s.Cycles()), "cycles")
		b.StartTimer()
	}
}

// BenchmarkRemindersLatenessSpread10k: 10,000 open incidents whose
// reminders fall due evenly over 10 s (1,000 a second, far above any real
// load).
func BenchmarkRemindersLatenessSpread10k(b *testing.B) {
	runLateness(b, func(i int) time.Duration { return time.Duration(i) * time.Millisecond })
}

// BenchmarkRemindersLatenessBurst10k: all 10,000 fall due at the same
// instant, as after an outage longer than every interval.
func BenchmarkRemindersLatenessBurst10k(b *testing.B) {
	runLateness(b, func(int) time.Duration { return 0 })
}

func cpuTime(b *testing.B) time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		b.Fatal(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// BenchmarkRemindersIdle10k measures the CPU the process spends while the
// scheduler waits for the earliest of 10,000 reminders, an hour away, next
// to the same process with no scheduler running: one op is one second of
// wall time (a measuring window, not a synchronisation). The scheduler runs
// no cycle, so the two should not differ.
func BenchmarkRemindersIdle10k(b *testing.B) {
	for _, run := range []bool{true, false} {
		name := "scheduler"
		if !run {
			name = "baseline"
		}
		b.Run(name, func(b *testing.B) {
			later := time.Now().Add(time.Hour)
			svc := benchStore(b, boltstore.Options{}, func(i int) time.Time { return later.Add(time.Duration(i) * time.Millisecond) })
			s := scheduler.New(scheduler.Options{Reminders: svc, Log: zerolog.Nop()})
			if run {
				ctx, cancel := context.WithCancel(context.Background())
				done := make(chan error, 1)
				go func() { done <- s.Run(ctx) }()
				defer func() { cancel(); <-done }()
				if err := s.Trigger(ctx); err != nil {
					b.Fatal(err)
				}
			}
			cycles := s.Cycles()
			b.ResetTimer()
			cpu := cpuTime(b)
			for range b.N {
				<-time.After(time.Second)
			}
			b.StopTimer()
			b.ReportMetric(float64((cpuTime(b)-cpu).Microseconds())/1000/float64(b.N), "cpu-ms/s")
			b.ReportMetric(float64(s.Cycles()-cycles), "cycles")
		})
	}
}
