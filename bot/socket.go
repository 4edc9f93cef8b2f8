package bot

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

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
