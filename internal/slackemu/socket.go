package slackemu

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gorilla/websocket"
)

const (
	maxConnections   = 10        // per app (SM-doc)
	maxAckFrameBytes = 20 * 1024 // frames this big are dropped by Slack (slack-go maxResponseSize)
	debugConnLife    = 360 * time.Second
	writeTimeout     = 5 * time.Second
	wsHost           = "applink-emu-1"
)

// sockets is the Socket Mode side: tickets, live connections and envelopes
// waiting for their ack. Its lock is taken after Server.mu, never before.
type sockets struct {
	mu       sync.Mutex
	tickets  map[string]bool
	conns    []*conn // accepted, in connection order; ready ones have had hello
	signal   chan struct{}
	next     int // round-robin cursor
	seq      int
	closed   bool
	pending  map[string]*pending
	finished map[string]string // envelope_id → "acked" | "expired"
	problems []Problem
	connLog  []ConnEvent
}

func (k *sockets) setup() {
	k.tickets = map[string]bool{}
	k.signal = make(chan struct{})
	k.pending = map[string]*pending{}
	k.finished = map[string]string{}
}

type conn struct {
	id        int
	ws        *websocket.Conn
	ready     bool // guarded by sockets.mu
	wmu       sync.Mutex
	done      chan struct{}
	closeOnce sync.Once
	hole      atomic.Bool // see BlackHole
	onClose   func()      // records the close in the connection log
}

func (c *conn) write(frame []byte) error {
	if c.hole.Load() {
		return nil // swallowed: Slack believes it sent the frame
	}
	c.wmu.Lock()
	defer c.wmu.Unlock()
	return c.writeLocked(frame)
}

// writeLocked writes a text frame; the caller holds c.wmu.
func (c *conn) writeLocked(frame []byte) error {
	_ = c.ws.SetWriteDeadline(time.Now().Add(writeTimeout))
	return c.ws.WriteMessage(websocket.TextMessage, frame)
}

func (c *conn) writeJSON(v any) error {
	b, err := marshalJSON(v)
	if err != nil {
		return fmt.Errorf("encode frame: %w", err)
	}
	return c.write(b)
}

// close closes the TCP connection at once, after an optional close frame.
func (c *conn) close(code int, text string) {
	c.closeOnce.Do(func() {
		if code != 0 && !c.hole.Load() {
			_ = c.ws.WriteControl(websocket.CloseMessage, websocket.FormatCloseMessage(code, text), time.Now().Add(time.Second))
		}
		_ = c.ws.Close()
		close(c.done)
		if c.onClose != nil {
			c.onClose()
		}
	})
}

// Problem is something Slack would have shown the user as an error, or would have
// ignored: Kind is "timeout" (no ack within AckTimeout), "oversized_ack" (a frame of
// 20480 bytes or more, dropped), "late_ack", "unknown_ack", "bad_frame",
// "ack_rejected" (an ack payload Slack would refuse, Detail says why),
// "too_many_websockets" or "bad_ticket".
type Problem struct {
	Kind, EnvelopeID, Type, Detail string
	At                             time.Time
}

func (s *Server) addProblem(p Problem) {
	p.At = s.now()
	s.sock.mu.Lock()
	s.sock.problems = append(s.sock.problems, p)
	s.sock.mu.Unlock()
	s.emit(Change{Kind: ChangeProblem, EnvelopeID: p.EnvelopeID})
	s.logf("problem %s %s %s", p.Kind, p.EnvelopeID, p.Detail)
}

// Problems returns every recorded problem in order.
func (s *Server) Problems() []Problem {
	s.sock.mu.Lock()
	defer s.sock.mu.Unlock()
	return append([]Problem(nil), s.sock.problems...)
}

// Timeouts returns the envelope_ids of slash commands and interactions that were
// not acked in time: each is a user who saw an error (operation_timeout).
func (s *Server) Timeouts() []string {
	var out []string
	for _, p := range s.Problems() {
		if p.Kind == "timeout" && p.Type != "events_api" {
			out = append(out, p.EnvelopeID)
		}
	}
	return out
}

func (s *Server) appsConnectionsOpen(*apiRequest) apiResult {
	ticket := newUUID()
	s.sock.mu.Lock()
	s.sock.tickets[ticket] = true
	s.sock.mu.Unlock()
	host := strings.TrimPrefix(s.base, "http://")
	return success(map[string]any{"url": "ws://" + host + "/link/?ticket=" + ticket + "&app_id=" + s.appID})
}

