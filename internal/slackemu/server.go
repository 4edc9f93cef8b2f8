package slackemu

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"
)

// Options configures a Server. The zero value is a Slack-like default.
type Options struct {
	// PingInterval is the period of the server's WebSocket PING frames. Default 5s;
	// a negative value disables pings, which makes slack-go reconnect after its
	// 30 s dead-man window.
	PingInterval time.Duration
	// AckTimeout is how long a delivery waits for its ack (Slack: 3 s). Default 3s.
	AckTimeout time.Duration
	// TriggerTTL is how long a trigger_id stays valid (Slack: 3 s, single use),
	// measured on Now. Default 3s.
	TriggerTTL time.Duration
	// Now is the clock for trigger_id and response_url expiry, message ts and
	// rate-limit buckets. Default time.Now. See Clock.
	Now func() time.Time
	// DisableRedelivery turns off Slack's redelivery of events_api envelopes that
	// were not acked in time. By default Event retries up to 3 times with
	// retry_attempt 1..3 and retry_reason "timeout", a fresh envelope_id each time.
	DisableRedelivery bool
	// RateLimits enables per-method tier token buckets (Tier 1 1/min … Tier 4
	// 100/min, with bursts; chat.postMessage 1/s per channel within 300/min per
	// workspace) that answer HTTP 429 with Retry-After, on the Now clock.
	// Default off.
	RateLimits bool
	// CloseOnOversizedAck makes an ack frame of 20480 bytes or more close the socket
	// with code 1009, as once observed at Slack; by default such a frame is dropped
	// silently (and recorded as a Problem), which is what slack-go's authors saw.
	CloseOnOversizedAck bool
	// Logf receives a line per Web API call, delivery and socket event. Default: none.
	Logf func(format string, args ...any)
	// Scopes are the bot token's scopes. Nil grants every scope. A list is
	// enforced where a scope changes what a method does: chat:write.public
	// (chat.postMessage in a public channel the bot is not in) and
	// channels:join (conversations.join).
	Scopes []string
	// EventSubscriptions are the bot events the app subscribes to (its
	// manifest's settings.event_subscriptions.bot_events). They govern the
	// events the emulator raises by itself after a Web API call, as Slack
	// does: member_joined_channel for each user conversations.invite adds.
	// Nil subscribes to none of those, so a test that counts envelopes sees
	// only the ones it drives; events a test drives (Event, React,
	// LeaveChannel…) are delivered regardless.
	EventSubscriptions []string
	// Latency holds every Web API call this long (plus a uniform random part
	// of up to LatencyJitter) before the method acts and answers, so the bot
	// waits a real Slack round trip (100–300 ms) for each call. The call is
	// recorded, and its effect is visible, when the wait ends. Default 0.
	Latency, LatencyJitter time.Duration
	// After makes the timers of Latency: it returns a channel that receives
	// once d has passed, and a stop function. Default: real timers. A test
	// on a hand-driven clock passes that clock's After, so the latency
	// passes when the test moves the clock and no test waits on real time.
	After func(d time.Duration) (<-chan time.Time, func())
}

func (o *Options) setDefaults() {
	if o.PingInterval == 0 {
		o.PingInterval = 5 * time.Second
	}
	if o.AckTimeout <= 0 {
		o.AckTimeout = 3 * time.Second
	}
	if o.TriggerTTL <= 0 {
		o.TriggerTTL = 3 * time.Second
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Logf == nil {
		o.Logf = func(string, ...any) {}
	}
	if o.After == nil {
		o.After = func(d time.Duration) (<-chan time.Time, func()) {
			t := time.NewTimer(d)
			return t.C, func() { t.Stop() }
		}
	}
}

// ErrClosed is returned by deliveries and waits once the Server is closed.
var ErrClosed = errors.New("slackemu: server closed")

// Server is a running emulator. All methods are safe for concurrent use.
type Server struct {
	opts Options
	ln   net.Listener
	srv  *http.Server
	base string // "http://127.0.0.1:PORT"

	teamID, teamDomain, teamName string
	appID, botID, botUserID      string
	botToken, appToken           string
	methods                      map[string]methodSpec

	closed   chan struct{}
	lifeMu   sync.Mutex // guards isClosed and wg.Add, so no Add races Close's Wait
	isClosed bool
	wg       sync.WaitGroup

	mu sync.Mutex // guards ws; never held while writing to a socket
	ws workspace

	calls  callLog
	faults faultTable
	feed   feed
	sock   sockets

	delivered deliveryLog
	picks     clientPicks // what each user's client shows in selects
	scratch   sync.Pool   // *[]byte: encodeAnswer's buffers
}

// New starts an emulator on 127.0.0.1 with a random port, and seeds a team, an app,
// a bot user and its tokens. Close it when done.
func New(opts Options) (*Server, error) {
	opts.setDefaults()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("slackemu: listen on loopback: %w", err)
	}
	s := &Server{
		opts:   opts,
		ln:     ln,
		base:   "http://" + ln.Addr().String(),
		closed: make(chan struct{}),
	}
	s.ws.setup()
	s.calls.setup()
	s.sock.setup()
	s.seed()
	s.methods = s.methodTable()

	mux := http.NewServeMux()
	mux.HandleFunc("/api/", s.serveAPI)
	mux.HandleFunc("/link/", s.serveLink)
	mux.HandleFunc("/upload/", s.serveUpload)
	mux.HandleFunc("/commands/", s.serveResponseURL)
	mux.HandleFunc("/actions/", s.serveResponseURL)
	s.srv = &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		if err := s.srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			s.logf("http server stopped: %v", err)
		}
	}()
	return s, nil
}

