package bot

import (
	"context"
	"sync"
)

// inflight counts the work handlers do after their ack (opening a modal,
// capturing a 📌, answering through a response_url), so that WaitIdle can
// tell when a delivery has had all of its effects: that work may enqueue
// outbox jobs, and its own Slack calls are not in the outbox.
type inflight struct {
	mu   sync.Mutex
	n    int
	idle chan struct{} // closed when n drops to 0; nil while n is 0
}

func (f *inflight) start() {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.n == 0 {
		f.idle = make(chan struct{})
	}
	f.n++
}

func (f *inflight) done() {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.n--
	if f.n == 0 {
		close(f.idle)
		f.idle = nil
	}
}

// wait blocks until nothing is in flight, or ctx ends.
func (f *inflight) wait(ctx context.Context) error {
	f.mu.Lock()
	idle := f.idle
	f.mu.Unlock()
	if idle == nil {
		return nil
	}
	select {
	case <-idle:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// track wraps after so that it counts as in flight from now until it
// returns.
func (f *inflight) track(after func(context.Context)) func(context.Context) {
	if after == nil {
		return nil
	}
	f.start()
	return func(ctx context.Context) {
		defer f.done()
		after(ctx)
	}
}
