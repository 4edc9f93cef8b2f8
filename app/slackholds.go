package app

import (
	"net/http"

	"github.com/incidentbot/incidentbot/bot"
	"github.com/incidentbot/incidentbot/internal/clock"
	"github.com/incidentbot/incidentbot/store/pgstore"
)

// The PostgreSQL store keeps the holds and the pacer's schedule for the
// replicas that share it; without either, slackTransport would quietly
// give each replica its own.
var (
	_ bot.SharedHolds = (*pgstore.Store)(nil)
	_ bot.SharedPace  = (*pgstore.Store)(nil)
)

// slackTransport is the Slack client's transport: over a store that
// replicas share and that keeps Slack's rate-limit holds (PostgreSQL), a
// Retry-After one replica learns holds all of them, and the replicas pace
// their posts on one schedule; over bbolt, the one process keeps its
// holds and its schedule in memory.
func slackTransport(st Store, m bot.CallMetrics, clk clock.Clock) http.RoundTripper {
	base := slackHTTPTransport()
	if holds, ok := st.(bot.SharedHolds); ok {
		pace, _ := st.(bot.SharedPace)
		return bot.SharedTransport(base, m, clk, holds, pace)
	}
	return bot.Transport(base, m, clk)
}
