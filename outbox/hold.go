package outbox

import "time"

// Foreground is work the worker gives way to (Options.Foreground).
type Foreground interface {
	// Busy returns nil when jobs may start, else a channel closed once
	// they may.
	Busy() <-chan struct{}
}

// DefaultMaxHold is the default of Options.MaxHold.
const DefaultMaxHold = 100 * time.Millisecond

// held returns nil when jobs may start now, else a channel closed once the
// foreground is idle; *since is when the current hold began (zero when
// none), and a hold ends after MaxHold whatever the foreground does.
func (w *Worker) held(now time.Time, since *time.Time) <-chan struct{} {
	if w.opt.Foreground == nil {
		return nil
	}
	busy := w.opt.Foreground.Busy()
	if busy == nil {
		*since = time.Time{}
		return nil
	}
	if since.IsZero() {
		*since = now
	}
	if now.Sub(*since) >= w.opt.MaxHold {
		return nil
	}
	return busy
}