// Start is New for tests: it fails tb at once on error and closes the server in
// tb.Cleanup. Each opt edits the Options before New. Unless an opt sets Logf, the
// emulator logs to tb.Logf until it is closed.
func Start(tb testing.TB, opts ...func(*Options)) *Server {
	tb.Helper()
	var o Options
	for _, f := range opts {
		f(&o)
	}
	var guard *logGuard
	if o.Logf == nil {
		guard = &logGuard{logf: tb.Logf}
		o.Logf = guard.log
	}
	s, err := New(o)
	if err != nil {
		tb.Fatalf("slackemu.Start: %v", err)
	}
	tb.Cleanup(func() {
		s.Close()
		if guard != nil {
			guard.stop()
		}
	})
	return s
}

// logGuard stops forwarding to testing.TB.Logf once the test is over, which would
// otherwise panic if a straggling handler logged.
type logGuard struct {
	mu      sync.Mutex
	stopped bool
	logf    func(string, ...any)
}

func (g *logGuard) log(format string, args ...any) {
	g.mu.Lock()
	defer g.mu.Unlock()
	if !g.stopped {
		g.logf("slackemu: "+format, args...)
	}
}

func (g *logGuard) stop() {
	g.mu.Lock()
	g.stopped = true
	g.mu.Unlock()
}

// Close stops the HTTP server, closes every socket, ends pending deliveries with
// ErrClosed and waits for the emulator's goroutines. It is idempotent.
func (s *Server) Close() {
	s.lifeMu.Lock()
	if s.isClosed {
		s.lifeMu.Unlock()
		return
	}
	s.isClosed = true
	close(s.closed)
	s.lifeMu.Unlock()

	_ = s.srv.Close()
	s.sock.closeAll()
	s.feed.closeAll()
	s.wg.Wait()
}

// enter registers a goroutine (or a hijacked handler) with Close's wait group; it
// reports false once the server is closing.
func (s *Server) enter() bool {
	s.lifeMu.Lock()
	defer s.lifeMu.Unlock()
	if s.isClosed {
		return false
	}
	s.wg.Add(1)
	return true
}

// spawn runs f in a goroutine that Close waits for.
func (s *Server) spawn(f func()) {
	if !s.enter() {
		return
	}
	go func() {
		defer s.wg.Done()
		f()
	}()
}

// APIURL is the Web API base URL for slack.OptionAPIURL; it ends with "/".
func (s *Server) APIURL() string { return s.base + "/api/" }

// URL is the emulator's base URL, "http://127.0.0.1:PORT".
func (s *Server) URL() string { return s.base }

// BotToken is the bot token ("xoxb-…") accepted by every Web API method except
// apps.connections.open.
func (s *Server) BotToken() string { return s.botToken }

// AppToken is the app-level token ("xapp-…") accepted only by apps.connections.open.
func (s *Server) AppToken() string { return s.appToken }

// BotUserID is the bot user's ID.
func (s *Server) BotUserID() string { return s.botUserID }

// BotID is the bot's "B…" ID (bot_id on its messages).
func (s *Server) BotID() string { return s.botID }

// AppID is the app's "A…" ID (api_app_id on deliveries).
func (s *Server) AppID() string { return s.appID }

// TeamID is the workspace ID.
func (s *Server) TeamID() string { return s.teamID }

func (s *Server) now() time.Time { return s.opts.Now() }

func (s *Server) logf(format string, args ...any) { s.opts.Logf(format, args...) }

func (s *Server) seed() {
	s.teamID = "T0EMU0001"
	s.teamDomain = "emu"
	s.teamName = "Emulated Workspace"
	s.appID = "A0EMU0001"
	s.botID = "B0EMU0001"
	s.botUserID = "U0EMUBOT1"
	s.botToken = "xoxb-" + randDigits(12) + "-" + randDigits(13) + "-" + randAlnum(24)
	s.appToken = "xapp-1-" + s.appID + "-" + randDigits(13) + "-" + randHex(32)
	s.ws.users[s.botUserID] = &User{ID: s.botUserID, Name: "incidentbot", RealName: "incidentbot", IsBot: true}
	s.ws.userOrder = append(s.ws.userOrder, s.botUserID)
}

func randHex(n int) string {
	b := make([]byte, (n+1)/2)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)[:n]
}

func randDigits(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	for i := range b {
		b[i] = '0' + b[i]%10
	}
	return string(b)
}

func randAlnum(n int) string {
	const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"
	b := make([]byte, n)
	_, _ = rand.Read(b)
	for i := range b {
		b[i] = alphabet[int(b[i])%len(alphabet)]
	}
	return string(b)
}

// newUUID returns a random RFC 4122-looking id, the shape of Slack's envelope_ids.
func newUUID() string {
	h := randHex(32)
	return strings.Join([]string{h[0:8], h[8:12], "4" + h[13:16], h[16:20], h[20:32]}, "-")
}
