package bot

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gorilla/websocket"
)

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
