package bot

import (
	"context"
	"errors"
	"net"
	"testing"
	"time"

	"github.com/slack-go/slack"

	"github.com/incidentbot/incidentbot/internal/clock"
)

func TestRetryAfterAckWaitsWhatSlackAsks(t *testing.T) {
	rateLimited := &slack.RateLimitedError{RetryAfter: 2 * time.Second}
	tests := []struct {
		name  string
		errs  []error         // what each call returns; the last repeats
		waits []time.Duration // the waits between calls
		calls int
		fails bool
	}{
		{"success at once", []error{nil}, nil, 1, false},
		{"429 waits its Retry-After", []error{rateLimited, nil}, []time.Duration{2 * time.Second}, 2, false},
		{"5xx backs off and doubles", []error{slack.StatusCodeError{Code: 503}, slack.StatusCodeError{Code: 502}, nil},
			[]time.Duration{afterAckBackoff, 2 * afterAckBackoff}, 3, false},
		{"transient code retries", []error{slack.SlackErrorResponse{Err: "internal_error"}, nil}, []time.Duration{afterAckBackoff}, 2, false},
		{"permanent code does not", []error{slack.SlackErrorResponse{Err: "channel_not_found"}}, nil, 1, true},
		{"a 4xx does not", []error{slack.StatusCodeError{Code: 404}}, nil, 1, true},
		{"a request the client refuses does not", []error{slack.ErrParametersMissing}, nil, 1, true},
		{"a network error retries", []error{&net.OpError{Op: "dial", Err: errors.New("connection refused")}, nil}, []time.Duration{afterAckBackoff}, 2, false},
		{"gives up after the attempts", []error{slack.StatusCodeError{Code: 500}},
			[]time.Duration{afterAckBackoff, 2 * afterAckBackoff, 4 * afterAckBackoff, 8 * afterAckBackoff}, afterAckAttempts, true},
		{"429s spend the time budget, not the attempts", []error{rateLimited, rateLimited, rateLimited, rateLimited, rateLimited, rateLimited, nil},
			[]time.Duration{2 * time.Second, 2 * time.Second, 2 * time.Second, 2 * time.Second, 2 * time.Second, 2 * time.Second}, 7, false},
		{"gives up when the wait would pass the budget", []error{&slack.RateLimitedError{RetryAfter: afterAckBudget + time.Second}}, nil, 1, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			clk := clock.NewFake(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC))
			b := &replier{clock: clk}
			calls := 0
			done := make(chan error, 1)
			returned := make(chan struct{})
			go func() {
				defer close(returned)
				done <- b.retry(context.Background(), func() error {
					err := tt.errs[min(calls, len(tt.errs)-1)]
					calls++
					return err
				})
			}()
			for _, wait := range tt.waits {
				if !clk.WaitForTimers(1, returned) {
					err := <-done
					t.Fatalf("gave up after %d calls: %v", calls, err)
				}
				clk.Advance(wait - time.Nanosecond)
				if clk.Waiters() != 1 {
					t.Fatalf("retried before %v", wait)
				}
				clk.Advance(time.Nanosecond)
			}
			err := <-done
			if calls != tt.calls || (err != nil) != tt.fails {
				t.Fatalf("%d calls, error %v; want %d calls, failure %v", calls, err, tt.calls, tt.fails)
			}
		})
	}
}

func TestRetryAfterAckStopsWithItsContext(t *testing.T) {
	clk := clock.NewFake(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC))
	b := &replier{clock: clk}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		done <- b.retry(ctx, func() error { return slack.StatusCodeError{Code: 503} })
	}()
	clk.WaitForTimers(1, nil)
	cancel()
	var sc slack.StatusCodeError
	if err := <-done; !errors.As(err, &sc) {
		t.Fatalf("returned %v, want the last error", err)
	}
}

func TestRetryAfterAckStopsWhenTheBotStops(t *testing.T) {
	clk := clock.NewFake(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC))
	stopping := make(chan struct{})
	b := &replier{clock: clk, stopping: stopping}
	done := make(chan error, 1)
	go func() {
		done <- b.retry(context.Background(), func() error { return &slack.RateLimitedError{RetryAfter: time.Second} })
	}()
	clk.WaitForTimers(1, nil)
	close(stopping)
	if err := <-done; err == nil {
		t.Fatal("no error after stopping")
	}
}
