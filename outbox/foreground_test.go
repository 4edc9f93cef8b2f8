package outbox_test

import (
	"context"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/incidentbot/incidentbot/internal/clock"
	"github.com/incidentbot/incidentbot/internal/wake"
	"github.com/incidentbot/incidentbot/outbox"
	"github.com/incidentbot/incidentbot/store"
)

// foreground is a Foreground the test makes busy and idle.
type foreground struct {
	mu   sync.Mutex
	idle chan struct{} // nil while idle
}

func (f *foreground) Busy() <-chan struct{} {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.idle == nil {
		return nil
	}
	return f.idle
}

func (f *foreground) set(busy bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	switch {
	case busy && f.idle == nil:
		f.idle = make(chan struct{})
	case !busy && f.idle != nil:
		close(f.idle)
		f.idle = nil
	}
}

// startWithForeground is start with the worker giving way to fg for at
// most maxHold.
func startWithForeground(t *testing.T, p outbox.Performer, clk clock.Clock, fg outbox.Foreground, maxHold time.Duration) *harness {
	t.Helper()
	h := &harness{t: t, path: filepath.Join(t.TempDir(), "bot.db"), done: make(chan struct{})}
	enqueued := wake.New()
	h.store = openStore(t, h.path, enqueued.Notify)
	h.worker = outbox.New(outbox.Options{Store: h.store, Performer: p, Wake: enqueued, Clock: clk, Log: zerolog.Nop(), Grace: 200 * time.Millisecond, Foreground: fg, MaxHold: maxHold})
	ctx, cancel := context.WithCancel(context.Background())
	h.cancel = cancel
	go func() { defer close(h.done); _ = h.worker.Run(ctx) }()
	t.Cleanup(h.stop)
	return h
}

// A burst of acks goes first: while the foreground is busy, jobs
// committed meanwhile wait; they start as soon as it is idle, without any
// time passing; and a foreground busy for longer than MaxHold holds them
// back no longer than that.
func TestJobsGiveWayToTheForeground(t *testing.T) {
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	const maxHold = time.Minute
	for _, tt := range []struct {
		name string
		// end ends the hold: the foreground goes idle, or the clock
		// passes MaxHold.
		end    func(fg *foreground, clk *clock.Fake)
		ranAt  time.Time
		reason string
	}{
		{"until the foreground is idle", func(fg *foreground, _ *clock.Fake) { fg.set(false) }, t0, "released by the foreground"},
		{"at most MaxHold", func(_ *foreground, clk *clock.Fake) { clk.Advance(maxHold) }, t0.Add(maxHold), "released by MaxHold"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			clk := clock.NewFake(t0)
			fg := &foreground{}
			fg.set(true)
			var mu sync.Mutex
			var ranAt []time.Time
			rec := &recorder{fn: func(context.Context, store.Job) (outbox.Apply, error) {
				mu.Lock()
				defer mu.Unlock()
				ranAt = append(ranAt, clk.Now())
				return nil, nil
			}}
			h := startWithForeground(t, rec, clk, fg, maxHold)
			h.declare("create_channel", "announce")
			// The worker waits out the hold on a timer of the clock.
			gaveUp := make(chan struct{})
			timeout := time.AfterFunc(10*time.Second, func() { close(gaveUp) })
			defer timeout.Stop()
			if !clk.WaitForTimerBy(t0.Add(maxHold), gaveUp) {
				t.Fatal("the worker never waited for the foreground")
			}
			if got := rec.list(); len(got) != 0 {
				t.Fatalf("jobs ran while the foreground was busy: %v", got)
			}
			tt.end(fg, clk)
			h.waitIdle()
			mu.Lock()
			defer mu.Unlock()
			if len(ranAt) != 2 {
				t.Fatalf("%d jobs ran, want 2: %v", len(ranAt), rec.list())
			}
			for _, at := range ranAt {
				if !at.Equal(tt.ranAt) {
					t.Errorf("a job ran at %v, want %v (%s)", at, tt.ranAt, tt.reason)
				}
			}
		})
	}
}
