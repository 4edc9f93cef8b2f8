// Package trigger lets a caller ask a background loop to run one cycle now
// and wait until it has: how tests step the scheduler and the janitor
// without waiting on real time.
package trigger

import "context"

// Requests is a loop's inbox of "run now" requests. The loop receives a
// done channel from it, runs a cycle, and closes done.
type Requests chan chan struct{}

// New returns an inbox; a request waits until the loop takes it.
func New() Requests { return make(Requests) }

// Run asks the loop for a cycle and returns once the loop has closed the
// request's done channel, or when ctx ends.
func (r Requests) Run(ctx context.Context) error {
	done := make(chan struct{})
	select {
	case r <- done:
	case <-ctx.Done():
		return ctx.Err()
	}
	select {
	case <-done:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}
