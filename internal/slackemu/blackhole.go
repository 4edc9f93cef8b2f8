package slackemu

import (
	"time"

	"github.com/gorilla/websocket"
)

// BlackHole turns every live socket into a black hole, like a half-open
// connection behind a NAT that forgot it: the TCP connection stays open, but
// nothing gets through either way. Envelopes written to it are lost (Slack
// believes it sent them), no PING goes out, the client's PINGs get no PONG,
// and its acks and close frames are dropped. Sockets opened afterwards are
// healthy. It returns the IDs of the sockets it affected.
//
// Slack learns that such a socket is dead only from its own unanswered
// pings; by the time it retries an envelope (Slack waits a minute before the
// first retry, the emulator does not) it has, so redeliveries never go to a
// black-holed socket: they wait for a healthy one.
func (s *Server) BlackHole() []int {
	s.sock.mu.Lock()
	conns := append([]*conn(nil), s.sock.conns...)
	s.sock.mu.Unlock()
	var ids []int
	for _, c := range conns {
		c.hole.Store(true)
		ids = append(ids, c.id)
		s.logConn(c.id, "black_hole")
	}
	return ids
}

// answerPing replaces gorilla's default ping handler so that a black-holed
// socket stays silent.
func (c *conn) answerPing(data string) error {
	if c.hole.Load() {
		return nil
	}
	err := c.ws.WriteControl(websocket.PongMessage, []byte(data), time.Now().Add(writeTimeout))
	if err == websocket.ErrCloseSent {
		return nil
	}
	return err
}

// ConnEvent is one entry of the connection log: socket Conn (numbered from 1
// in the order they were accepted) was sent "hello", was made a "black_hole",
// or was "closed" (by either side).
type ConnEvent struct {
	Conn int
	Kind string
	At   time.Time // on the Options.Now clock
}

func (s *Server) logConn(id int, kind string) {
	at := s.now()
	s.sock.mu.Lock()
	s.sock.connLog = append(s.sock.connLog, ConnEvent{Conn: id, Kind: kind, At: at})
	s.sock.mu.Unlock()
}

// ConnectionLog returns what happened to sockets, in order.
func (s *Server) ConnectionLog() []ConnEvent {
	s.sock.mu.Lock()
	defer s.sock.mu.Unlock()
	return append([]ConnEvent(nil), s.sock.connLog...)
}
