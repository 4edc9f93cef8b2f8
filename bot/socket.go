package bot

import (
	"context"
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

	"github.com/incidentbot/incidentbot/internal/clock"
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

// Socket keeps a Socket Mode connection to Slack alive and hands every
// envelope to a Handler, acking each one as soon as the handler returns.
//
// It replaces slack-go's socketmode.Client loop, which ignores disconnect
// reasons (so link_disabled and too_many_websockets become reconnect loops),
// never pings (a half-open socket goes unnoticed while Slack's pings are
// lost), closes the old socket before opening the new one (envelopes sent
// in between are lost), never acks envelopes it cannot decode, and stalls
// the socket when its event channel is not drained. The Web API client and
// payload types are still slack-go's.
//
// Like Slack's own SDKs it pings the server and gives up on a socket that
// has been silent for Silence; and whenever a socket must be replaced it
// opens the next one (up to Slack's hello) before closing the old one:
// Slack allows an app 10 connections and delivers to any of them.
type Socket struct {
	API     *slack.Client
	Handler Handler
	Log     zerolog.Logger
	Metrics SocketMetrics
	// Clock drives pings, the silence check, the waits for hello and for a
	// connection to carry an ack, and the pauses between attempts.
	Clock clock.Clock
	// Silence is how long a socket may receive nothing at all (no PONG to
	// our PINGs, no PING of Slack's, no envelope) before it is considered
	// dead and replaced. The socket is pinged every Silence/3.
	Silence time.Duration
	// Grace bounds how long shutdown waits for handlers to send their acks.
	Grace time.Duration
	// Wait pauses between connection attempts; it returns false when ctx
	// ends first. Tests may replace it to observe backoff.
	Wait func(ctx context.Context, d time.Duration) bool
	// Acking, when set, counts the envelopes whose handler has not
	// returned yet (the outbox gives way to them).
	Acking *acking

	connected atomic.Bool
	status    atomic.Value   // string: why the socket is not connected
	handlers  sync.WaitGroup // envelopes not yet acked
	pool      handlerPool    // handler goroutines waiting for an envelope; closing stopped ends their wait
	linkGo    sync.WaitGroup // readers, monitors and retirements of links
	seen      envelopeLog
	ids       atomic.Int64

	mu      sync.Mutex
	cur     *link          // the newest link that said hello
	changed chan struct{}  // closed and replaced whenever cur changes
	links   map[*link]bool // every link not yet closed
	helloCh chan struct{}  // closed while connected
	stopped chan struct{}  // closed once shutdown gave up on handlers
	initted sync.Once
}

// DefaultSilence is how long a socket may stay silent before it is
// replaced: 30 s, as in Slack's Node SDK (and 20 s in its Python SDK).
const DefaultSilence = 30 * time.Second

func (s *Socket) init() {
	s.initted.Do(func() {
		if s.Silence <= 0 {
			s.Silence = DefaultSilence
		}
		if s.Grace <= 0 {
			s.Grace = 3 * time.Second
		}
		if s.Metrics == nil {
			s.Metrics = noSocketMetrics{}
		}
		if s.Clock == nil {
			s.Clock = clock.Real{}
		}
		if s.Wait == nil {
			s.Wait = s.pause
		}
		s.mu.Lock()
		s.changed = make(chan struct{})
		s.links = map[*link]bool{}
		s.stopped = make(chan struct{})
		if s.helloCh == nil {
			s.helloCh = make(chan struct{})
		}
		s.mu.Unlock()
	})
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
	s.setConnectedLocked(up)
}

// setConnectedLocked is setConnected for a caller holding s.mu: one that
// must change the state together with s.cur.
func (s *Socket) setConnectedLocked(up bool) {
	if s.connected.Swap(up) != up {
		s.Metrics.SocketConnected(up)
	}
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

// disconnected is a socket that Slack refused with a disconnect frame
// before its hello.
type disconnected struct{ reason string }

func (e disconnected) Error() string {
	return "Slack sent disconnect (" + e.reason + ") instead of hello"
}

// Run connects and serves until ctx ends. It returns an error only when the
// app token is unusable; every other failure is retried with backoff.
func (s *Socket) Run(ctx context.Context) error {
	s.init()
	defer s.shutdown()

	var cur *link // the link being served; an old one may still be retiring
	var delay time.Duration
	failures, linkDisabled := 0, 0
	for {
		if ctx.Err() != nil || delay > 0 && !s.Wait(ctx, delay) {
			return nil
		}
		delay = 0
		next, err := s.open(ctx)
		if err != nil {
			if ctx.Err() != nil {
				return nil
			}
			var se slack.SlackErrorResponse
			if errors.As(err, &se) && fatalOpenErrors[se.Err] {
				s.status.Store("socket mode: the app token was refused: " + se.Err)
				return fmt.Errorf("socket mode: apps.connections.open refused the app token (%s); check slack.app_token (xapp-…, scope connections:write)", se.Err)
			}
			var dc disconnected
			switch {
			case errors.As(err, &dc) && dc.reason == "link_disabled":
				linkDisabled++
				delay = s.linkDisabled(linkDisabled)
			case errors.As(err, &dc) && dc.reason == "too_many_websockets":
				delay = s.tooManyWebsockets()
			default:
				failures++
				delay = reconnectDelay(failures)
				var rl *slack.RateLimitedError
				if errors.As(err, &rl) {
					delay = max(delay, rl.RetryAfter)
				}
				s.status.Store("socket mode: cannot connect: " + err.Error())
				s.Log.Warn().Err(err).Dur("retry_in", delay).Msg("socket mode: connect failed")
			}
			s.Metrics.Reconnect("connect_error")
			if cur != nil && !cur.healthy() {
				// A dead or closed link serves nobody while we back off.
				s.retire(cur)
				cur = nil
				s.setConnected(false)
			}
			continue
		}
		failures = 0
		s.promote(next)
		if cur != nil {
			// Only now that the new link said hello does the old one go:
			// whatever Slack still sends on it meanwhile is handled.
			s.retire(cur)
		}
		cur = next

		reason := s.watch(ctx, cur)
		if reason == "shutdown" {
			return nil
		}
		s.Metrics.Reconnect(reason)
		switch reason {
		case "warning", "refresh_requested":
			// The link still works until Slack closes it; replace it now.
			linkDisabled = 0
			s.Log.Info().Str("reason", reason).Msg("socket mode: Slack asked us to reconnect")
		case "silent":
			s.setConnected(false)
			s.status.Store("socket mode: the connection went silent; reconnecting")
			s.Log.Warn().Dur("silence", s.Silence).Msg("socket mode: no pong, ping or message for too long; replacing the connection")
		case "link_disabled":
			linkDisabled++
			delay = s.linkDisabled(linkDisabled)
		case "too_many_websockets":
			delay = s.tooManyWebsockets()
		case "read_error":
			linkDisabled = 0
			s.Log.Warn().Msg("socket mode: connection lost; reconnecting")
		default:
			// A reason Slack has not documented: treat it like a refresh.
			linkDisabled = 0
			s.Log.Info().Str("reason", reason).Msg("socket mode: Slack asked us to reconnect")
		}
		if delay > 0 || reason == "read_error" {
			// A silent link stays open until the next one said hello
			// (above), like one Slack asked us to replace.
			s.retire(cur)
			cur = nil
			s.setConnected(false)
		}
	}
}

// linkDisabled logs the n-th link_disabled in a row and returns the pause
// before the next attempt. Socket Mode was switched off in the app
// settings: reconnecting at once would spin, but the bot must be back
// within a minute of someone switching it on again.
func (s *Socket) linkDisabled(n int) time.Duration {
	delay := min(15*time.Second<<min(n-1, 2), time.Minute)
	s.status.Store("socket mode: Slack disabled this app's Socket Mode link (link_disabled); enable Socket Mode in the app settings")
	s.Log.Error().Dur("retry_in", delay).Msg("socket mode: link_disabled: Socket Mode is switched off for this app; enable it in the app settings")
	return delay
}

// tooManyWebsockets logs too_many_websockets and returns the pause before
// the next attempt: the app already has Slack's 10 connections, most
// likely other copies of the bot (or their half-open sockets, which Slack
// drops after a while). A live link keeps serving meanwhile.
func (s *Socket) tooManyWebsockets() time.Duration {
	delay := 30*time.Second + time.Duration(rand.Int64N(int64(30*time.Second)))
	s.status.Store("socket mode: too many open connections for this app (too_many_websockets)")
	s.Log.Error().Dur("retry_in", delay).Msg("socket mode: too_many_websockets: another copy of the bot may be running")
	return delay
}

// watch waits until l needs replacing and says why.
func (s *Socket) watch(ctx context.Context, l *link) string {
	select {
	case r := <-l.trouble:
		return r
	case <-l.ended:
		// A disconnect frame read just before the close explains it better.
		select {
		case r := <-l.trouble:
			return r
		default:
			return "read_error"
		}
	case <-ctx.Done():
		return "shutdown"
	}
}

// open asks Slack for a socket URL, dials it and waits for hello. The link
// is read (and its envelopes handled) from the moment it is dialled.
func (s *Socket) open(ctx context.Context) (*link, error) {
	_, url, err := s.API.StartSocketModeContext(ctx)
	if err != nil {
		return nil, fmt.Errorf("apps.connections.open: %w", err)
	}
	dialer := websocket.Dialer{HandshakeTimeout: 30 * time.Second, WriteBufferSize: 32 << 10}
	header := http.Header{"Origin": {"https://api.slack.com"}}
	ws, resp, err := dialer.DialContext(ctx, url, header)
	if resp != nil && resp.Body != nil {
		resp.Body.Close()
	}
	if err != nil {
		return nil, fmt.Errorf("dial socket: %w", err)
	}
	l := s.start(ctx, ws)
	timeout, stop := s.Clock.After(s.Silence)
	defer stop()
	select {
	case <-l.hello:
		return l, nil
	case r := <-l.trouble:
		s.retire(l)
		return nil, disconnected{reason: r}
	case <-l.ended:
		s.retire(l)
		// Slack refuses a socket (too_many_websockets, link_disabled) with
		// a disconnect frame and then closes it; the reader flags the
		// reason before it ends, so when both are ready (select picks
		// either) the reason must still win, as in watch.
		select {
		case r := <-l.trouble:
			return nil, disconnected{reason: r}
		default:
		}
		return nil, fmt.Errorf("socket closed before hello: %w", l.err())
	case <-timeout:
		s.retire(l)
		return nil, fmt.Errorf("no hello within %v", s.Silence)
	case <-ctx.Done():
		s.retire(l)
		return nil, ctx.Err()
	}
}

// promote makes l the link that acks fall back to.
func (s *Socket) promote(l *link) {
	s.status.Store("")
	s.mu.Lock()
	s.cur = l
	close(s.changed)
	s.changed = make(chan struct{})
	// In the same critical section as s.cur, so that the reader of the
	// link just replaced, which clears the state only while its link is
	// s.cur, cannot clear it after this.
	s.setConnectedLocked(true)
	s.mu.Unlock()
	s.Log.Info().Int64("link", l.id).Int("connections", l.numConnections).Msg("socket mode: connected")
}

// current returns the newest link and a channel closed when it changes.
func (s *Socket) current() (*link, <-chan struct{}) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.cur, s.changed
}

// retire closes l in the background. A dead link is closed at once; a live
// one gets a close frame and is read until Slack closes its side, so that
// an envelope already on its way is still handled (and acked on another
// link).
func (s *Socket) retire(l *link) {
	if !l.closing.CompareAndSwap(false, true) {
		return
	}
	s.linkGo.Add(1)
	go func() {
		defer s.linkGo.Done()
		if l.dead.Load() {
			_ = l.ws.Close()
			return
		}
		l.wmu.Lock()
		_ = l.ws.WriteControl(websocket.CloseMessage, websocket.FormatCloseMessage(websocket.CloseNormalClosure, ""), time.Now().Add(5*time.Second))
		l.wmu.Unlock()
		timeout, stop := s.Clock.After(5 * time.Second)
		select {
		case <-l.ended:
		case <-timeout:
		case <-s.stopped:
		}
		stop()
		_ = l.ws.Close()
	}()
}

// shutdown lets running handlers send their acks, then closes every link.
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
	close(s.stopped)
	var all []*link
	for l := range s.links {
		all = append(all, l)
	}
	s.cur = nil
	s.mu.Unlock()
	for _, l := range all {
		s.retire(l)
	}
	s.linkGo.Wait()
	s.setConnected(false)
}

// reconnectDelay is the wait after the n-th failed connection attempt in a
// row: 1s doubling to 60s, with jitter.
func reconnectDelay(n int) time.Duration {
	d := time.Second << min(n-1, 6)
	d = min(d, time.Minute)
	return d/2 + time.Duration(rand.Int64N(int64(d/2)+1))
}

// pause is the default Wait, on the Clock.
func (s *Socket) pause(ctx context.Context, d time.Duration) bool {
	if d <= 0 {
		return ctx.Err() == nil
	}
	c, stop := s.Clock.After(d)
	defer stop()
	select {
	case <-c:
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
