package bot

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gorilla/websocket"
	"github.com/rs/zerolog"
	"github.com/slack-go/slack"
	"github.com/slack-go/slack/socketmode"
)

// maxAckBytes is Slack's limit for a Socket Mode response frame: frames of
// 20 KiB or more are dropped (or the socket is closed with 1009).
const maxAckBytes = 20 * 1024

// Handler processes one Socket Mode envelope. It returns the ack payload
// (nil for a bare ack), computed quickly, and optionally work to do after
// the ack has been sent.
type Handler interface {
	Handle(ctx context.Context, req socketmode.Request) (ack any, after func(context.Context))
}

// SocketMetrics receives connection counters; *ops.Metrics satisfies it.
type SocketMetrics interface {
	Envelope(kind string)
	AckLatency(d time.Duration)
	SocketConnected(up bool)
	Reconnect(reason string)
}

// Socket keeps one Socket Mode connection to Slack alive and hands every
// envelope to a Handler, acking each one as soon as the handler returns.
//
// It replaces slack-go's socketmode.Client loop, which ignores disconnect
// reasons (so link_disabled and too_many_websockets become reconnect loops),
// never acks envelopes it cannot decode, and stalls the socket when its
// event channel is not drained. The Web API client and payload types are
// still slack-go's.
type Socket struct {
	API     *slack.Client
	Handler Handler
	Log     zerolog.Logger
	Metrics SocketMetrics
	// Silence is how long a connected socket may receive nothing at all (no
	// PING, no envelope) before it is considered deaf and replaced.
	Silence time.Duration
	// Grace bounds how long shutdown waits for handlers to send their acks.
	Grace time.Duration
	// Wait pauses between connection attempts; it returns false when ctx
	// ends first. Tests replace it to observe backoff without sleeping.
	Wait func(ctx context.Context, d time.Duration) bool

	connected atomic.Bool
	handlers  sync.WaitGroup

	mu      sync.Mutex
	conn    *websocket.Conn
	connCh  chan struct{} // closed when conn becomes non-nil
	writeMu sync.Mutex
	status  atomic.Value  // string: why the socket is not connected
	helloCh chan struct{} // closed while connected (after Slack's hello)
}

