package bot

import (
	"context"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/slack-go/slack/socketmode"

	"github.com/incidentbot/incidentbot/internal/clock"
)

// handlerIdle is how long a handler goroutine waits for another envelope
// once it has acked its own. Slack sends in bursts (an outage brings many
// declarations, clicks and updates within a minute): the burst's later
// envelopes then run on goroutines whose stacks have already grown, instead
// of each starting a goroutine, growing its stack (a copy) and freeing it
// again. A minute after the burst they are gone.
//
// The wait is timed on a clock of its own (real time unless a test sets
// it), not on Socket.Clock: a test that counts the timers on the bot's
// fake clock to know what the bot waits for would count these too.
const handlerIdle = time.Minute

// idleHold keeps a waiting handler's stack from being halved. The GC
// shrinks the stack of a goroutine using less than a quarter of it; a
// handler waiting in a shallow frame would be shrunk at every collection
// (several between two bursts) back to 2 KiB, and copied back up for its
// next envelope. Waiting below a frame of this size it uses more than a
// quarter of its 8 KiB, so it keeps it.
const idleHold = 2 << 10

// envelope is one accepted envelope on its way to a handler goroutine.
type envelope struct {
	ctx      context.Context
	link     *link
	req      socketmode.Request
	received time.Time
}

// handlerPool holds the handler goroutines waiting for an envelope, the
// most recently busy last: it gets the next envelope (its stack is the
// likeliest still in the CPU's cache) and the others run out of patience
// first when a burst is over.
type handlerPool struct {
	mu      sync.Mutex
	waiting []*handlerSlot
	clock   clock.Clock // times handlerIdle; nil is real time; set by tests under mu

	started atomic.Int64 // handler goroutines ever started, for tests
	live    atomic.Int64 // busy or waiting now
}

// handlerSlot is where one waiting handler goroutine receives its next
// envelope.
type handlerSlot struct{ next chan envelope }

// run hands e to the handler goroutine that waited last, or starts one. It
// is called for every new envelope, after s.handlers.Add.
func (s *Socket) run(e envelope) {
	p := &s.pool
	p.mu.Lock()
	if n := len(p.waiting); n > 0 {
		slot := p.waiting[n-1]
		p.waiting = p.waiting[:n-1]
		p.mu.Unlock()
		slot.next <- e // buffered: never blocks the read loop
		return
	}
	p.mu.Unlock()
	p.started.Add(1)
	p.live.Add(1)
	go s.handlerLoop(e)
}

// handlerLoop handles e, then whatever envelopes run hands it while it
// waits, until it has waited handlerIdle or the socket shuts down.
func (s *Socket) handlerLoop(e envelope) {
	defer s.pool.live.Add(-1)
	growStack(len(e.req.EnvelopeID)) // before the handler's first deep call
	slot := &handlerSlot{next: make(chan envelope, 1)}
	for {
		s.dispatch(e.ctx, e.link, e.req, e.received)
		var ok bool
		if e, ok, _ = s.awaitEnvelope(slot); !ok {
			return
		}
	}
}

// awaitEnvelope offers slot to run and waits for an envelope, below a frame
// of idleHold bytes (see there). The byte it returns only keeps the
// compiler from dropping that frame.
//
//go:noinline
func (s *Socket) awaitEnvelope(slot *handlerSlot) (envelope, bool, byte) {
	var hold [idleHold]byte
	p := &s.pool
	p.mu.Lock()
	p.waiting = append(p.waiting, slot)
	idleClock := p.clock
	p.mu.Unlock()
	if idleClock == nil {
		idleClock = clock.Real{}
	}
	timeout, stop := idleClock.After(handlerIdle)
	defer stop()
	select {
	case e := <-slot.next:
		i := len(e.req.EnvelopeID)
		hold[i%idleHold] = 1
		return e, true, hold[(i+1)%idleHold]
	case <-timeout:
	case <-s.stopped:
	}
	p.mu.Lock()
	i := slices.Index(p.waiting, slot)
	if i >= 0 {
		p.waiting = slices.Delete(p.waiting, i, i+1)
	}
	p.mu.Unlock()
	if i < 0 {
		// run took the slot just as the wait ended: its envelope is on
		// the way and must be handled.
		return <-slot.next, true, 0
	}
	return envelope{}, false, 0
}
