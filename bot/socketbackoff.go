package bot

import (
	"context"
	"math/rand/v2"
	"time"
)

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