// serveLink upgrades a single-use ticket to a Socket Mode connection and serves it
// until it closes.
func (s *Server) serveLink(w http.ResponseWriter, r *http.Request) {
	if !s.enter() {
		http.Error(w, "closed", http.StatusServiceUnavailable)
		return
	}
	defer s.wg.Done()
	ticket := r.URL.Query().Get("ticket")
	s.sock.mu.Lock()
	valid := s.sock.tickets[ticket]
	delete(s.sock.tickets, ticket)
	s.sock.mu.Unlock()
	if !valid {
		s.addProblem(Problem{Kind: "bad_ticket", Detail: "unknown or reused ticket " + ticket})
		http.Error(w, "invalid ticket", http.StatusUnauthorized)
		return
	}
	// slack-go sends Origin: https://api.slack.com, which gorilla's default check refuses.
	up := websocket.Upgrader{CheckOrigin: func(*http.Request) bool { return true }}
	ws, err := up.Upgrade(w, r, nil)
	if err != nil {
		s.logf("websocket upgrade: %v", err)
		return
	}
	c := &conn{ws: ws, done: make(chan struct{})}
	c.ws.SetPingHandler(c.answerPing)

	s.sock.mu.Lock()
	s.sock.seq++
	c.id = s.sock.seq
	c.onClose = func() { s.logConn(c.id, "closed") }
	open := len(s.sock.conns)
	closed, full := s.sock.closed, open >= maxConnections
	if !closed && !full {
		s.sock.conns = append(s.sock.conns, c)
		open++
	}
	s.sock.mu.Unlock()
	if closed {
		c.close(websocket.CloseGoingAway, "")
		return
	}
	if full {
		s.addProblem(Problem{Kind: "too_many_websockets", Detail: fmt.Sprintf("connection %d refused", c.id)})
		_ = c.writeJSON(map[string]any{"type": "disconnect", "reason": "too_many_websockets", "num_connections": open, "debug_info": map[string]any{"host": wsHost}})
		c.close(websocket.CloseNormalClosure, "")
		return
	}
	defer s.dropConn(c)

	hello := map[string]any{
		"type":            "hello",
		"num_connections": open,
		"debug_info":      map[string]any{"host": wsHost, "build_number": 10, "approximate_connection_time": 18060},
		"connection_info": map[string]any{"app_id": s.appID},
	}
	frame, _ := marshalJSON(hello)
	// The socket counts as ready before the client can read hello, and deliveries
	// queue on wmu behind it, so hello is always the first frame.
	c.wmu.Lock()
	s.sock.mu.Lock()
	c.ready = true
	close(s.sock.signal)
	s.sock.signal = make(chan struct{})
	s.sock.mu.Unlock()
	// Logged before the write: the client may act on hello (and close an
	// older socket) before this goroutine runs again.
	s.logConn(c.id, "hello")
	err = c.writeLocked(frame)
	c.wmu.Unlock()
	if err != nil {
		return
	}
	s.emit(Change{Kind: ChangeConnection})
	s.logf("socket %d connected (%d open)", c.id, open)

	if s.opts.PingInterval > 0 {
		s.spawn(func() { s.pingLoop(c) })
	}
	if r.URL.Query().Get("debug_reconnects") == "true" {
		// "makes the connection time significantly shorter (360 seconds)" (SM-doc)
		t := time.AfterFunc(debugConnLife, func() { s.disconnect(c, "refresh_requested") })
		defer t.Stop()
	}
	s.readLoop(c)
}

func (s *Server) pingLoop(c *conn) {
	t := time.NewTicker(s.opts.PingInterval)
	defer t.Stop()
	for {
		select {
		case <-t.C:
			if c.hole.Load() {
				continue
			}
			if err := c.ws.WriteControl(websocket.PingMessage, nil, time.Now().Add(writeTimeout)); err != nil {
				return
			}
		case <-c.done:
			return
		}
	}
}

