package bot

import "sync"

// acking counts the envelopes received whose handler has not returned
// (their ack is computed, not yet sent). The outbox worker gives way to
// them (outbox.Options.Foreground): 200 declarations at once commit in a
// few batches, and the first batches' jobs, a hundred Slack calls at once,
// took the CPU from the acks still to come.
type acking struct {
	mu   sync.Mutex
	n    int
	idle chan struct{} // closed when n drops to 0
}

func (a *acking) begin() {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.n == 0 {
		a.idle = make(chan struct{})
	}
	a.n++
}

func (a *acking) end() {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.n--
	if a.n == 0 {
		close(a.idle)
	}
}

// Busy returns nil when no handler runs, else a channel closed once none
// does.
func (a *acking) Busy() <-chan struct{} {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.n == 0 {
		return nil
	}
	return a.idle
}
