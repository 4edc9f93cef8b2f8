package bot

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
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

// ackWait bounds how long an ack waits for a link to carry it when the
// link its envelope came on is gone and no other has said hello yet.
const ackWait = 10 * time.Second

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

// accept starts handling an envelope, unless it is one already seen: while
// links overlap, or when an ack was lost, Slack may send the same envelope
// again. A repeat is never handled twice; once its ack is known it is
// simply sent again.
func (s *Socket) accept(ctx context.Context, l *link, req socketmode.Request, received time.Time) {
	known, frame := s.seen.begin(req.EnvelopeID)
	if known {
		s.Log.Info().Str("envelope", req.EnvelopeID).Bool("acked", frame != nil).Msg("socket mode: envelope received again; not handled twice")
		if frame != nil {
			if err := s.send(l, frame); err != nil {
				s.Log.Error().Err(err).Str("envelope", req.EnvelopeID).Msg("socket mode: ack failed")
			}
		}
		return
	}
	s.Metrics.Envelope(req.Type)
	s.handlers.Add(1)
	if s.Acking != nil {
		s.Acking.begin()
	}
	s.run(envelope{ctx: ctx, link: l, req: req, received: received})
}

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

// dispatch runs the handler for one envelope and acks it. A panicking
// handler still gets its envelope acked.
func (s *Socket) dispatch(ctx context.Context, l *link, req socketmode.Request, received time.Time) {
	defer s.handlers.Done()
	payload, after := s.handle(ctx, req)
	if s.Acking != nil {
		// The handler's work is what competes for the CPU; sending may
		// wait for a connection, and the outbox need not wait with it.
		s.Acking.end()
	}
	frame := s.ackFrame(req.EnvelopeID, payload)
	s.seen.done(req.EnvelopeID, frame)
	if err := s.send(l, frame); err != nil {
		s.Log.Error().Err(err).Str("envelope", req.EnvelopeID).Msg("socket mode: ack failed")
	}
	s.Metrics.AckLatency(s.Clock.Now().Sub(received))
	if after != nil {
		after(ctx)
	}
}

func (s *Socket) handle(ctx context.Context, req socketmode.Request) (payload any, after func(context.Context)) {
	defer func() {
		if r := recover(); r != nil {
			s.Log.Error().Interface("panic", r).Str("envelope", req.EnvelopeID).Str("type", req.Type).Msg("socket mode: handler panicked")
			payload, after = nil, nil
		}
	}()
	return s.Handler.Handle(ctx, req)
}

// ackUndecodable acks a frame that is not valid JSON, if it carries an
// envelope_id at all; otherwise Slack would redeliver it forever.
func (s *Socket) ackUndecodable(l *link, data []byte, cause error) {
	var partial struct {
		EnvelopeID string `json:"envelope_id"`
	}
	_ = json.Unmarshal(data, &partial)
	s.Log.Warn().Err(cause).Str("envelope", partial.EnvelopeID).Msg("socket mode: undecodable frame")
	if partial.EnvelopeID != "" {
		_ = s.send(l, s.ackFrame(partial.EnvelopeID, nil))
	}
}

// ackFrame encodes the response for envelopeID; a payload too large for
// Slack is replaced by a bare ack.
func (s *Socket) ackFrame(envelopeID string, payload any) []byte {
	data, err := json.Marshal(socketmode.Response{EnvelopeID: envelopeID, Payload: payload})
	if err != nil {
		s.Log.Error().Err(err).Str("envelope", envelopeID).Msg("socket mode: ack payload cannot be encoded; sending a bare ack")
		data = nil
	} else if len(data) >= maxAckBytes {
		s.Log.Error().Int("bytes", len(data)).Str("envelope", envelopeID).Msg("socket mode: ack payload too large for Slack; sending a bare ack")
		data = nil
	}
	if data == nil {
		data, _ = json.Marshal(socketmode.Response{EnvelopeID: envelopeID})
	}
	return data
}

// send writes an ack on the link its envelope came from while that link
// is open, else on the newest link, waiting for one if the bot is between
// links. Slack matches acks by envelope_id on any of the app's
// connections; its SDKs, too, ack on whichever connection is current.
func (s *Socket) send(origin *link, frame []byte) error {
	if origin != nil && origin.write(frame) == nil {
		return nil
	}
	timeout, stop := s.Clock.After(ackWait)
	defer stop()
	for {
		l, changed := s.current()
		if l != nil && l != origin && l.write(frame) == nil {
			return nil
		}
		select {
		case <-changed:
		case <-timeout:
			return fmt.Errorf("no connection to send the ack on within %v", ackWait)
		case <-s.stopped:
			return errors.New("no connection to send the ack on: shutting down")
		}
	}
}

// rememberEnvelopes is how many recent envelope IDs are kept to recognise
// a repeat: far more than arrive while two links overlap.
const rememberEnvelopes = 256

// envelopeLog remembers recent envelopes and their ack frames.
type envelopeLog struct {
	mu    sync.Mutex
	acks  map[string][]byte // nil while the handler runs
	order []string
}

// begin records id; known reports a repeat, with its ack if already sent.
func (e *envelopeLog) begin(id string) (known bool, ack []byte) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.acks == nil {
		e.acks = map[string][]byte{}
	}
	if a, ok := e.acks[id]; ok {
		return true, a
	}
	e.acks[id] = nil
	e.order = append(e.order, id)
	if len(e.order) > rememberEnvelopes {
		delete(e.acks, e.order[0])
		e.order = e.order[1:]
	}
	return false, nil
}

func (e *envelopeLog) done(id string, ack []byte) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if _, ok := e.acks[id]; ok {
		e.acks[id] = ack
	}
}
