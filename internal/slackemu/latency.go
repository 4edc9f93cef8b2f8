package slackemu

import (
	"context"
	"math/rand/v2"
	"time"
)

// Latency returns Options.Latency and Options.LatencyJitter.
func (s *Server) Latency() (latency, jitter time.Duration) {
	return s.opts.Latency, s.opts.LatencyJitter
}

// roundTrip holds a Web API call for Options.Latency (plus jitter) before it
// is answered. The wait comes before the method acts, so what the caller
// sees (the answer, the message in the channel) appears together at the end
// of the round trip, as it does for a client of Slack. It ends early when
// the caller gives up or the server closes; the call is then answered at
// once (to nobody, or to a closed connection).
func (s *Server) roundTrip(ctx context.Context) {
	d := s.opts.Latency
	if j := s.opts.LatencyJitter; j > 0 {
		d += rand.N(j)
	}
	if d <= 0 {
		return
	}
	c, stop := s.opts.After(d)
	defer stop()
	select {
	case <-c:
	case <-ctx.Done():
	case <-s.closed:
	}
}
