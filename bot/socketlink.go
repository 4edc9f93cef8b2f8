package bot

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gorilla/websocket"
	"github.com/slack-go/slack/socketmode"
)

// ackWait bounds how long an ack waits for a link to carry it when the
// link its envelope came on is gone and no other has said hello yet.
const ackWait = 10 * time.Second

// link is one WebSocket connection to Slack.
type link struct {
	id             int64
	ws             *websocket.Conn
	wmu            sync.Mutex
	heard          atomic.Int64  // Clock time (UnixNano) of the last frame of any kind
	hello          chan struct{} // closed on Slack's hello
	numConnections int           // from hello; written before hello is closed
	trouble        chan string   // capacity 1: the first reason to replace the link
	ended          chan struct{} // closed when its reader returns
	readErr        error         // set before ended is closed
	closing        atomic.Bool   // retire began: no more data frames
	dead           atomic.Bool   // silent for too long: nothing will come back
}

// healthy reports whether the link can still carry envelopes and acks.
func (l *link) healthy() bool {
	select {
	case <-l.ended:
		return false
	default:
		return !l.closing.Load() && !l.dead.Load()
	}
}

func (l *link) err() error {
	<-l.ended
	return l.readErr
}

// flag records why the link must be replaced; the first reason wins.
func (l *link) flag(reason string) {
	select {
	case l.trouble <- reason:
	default:
	}
}

// write sends one text frame, unless the link is being closed.
func (l *link) write(frame []byte) error {
	l.wmu.Lock()
	defer l.wmu.Unlock()
	if !l.healthy() {
		// After a read error a write may still "succeed" into a socket
		// that Slack has dropped: the ack would be lost.
		return errors.New("link closed")
	}
	_ = l.ws.SetWriteDeadline(time.Now().Add(5 * time.Second))
	return l.ws.WriteMessage(websocket.TextMessage, frame)
}

// start registers a dialled connection and runs its reader and monitor.
func (s *Socket) start(ctx context.Context, ws *websocket.Conn) *link {
	l := &link{
		id: s.ids.Add(1), ws: ws,
		hello: make(chan struct{}), trouble: make(chan string, 1), ended: make(chan struct{}),
	}
	l.heard.Store(s.Clock.Now().UnixNano())
	ws.SetPingHandler(func(data string) error {
		l.heard.Store(s.Clock.Now().UnixNano())
		err := ws.WriteControl(websocket.PongMessage, []byte(data), time.Now().Add(5*time.Second))
		if err != nil && !errors.Is(err, websocket.ErrCloseSent) {
			return err
		}
		return nil
	})
	ws.SetPongHandler(func(string) error {
		l.heard.Store(s.Clock.Now().UnixNano())
		return nil
	})
	s.mu.Lock()
	s.links[l] = true
	s.mu.Unlock()
	s.linkGo.Add(2)
	go func() {
		defer s.linkGo.Done()
		s.read(context.WithoutCancel(ctx), l)
	}()
	go func() {
		defer s.linkGo.Done()
		s.monitor(l)
	}()
	return l
}

// monitor pings Slack every Silence/3 and flags the link "silent" once
// nothing at all has come back for Silence: a half-open connection (a NAT
// that forgot it) fails no read and no write, it just stays quiet.
func (s *Socket) monitor(l *link) {
	for {
		tick, stop := s.Clock.After(s.Silence / 3)
		select {
		case <-tick:
		case <-l.ended:
			stop()
			return
		}
		if s.Clock.Now().Sub(time.Unix(0, l.heard.Load())) >= s.Silence {
			l.dead.Store(true)
			l.flag("silent")
			return
		}
		_ = l.ws.WriteControl(websocket.PingMessage, nil, time.Now().Add(5*time.Second))
	}
}

// read handles the link's frames until it fails or is closed.
func (s *Socket) read(ctx context.Context, l *link) {
	defer func() {
		// Checking s.cur and clearing the state in one critical section:
		// done apart, Run could see l.ended, reconnect and promote the
		// next link in between, and this late "down" would then leave a
		// working socket reported as not connected (WaitConnected and
		// /readyz waiting for good).
		s.mu.Lock()
		delete(s.links, l)
		if s.cur == l {
			s.setConnectedLocked(false)
		}
		s.mu.Unlock()
		close(l.ended)
	}()
	for {
		typ, data, err := l.ws.ReadMessage()
		if err != nil {
			l.readErr = err
			if !l.closing.Load() {
				s.Log.Warn().Err(err).Int64("link", l.id).Msg("socket mode: connection lost")
			}
			return
		}
		l.heard.Store(s.Clock.Now().UnixNano())
		if typ != websocket.TextMessage {
			continue
		}
		received := s.Clock.Now()
		f, err := decodeEnvelope(data)
		if err != nil {
			s.ackUndecodable(l, data, err)
			continue
		}
		switch f.Type {
		case "hello":
			select {
			case <-l.hello:
			default:
				l.numConnections = f.NumConnections
				close(l.hello)
			}
		case "disconnect":
			s.Log.Info().Str("reason", f.Reason).Int64("link", l.id).Msg("socket mode: Slack sent disconnect")
			l.flag(f.Reason)
		default:
			if f.EnvelopeID == "" {
				s.Log.Warn().Str("type", f.Type).Msg("socket mode: frame without envelope_id ignored")
				continue
			}
			s.accept(ctx, l, f, received)
		}
	}
}

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