// readLoop reads acks until the connection fails. Pongs and client pings are
// answered by gorilla's default handlers.
func (s *Server) readLoop(c *conn) {
	// ReadMessage's frames, read into one buffer: nothing below keeps data.
	var buf bytes.Buffer
	for {
		typ, r, err := c.ws.NextReader()
		if err != nil {
			return
		}
		buf.Reset()
		if _, err := buf.ReadFrom(r); err != nil {
			return
		}
		data := buf.Bytes()
		if typ != websocket.TextMessage || c.hole.Load() {
			continue
		}
		ack, parseErr := parseAck(data)
		if len(data) >= maxAckFrameBytes {
			s.addProblem(Problem{Kind: "oversized_ack", EnvelopeID: ack.EnvelopeID, Detail: fmt.Sprintf("%d-byte frame dropped", len(data))})
			if s.opts.CloseOnOversizedAck {
				c.close(websocket.CloseMessageTooBig, "Max frame length of 20480 has been exceeded.")
				return
			}
			continue
		}
		if parseErr != nil || ack.EnvelopeID == "" {
			s.addProblem(Problem{Kind: "bad_frame", Detail: truncateRunes(string(data), 200)})
			continue
		}
		s.acked(ack.EnvelopeID, ack.Payload)
	}
}

// dropConn forgets c and closes it.
func (s *Server) dropConn(c *conn) {
	removed := s.sock.remove(c)
	c.close(0, "")
	if removed {
		s.emit(Change{Kind: ChangeConnection})
		s.logf("socket %d gone", c.id)
	}
}

func (k *sockets) remove(c *conn) bool {
	k.mu.Lock()
	defer k.mu.Unlock()
	for i, x := range k.conns {
		if x == c {
			k.conns = append(k.conns[:i], k.conns[i+1:]...)
			return true
		}
	}
	return false
}

// pick returns a ready connection, round-robin, or a channel that is closed when
// one becomes ready.
func (k *sockets) pick() (*conn, <-chan struct{}) { return k.pickFor(false) }

// pickFor is pick; a redelivery skips black-holed connections (see BlackHole).
func (k *sockets) pickFor(redelivery bool) (*conn, <-chan struct{}) {
	k.mu.Lock()
	defer k.mu.Unlock()
	for range k.conns {
		k.next = (k.next + 1) % len(k.conns)
		if c := k.conns[k.next]; c.ready && !(redelivery && c.hole.Load()) {
			return c, nil
		}
	}
	return nil, k.signal
}

// detach removes every connection from the live set and returns them.
func (k *sockets) detach() []*conn {
	k.mu.Lock()
	defer k.mu.Unlock()
	conns := k.conns
	k.conns = nil
	return conns
}

func (k *sockets) closeAll() {
	k.mu.Lock()
	k.closed = true
	k.mu.Unlock()
	for _, c := range k.detach() {
		c.close(websocket.CloseGoingAway, "")
	}
}

// Disconnect sends {"type":"disconnect","reason":reason} to every live socket.
// For "warning" the sockets stay open (Slack closes them about 10 s later, and
// slack-go reconnects at once anyway); for any other reason they are closed right
// after the frame, as slack-go expects.
func (s *Server) Disconnect(reason string) {
	if reason == "warning" {
		s.sock.mu.Lock()
		conns := append([]*conn(nil), s.sock.conns...)
		s.sock.mu.Unlock()
		for _, c := range conns {
			_ = c.writeJSON(disconnectFrame(reason))
		}
		return
	}
	for _, c := range s.sock.detach() {
		s.disconnect(c, reason)
	}
}

func (s *Server) disconnect(c *conn, reason string) {
	s.sock.remove(c)
	_ = c.writeJSON(disconnectFrame(reason))
	c.close(websocket.CloseNormalClosure, "")
	s.emit(Change{Kind: ChangeConnection})
}

func disconnectFrame(reason string) map[string]any {
	return map[string]any{"type": "disconnect", "reason": reason, "debug_info": map[string]any{"host": wsHost}}
}

// DropConnections closes every socket abruptly (no frame, no close handshake).
func (s *Server) DropConnections() {
	for _, c := range s.sock.detach() {
		c.close(0, "")
	}
	s.emit(Change{Kind: ChangeConnection})
}

// Connections is the number of live sockets that have been sent hello.
func (s *Server) Connections() int {
	s.sock.mu.Lock()
	defer s.sock.mu.Unlock()
	n := 0
	for _, c := range s.sock.conns {
		if c.ready {
			n++
		}
	}
	return n
}

// WaitConnected returns once at least one socket has been sent hello (so the
// next delivery goes out at once).
func (s *Server) WaitConnected(ctx context.Context) error {
	for {
		c, wait := s.sock.pick()
		if c != nil {
			return nil
		}
		select {
		case <-wait:
		case <-ctx.Done():
			return ctx.Err()
		case <-s.closed:
			return ErrClosed
		}
	}
}
