package outbox_test

import (
	"context"
	"errors"
	"path/filepath"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/incidentbot/incidentbot/internal/clock"
	"github.com/incidentbot/incidentbot/internal/wake"
	"github.com/incidentbot/incidentbot/outbox"
	"github.com/incidentbot/incidentbot/store"
)

// Ten jobs in ten incidents, refused together by one limit with the same
// Retry-After, come back spread over the second Retry-After, each at its
// own instant and none before Slack allows: all at once, all but the first
// would be refused again.
func TestRetriesOfOneRateLimitAreSpread(t *testing.T) {
	const n, retryAfter = 10, 2 * time.Second
	clk := clock.NewFake(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC))
	refusedAt := clk.Now()
	var mu sync.Mutex
	tries := map[uint64][]time.Time{}
	p := outbox.PerformerFunc(func(ctx context.Context, j store.Job) (outbox.Apply, error) {
		mu.Lock()
		defer mu.Unlock()
		tries[j.Incident] = append(tries[j.Incident], clk.Now())
		if len(tries[j.Incident]) == 1 {
			return nil, outbox.RetryAfter(retryAfter, errors.New("429 ratelimited"))
		}
		return nil, nil
	})
	draws := 0
	jitter := func() float64 { // 0, 0.1, …, 0.9: one draw per refusal
		mu.Lock()
		defer mu.Unlock()
		draws++
		return float64((draws-1)%n) / n
	}
	enqueued := wake.New()
	st := openStore(t, filepath.Join(t.TempDir(), "s.db"), enqueued.Notify)
	h := &harness{t: t, store: st, done: make(chan struct{})}
	h.worker = outbox.New(outbox.Options{Store: st, Performer: p, Wake: enqueued, Clock: clk, Log: zerolog.Nop(), Rand: jitter, Grace: 200 * time.Millisecond})
	for range n {
		h.declare("announce")
	}
	ctx, cancel := context.WithCancel(context.Background())
	h.cancel = cancel
	go func() { defer close(h.done); _ = h.worker.Run(ctx) }()
	t.Cleanup(h.stop)
	h.runOnClock(clk, nil)

	mu.Lock()
	defer mu.Unlock()
	var retries []time.Duration
	for inc, at := range tries {
		if len(at) != 2 || !at[0].Equal(refusedAt) {
			t.Fatalf("INC-%d tried at %v, want once at the start and once after", inc, at)
		}
		retries = append(retries, at[1].Sub(refusedAt))
	}
	slices.Sort(retries)
	for i, d := range retries {
		if want := retryAfter + time.Duration(i)*retryAfter/n; d != want {
			t.Fatalf("retries after %v, want one every %v from the Retry-After (%v) on", retries, retryAfter/n, retryAfter)
		}
	}
}

func TestRateLimitDelay(t *testing.T) {
	tests := []struct {
		retryAfter time.Duration
		r          float64
		want       time.Duration
	}{
		{time.Second, 0, time.Second}, // never sooner than Slack allows
		{time.Second, 0.5, 1500 * time.Millisecond},
		{3 * time.Second, 0.999, 5700 * time.Millisecond}, // the last of ten steps of 0.3 s
		{3 * time.Second, 0.05, 3 * time.Second},
		{time.Minute, 0.5, time.Minute + 5*time.Second}, // the spread is capped at 10 s
	}
	for _, tt := range tests {
		if got := outbox.RateLimitDelay(tt.retryAfter, tt.r); got != tt.want {
			t.Errorf("RateLimitDelay(%v, %v) = %v, want %v", tt.retryAfter, tt.r, got, tt.want)
		}
	}
}
