// Package wake is a wake-up call that exists before its listener: the
// store's commit hooks send it, and the outbox worker or the scheduler,
// built later from that store, listen to it. No construction cycle needs a
// callback bound after the fact.
package wake

import "sync/atomic"

// Signal is level-triggered: any number of Notify calls before the
// listener looks collapse into one wake-up, and none is lost. It also
// counts them, so a listener can tell a waiter whether it has already
// looked at the work of a given Notify. The zero value is not usable; use
// New. It is safe for concurrent use.
type Signal struct {
	c chan struct{}
	n atomic.Uint64
}

// New returns a Signal with no wake-up pending.
func New() *Signal { return &Signal{c: make(chan struct{}, 1)} }

// Notify wakes the listener. It never blocks, so a store may call it on
// its committing goroutine.
func (s *Signal) Notify() {
	s.n.Add(1)
	select {
	case s.c <- struct{}{}:
	default:
	}
}

// C receives once after one or more Notify calls.
func (s *Signal) C() <-chan struct{} { return s.c }

// Count is how many times Notify has been called. A listener reads it
// before it reads the work, so that work notified up to that count is
// known to be seen.
func (s *Signal) Count() uint64 { return s.n.Load() }