// WaitConnected blocks until Slack has said hello on a socket (or ctx ends).
func (s *Socket) WaitConnected(ctx context.Context) error {
	for {
		s.mu.Lock()
		if s.helloCh == nil {
			s.helloCh = make(chan struct{})
		}
		ch := s.helloCh
		s.mu.Unlock()
		select {
		case <-ch:
			if s.connected.Load() {
				return nil
			}
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}

// setConnected records the connection state and wakes WaitConnected.
func (s *Socket) setConnected(up bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.connected.Store(up)
	if s.helloCh == nil {
		s.helloCh = make(chan struct{})
	}
	select {
	case <-s.helloCh:
		if !up {
			s.helloCh = make(chan struct{})
		}
	default:
		if up {
			close(s.helloCh)
		}
	}
}

// Connected reports whether a socket is up and Slack has said hello.
func (s *Socket) Connected() bool { return s.connected.Load() }

// Status explains the connection state, for /readyz.
func (s *Socket) Status() error {
	if s.connected.Load() {
		return nil
	}
	if v, _ := s.status.Load().(string); v != "" {
		return errors.New(v)
	}
	return errors.New("socket mode: not connected yet")
}

// fatalOpenErrors are apps.connections.open answers that no retry can fix.
var fatalOpenErrors = map[string]bool{
	"invalid_auth": true, "not_authed": true, "account_inactive": true,
	"token_revoked": true, "not_allowed_token_type": true, "token_expired": true,
	"team_disabled": true, "user_removed_from_team": true,
}

// Run connects and serves until ctx ends. It returns an error only when the
// app token is unusable; every other failure is retried with backoff.
func (s *Socket) Run(ctx context.Context) error {
	if s.Silence <= 0 {
		s.Silence = 2 * time.Minute
	}
	if s.Grace <= 0 {
		s.Grace = 3 * time.Second
	}
	if s.Metrics == nil {
		s.Metrics = noSocketMetrics{}
	}
	if s.Wait == nil {
		s.Wait = sleepCtx
	}
	s.mu.Lock()
	if s.connCh == nil {
		s.connCh = make(chan struct{})
	}
	s.mu.Unlock()
	defer s.shutdown()

	failures := 0
	linkDisabled := 0
	for ctx.Err() == nil {
		conn, err := s.dial(ctx)
		if err != nil {
			if ctx.Err() != nil {
				return nil
			}
			var se slack.SlackErrorResponse
			if errors.As(err, &se) && fatalOpenErrors[se.Err] {
				s.status.Store("socket mode: the app token was refused: " + se.Err)
				return fmt.Errorf("socket mode: apps.connections.open refused the app token (%s); check slack.app_token (xapp-…, scope connections:write)", se.Err)
			}
			failures++
			delay := reconnectDelay(failures)
			var rl *slack.RateLimitedError
			if errors.As(err, &rl) {
				delay = max(delay, rl.RetryAfter)
			}
			s.status.Store("socket mode: cannot connect: " + err.Error())
			s.Log.Warn().Err(err).Dur("retry_in", delay).Msg("socket mode: connect failed")
			s.Metrics.Reconnect("connect_error")
			if !s.Wait(ctx, delay) {
				return nil
			}
			continue
		}
		failures = 0
		reason := s.serve(ctx, conn)
		if ctx.Err() != nil {
			return nil
		}
		s.Metrics.Reconnect(reason)
		var delay time.Duration
		switch reason {
		case "link_disabled":
			// Socket Mode was switched off in the app settings: reconnecting at
			// once would spin. Wait, longer each time, and say why on /readyz.
			linkDisabled++
			delay = min(time.Minute<<min(linkDisabled-1, 4), 10*time.Minute)
			s.status.Store("socket mode: Slack disabled this app's Socket Mode link (link_disabled); enable Socket Mode in the app settings")
			s.Log.Error().Dur("retry_in", delay).Msg("socket mode: link_disabled: Socket Mode is switched off for this app; enable it in the app settings")
		case "too_many_websockets":
			delay = 30*time.Second + time.Duration(rand.Int64N(int64(30*time.Second)))
			s.status.Store("socket mode: too many open connections for this app (too_many_websockets)")
			s.Log.Error().Dur("retry_in", delay).Msg("socket mode: too_many_websockets: another copy of the bot may be running")
		default:
			linkDisabled = 0
			s.Log.Info().Str("reason", reason).Msg("socket mode: reconnecting")
		}
		if !s.Wait(ctx, delay) {
			return nil
		}
	}
	return nil
}

// dial asks Slack for a socket URL and opens it.
func (s *Socket) dial(ctx context.Context) (*websocket.Conn, error) {
	_, url, err := s.API.StartSocketModeContext(ctx)
	if err != nil {
		return nil, fmt.Errorf("apps.connections.open: %w", err)
	}
	dialer := websocket.Dialer{HandshakeTimeout: 30 * time.Second, WriteBufferSize: 32 << 10}
	header := http.Header{"Origin": {"https://api.slack.com"}}
	conn, resp, err := dialer.DialContext(ctx, url, header)
	if resp != nil && resp.Body != nil {
		resp.Body.Close()
	}
	if err != nil {
		return nil, fmt.Errorf("dial socket: %w", err)
	}
	return conn, nil
}

// serve reads one connection until it ends and returns why it ended.
func (s *Socket) serve(ctx context.Context, conn *websocket.Conn) string {
	deadline := func() { _ = conn.SetReadDeadline(time.Now().Add(s.Silence)) }
	deadline()
	conn.SetPingHandler(func(data string) error {
		deadline()
		err := conn.WriteControl(websocket.PongMessage, []byte(data), time.Now().Add(5*time.Second))
		if err != nil && !errors.Is(err, websocket.ErrCloseSent) {
			return err
		}
		return nil
	})
	s.setConn(conn)

	ended := make(chan string, 1)
	go func() { ended <- s.read(ctx, conn, deadline) }()
	var reason string
	select {
	case reason = <-ended:
	case <-ctx.Done():
		reason = "shutdown"
	}
	s.setConnected(false)
	s.Metrics.SocketConnected(false)
	if reason != "shutdown" {
		s.setConn(nil)
		conn.Close()
	}
	return reason
}

// read handles frames until the connection fails or Slack asks to disconnect.
func (s *Socket) read(ctx context.Context, conn *websocket.Conn, deadline func()) string {
	handlerCtx := context.WithoutCancel(ctx)
	for {
		_, data, err := conn.ReadMessage()
		if err != nil {
			if ctx.Err() != nil {
				return "shutdown"
			}
			var ne interface{ Timeout() bool }
			if errors.As(err, &ne) && ne.Timeout() {
				s.Log.Warn().Dur("silence", s.Silence).Msg("socket mode: no ping or message for too long; replacing the connection")
				return "silent"
			}
			s.Log.Warn().Err(err).Msg("socket mode: connection lost")
			return "read_error"
		}
		deadline()
		received := time.Now()
		var f socketmode.Request
		if err := json.Unmarshal(data, &f); err != nil {
			s.ackUndecodable(data, err)
			continue
		}
		switch f.Type {
		case "hello":
			s.setConnected(true)
			s.status.Store("")
			s.Metrics.SocketConnected(true)
			s.Log.Info().Int("connections", f.NumConnections).Msg("socket mode: connected")
		case "disconnect":
			s.Log.Info().Str("reason", f.Reason).Msg("socket mode: Slack asked us to disconnect")
			return f.Reason
		default:
			if f.EnvelopeID == "" {
				s.Log.Warn().Str("type", f.Type).Msg("socket mode: frame without envelope_id ignored")
				continue
			}
			s.Metrics.Envelope(f.Type)
			s.handlers.Add(1)
			go s.dispatch(handlerCtx, f, received)
		}
	}
}

// ackUndecodable acks a frame that is not valid JSON, if it carries an
// envelope_id at all; otherwise Slack would redeliver it forever.
func (s *Socket) ackUndecodable(data []byte, cause error) {
	var partial struct {
		EnvelopeID string `json:"envelope_id"`
	}
	_ = json.Unmarshal(data, &partial)
	s.Log.Warn().Err(cause).Str("envelope", partial.EnvelopeID).Msg("socket mode: undecodable frame")
	if partial.EnvelopeID != "" {
		_ = s.Ack(partial.EnvelopeID, nil)
	}
}

// dispatch runs the handler for one envelope and acks it. A panicking
// handler still gets its envelope acked.
func (s *Socket) dispatch(ctx context.Context, req socketmode.Request, received time.Time) {
	defer s.handlers.Done()
	acked := false
	defer func() {
		if r := recover(); r != nil {
			s.Log.Error().Interface("panic", r).Str("envelope", req.EnvelopeID).Str("type", req.Type).Msg("socket mode: handler panicked")
			if !acked {
				_ = s.Ack(req.EnvelopeID, nil)
			}
		}
	}()
	payload, after := s.Handler.Handle(ctx, req)
	if err := s.Ack(req.EnvelopeID, payload); err != nil {
		s.Log.Error().Err(err).Str("envelope", req.EnvelopeID).Msg("socket mode: ack failed")
	}
	acked = true
	s.Metrics.AckLatency(time.Since(received))
	if after != nil {
		after(ctx)
	}
}

// Ack sends the response for envelopeID, waiting briefly for a connection
// if the socket is between connections (Slack matches acks by envelope ID
// on any of the app's connections).
func (s *Socket) Ack(envelopeID string, payload any) error {
	resp := socketmode.Response{EnvelopeID: envelopeID, Payload: payload}
	data, err := json.Marshal(resp)
	if err != nil {
		return fmt.Errorf("ack %s: encode: %w", envelopeID, err)
	}
	if len(data) >= maxAckBytes {
		s.Log.Error().Int("bytes", len(data)).Str("envelope", envelopeID).Msg("socket mode: ack payload too large for Slack; sending a bare ack")
		data, _ = json.Marshal(socketmode.Response{EnvelopeID: envelopeID})
	}
	conn := s.waitConn(2 * time.Second)
	if conn == nil {
		return fmt.Errorf("ack %s: no connection", envelopeID)
	}
	s.writeMu.Lock()
	defer s.writeMu.Unlock()
	_ = conn.SetWriteDeadline(time.Now().Add(5 * time.Second))
	if err := conn.WriteMessage(websocket.TextMessage, data); err != nil {
		return fmt.Errorf("ack %s: %w", envelopeID, err)
	}
	return nil
}

func (s *Socket) setConn(c *websocket.Conn) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.conn = c
	if c != nil {
		select {
		case <-s.connCh:
		default:
			close(s.connCh)
		}
	} else {
		select {
		case <-s.connCh:
			s.connCh = make(chan struct{})
		default:
		}
	}
}

func (s *Socket) waitConn(d time.Duration) *websocket.Conn {
	s.mu.Lock()
	c, ch := s.conn, s.connCh
	s.mu.Unlock()
	if c != nil {
		return c
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ch:
	case <-t.C:
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.conn
}

// shutdown lets running handlers send their acks, then closes the socket.
func (s *Socket) shutdown() {
	done := make(chan struct{})
	go func() { s.handlers.Wait(); close(done) }()
	t := time.NewTimer(s.Grace)
	select {
	case <-done:
	case <-t.C:
		s.Log.Warn().Msg("socket mode: shutdown before every handler finished")
	}
	t.Stop()
	s.mu.Lock()
	c := s.conn
	s.conn = nil
	s.mu.Unlock()
	if c != nil {
		s.writeMu.Lock()
		_ = c.WriteControl(websocket.CloseMessage, websocket.FormatCloseMessage(websocket.CloseNormalClosure, ""), time.Now().Add(time.Second))
		s.writeMu.Unlock()
		c.Close()
	}
	s.setConnected(false)
}

// reconnectDelay is the wait after the n-th failed connection attempt in a
// row: 1s doubling to 60s, with jitter.
func reconnectDelay(n int) time.Duration {
	d := time.Second << min(n-1, 6)
	d = min(d, time.Minute)
	return d/2 + time.Duration(rand.Int64N(int64(d/2)+1))
}

func sleepCtx(ctx context.Context, d time.Duration) bool {
	if d <= 0 {
		return ctx.Err() == nil
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
		return false
	}
}

type noSocketMetrics struct{}

func (noSocketMetrics) Envelope(string)          {}
func (noSocketMetrics) AckLatency(time.Duration) {}
func (noSocketMetrics) SocketConnected(bool)     {}
func (noSocketMetrics) Reconnect(string)         {}
